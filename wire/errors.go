package wire

import (
	"errors"
	"fmt"
	"strings"
)

// Reasons carried by DecodeError and EncodeError; test them with errors.Is.
var (
	// ErrTruncated: fewer bytes than a header or fixed field needs.
	ErrTruncated = errors.New("truncated")
	// ErrLength: a length field is below its header size, runs past the
	// bytes available, disagrees with the buffer, or does not fit the type.
	ErrLength = errors.New("invalid length")
	// ErrPadding: the padding that must follow a parameter is missing.
	ErrPadding = errors.New("missing padding")
	// ErrUnrecognizedParameter: an unknown parameter whose action bits say stop.
	ErrUnrecognizedParameter = errors.New("unrecognized parameter")
	// ErrUnrecognizedMessage: an unknown message type.
	ErrUnrecognizedMessage = errors.New("unrecognized message type")
	// ErrUnexpectedParameter: a known parameter where it is not allowed.
	ErrUnexpectedParameter = errors.New("unexpected parameter")
	// ErrDuplicateParameter: a parameter that may appear once appears again.
	ErrDuplicateParameter = errors.New("duplicate parameter")
	// ErrMissingParameter: a mandatory parameter is absent.
	ErrMissingParameter = errors.New("missing mandatory parameter")
	// ErrInvalidValue: a field holds a value the protocol does not define.
	ErrInvalidValue = errors.New("invalid value")
	// ErrTooLong: an encoded message or parameter exceeds its 16-bit length field.
	ErrTooLong = errors.New("too long for a 16-bit length field")
)

// DecodeError describes why and where decoding failed.
type DecodeError struct {
	// Offset is the byte offset, in the buffer given to the decoder, of the
	// parameter header or field at fault.
	Offset int
	// Message is the message being decoded; zero for a bare parameter.
	Message MessageType
	// Param is the innermost parameter at fault; zero at message level.
	Param ParamType
	// Reason is one of the Err* values above.
	Reason error
	// Detail says what exactly was found.
	Detail string
	// Reports are the error causes the receiver must send back (in an ASAP
	// or ENRP Error) although the message itself is discarded: the
	// unrecognized parameter whose action bits say "stop and report", any
	// "skip and report" parameters met before it, or the unrecognized message.
	Reports []ErrorCause
}

func (e *DecodeError) Error() string {
	var s strings.Builder
	s.WriteString("wire: decode")
	if e.Message != 0 {
		s.WriteString(" ")
		s.WriteString(e.Message.String())
	}
	writeParam(&s, e.Param)
	fmt.Fprintf(&s, " at offset %d: %v", e.Offset, e.Reason)
	if e.Detail != "" {
		s.WriteString(": ")
		s.WriteString(e.Detail)
	}
	return s.String()
}

// Unwrap returns Reason, so errors.Is(err, ErrTruncated) and the like work.
func (e *DecodeError) Unwrap() error { return e.Reason }

// OperationError returns the Operation Error to send back, or nil when the
// failure owes the peer no report.
func (e *DecodeError) OperationError() *OperationError {
	if len(e.Reports) == 0 {
		return nil
	}
	return &OperationError{Causes: e.Reports}
}

func writeParam(s *strings.Builder, p ParamType) {
	switch {
	case p == 0:
	case p.known():
		fmt.Fprintf(s, ", parameter %s (0x%04x)", p, uint16(p))
	default:
		fmt.Fprintf(s, ", parameter 0x%04x", uint16(p))
	}
}

// EncodeError describes a value that cannot be put on the wire.
type EncodeError struct {
	Message MessageType // zero when encoding a bare parameter
	Param   ParamType   // innermost parameter at fault, if any
	Reason  error       // ErrInvalidValue, ErrMissingParameter or ErrTooLong
	Detail  string
}

func (e *EncodeError) Error() string {
	var s strings.Builder
	s.WriteString("wire: encode")
	if e.Message != 0 {
		s.WriteString(" ")
		s.WriteString(e.Message.String())
	}
	writeParam(&s, e.Param)
	fmt.Fprintf(&s, ": %v", e.Reason)
	if e.Detail != "" {
		s.WriteString(": ")
		s.WriteString(e.Detail)
	}
	return s.String()
}

// Unwrap returns Reason.
func (e *EncodeError) Unwrap() error { return e.Reason }
