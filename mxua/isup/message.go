// Package isup encodes and decodes the ISDN User Part messages of a basic
// call (ITU-T Q.763, international/national-neutral): IAM, ACM, ANM, REL and
// RLC, and reads the circuit identification code of any ISUP message so that
// a signalling gateway can keep every message of a call on one gateway
// controller (CIC).
//
// Every message starts with the CIC and the message type, followed by the
// mandatory fixed part, one pointer per mandatory variable parameter, the
// optional part pointer, and the parameters the pointers point at (Q.763
// 1.3-1.8). Optional parameters the codec does not model are kept as bytes.
package isup

import "fmt"

// MessageType is the ISUP message type code (Q.763 table 4).
type MessageType uint8

const (
	MsgIAM MessageType = 0x01 // initial address
	MsgACM MessageType = 0x06 // address complete
	MsgANM MessageType = 0x09 // answer
	MsgREL MessageType = 0x0c // release
	MsgRLC MessageType = 0x10 // release complete
)

func (t MessageType) String() string {
	switch t {
	case MsgIAM:
		return "IAM"
	case MsgACM:
		return "ACM"
	case MsgANM:
		return "ANM"
	case MsgREL:
		return "REL"
	case MsgRLC:
		return "RLC"
	}
	return fmt.Sprintf("message type 0x%02x", uint8(t))
}

// Parameter name codes (Q.763 table 5) the codec models.
const (
	ParamEndOfOptional                 uint8 = 0x00
	ParamTransmissionMediumRequirement uint8 = 0x02
	ParamCalledPartyNumber             uint8 = 0x04
	ParamNatureOfConnectionIndicators  uint8 = 0x06
	ParamForwardCallIndicators         uint8 = 0x07
	ParamCallingPartysCategory         uint8 = 0x09
	ParamCallingPartyNumber            uint8 = 0x0a
	ParamBackwardCallIndicators        uint8 = 0x11
	ParamCauseIndicators               uint8 = 0x12
)

// MaxCIC is the largest circuit identification code: 12 bits (Q.763 1.2).
const MaxCIC = 0x0fff

// headerLen is the CIC (2 octets) and the message type (1 octet).
const headerLen = 3

// Parameter is an optional parameter kept as it came.
type Parameter struct {
	Code  uint8
	Value []byte
}

// Message is a decoded ISUP message.
type Message interface {
	MessageType() MessageType
	CircuitID() uint16
	AppendTo(b []byte) ([]byte, error)
}

// Raw is a message of a type this package does not model: the header and
// the rest of the message as bytes.
type Raw struct {
	CIC  uint16
	Type MessageType
	Body []byte
}

func (r *Raw) MessageType() MessageType { return r.Type }
func (r *Raw) CircuitID() uint16        { return r.CIC }

// AppendTo appends the header and the body as they are.
func (r *Raw) AppendTo(b []byte) ([]byte, error) {
	b, err := appendHeader(b, r.CIC, r.Type)
	if err != nil {
		return b, err
	}
	return append(b, r.Body...), nil
}

// CIC returns the circuit identification code of an ISUP message without
// decoding it: the 12 low bits of the first two octets, least significant
// octet first; the 4 spare bits are ignored. It allocates only on error.
func CIC(b []byte) (uint16, error) {
	if len(b) < headerLen {
		return 0, &DecodeError{Offset: len(b), Field: "header", Reason: ErrTruncated, Detail: fmt.Sprintf("%d octets, CIC and message type need 3", len(b))}
	}
	return (uint16(b[0]) | uint16(b[1])<<8) & MaxCIC, nil
}

func appendHeader(b []byte, cic uint16, t MessageType) ([]byte, error) {
	if cic > MaxCIC {
		return b, &EncodeError{Message: t, Field: "circuit identification code", Reason: ErrInvalidValue, Detail: fmt.Sprintf("%d exceeds 12 bits", cic)}
	}
	return append(b, byte(cic), byte(cic>>8), byte(t)), nil
}

// Marshal encodes m into a new slice.
func Marshal(m Message) ([]byte, error) { return m.AppendTo(nil) }

// Decode decodes one ISUP message. Types other than IAM, ACM, ANM, REL and
// RLC come back as *Raw. The message does not alias b.
func Decode(b []byte) (Message, error) {
	cic, err := CIC(b)
	if err != nil {
		return nil, err
	}
	t := MessageType(b[2])
	switch t {
	case MsgIAM:
		return decodeIAM(b, cic)
	case MsgACM:
		return decodeACM(b, cic)
	case MsgANM:
		return decodeANM(b, cic)
	case MsgREL:
		return decodeREL(b, cic)
	case MsgRLC:
		return decodeRLC(b, cic)
	}
	return &Raw{CIC: cic, Type: t, Body: append([]byte{}, b[headerLen:]...)}, nil
}

// variable is a mandatory variable parameter to encode.
type variable struct {
	name  string
	value []byte
}

// appendMessage lays out a message: header, mandatory fixed part, pointers,
// mandatory variable parameters and the optional part (Q.763 1.3).
func appendMessage(b []byte, cic uint16, t MessageType, fixed []byte, vars []variable, opt []Parameter) ([]byte, error) {
	start := len(b)
	b, err := appendHeader(b, cic, t)
	if err != nil {
		return b, err
	}
	b = append(b, fixed...)
	ptrs := len(b)
	for range len(vars) + 1 { // the optional part pointer comes last
		b = append(b, 0)
	}
	setPtr := func(i int, field string) error {
		d := len(b) - (ptrs + i)
		if d > 255 {
			return &EncodeError{Message: t, Field: field, Reason: ErrTooLong, Detail: fmt.Sprintf("pointer %d exceeds 255", d)}
		}
		b[ptrs+i] = byte(d)
		return nil
	}
	for i, v := range vars {
		if err := setPtr(i, v.name); err != nil {
			return b[:start], err
		}
		if len(v.value) > 255 {
			return b[:start], &EncodeError{Message: t, Field: v.name, Reason: ErrTooLong, Detail: fmt.Sprintf("%d octets", len(v.value))}
		}
		b = append(b, byte(len(v.value)))
		b = append(b, v.value...)
	}
	if len(opt) == 0 {
		return b, nil // pointer 0: no optional part
	}
	if err := setPtr(len(vars), "optional part"); err != nil {
		return b[:start], err
	}
	for _, p := range opt {
		if p.Code == ParamEndOfOptional {
			return b[:start], &EncodeError{Message: t, Field: "optional part", Reason: ErrInvalidValue, Detail: "parameter code 0 is end of optional parameters"}
		}
		if len(p.Value) > 255 {
			return b[:start], &EncodeError{Message: t, Field: fmt.Sprintf("optional parameter 0x%02x", p.Code), Reason: ErrTooLong, Detail: fmt.Sprintf("%d octets", len(p.Value))}
		}
		b = append(b, p.Code, byte(len(p.Value)))
		b = append(b, p.Value...)
	}
	return append(b, ParamEndOfOptional), nil
}

// body is where a message's parts lie in the buffer.
type body struct {
	fixed int      // offset of the mandatory fixed part
	vars  [][2]int // offset and length of each mandatory variable value
	opt   []Parameter
	optAt []int // offset of each optional parameter's value
}

// decodeBody checks a message's framing. Mandatory variable parameters
// must follow the pointers in order without overlapping (gaps are
// tolerated); the optional part follows them and ends with end of optional
// parameters (Q.763 1.6-1.8).
func decodeBody(b []byte, t MessageType, fixedLen int, varNames []string) (body, error) {
	bd := body{fixed: headerLen}
	ptrs := headerLen + fixedLen
	end := ptrs + len(varNames) + 1
	if len(b) < end {
		return bd, &DecodeError{Offset: len(b), Message: t, Reason: ErrTruncated, Detail: fmt.Sprintf("fixed part and pointers need %d octets, have %d", end, len(b))}
	}
	next := end
	for i, name := range varNames {
		at := ptrs + i
		p := int(b[at])
		start := at + p
		if p == 0 || start < next || start >= len(b) {
			return bd, &DecodeError{Offset: at, Message: t, Field: name, Reason: ErrPointer, Detail: fmt.Sprintf("pointer %d to offset %d of %d", p, start, len(b))}
		}
		n := int(b[start])
		if start+1+n > len(b) {
			return bd, &DecodeError{Offset: start, Message: t, Field: name, Reason: ErrLength, Detail: fmt.Sprintf("length %d, %d octets left", n, len(b)-start-1)}
		}
		bd.vars = append(bd.vars, [2]int{start + 1, n})
		next = start + 1 + n
	}
	at := ptrs + len(varNames)
	p := int(b[at])
	if p == 0 {
		return bd, nil
	}
	off := at + p
	if off < next || off >= len(b) {
		return bd, &DecodeError{Offset: at, Message: t, Field: "optional part", Reason: ErrPointer, Detail: fmt.Sprintf("pointer %d to offset %d of %d", p, off, len(b))}
	}
	for {
		if off >= len(b) {
			return bd, &DecodeError{Offset: off, Message: t, Field: "optional part", Reason: ErrTruncated, Detail: "no end of optional parameters"}
		}
		code := b[off]
		if code == ParamEndOfOptional {
			return bd, nil
		}
		if off+2 > len(b) || off+2+int(b[off+1]) > len(b) {
			return bd, &DecodeError{Offset: off, Message: t, Field: fmt.Sprintf("optional parameter 0x%02x", code), Reason: ErrLength, Detail: "runs past the end"}
		}
		n := int(b[off+1])
		bd.opt = append(bd.opt, Parameter{Code: code, Value: append([]byte{}, b[off+2:off+2+n]...)})
		bd.optAt = append(bd.optAt, off+2)
		off += 2 + n
	}
}
