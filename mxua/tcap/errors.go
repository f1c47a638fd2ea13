package tcap

import (
	"errors"
	"fmt"
)

// Reasons carried by DecodeError and EncodeError; test them with errors.Is.
var (
	// ErrTruncated: fewer bytes than a tag or length needs.
	ErrTruncated = errors.New("truncated")
	// ErrLength: a length runs past its container, uses more than 4
	// octets, is the reserved 0xff, or leaves trailing bytes.
	ErrLength = errors.New("invalid length")
	// ErrIndefiniteLength: the indefinite form (0x80), which this package
	// does not accept: it would need an end-of-contents scan of the components.
	ErrIndefiniteLength = errors.New("indefinite length")
	// ErrUnknownMessage: the outer tag is not a Q.773 transaction message.
	ErrUnknownMessage = errors.New("unknown message type")
	// ErrTransactionID: a transaction ID is missing where the message type
	// needs it, present where it must not be, repeated, or not 1-4 octets.
	ErrTransactionID = errors.New("invalid transaction ID")
	// ErrUnexpectedElement: an element the message type does not allow
	// there, or out of order.
	ErrUnexpectedElement = errors.New("unexpected element")
	// ErrTooLong: a value too long for this encoder (over 0xffffff octets).
	ErrTooLong = errors.New("too long")
)

// DecodeError says why and where decoding failed.
type DecodeError struct {
	Offset  int         // byte offset of the tag or length at fault
	Message MessageType // zero before the outer tag is read
	Reason  error
	Detail  string
}

func (e *DecodeError) Error() string {
	s := "tcap: decode"
	if e.Message != 0 {
		s += " " + e.Message.String()
	}
	s += fmt.Sprintf(" at offset %d: %v", e.Offset, e.Reason)
	if e.Detail != "" {
		s += ": " + e.Detail
	}
	return s
}

// Unwrap returns Reason.
func (e *DecodeError) Unwrap() error { return e.Reason }

// EncodeError describes a message that cannot be put on the wire.
type EncodeError struct {
	Message MessageType
	Reason  error
	Detail  string
}

func (e *EncodeError) Error() string {
	s := "tcap: encode"
	if e.Message != 0 {
		s += " " + e.Message.String()
	}
	s += ": " + e.Reason.Error()
	if e.Detail != "" {
		s += ": " + e.Detail
	}
	return s
}

// Unwrap returns Reason.
func (e *EncodeError) Unwrap() error { return e.Reason }
