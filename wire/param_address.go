package wire

import "net/netip"

// IPAddress is an IPv4 Address (0x0001) or IPv6 Address (0x0002) parameter
// (RFC 5354, sections 3.1 and 3.2); the family of Addr picks the type. An
// IPv4-mapped IPv6 address stays an IPv6 parameter, so a value survives a
// round trip unchanged. Zones are not carried.
type IPAddress struct {
	Addr netip.Addr
}

// ParamType returns ParamIPv4Address or ParamIPv6Address.
func (a IPAddress) ParamType() ParamType {
	if a.Addr.Is4() {
		return ParamIPv4Address
	}
	return ParamIPv6Address
}

// AppendTo appends the address parameter.
func (a IPAddress) AppendTo(b []byte) ([]byte, error) {
	e := paramEncoder(b)
	e.address(a.Addr, 0)
	return e.result()
}

func (e *encoder) address(a netip.Addr, outer ParamType) {
	switch {
	case a.Is4():
		v := a.As4()
		e.b = append(e.b, 0, byte(ParamIPv4Address), 0, 8)
		e.b = append(e.b, v[:]...)
	case a.Is6():
		v := a.As16()
		e.b = append(e.b, 0, byte(ParamIPv6Address), 0, 20)
		e.b = append(e.b, v[:]...)
	default:
		e.fail(outer, ErrInvalidValue, "invalid (zero) IP address")
	}
}

func (d *decoder) address(t tlv) (netip.Addr, error) {
	n := t.end - t.val
	if t.typ == ParamIPv4Address {
		if n != 4 {
			return netip.Addr{}, d.fail(t.off, t.typ, ErrLength, "IPv4 address value is %d bytes, want 4", n)
		}
		return netip.AddrFrom4([4]byte(d.b[t.val:t.end])), nil
	}
	if n != 16 {
		return netip.Addr{}, d.fail(t.off, t.typ, ErrLength, "IPv6 address value is %d bytes, want 16", n)
	}
	return netip.AddrFrom16([16]byte(d.b[t.val:t.end])), nil
}
