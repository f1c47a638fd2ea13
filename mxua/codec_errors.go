package mxua

import (
	"errors"
	"fmt"
	"strings"
)

// Reasons carried by DecodeError and EncodeError; test them with errors.Is.
var (
	// ErrTruncated: fewer bytes than a header or fixed field needs.
	ErrTruncated = errors.New("truncated")
	// ErrLength: a length field disagrees with the bytes present or with
	// the fixed size of the parameter.
	ErrLength = errors.New("invalid length")
	// ErrPadding: the padding that must follow a parameter is missing.
	ErrPadding = errors.New("missing padding")
	// ErrVersion: the common header carries a version other than 1.
	ErrVersion = errors.New("invalid version")
	// ErrUnknownClass: the message class is unknown to the protocol.
	ErrUnknownClass = errors.New("unsupported message class")
	// ErrUnknownType: the message type is unknown within its class.
	ErrUnknownType = errors.New("unsupported message type")
	// ErrUnknownParameter: a tag the protocol does not define.
	ErrUnknownParameter = errors.New("unknown parameter")
	// ErrParameterNotAllowed: a known parameter where it is not allowed.
	ErrParameterNotAllowed = errors.New("unexpected parameter")
	// ErrDuplicateParameter: a parameter that may appear once appears again
	// (RFC 4666 section 3.2: only one parameter of a type unless stated).
	ErrDuplicateParameter = errors.New("duplicate parameter")
	// ErrParameterMissing: a mandatory parameter is absent.
	ErrParameterMissing = errors.New("missing mandatory parameter")
	// ErrInvalidValue: a field holds a value the protocol does not define.
	ErrInvalidValue = errors.New("invalid value")
	// ErrTooLong: a parameter does not fit its 16-bit length field.
	ErrTooLong = errors.New("too long for a 16-bit length field")
)

// DecodeError describes why and where decoding failed, and which Error
// Code (RFC 4666 / RFC 3868 section 3.8.1) the receiver should put in the
// ERR it sends back.
type DecodeError struct {
	Protocol Protocol
	// Kind is the message's class and type once the header was read; zero
	// (which is also ERR) until then, so test HeaderRead first.
	Kind       Kind
	HeaderRead bool
	// Offset is the byte offset, in the buffer given to Decode, of the
	// header, parameter header or field at fault.
	Offset int
	// Tag is the innermost parameter at fault; zero at message level.
	Tag Tag
	// Code is the error code to report to the peer in ERR.
	Code ErrorCode
	// Reason is one of the Err* values above.
	Reason error
	// Detail says what exactly was found.
	Detail string
}

func (e *DecodeError) Error() string {
	var s strings.Builder
	fmt.Fprintf(&s, "mxua: decode %v", e.Protocol)
	if e.HeaderRead {
		s.WriteString(" ")
		s.WriteString(e.Kind.String())
	}
	if e.Tag != 0 {
		fmt.Fprintf(&s, ", parameter %s", e.Tag.name(e.Protocol))
	}
	fmt.Fprintf(&s, " at offset %d: %v", e.Offset, e.Reason)
	if e.Detail != "" {
		s.WriteString(": ")
		s.WriteString(e.Detail)
	}
	fmt.Fprintf(&s, " (error code 0x%02x)", uint32(e.Code))
	return s.String()
}

// Unwrap returns Reason, so errors.Is(err, ErrTruncated) and the like work.
func (e *DecodeError) Unwrap() error { return e.Reason }

// diagnosticLen is how much of the offending message ERR echoes back
// (RFC 4666 section 3.8.1: "the first 40 bytes of the offending message").
const diagnosticLen = 40

// ErrorMessage returns the ERR to send back for the message raw that
// failed to decode with e. Whether to send it at all (never in answer to an
// ERR, say) is the state machine's call, not the codec's.
func (e *DecodeError) ErrorMessage(raw []byte) *Message {
	diag := raw[:min(len(raw), diagnosticLen)]
	return &Message{
		Protocol:       e.Protocol,
		Kind:           KindERR,
		ErrorCode:      e.Code,
		DiagnosticInfo: append([]byte{}, diag...),
	}
}

// EncodeError describes a Message that cannot be put on the wire.
type EncodeError struct {
	Protocol Protocol
	Kind     Kind
	Tag      Tag   // innermost parameter at fault, if any
	Reason   error // ErrInvalidValue, ErrParameterMissing, ErrParameterNotAllowed, ErrTooLong, ErrUnknown*
	Detail   string
}

func (e *EncodeError) Error() string {
	var s strings.Builder
	fmt.Fprintf(&s, "mxua: encode %v %v", e.Protocol, e.Kind)
	if e.Tag != 0 {
		fmt.Fprintf(&s, ", parameter %s", e.Tag.name(e.Protocol))
	}
	fmt.Fprintf(&s, ": %v", e.Reason)
	if e.Detail != "" {
		s.WriteString(": ")
		s.WriteString(e.Detail)
	}
	return s.String()
}

// Unwrap returns Reason.
func (e *EncodeError) Unwrap() error { return e.Reason }
