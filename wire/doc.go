// Package wire is the byte-exact codec for Reliable Server Pooling: the ASAP
// messages of RFC 5352, the ENRP messages of RFC 5353, the common parameters
// of RFC 5354 and the member selection policies of RFC 5356 (with the RSPLIB
// extension codes).
//
// The package is pure: no I/O, no goroutines, no mutable globals.
//
// Encoding appends to a caller's buffer: every Message and Parameter has
// AppendTo(b []byte) ([]byte, error), and Marshal allocates a fresh slice.
//
// Decoding (DecodeASAP, DecodeENRP, DecodeParameter) never panics, checks
// every length field against the bytes that are really there before using
// it, and returns a *DecodeError that says what is wrong and where (offset,
// message type, parameter type). Decoded values never alias the input.
//
// Unknown parameters follow their action bits (RFC 5354, section 2):
//
//	00 stop: the message is discarded (*DecodeError, ErrUnrecognizedParameter)
//	01 stop and report: as 00, and DecodeError.Reports holds the cause to send back
//	10 skip: ignored
//	11 skip and report: decoding succeeds and the cause is returned as a report
//
// Reports are "Unrecognized Parameter" error causes that carry the offending
// parameter; a registrar sends them back in an ASAP or ENRP Error message.
// An unknown message type yields ErrUnrecognizedMessage with an
// "Unrecognized Message" cause that carries the message.
//
// Where RFC text and the deployed implementations disagree, the codec puts on
// the wire what RSPLIB and Wireshark expect, since those are the peers that
// must interoperate, and accepts what RSPLIB really sends; each such place is
// marked in a comment.
package wire
