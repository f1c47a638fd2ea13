package wire

import (
	"fmt"
	"net/netip"
)

// TransportKind says which transport parameter (RFC 5354, sections 3.3-3.7)
// a Transport is; its value is the parameter type.
type TransportKind uint16

// Transport kinds. The zero TransportKind means "no transport".
const (
	TransportDCCP    = TransportKind(ParamDCCPTransport)
	TransportSCTP    = TransportKind(ParamSCTPTransport)
	TransportTCP     = TransportKind(ParamTCPTransport)
	TransportUDP     = TransportKind(ParamUDPTransport)
	TransportUDPLite = TransportKind(ParamUDPLiteTransport)
)

func (k TransportKind) String() string {
	switch k {
	case TransportDCCP:
		return "DCCP"
	case TransportSCTP:
		return "SCTP"
	case TransportTCP:
		return "TCP"
	case TransportUDP:
		return "UDP"
	case TransportUDPLite:
		return "UDP-Lite"
	}
	return fmt.Sprintf("transport 0x%04x", uint16(k))
}

// TransportUse is the transport-use field of SCTP and TCP transports.
type TransportUse uint16

// Transport uses of RFC 5354, section 3.4.
const (
	TransportUseDataOnly        TransportUse = 0
	TransportUseDataPlusControl TransportUse = 1
)

func (u TransportUse) String() string {
	switch u {
	case TransportUseDataOnly:
		return "data only"
	case TransportUseDataPlusControl:
		return "data plus control"
	}
	return fmt.Sprintf("transport use %d", uint16(u))
}

// Transport is a DCCP, SCTP, TCP, UDP or UDP-Lite transport parameter: a
// port and the address parameters nested in it.
//
// SCTP carries one or more addresses (multi-homing); the others exactly one.
// Use is meaningful for SCTP and TCP only, ServiceCode for DCCP only; the
// reserved fields of the other kinds are sent as zero and ignored on receipt.
type Transport struct {
	Kind        TransportKind
	Port        uint16
	Use         TransportUse
	ServiceCode uint32
	Addresses   []netip.Addr
}

// ParamType returns the parameter type for t.Kind.
func (t Transport) ParamType() ParamType { return ParamType(t.Kind) }

// AppendTo appends the transport parameter with its addresses.
func (t Transport) AppendTo(b []byte) ([]byte, error) {
	e := paramEncoder(b)
	e.transport(&t)
	return e.result()
}

func (t Transport) String() string {
	s := fmt.Sprintf("%s port %d", t.Kind, t.Port)
	if t.Kind == TransportSCTP || t.Kind == TransportTCP {
		s += " " + t.Use.String()
	}
	if t.Kind == TransportDCCP {
		s += fmt.Sprintf(" service code %d", t.ServiceCode)
	}
	return s + fmt.Sprint(" ", t.Addresses)
}

func (e *encoder) transport(t *Transport) {
	pt := ParamType(t.Kind)
	if !isTransport(pt) {
		e.fail(0, ErrInvalidValue, "transport kind 0x%04x is not a transport parameter", uint16(t.Kind))
		return
	}
	switch {
	case len(t.Addresses) == 0:
		e.fail(pt, ErrMissingParameter, "%s transport has no address", t.Kind)
		return
	case t.Kind != TransportSCTP && len(t.Addresses) != 1:
		e.fail(pt, ErrInvalidValue, "%s transport carries %d addresses, want 1", t.Kind, len(t.Addresses))
		return
	case t.Use != TransportUseDataOnly && t.Kind != TransportSCTP && t.Kind != TransportTCP:
		e.fail(pt, ErrInvalidValue, "%s transport has no transport-use field", t.Kind)
		return
	case t.Use > TransportUseDataPlusControl:
		e.fail(pt, ErrInvalidValue, "%s", t.Use)
		return
	case t.ServiceCode != 0 && t.Kind != TransportDCCP:
		e.fail(pt, ErrInvalidValue, "%s transport has no service code", t.Kind)
		return
	}
	s := e.begin(pt)
	e.u16(t.Port)
	e.u16(uint16(t.Use)) // reserved (zero) for DCCP, UDP and UDP-Lite
	if t.Kind == TransportDCCP {
		e.u32(t.ServiceCode)
	}
	for _, a := range t.Addresses {
		e.address(a, pt)
	}
	e.end(s, pt)
}

func (d *decoder) transport(t tlv, tr *Transport) error {
	fixed := 4
	if t.typ == ParamDCCPTransport {
		fixed = 8
	}
	if t.end-t.val < fixed {
		return d.fail(t.off, t.typ, ErrLength, "value is %d bytes, need at least %d", t.end-t.val, fixed)
	}
	tr.Kind = TransportKind(t.typ)
	tr.Port = d.be16(t.val)
	switch tr.Kind {
	case TransportSCTP, TransportTCP:
		tr.Use = TransportUse(d.be16(t.val + 2))
		if tr.Use > TransportUseDataPlusControl {
			return d.fail(t.val+2, t.typ, ErrInvalidValue, "%s", tr.Use)
		}
	case TransportDCCP:
		tr.ServiceCode = d.be32(t.val + 4)
	}
	off := t.val + fixed
	tr.Addresses = d.addressSlots(t.off, d.countTLVs(off, t.end, ParamIPv4Address, ParamIPv6Address))
	for off < t.end {
		a, err := d.readTLV(off, t.end, t.typ, true)
		if err != nil {
			return err
		}
		if a.typ == ParamIPv4Address || a.typ == ParamIPv6Address {
			addr, err := d.address(a)
			if err != nil {
				return err
			}
			tr.Addresses = append(tr.Addresses, addr)
		} else if err := d.other(a, t.typ); err != nil {
			return err
		}
		off = a.next
	}
	switch {
	case len(tr.Addresses) == 0:
		return d.fail(t.off, t.typ, ErrMissingParameter, "%s transport has no address", tr.Kind)
	case tr.Kind != TransportSCTP && len(tr.Addresses) > 1:
		return d.fail(t.off, t.typ, ErrInvalidValue, "%s transport carries %d addresses, want 1", tr.Kind, len(tr.Addresses))
	}
	return nil
}
