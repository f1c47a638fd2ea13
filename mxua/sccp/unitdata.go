// Package sccp encodes and decodes the SCCP connectionless messages an SS7
// signalling gateway carries in M3UA DATA (SI=3): unitdata (UDT) and extended
// unitdata (XUDT), ITU-T Q.713, with ITU 14-bit point codes.
//
// The codec is sigpool's own rather than a wrapper of go-sccp v0.0.5: that
// library reads the address point code big-endian and fails on a PC-only
// address (see gosccp_test.go, which pins both), so the address half had to
// be rewritten anyway, and the message half is a few pointers. Owning the
// whole message also gives typed errors with offsets and an allocation-free
// fast path (Peek, ExtractSSN) for routing by called subsystem.
package sccp

import "fmt"

// MessageType is the SCCP message type code (Q.713 table 1).
type MessageType uint8

const (
	MsgUDT   MessageType = 0x09 // unitdata
	MsgUDTS  MessageType = 0x0a // unitdata service
	MsgXUDT  MessageType = 0x11 // extended unitdata
	MsgXUDTS MessageType = 0x12 // extended unitdata service
	MsgLUDT  MessageType = 0x13 // long unitdata
)

func (t MessageType) String() string {
	switch t {
	case MsgUDT:
		return "UDT"
	case MsgUDTS:
		return "UDTS"
	case MsgXUDT:
		return "XUDT"
	case MsgXUDTS:
		return "XUDTS"
	case MsgLUDT:
		return "LUDT"
	}
	return fmt.Sprintf("message type 0x%02x", uint8(t))
}

// Optional parameter names (Q.713 table 2) that XUDT may carry.
const (
	ParamEndOfOptional uint8 = 0x00
	ParamSegmentation  uint8 = 0x10
	ParamImportance    uint8 = 0x12
)

// Parameter is an optional parameter kept as it came: XUDT optional
// parameters other than these matter to the gateway only as bytes to relay.
type Parameter struct {
	Code  uint8
	Value []byte
}

// Message is a decoded UDT or XUDT.
type Message interface {
	MessageType() MessageType
	AppendTo(b []byte) ([]byte, error)
}

// UDT is a unitdata message (Q.713 4.10).
type UDT struct {
	ProtocolClass uint8 // 0 or 1: connectionless
	ReturnOnError bool  // message handling: return message on error
	CalledParty   Address
	CallingParty  Address
	Data          []byte
}

// XUDT is an extended unitdata message (Q.713 4.18).
type XUDT struct {
	ProtocolClass uint8
	ReturnOnError bool
	HopCounter    uint8 // 1-15
	CalledParty   Address
	CallingParty  Address
	Data          []byte
	Optional      []Parameter // in wire order, without end of optional parameters
}

func (*UDT) MessageType() MessageType  { return MsgUDT }
func (*XUDT) MessageType() MessageType { return MsgXUDT }

const (
	udtFixed  = 5 // type, protocol class, 3 pointers
	xudtFixed = 7 // type, protocol class, hop counter, 4 pointers
	// returnOnError is message handling 1000 in bits 8-5 of the protocol class.
	returnOnError = 0x80
)

func protocolClassOctet(t MessageType, class uint8, roe bool) (byte, error) {
	if class > 1 {
		return 0, &EncodeError{Message: t, Field: "protocol class", Reason: ErrInvalidValue, Detail: fmt.Sprintf("class %d is not connectionless", class)}
	}
	if roe {
		class |= returnOnError
	}
	return class, nil
}

// AppendTo appends the encoded UDT to b.
func (u *UDT) AppendTo(b []byte) ([]byte, error) {
	pc, err := protocolClassOctet(MsgUDT, u.ProtocolClass, u.ReturnOnError)
	if err != nil {
		return b, err
	}
	return appendUnitdata(b, MsgUDT, []byte{byte(MsgUDT), pc}, &u.CalledParty, &u.CallingParty, u.Data, nil)
}

// AppendTo appends the encoded XUDT to b.
func (x *XUDT) AppendTo(b []byte) ([]byte, error) {
	pc, err := protocolClassOctet(MsgXUDT, x.ProtocolClass, x.ReturnOnError)
	if err != nil {
		return b, err
	}
	if x.HopCounter < 1 || x.HopCounter > 15 {
		return b, &EncodeError{Message: MsgXUDT, Field: "hop counter", Reason: ErrInvalidValue, Detail: fmt.Sprintf("%d, want 1-15", x.HopCounter)}
	}
	opt := x.Optional
	if opt == nil {
		opt = []Parameter{} // non-nil: the optional part pointer is present either way
	}
	return appendUnitdata(b, MsgXUDT, []byte{byte(MsgXUDT), pc, x.HopCounter}, &x.CalledParty, &x.CallingParty, x.Data, opt)
}

// appendUnitdata lays out the three mandatory variable parameters after the
// fixed part and, for XUDT (opt non-nil), the optional part pointer and part.
func appendUnitdata(b []byte, t MessageType, fixed []byte, cd, cg *Address, data []byte, opt []Parameter) ([]byte, error) {
	start := len(b)
	nptr := 3
	if opt != nil {
		nptr = 4
	}
	b = append(b, fixed...)
	ptrs := len(b)
	b = append(b, make([]byte, nptr)...)
	setPtr := func(i int, field string) error {
		at := ptrs + i
		d := len(b) - at
		if d > 255 {
			return &EncodeError{Message: t, Field: field, Reason: ErrTooLong, Detail: fmt.Sprintf("pointer %d exceeds 255", d)}
		}
		b[at] = byte(d)
		return nil
	}
	var err error
	if err = setPtr(0, "called party address"); err != nil {
		return b[:start], err
	}
	if b, err = appendAddress(b, cd, "called party address"); err != nil {
		return b[:start], withMessage(err, t)
	}
	if err = setPtr(1, "calling party address"); err != nil {
		return b[:start], err
	}
	if b, err = appendAddress(b, cg, "calling party address"); err != nil {
		return b[:start], withMessage(err, t)
	}
	if err = setPtr(2, "data"); err != nil {
		return b[:start], err
	}
	if len(data) > 255 {
		return b[:start], &EncodeError{Message: t, Field: "data", Reason: ErrTooLong, Detail: fmt.Sprintf("%d octets exceed one length octet", len(data))}
	}
	b = append(b, byte(len(data)))
	b = append(b, data...)
	if len(opt) == 0 {
		return b, nil // a zero optional part pointer: no optional part
	}
	if err = setPtr(3, "optional part"); err != nil {
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

func withMessage(err error, t MessageType) error {
	if e, ok := err.(*EncodeError); ok {
		e.Message = t
	}
	return err
}

// Marshal encodes m into a new slice.
func Marshal(m Message) ([]byte, error) { return m.AppendTo(nil) }

// layout is where a UDT's or XUDT's parts lie in the buffer; finding it
// allocates nothing, so the fast paths share it with the full decoder.
type layout struct {
	typ          MessageType
	class        byte
	hop          byte
	cd, cg, data [2]int // offset of the value (after the length octet), length
	opt          int    // offset of the optional part, 0 when absent
}

func locate(b []byte) (layout, error) {
	var l layout
	if len(b) < 1 {
		return l, &DecodeError{Reason: ErrTruncated, Detail: "empty message"}
	}
	l.typ = MessageType(b[0])
	fixed := 0
	switch l.typ {
	case MsgUDT:
		fixed = udtFixed
	case MsgXUDT:
		fixed = xudtFixed
	default:
		return l, &DecodeError{Reason: ErrUnsupportedMessage, Detail: l.typ.String()}
	}
	if len(b) < fixed {
		return l, &DecodeError{Offset: len(b), Message: l.typ, Reason: ErrTruncated, Detail: fmt.Sprintf("fixed part needs %d octets, have %d", fixed, len(b))}
	}
	l.class = b[1]
	if c := l.class & 0x0f; c > 1 {
		return l, &DecodeError{Offset: 1, Message: l.typ, Field: "protocol class", Reason: ErrInvalidValue, Detail: fmt.Sprintf("class %d is not connectionless", c)}
	}
	ptrs := 2
	if l.typ == MsgXUDT {
		l.hop = b[2]
		if l.hop < 1 || l.hop > 15 {
			return l, &DecodeError{Offset: 2, Message: l.typ, Field: "hop counter", Reason: ErrInvalidValue, Detail: fmt.Sprintf("%d, want 1-15", l.hop)}
		}
		ptrs = 3
	}
	names := [3]string{"called party address", "calling party address", "data"}
	parts := [3]*[2]int{&l.cd, &l.cg, &l.data}
	// Parameters must follow one another in Q.713's order without
	// overlapping: gaps are tolerated, but overlapping or reordered
	// parameters are malformed, and only ordered ones re-encode within the
	// 255-octet reach of a pointer.
	next := fixed
	for i, name := range names {
		at := ptrs + i
		p := int(b[at])
		start := at + p
		if p == 0 || start < next || start >= len(b) {
			return l, &DecodeError{Offset: at, Message: l.typ, Field: name, Reason: ErrPointer, Detail: fmt.Sprintf("pointer %d to offset %d of %d", p, start, len(b))}
		}
		n := int(b[start])
		if start+1+n > len(b) {
			return l, &DecodeError{Offset: start, Message: l.typ, Field: name, Reason: ErrLength, Detail: fmt.Sprintf("length %d runs past the end (%d octets left)", n, len(b)-start-1)}
		}
		*parts[i] = [2]int{start + 1, n}
		next = start + 1 + n
	}
	if l.typ == MsgXUDT {
		at := ptrs + 3
		if p := int(b[at]); p != 0 {
			l.opt = at + p
			if l.opt < next || l.opt >= len(b) {
				return l, &DecodeError{Offset: at, Message: l.typ, Field: "optional part", Reason: ErrPointer, Detail: fmt.Sprintf("pointer %d to offset %d of %d", p, l.opt, len(b))}
			}
		}
	}
	return l, nil
}

// Decode decodes a UDT or XUDT. The returned message does not alias b.
func Decode(b []byte) (Message, error) {
	l, err := locate(b)
	if err != nil {
		return nil, err
	}
	cd, err := decodeAddress(b[l.cd[0]:l.cd[0]+l.cd[1]], l.cd[0], "called party address")
	if err != nil {
		return nil, setMessage(err, l.typ)
	}
	cg, err := decodeAddress(b[l.cg[0]:l.cg[0]+l.cg[1]], l.cg[0], "calling party address")
	if err != nil {
		return nil, setMessage(err, l.typ)
	}
	data := append([]byte{}, b[l.data[0]:l.data[0]+l.data[1]]...)
	class, roe := l.class&0x0f, l.class&0xf0 == returnOnError
	if l.typ == MsgUDT {
		return &UDT{ProtocolClass: class, ReturnOnError: roe, CalledParty: cd, CallingParty: cg, Data: data}, nil
	}
	x := &XUDT{ProtocolClass: class, ReturnOnError: roe, HopCounter: l.hop, CalledParty: cd, CallingParty: cg, Data: data}
	if l.opt != 0 {
		if x.Optional, err = decodeOptional(b, l.opt); err != nil {
			return nil, err
		}
	}
	return x, nil
}

func setMessage(err error, t MessageType) error {
	if e, ok := err.(*DecodeError); ok {
		e.Message = t
	}
	return err
}

// decodeOptional reads parameters from off up to end of optional parameters.
func decodeOptional(b []byte, off int) ([]Parameter, error) {
	var out []Parameter
	for {
		if off >= len(b) {
			return nil, &DecodeError{Offset: off, Message: MsgXUDT, Field: "optional part", Reason: ErrTruncated, Detail: "no end of optional parameters"}
		}
		code := b[off]
		if code == ParamEndOfOptional {
			return out, nil
		}
		if off+2 > len(b) || off+2+int(b[off+1]) > len(b) {
			return nil, &DecodeError{Offset: off, Message: MsgXUDT, Field: fmt.Sprintf("optional parameter 0x%02x", code), Reason: ErrLength, Detail: "runs past the end"}
		}
		n := int(b[off+1])
		out = append(out, Parameter{Code: code, Value: append([]byte{}, b[off+2:off+2+n]...)})
		off += 2 + n
	}
}

// DecodeUDT decodes b, which must be a UDT.
func DecodeUDT(b []byte) (*UDT, error) {
	m, err := Decode(b)
	if err != nil {
		return nil, err
	}
	u, ok := m.(*UDT)
	if !ok {
		return nil, &DecodeError{Message: m.MessageType(), Reason: ErrUnsupportedMessage, Detail: "want UDT"}
	}
	return u, nil
}

// DecodeXUDT decodes b, which must be an XUDT.
func DecodeXUDT(b []byte) (*XUDT, error) {
	m, err := Decode(b)
	if err != nil {
		return nil, err
	}
	x, ok := m.(*XUDT)
	if !ok {
		return nil, &DecodeError{Message: m.MessageType(), Reason: ErrUnsupportedMessage, Detail: "want XUDT"}
	}
	return x, nil
}

// Summary is what a router needs from a UDT or XUDT: the called subsystem
// and the user data (the TCAP message), found without decoding addresses.
type Summary struct {
	Type      MessageType
	CalledSSN uint8
	HasSSN    bool   // whether the called party address carries an SSN
	Data      []byte // aliases the buffer given to Peek
}

// Peek finds the called SSN and the user data of a UDT or XUDT without
// allocating. It checks the pointers and lengths, not the addresses' contents.
func Peek(b []byte) (Summary, error) {
	l, err := locate(b)
	if err != nil {
		return Summary{}, err
	}
	s := Summary{Type: l.typ, Data: b[l.data[0] : l.data[0]+l.data[1] : l.data[0]+l.data[1]]}
	if l.cd[1] < 1 {
		return Summary{}, &DecodeError{Offset: l.cd[0] - 1, Message: l.typ, Field: "called party address", Reason: ErrLength, Detail: "empty address"}
	}
	ai := b[l.cd[0]]
	if ai&0x02 == 0 {
		return s, nil
	}
	at := 1
	if ai&0x01 != 0 {
		at += 2
	}
	if at >= l.cd[1] {
		return Summary{}, &DecodeError{Offset: l.cd[0] + at, Message: l.typ, Field: "called party address", Reason: ErrTruncated, Detail: "subsystem number missing"}
	}
	s.CalledSSN, s.HasSSN = b[l.cd[0]+at], true
	return s, nil
}

// ExtractSSN returns the called party's subsystem number, or ErrNoSSN.
func ExtractSSN(b []byte) (uint8, error) {
	s, err := Peek(b)
	if err != nil {
		return 0, err
	}
	if !s.HasSSN {
		return 0, &DecodeError{Message: s.Type, Field: "called party address", Reason: ErrNoSSN}
	}
	return s.CalledSSN, nil
}
