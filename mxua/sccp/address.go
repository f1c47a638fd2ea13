package sccp

import "fmt"

// RoutingIndicator is bit 7 of the address indicator (Q.713 3.4.1).
type RoutingIndicator uint8

const (
	RouteOnGT  RoutingIndicator = 0 // route on global title
	RouteOnSSN RoutingIndicator = 1 // route on DPC + subsystem number
)

func (r RoutingIndicator) String() string {
	if r == RouteOnSSN {
		return "route on SSN"
	}
	return "route on GT"
}

// GTI is the global title indicator (Q.713 3.4.1, ITU values 1-4).
type GTI uint8

const (
	GTINAI       GTI = 1 // nature of address indicator only
	GTITT        GTI = 2 // translation type only
	GTITTNPES    GTI = 3 // translation type, numbering plan, encoding scheme
	GTITTNPESNAI GTI = 4 // translation type, numbering plan, encoding scheme, nature of address
)

const (
	maxPointCode  = 0x3fff
	maxAddressLen = 255 // one length octet
)

// Encoding schemes (Q.713 3.4.2.3.2); the two BCD ones carry the digit
// count's parity, which the encoder derives from Digits.
const (
	ESUnknown  uint8 = 0
	ESBCDOdd   uint8 = 1
	ESBCDEven  uint8 = 2
	ESNational uint8 = 3
)

// GlobalTitle is the global title of a called or calling party address.
// Which fields are on the wire depends on Indicator.
type GlobalTitle struct {
	Indicator       GTI
	TranslationType uint8 // GTI 2, 3, 4
	NumberingPlan   uint8 // GTI 3, 4; 4 bits
	EncodingScheme  uint8 // GTI 3, 4; 4 bits; BCD odd/even set from len(Digits)
	NatureOfAddress uint8 // GTI 1, 4; 7 bits
	// Digits are the address signals, first digit first, as 0-9 and A-F for
	// the nibble values 10-15. With a non-BCD scheme (GTI 2, or encoding
	// scheme other than 1 and 2) every nibble is a digit, so the count is even.
	Digits string
}

// Address is a called or calling party address (Q.713 3.4). Pointer fields
// are nil when the address indicator says the part is absent.
type Address struct {
	RoutingIndicator RoutingIndicator
	PointCode        *uint16 // ITU 14-bit signalling point code
	SSN              *uint8
	GT               *GlobalTitle
	// NationalUse is bit 8 of the address indicator, reserved for national use.
	NationalUse bool
}

func (a Address) String() string {
	s := a.RoutingIndicator.String()
	if a.PointCode != nil {
		s += fmt.Sprintf(" pc=%d", *a.PointCode)
	}
	if a.SSN != nil {
		s += fmt.Sprintf(" ssn=%d", *a.SSN)
	}
	if a.GT != nil {
		s += fmt.Sprintf(" gti=%d gt=%s", a.GT.Indicator, a.GT.Digits)
	}
	return s
}

const hexDigits = "0123456789ABCDEF"

func digitValue(c byte) (byte, bool) {
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

// appendBCD packs digits two to an octet, first digit in the low nibble,
// with a zero filler after an odd count (Q.713 3.4.2.3.1).
func appendBCD(b []byte, digits string) ([]byte, bool) {
	for i := 0; i < len(digits); i += 2 {
		lo, ok := digitValue(digits[i])
		if !ok {
			return b, false
		}
		var hi byte
		if i+1 < len(digits) {
			if hi, ok = digitValue(digits[i+1]); !ok {
				return b, false
			}
		}
		b = append(b, hi<<4|lo)
	}
	return b, true
}

func decodeBCD(b []byte, odd bool) string {
	n := 2 * len(b)
	if odd && n > 0 {
		n--
	}
	d := make([]byte, n)
	for i := range n {
		v := b[i/2]
		if i%2 == 1 {
			v >>= 4
		}
		d[i] = hexDigits[v&0x0f]
	}
	return string(d)
}

func (a *Address) encodedLen() int {
	n := 1
	if a.PointCode != nil {
		n += 2
	}
	if a.SSN != nil {
		n++
	}
	if g := a.GT; g != nil {
		switch g.Indicator {
		case GTINAI, GTITT:
			n++
		case GTITTNPES:
			n += 2
		case GTITTNPESNAI:
			n += 3
		}
		n += (len(g.Digits) + 1) / 2
	}
	return n
}

// appendAddress appends the length indicator and the address.
func appendAddress(b []byte, a *Address, field string) ([]byte, error) {
	fail := func(reason error, format string, args ...any) ([]byte, error) {
		return b, &EncodeError{Field: field, Reason: reason, Detail: fmt.Sprintf(format, args...)}
	}
	if a.RoutingIndicator > RouteOnSSN {
		return fail(ErrInvalidValue, "routing indicator %d", a.RoutingIndicator)
	}
	n := a.encodedLen()
	if n > maxAddressLen {
		return fail(ErrTooLong, "%d octets", n)
	}
	ai := byte(a.RoutingIndicator) << 6
	if a.NationalUse {
		ai |= 0x80
	}
	if a.PointCode != nil {
		if *a.PointCode > maxPointCode {
			return fail(ErrInvalidValue, "point code %d exceeds 14 bits", *a.PointCode)
		}
		ai |= 0x01
	}
	if a.SSN != nil {
		ai |= 0x02
	}
	g := a.GT
	if g != nil {
		if g.Indicator < GTINAI || g.Indicator > GTITTNPESNAI {
			return fail(ErrInvalidValue, "global title indicator %d", g.Indicator)
		}
		ai |= byte(g.Indicator) << 2
	}
	b = append(b, byte(n), ai)
	if a.PointCode != nil {
		// ITU SPC: least significant octet first, 2 spare bits on top.
		b = append(b, byte(*a.PointCode), byte(*a.PointCode>>8))
	}
	if a.SSN != nil {
		b = append(b, *a.SSN)
	}
	if g == nil {
		return b, nil
	}
	odd := len(g.Digits)%2 == 1
	bcd := true
	switch g.Indicator {
	case GTINAI:
		if g.NatureOfAddress > 0x7f {
			return fail(ErrInvalidValue, "nature of address %d exceeds 7 bits", g.NatureOfAddress)
		}
		nai := g.NatureOfAddress
		if odd {
			nai |= 0x80 // odd/even indicator
		}
		b = append(b, nai)
	case GTITT:
		bcd = false // the translation type alone fixes the encoding
		b = append(b, g.TranslationType)
	case GTITTNPES, GTITTNPESNAI:
		if g.NumberingPlan > 0x0f || g.EncodingScheme > 0x0f {
			return fail(ErrInvalidValue, "numbering plan %d / encoding scheme %d exceed 4 bits", g.NumberingPlan, g.EncodingScheme)
		}
		es := g.EncodingScheme
		switch es {
		case ESBCDOdd, ESBCDEven:
			es = ESBCDEven
			if odd {
				es = ESBCDOdd
			}
		default:
			bcd = false
		}
		b = append(b, g.TranslationType, g.NumberingPlan<<4|es)
		if g.Indicator == GTITTNPESNAI {
			if g.NatureOfAddress > 0x7f {
				return fail(ErrInvalidValue, "nature of address %d exceeds 7 bits", g.NatureOfAddress)
			}
			b = append(b, g.NatureOfAddress)
		}
	}
	if odd && !bcd {
		return fail(ErrInvalidValue, "%d digits: an odd count needs a BCD encoding scheme", len(g.Digits))
	}
	b, ok := appendBCD(b, g.Digits)
	if !ok {
		return fail(ErrInvalidValue, "digits %q: want 0-9, A-F", g.Digits)
	}
	return b, nil
}

// decodeAddress decodes the address octets v (after the length indicator);
// off is v's offset in the message, for errors.
func decodeAddress(v []byte, off int, field string) (Address, error) {
	var a Address
	fail := func(at int, reason error, format string, args ...any) (Address, error) {
		return Address{}, &DecodeError{Offset: off + at, Field: field, Reason: reason, Detail: fmt.Sprintf(format, args...)}
	}
	if len(v) < 1 {
		return fail(0, ErrLength, "empty address, the address indicator is mandatory")
	}
	ai := v[0]
	a.NationalUse = ai&0x80 != 0
	a.RoutingIndicator = RoutingIndicator(ai >> 6 & 1)
	n := 1
	if ai&0x01 != 0 {
		if len(v) < n+2 {
			return fail(n, ErrTruncated, "point code needs 2 octets, %d left", len(v)-n)
		}
		pc := (uint16(v[n]) | uint16(v[n+1])<<8) & maxPointCode
		a.PointCode = &pc
		n += 2
	}
	if ai&0x02 != 0 {
		if len(v) < n+1 {
			return fail(n, ErrTruncated, "subsystem number missing")
		}
		ssn := v[n]
		a.SSN = &ssn
		n++
	}
	gti := GTI(ai >> 2 & 0x0f)
	if gti == 0 {
		if n != len(v) {
			return fail(n, ErrLength, "%d octets after an address without global title", len(v)-n)
		}
		return a, nil
	}
	g := &GlobalTitle{Indicator: gti}
	need := 0
	switch gti {
	case GTINAI, GTITT:
		need = 1
	case GTITTNPES:
		need = 2
	case GTITTNPESNAI:
		need = 3
	default:
		return fail(0, ErrInvalidValue, "global title indicator %d is not an ITU value", gti)
	}
	if len(v) < n+need {
		return fail(n, ErrTruncated, "global title header needs %d octets, %d left", need, len(v)-n)
	}
	odd := false
	switch gti {
	case GTINAI:
		g.NatureOfAddress = v[n] & 0x7f
		odd = v[n]&0x80 != 0
	case GTITT:
		g.TranslationType = v[n]
	case GTITTNPES, GTITTNPESNAI:
		g.TranslationType = v[n]
		g.NumberingPlan = v[n+1] >> 4
		g.EncodingScheme = v[n+1] & 0x0f
		odd = g.EncodingScheme == ESBCDOdd
		if gti == GTITTNPESNAI {
			g.NatureOfAddress = v[n+2] & 0x7f
		}
	}
	n += need
	if odd && n == len(v) {
		return fail(n, ErrLength, "odd digit count but no address signals")
	}
	g.Digits = decodeBCD(v[n:], odd)
	a.GT = g
	return a, nil
}
