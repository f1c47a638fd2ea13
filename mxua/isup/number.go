package isup

import "fmt"

// Nature of address indicator values common to called and calling party
// numbers (Q.763 3.9 a), 3.10 b)).
const (
	NAISubscriberNumber    uint8 = 1
	NAIUnknown             uint8 = 2 // national use
	NAINationalSignificant uint8 = 3
	NAIInternational       uint8 = 4
)

// NumberingPlanISDN is the ISDN (telephony) numbering plan, E.164.
const NumberingPlanISDN uint8 = 1

// CalledPartyNumber is parameter 0x04 (Q.763 3.9).
type CalledPartyNumber struct {
	NatureOfAddress uint8 // 7 bits
	// InternalNetworkNumber is the INN indicator: set when routing to an
	// internal network number is not allowed.
	InternalNetworkNumber bool
	NumberingPlan         uint8 // 3 bits
	// Digits are the address signals: 0-9, B (code 11), C (code 12), F (ST)
	// and the other nibble values as A-F.
	Digits string
}

// CallingPartyNumber is parameter 0x0a (Q.763 3.10).
type CallingPartyNumber struct {
	NatureOfAddress  uint8 // 7 bits
	NumberIncomplete bool  // NI indicator
	NumberingPlan    uint8 // 3 bits
	Presentation     uint8 // address presentation restricted indicator, 2 bits
	Screening        uint8 // screening indicator, 2 bits
	Digits           string
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

// appendNumber writes the odd/even + nature of address octet, the given
// second octet and the address signals, first signal in the low nibble,
// with a zero filler after an odd count (Q.763 3.9 d)).
func appendNumber(b []byte, nai, second uint8, digits, field string) ([]byte, error) {
	if nai > 0x7f {
		return b, &EncodeError{Field: field, Reason: ErrInvalidValue, Detail: fmt.Sprintf("nature of address %d exceeds 7 bits", nai)}
	}
	if len(digits) > 2*(255-2) {
		return b, &EncodeError{Field: field, Reason: ErrTooLong, Detail: fmt.Sprintf("%d digits", len(digits))}
	}
	if len(digits)%2 == 1 {
		nai |= 0x80
	}
	b = append(b, nai, second)
	for i := 0; i < len(digits); i += 2 {
		lo, ok := digitValue(digits[i])
		var hi byte
		if ok && i+1 < len(digits) {
			hi, ok = digitValue(digits[i+1])
		}
		if !ok {
			return b, &EncodeError{Field: field, Reason: ErrInvalidValue, Detail: fmt.Sprintf("digits %q: want 0-9, A-F", digits)}
		}
		b = append(b, hi<<4|lo)
	}
	return b, nil
}

// decodeNumber reads the common layout; off is the offset of the
// parameter's length indicator, for errors.
func decodeNumber(v []byte, off int, field string) (nai, second uint8, digits string, err error) {
	if len(v) < 2 {
		return 0, 0, "", &DecodeError{Offset: off, Field: field, Reason: ErrLength, Detail: fmt.Sprintf("%d octets, want at least 2", len(v))}
	}
	odd := v[0]&0x80 != 0
	signals := v[2:]
	n := 2 * len(signals)
	if odd {
		if n == 0 {
			return 0, 0, "", &DecodeError{Offset: off, Field: field, Reason: ErrInvalidValue, Detail: "odd number of address signals but none present"}
		}
		n--
	}
	d := make([]byte, n)
	for i := range n {
		x := signals[i/2]
		if i%2 == 1 {
			x >>= 4
		}
		d[i] = hexDigits[x&0x0f]
	}
	return v[0] & 0x7f, v[1], string(d), nil
}

func boolBit(v bool, bit uint8) uint8 {
	if v {
		return bit
	}
	return 0
}

// AppendTo appends the parameter value (without name or length).
func (c *CalledPartyNumber) AppendTo(b []byte) ([]byte, error) {
	const field = "called party number"
	if c.NumberingPlan > 7 {
		return b, &EncodeError{Field: field, Reason: ErrInvalidValue, Detail: fmt.Sprintf("numbering plan %d exceeds 3 bits", c.NumberingPlan)}
	}
	return appendNumber(b, c.NatureOfAddress, boolBit(c.InternalNetworkNumber, 0x80)|c.NumberingPlan<<4, c.Digits, field)
}

func decodeCalledPartyNumber(v []byte, off int) (CalledPartyNumber, error) {
	nai, o2, digits, err := decodeNumber(v, off, "called party number")
	if err != nil {
		return CalledPartyNumber{}, err
	}
	// Bits 4-1 of octet 2 are spare and not kept.
	return CalledPartyNumber{NatureOfAddress: nai, InternalNetworkNumber: o2&0x80 != 0, NumberingPlan: o2 >> 4 & 7, Digits: digits}, nil
}

// AppendTo appends the parameter value (without name or length).
func (c *CallingPartyNumber) AppendTo(b []byte) ([]byte, error) {
	const field = "calling party number"
	if c.NumberingPlan > 7 || c.Presentation > 3 || c.Screening > 3 {
		return b, &EncodeError{Field: field, Reason: ErrInvalidValue, Detail: fmt.Sprintf("numbering plan %d, presentation %d, screening %d out of range", c.NumberingPlan, c.Presentation, c.Screening)}
	}
	return appendNumber(b, c.NatureOfAddress, boolBit(c.NumberIncomplete, 0x80)|c.NumberingPlan<<4|c.Presentation<<2|c.Screening, c.Digits, field)
}

func decodeCallingPartyNumber(v []byte, off int) (CallingPartyNumber, error) {
	nai, o2, digits, err := decodeNumber(v, off, "calling party number")
	if err != nil {
		return CallingPartyNumber{}, err
	}
	return CallingPartyNumber{NatureOfAddress: nai, NumberIncomplete: o2&0x80 != 0, NumberingPlan: o2 >> 4 & 7,
		Presentation: o2 >> 2 & 3, Screening: o2 & 3, Digits: digits}, nil
}
