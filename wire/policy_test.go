package wire

import (
	"errors"
	"math"
	"testing"
)

func TestPolicyGolden(t *testing.T) {
	for _, tc := range []struct {
		p   Policy
		hex string
	}{
		{Policy{Type: PolicyRoundRobin}, "0008 0008 00000001"},
		{Policy{Type: PolicyWeightedRoundRobin, Weight: 3}, "0008 000c 00000002 00000003"},
		{Policy{Type: PolicyRandom}, "0008 0008 00000003"},
		{Policy{Type: PolicyWeightedRandom, Weight: 7}, "0008 000c 00000004 00000007"},
		{Policy{Type: PolicyPriority, Priority: 2}, "0008 000c 00000005 00000002"},
		{Policy{Type: PolicyLeastUsed, Load: 0x40000000}, "0008 000c 40000001 40000000"},
		{Policy{Type: PolicyLeastUsedWithDegradation, Load: 0x80000000, LoadDegradation: 0x01000000}, "0008 0010 40000002 80000000 01000000"},
		{Policy{Type: PolicyPriorityLeastUsed, Load: 0xc0000000, LoadDegradation: 0x10}, "0008 0010 40000003 c0000000 00000010"},
		{Policy{Type: PolicyRandomizedLeastUsed, Load: 0x12345678}, "0008 000c 40000004 12345678"},
		{Policy{Type: PolicyRandomizedPriorityLeastUsed, Load: 1, LoadDegradation: 2}, "0008 0010 b0001001 00000001 00000002"},
		{Policy{Type: PolicyRandomizedLeastUsedWithDegradation, Load: 3, LoadDegradation: 4}, "0008 0010 b0001002 00000003 00000004"},
		{Policy{Type: PolicyPriorityLeastUsedWithDegradation, Load: 5, LoadDegradation: 6}, "0008 0010 b0001003 00000005 00000006"},
		{Policy{Type: PolicyRandomizedPriorityLeastUsedWithDegradation, Load: 7, LoadDegradation: 8}, "0008 0010 b0001004 00000007 00000008"},
		{Policy{Type: PolicyWeightedRandomWithDPF, Weight: 5, WeightDPF: 0x00418937, Distance: 20}, "0008 0014 b0002001 00000005 00418937 00000014"},
		{Policy{Type: PolicyLeastUsedWithDPF, Load: 9, LoadDPF: 10, Distance: 35}, "0008 0014 b0002002 00000009 0000000a 00000023"},
		{Policy{Type: PolicyLeastUsedWithDegradationAndDPF, Load: 11, LoadDegradation: 12, LoadDPF: 13, Distance: 50}, "0008 0018 b0002003 0000000b 0000000c 0000000d 00000032"},
		// Unknown policy types keep their fields raw, even unaligned ones.
		{Policy{Type: 0x12345678, Value: []byte{0xde, 0xad, 0xbe, 0xef}}, "0008 000c 12345678 deadbeef"},
		{Policy{Type: 0x12345678, Value: []byte{0xab, 0xcd}}, "0008 000a 12345678 abcd 0000"},
		{Policy{Type: 0xb0002004}, "0008 0008 b0002004"},
	} {
		checkParamGolden(t, tc.p, tc.hex)
	}
}

// RSPLIB sends Priority Least Used and Randomized Priority Least Used with
// the load alone; the degradation then reads as zero.
func TestPolicyRSPLIBShortForms(t *testing.T) {
	for _, in := range []string{"0008 000c 40000003 c0000000", "0008 000c b0001001 c0000000"} {
		p, _, _, err := DecodeParameter(hx(in))
		if err != nil {
			t.Fatal(err)
		}
		if pol := p.(Policy); pol.Load != 0xc0000000 || pol.LoadDegradation != 0 {
			t.Fatalf("%+v", pol)
		}
	}
}

func TestPolicyFieldCount(t *testing.T) {
	for _, in := range []string{
		"0008 0010 40000001 00000001 00000002",          // Least Used with 2 fields
		"0008 0008 40000002",                            // degradation missing
		"0008 000c 00000001 00000001",                   // Round Robin with a field
		"0008 000e 00000002 00000003 0000 0000",         // not a multiple of 4
		"0008 0014 40000003 00000001 00000002 00000003", // too many
	} {
		_, _, _, err := DecodeParameter(hx(in))
		var de *DecodeError
		if !errors.As(err, &de) || !errors.Is(err, ErrInvalidValue) || de.Param != ParamPoolMemberSelectionPolicy || de.Offset != 0 {
			t.Errorf("%s: %v", in, err)
		}
	}
	if _, _, _, err := DecodeParameter(hx("0008 0006 0000 0000")); !errors.Is(err, ErrLength) {
		t.Errorf("short policy type: %v", err)
	}
}

func TestPolicyEncodeRejectsForeignFields(t *testing.T) {
	for _, p := range []Policy{
		{Type: PolicyLeastUsed, Weight: 1},
		{Type: PolicyRoundRobin, Distance: 1},
		{Type: PolicyWeightedRandom, Weight: 1, Load: 1},
		{Type: PolicyPriority, Value: []byte{1}},
	} {
		if _, err := p.AppendTo(nil); !errors.Is(err, ErrInvalidValue) {
			t.Errorf("%+v: %v", p, err)
		}
	}
}

func TestFraction(t *testing.T) {
	for _, tc := range []struct {
		f    float64
		want Fraction
	}{
		{0, 0}, {-1, 0}, {math.NaN(), 0}, {1, 0xffffffff}, {2, 0xffffffff}, {0.5, 0x80000000}, {0.25, 0x40000000},
	} {
		if got := FractionOf(tc.f); got != tc.want {
			t.Errorf("FractionOf(%v) = %#x, want %#x", tc.f, got, tc.want)
		}
	}
	for _, f := range []float64{0, 0.001, 0.25, 0.5, 0.999, 1} {
		if got := FractionOf(f).Float64(); math.Abs(got-f) > 1e-9 {
			t.Errorf("%v -> %v", f, got)
		}
	}
	if Fraction(0x80000000).String() != "50.00%" {
		t.Error(Fraction(0x80000000).String())
	}
}

func TestPolicyStrings(t *testing.T) {
	for _, tc := range []struct {
		p    Policy
		want string
	}{
		{Policy{Type: PolicyRoundRobin}, "Round Robin"},
		{Policy{Type: PolicyWeightedRandom, Weight: 7}, "Weighted Random(weight=7)"},
		{Policy{Type: PolicyLeastUsedWithDPF, Load: 0x80000000, LoadDPF: 0, Distance: 3}, "Least Used with DPF(load=50.00%, load DPF=0.00%, distance=3)"},
		{Policy{Type: 0x99, Value: []byte{1}}, "policy 0x00000099(01)"},
	} {
		if got := tc.p.String(); got != tc.want {
			t.Errorf("got %q, want %q", got, tc.want)
		}
	}
}

func TestPolicyLayoutTable(t *testing.T) {
	for i := range policyLayouts {
		l, ok := layoutOf(policyLayouts[i].typ)
		if !ok || l != &policyLayouts[i] {
			t.Errorf("layoutOf(%#x) does not find entry %d", uint32(policyLayouts[i].typ), i)
		}
		if l.min > l.n || l.n > len(l.fields) {
			t.Errorf("%s: bad counts", l.name)
		}
		for j := 0; j < 4; j++ {
			if (j < l.n) != (l.fields[j] != 0) {
				t.Errorf("%s: field %d", l.name, j)
			}
		}
	}
	if _, ok := layoutOf(0x40000005); ok {
		t.Error("unknown type found")
	}
}

func TestPolicyCarriesLoad(t *testing.T) {
	load := map[PolicyType]bool{PolicyLeastUsed: true, PolicyLeastUsedWithDegradation: true, PolicyPriorityLeastUsed: true,
		PolicyRandomizedLeastUsed: true, PolicyRandomizedPriorityLeastUsed: true, PolicyRandomizedLeastUsedWithDegradation: true,
		PolicyPriorityLeastUsedWithDegradation: true, PolicyRandomizedPriorityLeastUsedWithDegradation: true,
		PolicyLeastUsedWithDPF: true, PolicyLeastUsedWithDegradationAndDPF: true}
	for _, l := range policyLayouts {
		if got := l.typ.CarriesLoad(); got != load[l.typ] {
			t.Errorf("%v: CarriesLoad %v, want %v", l.typ, got, load[l.typ])
		}
	}
	if PolicyType(0x12345678).CarriesLoad() {
		t.Error("an unknown policy carries a load")
	}
}
