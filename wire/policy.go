package wire

import (
	"fmt"
	"math"
	"strings"
)

// PolicyType is the 32-bit policy type of a Pool Member Selection Policy
// parameter (RFC 5356). Types with the top bit set are RSPLIB extensions.
type PolicyType uint32

// Policies of RFC 5356 and the RSPLIB extensions.
const (
	PolicyRoundRobin                                 PolicyType = 0x00000001
	PolicyWeightedRoundRobin                         PolicyType = 0x00000002
	PolicyRandom                                     PolicyType = 0x00000003
	PolicyWeightedRandom                             PolicyType = 0x00000004
	PolicyPriority                                   PolicyType = 0x00000005
	PolicyLeastUsed                                  PolicyType = 0x40000001
	PolicyLeastUsedWithDegradation                   PolicyType = 0x40000002
	PolicyPriorityLeastUsed                          PolicyType = 0x40000003
	PolicyRandomizedLeastUsed                        PolicyType = 0x40000004
	PolicyRandomizedPriorityLeastUsed                PolicyType = 0xb0001001
	PolicyRandomizedLeastUsedWithDegradation         PolicyType = 0xb0001002
	PolicyPriorityLeastUsedWithDegradation           PolicyType = 0xb0001003
	PolicyRandomizedPriorityLeastUsedWithDegradation PolicyType = 0xb0001004
	PolicyWeightedRandomWithDPF                      PolicyType = 0xb0002001
	PolicyLeastUsedWithDPF                           PolicyType = 0xb0002002
	PolicyLeastUsedWithDegradationAndDPF             PolicyType = 0xb0002003
)

// Fraction is a value in [0, 1] scaled to 0..0xFFFFFFFF, as loads, load
// degradations (RFC 5356, section 3.1) and RSPLIB's delay penalty factors
// (DPF) travel.
type Fraction uint32

// FractionOf converts f to a Fraction, clamping to [0, 1] (NaN gives 0) and
// rounding to the nearest step.
func FractionOf(f float64) Fraction {
	switch {
	case !(f > 0): // also NaN
		return 0
	case f >= 1:
		return math.MaxUint32
	}
	return Fraction(math.Round(f * math.MaxUint32))
}

// Float64 returns f as a number in [0, 1].
func (f Fraction) Float64() float64 { return float64(f) / math.MaxUint32 }

func (f Fraction) String() string { return fmt.Sprintf("%.2f%%", 100*f.Float64()) }

// Policy is a Pool Member Selection Policy parameter: the policy type and
// the fields that type carries, in RFC 5356's words. Fields the type does
// not carry must be zero. A policy type this package does not know keeps
// its fields, undecoded, in Value.
type Policy struct {
	Type            PolicyType
	Weight          uint32
	Priority        uint32
	Load            Fraction
	LoadDegradation Fraction
	LoadDPF         Fraction
	WeightDPF       Fraction
	Distance        uint32 // distance (delay) to the PE, for RSPLIB's DPF policies
	Value           []byte // fields of an unknown policy type
}

type policyField uint8

const (
	fieldWeight policyField = iota + 1
	fieldPriority
	fieldLoad
	fieldLoadDegradation
	fieldLoadDPF
	fieldWeightDPF
	fieldDistance
)

var policyFieldNames = [...]string{
	fieldWeight:          "weight",
	fieldPriority:        "priority",
	fieldLoad:            "load",
	fieldLoadDegradation: "load degradation",
	fieldLoadDPF:         "load DPF",
	fieldWeightDPF:       "weight DPF",
	fieldDistance:        "distance",
}

// policyLayout is the wire layout of one policy type: its 32-bit fields in
// order. A decoder accepts min..n fields; missing trailing fields are zero.
type policyLayout struct {
	typ    PolicyType
	name   string
	n, min int
	fields [4]policyField
}

// policyLayouts is immutable.
var policyLayouts = [...]policyLayout{
	{PolicyRoundRobin, "Round Robin", 0, 0, [4]policyField{}},
	{PolicyWeightedRoundRobin, "Weighted Round Robin", 1, 1, [4]policyField{fieldWeight}},
	{PolicyRandom, "Random", 0, 0, [4]policyField{}},
	{PolicyWeightedRandom, "Weighted Random", 1, 1, [4]policyField{fieldWeight}},
	{PolicyPriority, "Priority", 1, 1, [4]policyField{fieldPriority}},
	{PolicyLeastUsed, "Least Used", 1, 1, [4]policyField{fieldLoad}},
	{PolicyLeastUsedWithDegradation, "Least Used with Degradation", 2, 2, [4]policyField{fieldLoad, fieldLoadDegradation}},
	// RFC 5356 and Wireshark: load and load degradation. RSPLIB sends the
	// load alone (and reads with ">=", so it takes both); accept one field.
	{PolicyPriorityLeastUsed, "Priority Least Used", 2, 1, [4]policyField{fieldLoad, fieldLoadDegradation}},
	{PolicyRandomizedLeastUsed, "Randomized Least Used", 1, 1, [4]policyField{fieldLoad}},
	// As Priority Least Used: RSPLIB sends the load alone.
	{PolicyRandomizedPriorityLeastUsed, "Randomized Priority Least Used", 2, 1, [4]policyField{fieldLoad, fieldLoadDegradation}},
	{PolicyRandomizedLeastUsedWithDegradation, "Randomized Least Used with Degradation", 2, 2, [4]policyField{fieldLoad, fieldLoadDegradation}},
	{PolicyPriorityLeastUsedWithDegradation, "Priority Least Used with Degradation", 2, 2, [4]policyField{fieldLoad, fieldLoadDegradation}},
	{PolicyRandomizedPriorityLeastUsedWithDegradation, "Randomized Priority Least Used with Degradation", 2, 2, [4]policyField{fieldLoad, fieldLoadDegradation}},
	{PolicyWeightedRandomWithDPF, "Weighted Random with DPF", 3, 3, [4]policyField{fieldWeight, fieldWeightDPF, fieldDistance}},
	{PolicyLeastUsedWithDPF, "Least Used with DPF", 3, 3, [4]policyField{fieldLoad, fieldLoadDPF, fieldDistance}},
	{PolicyLeastUsedWithDegradationAndDPF, "Least Used with Degradation and DPF", 4, 4, [4]policyField{fieldLoad, fieldLoadDegradation, fieldLoadDPF, fieldDistance}},
}

func layoutOf(t PolicyType) (*policyLayout, bool) {
	var i int
	switch t {
	case PolicyRoundRobin, PolicyWeightedRoundRobin, PolicyRandom, PolicyWeightedRandom, PolicyPriority:
		i = int(t - PolicyRoundRobin)
	case PolicyLeastUsed, PolicyLeastUsedWithDegradation, PolicyPriorityLeastUsed, PolicyRandomizedLeastUsed:
		i = 5 + int(t-PolicyLeastUsed)
	case PolicyRandomizedPriorityLeastUsed, PolicyRandomizedLeastUsedWithDegradation, PolicyPriorityLeastUsedWithDegradation, PolicyRandomizedPriorityLeastUsedWithDegradation:
		i = 9 + int(t-PolicyRandomizedPriorityLeastUsed)
	case PolicyWeightedRandomWithDPF, PolicyLeastUsedWithDPF, PolicyLeastUsedWithDegradationAndDPF:
		i = 13 + int(t-PolicyWeightedRandomWithDPF)
	default:
		return nil, false
	}
	return &policyLayouts[i], true
}

// CarriesLoad reports whether the policy type has a load field, which a
// PE keeps current (the Least Used family).
func (t PolicyType) CarriesLoad() bool {
	l, ok := layoutOf(t)
	return ok && l.fields[0] == fieldLoad
}

func (t PolicyType) String() string {
	if l, ok := layoutOf(t); ok {
		return l.name
	}
	return fmt.Sprintf("policy 0x%08x", uint32(t))
}

func (p *Policy) field(f policyField) *uint32 {
	switch f {
	case fieldWeight:
		return &p.Weight
	case fieldPriority:
		return &p.Priority
	case fieldLoad:
		return (*uint32)(&p.Load)
	case fieldLoadDegradation:
		return (*uint32)(&p.LoadDegradation)
	case fieldLoadDPF:
		return (*uint32)(&p.LoadDPF)
	case fieldWeightDPF:
		return (*uint32)(&p.WeightDPF)
	}
	return &p.Distance
}

// ParamType returns ParamPoolMemberSelectionPolicy.
func (Policy) ParamType() ParamType { return ParamPoolMemberSelectionPolicy }

// AppendTo appends the policy parameter.
func (p Policy) AppendTo(b []byte) ([]byte, error) {
	e := paramEncoder(b)
	e.policy(&p)
	return e.result()
}

func (p Policy) String() string {
	var s strings.Builder
	s.WriteString(p.Type.String())
	l, ok := layoutOf(p.Type)
	if !ok {
		fmt.Fprintf(&s, "(%x)", p.Value)
		return s.String()
	}
	for i := 0; i < l.n; i++ {
		if i == 0 {
			s.WriteString("(")
		} else {
			s.WriteString(", ")
		}
		f := l.fields[i]
		v := *p.field(f)
		switch f {
		case fieldWeight, fieldPriority, fieldDistance:
			fmt.Fprintf(&s, "%s=%d", policyFieldNames[f], v)
		default:
			fmt.Fprintf(&s, "%s=%s", policyFieldNames[f], Fraction(v))
		}
		if i == l.n-1 {
			s.WriteString(")")
		}
	}
	return s.String()
}

func (e *encoder) policy(p *Policy) {
	const pt = ParamPoolMemberSelectionPolicy
	l, known := layoutOf(p.Type)
	if known {
		if len(p.Value) != 0 {
			e.fail(pt, ErrInvalidValue, "%s policy has a raw Value", l.name)
			return
		}
		// Fields the type does not carry would be lost silently.
		q := *p
		for i := 0; i < l.n; i++ {
			*q.field(l.fields[i]) = 0
		}
		for f := fieldWeight; f <= fieldDistance; f++ {
			if *q.field(f) != 0 {
				e.fail(pt, ErrInvalidValue, "%s policy has no %s field", l.name, policyFieldNames[f])
				return
			}
		}
	}
	s := e.begin(pt)
	e.u32(uint32(p.Type))
	if known {
		for i := 0; i < l.n; i++ {
			e.u32(*p.field(l.fields[i]))
		}
	} else {
		e.b = append(e.b, p.Value...)
	}
	e.end(s, pt)
}

func (d *decoder) policy(t tlv, p *Policy) error {
	n := t.end - t.val
	if n < 4 {
		return d.fail(t.off, t.typ, ErrLength, "value is %d bytes, need at least the 4-byte policy type", n)
	}
	p.Type = PolicyType(d.be32(t.val))
	l, ok := layoutOf(p.Type)
	if !ok {
		p.Value = cloneBytes(d.b[t.val+4 : t.end])
		return nil
	}
	rest := n - 4
	if rest%4 != 0 || rest/4 < l.min || rest/4 > l.n {
		want := fmt.Sprint(l.n)
		if l.min != l.n {
			want = fmt.Sprintf("%d or %d", l.min, l.n)
		}
		return d.fail(t.off, t.typ, ErrInvalidValue, "%s policy carries %d bytes of fields, want %s 32-bit fields", l.name, rest, want)
	}
	for i := 0; i < rest/4; i++ {
		*p.field(l.fields[i]) = d.be32(t.val + 4 + 4*i)
	}
	return nil
}
