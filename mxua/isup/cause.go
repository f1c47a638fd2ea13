package isup

import "fmt"

// Cause values (Q.850) used most in basic call release.
const (
	CauseNormalClearing    uint8 = 16
	CauseUserBusy          uint8 = 17
	CauseNoAnswer          uint8 = 19
	CauseUnallocatedNumber uint8 = 1
	CauseTemporaryFailure  uint8 = 41
	CauseNormalUnspecified uint8 = 31
	LocationUser           uint8 = 0
	LocationPrivateLocal   uint8 = 1
	LocationPublicLocal    uint8 = 2
	CodingStandardITU      uint8 = 0
)

// CauseIndicators is parameter 0x12 (Q.763 3.12, coded as Q.850 2.2).
type CauseIndicators struct {
	CodingStandard uint8 // 2 bits; 0 = ITU-T
	Location       uint8 // 4 bits
	// Recommendation is octet 1a, present when octet 1's extension bit is 0.
	Recommendation *uint8
	Value          uint8  // cause value, 7 bits
	Diagnostics    []byte // the rest, as it came
}

// AppendTo appends the parameter value (without name or length).
func (c *CauseIndicators) AppendTo(b []byte) ([]byte, error) {
	if c.CodingStandard > 3 || c.Location > 15 || c.Value > 0x7f || (c.Recommendation != nil && *c.Recommendation > 0x7f) {
		return b, &EncodeError{Field: "cause indicators", Reason: ErrInvalidValue, Detail: fmt.Sprintf("coding standard %d, location %d or cause %d out of range", c.CodingStandard, c.Location, c.Value)}
	}
	o1 := c.CodingStandard<<5 | c.Location
	if c.Recommendation == nil {
		b = append(b, 0x80|o1) // extension bit: last octet of the group
	} else {
		b = append(b, o1, 0x80|*c.Recommendation)
	}
	b = append(b, 0x80|c.Value)
	return append(b, c.Diagnostics...), nil
}

// decodeCauseIndicators: off is the length indicator's offset, for errors.
func decodeCauseIndicators(v []byte, off int) (CauseIndicators, error) {
	var c CauseIndicators
	need := 2
	if len(v) > 0 && v[0]&0x80 == 0 {
		need = 3
	}
	if len(v) < need {
		return c, &DecodeError{Offset: off, Field: "cause indicators", Reason: ErrLength, Detail: fmt.Sprintf("%d octets, want at least %d", len(v), need)}
	}
	c.CodingStandard, c.Location = v[0]>>5&3, v[0]&0x0f
	n := 1
	if need == 3 {
		r := v[1] & 0x7f
		c.Recommendation = &r
		n++
	}
	c.Value = v[n] & 0x7f
	c.Diagnostics = append([]byte{}, v[n+1:]...)
	return c, nil
}
