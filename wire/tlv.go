package wire

import (
	"encoding/binary"
	"fmt"
	"net/netip"
)

// Sizes of the fixed headers (RFC 5352-5354).
const (
	messageHeaderLen = 4 // type, flags, length
	paramHeaderLen   = 4 // type, length
	maxLength        = 0xffff
)

func pad4(n int) int { return (n + 3) &^ 3 }

func cloneBytes(b []byte) []byte {
	if len(b) == 0 {
		return nil
	}
	return append([]byte(nil), b...)
}

// decoder walks one buffer; all offsets are absolute in b, so errors can say
// exactly where they are.
type decoder struct {
	b       []byte
	msg     MessageType
	reports []ErrorCause
	addrs   []netip.Addr // shared backing array for transport addresses
}

func (d *decoder) be16(off int) uint16 { return binary.BigEndian.Uint16(d.b[off:]) }
func (d *decoder) be32(off int) uint32 { return binary.BigEndian.Uint32(d.b[off:]) }

func (d *decoder) fail(off int, p ParamType, reason error, format string, args ...any) *DecodeError {
	return &DecodeError{
		Offset:  off,
		Message: d.msg,
		Param:   p,
		Reason:  reason,
		Detail:  fmt.Sprintf(format, args...),
	}
}

// tlv locates one parameter: header at off, value in [val, end), the next
// parameter (after padding) at next.
type tlv struct {
	typ                 ParamType
	off, val, end, next int
}

// readTLV reads the parameter header at off; the parameter and its padding
// must lie in [off, end). outer names the enclosing parameter for errors.
// With nested set, a parameter that ends exactly at end may lack its
// padding: the enclosing parameter's own padding follows it (RSPLIB pads
// an Operation Error after its last cause, not inside).
func (d *decoder) readTLV(off, end int, outer ParamType, nested bool) (tlv, error) {
	if end-off < paramHeaderLen {
		return tlv{}, d.fail(off, outer, ErrTruncated, "%d bytes left, a parameter header needs 4", end-off)
	}
	t := ParamType(d.be16(off))
	l := int(d.be16(off + 2))
	if l < paramHeaderLen {
		return tlv{}, d.fail(off, t, ErrLength, "parameter length %d is shorter than its 4-byte header", l)
	}
	if l > end-off {
		return tlv{}, d.fail(off, t, ErrLength, "parameter length %d exceeds the %d bytes left", l, end-off)
	}
	next := off + pad4(l)
	if next > end {
		if !nested || off+l != end {
			return tlv{}, d.fail(off, t, ErrPadding, "parameter length %d needs %d padding bytes, %d left", l, pad4(l)-l, end-off-l)
		}
		next = end
	}
	return tlv{typ: t, off: off, val: off + paramHeaderLen, end: off + l, next: next}, nil
}

// countTLVs counts the parameters of type a or b in [off, end) by a lenient
// header scan, to size a slice once; the real decode validates everything.
func (d *decoder) countTLVs(off, end int, a, b ParamType) int {
	n := 0
	for end-off >= paramHeaderLen {
		t := ParamType(d.be16(off))
		l := int(d.be16(off + 2))
		if l < paramHeaderLen {
			break
		}
		if t == a || t == b {
			n++
		}
		off += pad4(l)
	}
	return n
}

// addressSlots returns an empty slice with room for exactly n addresses,
// carved from one array shared by all transports of the buffer: a message
// with many PEs costs one allocation for all their addresses, not one each.
// The capacity is capped, so appending to one transport's addresses never
// overwrites another's.
func (d *decoder) addressSlots(off, n int) []netip.Addr {
	if cap(d.addrs)-len(d.addrs) < n {
		d.addrs = make([]netip.Addr, 0, max(n, d.countAddresses(off, len(d.b), 0)))
	}
	s := len(d.addrs)
	d.addrs = d.addrs[:s+n]
	return d.addrs[s : s : s+n]
}

// countAddresses counts the address parameters from off to end, descending
// into transports, pool elements and server information, by a lenient
// header scan; every address it counts occupies at least 8 bytes of input.
func (d *decoder) countAddresses(off, end, depth int) int {
	n := 0
	for end-off >= paramHeaderLen {
		t := ParamType(d.be16(off))
		l := int(d.be16(off + 2))
		if l < paramHeaderLen || l > end-off {
			break
		}
		switch {
		case t == ParamIPv4Address || t == ParamIPv6Address:
			n++
		case depth >= 2:
		case t == ParamDCCPTransport:
			n += d.countAddresses(off+12, off+l, depth+1)
		case isTransport(t):
			n += d.countAddresses(off+8, off+l, depth+1)
		case t == ParamPoolElement:
			n += d.countAddresses(off+16, off+l, depth+1)
		case t == ParamServerInformation:
			n += d.countAddresses(off+8, off+l, depth+1)
		}
		off += pad4(l)
	}
	return n
}

// other handles a parameter the caller has no slot for: a known type is out
// of place; an unknown one follows its action bits. outer is the enclosing
// parameter, zero at message level.
func (d *decoder) other(t tlv, outer ParamType) error {
	if t.typ.known() {
		return d.fail(t.off, t.typ, ErrUnexpectedParameter, "%s is not allowed in %s", t.typ, d.where(outer))
	}
	switch t.typ.Action() {
	case ActionSkip:
		return nil
	case ActionSkipReport:
		d.report(t)
		return nil
	case ActionStopReport:
		d.report(t)
	}
	e := d.fail(t.off, t.typ, ErrUnrecognizedParameter, "unknown type 0x%04x in %s, action bits %02b", uint16(t.typ), d.where(outer), uint8(t.typ.Action()))
	e.Reports = d.reports
	return e
}

func (d *decoder) report(t tlv) {
	d.reports = append(d.reports, ErrorCause{Code: CauseUnrecognizedParameter, Info: cloneBytes(d.b[t.off:t.end])})
}

// where names the container of a parameter, for error details.
func (d *decoder) where(outer ParamType) string {
	switch {
	case outer != 0:
		return outer.String()
	case d.msg != 0:
		return d.msg.String()
	}
	return "parameter"
}

// params gathers the parameters of one message body.
type params struct {
	seen       uint32
	handle     PoolHandle
	peID       PEIdentifier
	checksum   PEChecksum
	cookie     Cookie
	option     HandleResolutionOption
	policy     Policy
	opErr      OperationError
	element    PoolElement
	elements   []PoolElement
	server     ServerInformation
	servers    []ServerInformation
	transports []Transport
}

func (p *params) has(bit uint32) bool { return p.seen&bit != 0 }

// paramRules says which parameters a message body may hold, which of them
// may repeat, and which must be present. Order is not enforced: the RFCs
// list one, but nothing is lost by accepting another.
type paramRules struct {
	allowed, repeated, required uint32
}

func (d *decoder) collect(off, end int, r paramRules, p *params) error {
	for off < end {
		t, err := d.readTLV(off, end, 0, false)
		if err != nil {
			return err
		}
		bit := paramBit(t.typ)
		if bit&r.allowed == 0 {
			if err := d.other(t, 0); err != nil {
				return err
			}
			off = t.next
			continue
		}
		repeated := r.repeated&bit != 0
		if p.seen&bit != 0 && !repeated {
			return d.fail(t.off, t.typ, ErrDuplicateParameter, "%s appears more than once", t.typ)
		}
		p.seen |= bit
		switch {
		case t.typ == ParamPoolHandle:
			p.handle = d.poolHandle(t)
		case t.typ == ParamPEIdentifier:
			p.peID, err = d.peIdentifier(t)
		case t.typ == ParamPEChecksum:
			p.checksum, err = d.peChecksum(t)
		case t.typ == ParamCookie:
			p.cookie = d.cookie(t)
		case t.typ == ParamHandleResolutionOption:
			p.option, err = d.handleResolutionOption(t)
		case t.typ == ParamPoolMemberSelectionPolicy:
			err = d.policy(t, &p.policy)
		case t.typ == ParamOperationError:
			err = d.operationError(t, &p.opErr)
		case t.typ == ParamPoolElement && repeated:
			if p.elements == nil {
				p.elements = make([]PoolElement, 0, d.countTLVs(off, end, ParamPoolElement, ParamPoolElement))
			}
			p.elements = append(p.elements, PoolElement{})
			err = d.poolElement(t, &p.elements[len(p.elements)-1])
		case t.typ == ParamPoolElement:
			err = d.poolElement(t, &p.element)
		case t.typ == ParamServerInformation && repeated:
			if p.servers == nil {
				p.servers = make([]ServerInformation, 0, d.countTLVs(off, end, ParamServerInformation, ParamServerInformation))
			}
			p.servers = append(p.servers, ServerInformation{})
			err = d.serverInformation(t, &p.servers[len(p.servers)-1])
		case t.typ == ParamServerInformation:
			err = d.serverInformation(t, &p.server)
		case isTransport(t.typ):
			p.transports = append(p.transports, Transport{})
			err = d.transport(t, &p.transports[len(p.transports)-1])
		default:
			// Address parameters are never allowed at message level.
			err = d.other(t, 0)
		}
		if err != nil {
			return err
		}
		off = t.next
	}
	if missing := r.required &^ p.seen; missing != 0 {
		return d.fail(end, firstParam(missing), ErrMissingParameter, "%s is mandatory in %s", firstParam(missing), d.where(0))
	}
	return nil
}

func firstParam(bits uint32) ParamType {
	for t := ParamIPv4Address; t <= ParamPEChecksum; t++ {
		if bits&(1<<t) != 0 {
			return t
		}
	}
	return ParamHandleResolutionOption
}

// encoder appends to b and keeps the first error, so AppendTo methods read
// as a list of fields.
type encoder struct {
	b     []byte
	start int // start of the message, for its length field
	msg   MessageType
	err   error
}

func paramEncoder(b []byte) encoder { return encoder{b: b, start: len(b)} }

func (e *encoder) fail(p ParamType, reason error, format string, args ...any) {
	if e.err == nil {
		e.err = &EncodeError{Message: e.msg, Param: p, Reason: reason, Detail: fmt.Sprintf(format, args...)}
	}
}

func (e *encoder) u8(v uint8)   { e.b = append(e.b, v) }
func (e *encoder) u16(v uint16) { e.b = binary.BigEndian.AppendUint16(e.b, v) }
func (e *encoder) u32(v uint32) { e.b = binary.BigEndian.AppendUint32(e.b, v) }

func (e *encoder) begin(t ParamType) int {
	s := len(e.b)
	e.b = append(e.b, byte(t>>8), byte(t), 0, 0)
	return s
}

// end fills in the length of the parameter begun at s and pads it to 4
// bytes with zeros; the length excludes the padding.
func (e *encoder) end(s int, t ParamType) {
	l := len(e.b) - s
	if l > maxLength {
		e.fail(t, ErrTooLong, "%s is %d bytes", t, l)
		return
	}
	binary.BigEndian.PutUint16(e.b[s+2:], uint16(l))
	for ; l%4 != 0; l++ {
		e.b = append(e.b, 0)
	}
}

// result returns the buffer, or the caller's original buffer and the error.
func (e *encoder) result() ([]byte, error) {
	if e.err != nil {
		return e.b[:e.start], e.err
	}
	return e.b, nil
}
