package policy

import (
	"errors"
	"math/rand/v2"
	"testing"

	"github.com/sigpool/sigpool/wire"
)

// Helpers shared by the tests of this package.

func newRand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)) }

// build returns a pool with one member per policy value, IDs 1..n.
func build(ps ...wire.Policy) *Pool {
	p := &Pool{}
	for i, pol := range ps {
		p.Upsert(wire.PEIdentifier(i+1), pol)
	}
	return p
}

// counts selects one member picks times and counts by index.
func counts(t *testing.T, pol Policy, p *Pool, r Rand, picks int) []int {
	t.Helper()
	c := make([]int, p.Len())
	var buf []int
	for range picks {
		buf = pol.Select(p, Request{N: 1}, r, buf[:0])
		if len(buf) != 1 {
			t.Fatalf("%v: selected %d members, want 1", pol.Type(), len(buf))
		}
		c[buf[0]]++
	}
	return c
}

// within checks that each count's share is within rel of want's share.
func within(t *testing.T, name string, got []int, want []float64, rel float64) {
	t.Helper()
	var n, w float64
	for i := range got {
		n += float64(got[i])
		w += want[i]
	}
	for i := range got {
		share, exp := float64(got[i])/n, want[i]/w
		if exp == 0 {
			if got[i] != 0 {
				t.Errorf("%s: member %d picked %d times, want never", name, i, got[i])
			}
			continue
		}
		if d := share/exp - 1; d > rel || d < -rel {
			t.Errorf("%s: member %d share %.4f, want %.4f (±%.0f%%)", name, i, share, exp, rel*100)
		}
	}
}

func TestStandardRegistryCoversEveryType(t *testing.T) {
	r := Standard()
	types := []wire.PolicyType{
		wire.PolicyRoundRobin, wire.PolicyWeightedRoundRobin, wire.PolicyRandom,
		wire.PolicyWeightedRandom, wire.PolicyPriority, wire.PolicyLeastUsed,
		wire.PolicyLeastUsedWithDegradation, wire.PolicyPriorityLeastUsed,
		wire.PolicyRandomizedLeastUsed, wire.PolicyRandomizedPriorityLeastUsed,
		wire.PolicyRandomizedLeastUsedWithDegradation, wire.PolicyPriorityLeastUsedWithDegradation,
		wire.PolicyRandomizedPriorityLeastUsedWithDegradation, wire.PolicyWeightedRandomWithDPF,
		wire.PolicyLeastUsedWithDPF, wire.PolicyLeastUsedWithDegradationAndDPF,
	}
	if r.Len() != len(types) {
		t.Fatalf("registry has %d policies, want %d", r.Len(), len(types))
	}
	for _, typ := range types {
		p, ok := r.Lookup(typ)
		if !ok || p.Type() != typ {
			t.Errorf("Lookup(%v) = %v, %v", typ, p, ok)
		}
		if err := r.Check(typ); err != nil {
			t.Errorf("Check(%v) = %v", typ, err)
		}
	}
	err := r.Check(0x12345678)
	var pe *Error
	if !errors.As(err, &pe) || !errors.Is(err, ErrUnsupported) || pe.Cause() != wire.CauseInvalidValues {
		t.Errorf("Check(unknown) = %v", err)
	}
}

type custom struct{}

func (custom) Type() wire.PolicyType { return 0xb0009999 }
func (custom) Select(p *Pool, req Request, _ Rand, dst []int) []int {
	return p.SelectByKey(req, dst, Rank{Value: func(m *Member, _ uint32) uint64 { return uint64(-m.ID) }})
}

func TestRegistryWithAddsAPolicyWithoutTouchingTheOriginal(t *testing.T) {
	base := Standard()
	ext := base.With(custom{})
	if _, ok := base.Lookup(0xb0009999); ok {
		t.Fatal("With modified the original registry")
	}
	pol, ok := ext.Lookup(0xb0009999)
	if !ok || ext.Len() != base.Len()+1 {
		t.Fatalf("extended registry: ok=%v len=%d", ok, ext.Len())
	}
	p := build(wire.Policy{}, wire.Policy{}, wire.Policy{})
	if got := pol.Select(p, Request{N: 1}, nil, nil); got[0] != 2 {
		t.Errorf("custom policy picked %v, want [2] (highest ID)", got)
	}
}

func TestCheckConsistent(t *testing.T) {
	if err := CheckConsistent(wire.PolicyLeastUsed, wire.PolicyLeastUsed); err != nil {
		t.Errorf("same type: %v", err)
	}
	err := CheckConsistent(wire.PolicyRoundRobin, wire.PolicyLeastUsed)
	var pe *Error
	if !errors.As(err, &pe) || !errors.Is(err, ErrInconsistent) || pe.Cause() != wire.CauseInconsistentPoolingPolicy {
		t.Fatalf("different types: %v", err)
	}
	if pe.Error() == "" {
		t.Error("empty message")
	}
}

func TestUniformIsInRangeAndUnbiased(t *testing.T) {
	r := newRand(1)
	var c [3]int
	for range 30000 {
		v := uniform(r, 3)
		if v >= 3 {
			t.Fatalf("uniform(3) = %d", v)
		}
		c[v]++
	}
	within(t, "uniform", c[:], []float64{1, 1, 1}, 0.03)
}
