package sccp

import (
	"errors"
	"fmt"
)

// Reasons carried by DecodeError and EncodeError; test them with errors.Is.
var (
	// ErrTruncated: fewer bytes than a fixed field or parameter needs.
	ErrTruncated = errors.New("truncated")
	// ErrPointer: a pointer points into the fixed part, at itself or past the end.
	ErrPointer = errors.New("invalid pointer")
	// ErrLength: a length indicator runs past the message or is below the minimum.
	ErrLength = errors.New("invalid length")
	// ErrInvalidValue: a field holds a value Q.713 does not define for it.
	ErrInvalidValue = errors.New("invalid value")
	// ErrUnsupportedMessage: a message type other than UDT or XUDT.
	ErrUnsupportedMessage = errors.New("unsupported message type")
	// ErrNoSSN: the called party address carries no subsystem number.
	ErrNoSSN = errors.New("called party address has no subsystem number")
	// ErrTooLong: a parameter or message exceeds what its length or pointer octet can say.
	ErrTooLong = errors.New("too long")
)

// DecodeError says why and where decoding failed.
type DecodeError struct {
	Offset  int         // byte offset in the buffer given to the decoder
	Message MessageType // zero before the type octet is read
	Field   string      // the parameter or field at fault, in Q.713's words
	Reason  error       // one of the Err* values
	Detail  string
}

func (e *DecodeError) Error() string {
	s := "sccp: decode"
	if e.Message != 0 {
		s += " " + e.Message.String()
	}
	if e.Field != "" {
		s += " " + e.Field
	}
	s += fmt.Sprintf(" at offset %d: %v", e.Offset, e.Reason)
	if e.Detail != "" {
		s += ": " + e.Detail
	}
	return s
}

// Unwrap returns Reason, so errors.Is(err, ErrTruncated) works.
func (e *DecodeError) Unwrap() error { return e.Reason }

// EncodeError describes a value that cannot be put on the wire.
type EncodeError struct {
	Message MessageType
	Field   string
	Reason  error
	Detail  string
}

func (e *EncodeError) Error() string {
	s := "sccp: encode"
	if e.Message != 0 {
		s += " " + e.Message.String()
	}
	if e.Field != "" {
		s += " " + e.Field
	}
	s += ": " + e.Reason.Error()
	if e.Detail != "" {
		s += ": " + e.Detail
	}
	return s
}

// Unwrap returns Reason.
func (e *EncodeError) Unwrap() error { return e.Reason }
