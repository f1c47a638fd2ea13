package mxua

import (
	"net/netip"
	"strings"
)

// Routing indicators of a SUA address (RFC 3868 section 3.10.2.1).
const (
	RouteOnGT       uint16 = 1
	RouteOnSSNPC    uint16 = 2
	RouteOnHostname uint16 = 3
	RouteOnSSNIP    uint16 = 4
)

// Address indicator bits: which parts to include when the address is
// translated to an SCCP address.
const (
	AddressIndicatorSSN uint16 = 1 << 0
	AddressIndicatorPC  uint16 = 1 << 1
	AddressIndicatorGT  uint16 = 1 << 2
)

// Global title indicators (Q.713 section 3.4.1, RFC 3868 section 3.10.2.3).
const (
	GTINatureOfAddress uint8 = 1 // NAI only
	GTITranslationType uint8 = 2 // TT only
	GTITTNPES          uint8 = 3 // TT, numbering plan, encoding scheme
	GTITTNPESNAI       uint8 = 4 // TT, numbering plan, encoding scheme, NAI
)

// gtFixed is the fixed part of a Global Title value: 24 reserved bits,
// GTI, number of digits, translation type, numbering plan, nature of
// address.
const gtFixed = 8

func (e *encoder) address(b []byte, t Tag, a *SCCPAddress) ([]byte, error) {
	if a.RoutingIndicator < RouteOnGT || a.RoutingIndicator > RouteOnSSNIP {
		return b, e.fail(t, ErrInvalidValue, "routing indicator %d", a.RoutingIndicator)
	}
	b, start := openParam(b, t)
	b = append(b, byte(a.RoutingIndicator>>8), byte(a.RoutingIndicator), byte(a.AddressIndicator>>8), byte(a.AddressIndicator))
	var err error
	if a.GlobalTitle != nil {
		if b, err = e.globalTitle(b, a.GlobalTitle); err != nil {
			return b, err
		}
	}
	if a.PointCode != nil {
		b = appendU32Param(b, TagSUAPointCode, *a.PointCode)
	}
	if a.SSN != nil {
		b = appendU32Param(b, TagSUASubsystemNumber, uint32(*a.SSN))
	}
	switch {
	case !a.IP.IsValid():
	case a.IP.Is4():
		ip := a.IP.As4()
		b, _ = e.bytesParam(b, TagSUAIPv4Address, ip[:])
	default:
		ip := a.IP.As16()
		b, _ = e.bytesParam(b, TagSUAIPv6Address, ip[:])
	}
	if a.Hostname != "" {
		if b, err = e.stringParam(b, TagSUAHostname, a.Hostname); err != nil {
			return b, err
		}
	}
	return e.closeParam(b, t, start)
}

func (e *encoder) globalTitle(b []byte, gt *GlobalTitle) ([]byte, error) {
	t := TagSUAGlobalTitle
	if gt.GTI < GTINatureOfAddress || gt.GTI > GTITTNPESNAI {
		return b, e.fail(t, ErrInvalidValue, "global title indicator %d", gt.GTI)
	}
	if len(gt.Digits) > 255 {
		return b, e.fail(t, ErrInvalidValue, "%d digits, at most 255 fit", len(gt.Digits))
	}
	b, start := openParam(b, t)
	b = append(b, 0, 0, 0, gt.GTI, byte(len(gt.Digits)), gt.TranslationType, gt.NumberingPlan, gt.NatureOfAddress)
	// BCD, first digit in the low nibble; an odd count leaves the last high
	// nibble zero (RFC 3868 section 3.10.2.3, as in Q.713).
	for i := 0; i < len(gt.Digits); i += 2 {
		lo, ok := bcdNibble(gt.Digits[i])
		hi := byte(0)
		if i+1 < len(gt.Digits) {
			var ok2 bool
			hi, ok2 = bcdNibble(gt.Digits[i+1])
			ok = ok && ok2
		}
		if !ok {
			return b[:start], e.fail(t, ErrInvalidValue, "digits %q: only 0-9 and A-F are BCD signals", gt.Digits)
		}
		b = append(b, hi<<4|lo)
	}
	return e.closeParam(b, t, start)
}

func bcdNibble(c byte) (byte, bool) {
	switch {
	case c >= '0' && c <= '9':
		return c - '0', true
	case c >= 'A' && c <= 'F':
		return c - 'A' + 10, true
	case c >= 'a' && c <= 'f':
		return c - 'a' + 10, true
	}
	return 0, false
}

const bcdDigits = "0123456789ABCDEF"

func (d *decoder) address(t tlv) (*SCCPAddress, error) {
	if t.len() < 4 {
		return nil, d.fail(t.off, t.t, ErrParameterFieldError, ErrLength, "value of %d bytes, routing and address indicators need 4", t.len())
	}
	a := &SCCPAddress{RoutingIndicator: d.be16(t.val), AddressIndicator: d.be16(t.val + 2)}
	if a.RoutingIndicator < RouteOnGT || a.RoutingIndicator > RouteOnSSNIP {
		return nil, d.fail(t.val, t.t, ErrInvalidParameterValue, ErrInvalidValue, "routing indicator %d", a.RoutingIndicator)
	}
	where := t.t.name(d.p)
	var seen tagSet
	for off := t.val + 4; off < t.end; {
		c, err := d.tlv(off, t.end, t.t)
		if err != nil {
			return nil, err
		}
		slot := c.t
		if slot == TagSUAIPv6Address {
			slot = TagSUAIPv4Address // one IP address per SCCP address
		}
		if !seen.add(slot) {
			return nil, d.duplicate(c, where)
		}
		switch c.t {
		case TagSUAGlobalTitle:
			a.GlobalTitle, err = d.globalTitle(c)
		case TagSUAPointCode:
			a.PointCode, err = d.u32p(c)
		case TagSUASubsystemNumber:
			a.SSN, err = d.low8p(c)
		case TagSUAIPv4Address, TagSUAIPv6Address:
			want := 4
			if c.t == TagSUAIPv6Address {
				want = 16
			}
			if c.len() != want {
				return nil, d.fail(c.off, c.t, ErrParameterFieldError, ErrLength, "value of %d bytes, want %d", c.len(), want)
			}
			a.IP, _ = netip.AddrFromSlice(d.b[c.val:c.end])
		case TagSUAHostname:
			// Some senders NUL-terminate the name; the model holds it bare.
			a.Hostname = strings.TrimRight(string(d.b[c.val:c.end]), "\x00")
		default:
			return nil, d.other(c, where)
		}
		if err != nil {
			return nil, err
		}
		off = c.next
	}
	return a, nil
}

func (d *decoder) globalTitle(t tlv) (*GlobalTitle, error) {
	if t.len() < gtFixed {
		return nil, d.fail(t.off, t.t, ErrParameterFieldError, ErrLength, "value of %d bytes, the fixed part needs %d", t.len(), gtFixed)
	}
	v := t.val
	gt := &GlobalTitle{GTI: d.b[v+3], TranslationType: d.b[v+5], NumberingPlan: d.b[v+6], NatureOfAddress: d.b[v+7]}
	if gt.GTI < GTINatureOfAddress || gt.GTI > GTITTNPESNAI {
		return nil, d.fail(v+3, t.t, ErrInvalidParameterValue, ErrInvalidValue, "global title indicator %d", gt.GTI)
	}
	n := int(d.b[v+4])
	if t.len()-gtFixed != (n+1)/2 {
		return nil, d.fail(v+4, t.t, ErrParameterFieldError, ErrLength, "%d digits need %d bytes, %d present", n, (n+1)/2, t.len()-gtFixed)
	}
	digits := make([]byte, n)
	for i := range digits {
		c := d.b[v+gtFixed+i/2]
		if i%2 == 1 {
			c >>= 4
		}
		digits[i] = bcdDigits[c&0x0f]
	}
	gt.Digits = string(digits)
	return gt, nil
}
