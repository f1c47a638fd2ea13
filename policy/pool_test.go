package policy

import (
	"testing"

	"github.com/sigpool/sigpool/wire"
)

func TestUpsertKeepsMembersSortedAndResetsDegradation(t *testing.T) {
	p := &Pool{}
	for _, id := range []wire.PEIdentifier{5, 1, 3} {
		if _, added := p.Upsert(id, wire.Policy{Type: wire.PolicyLeastUsedWithDegradation, LoadDegradation: 10}); !added {
			t.Fatalf("Upsert(%v) not added", id)
		}
	}
	for i, want := range []wire.PEIdentifier{1, 3, 5} {
		if p.Members[i].ID != want {
			t.Fatalf("Members = %v, want sorted", p.Members)
		}
	}
	p.Members[1].Degradation = 99
	seq := p.Members[1].Seq
	i, added := p.Upsert(3, wire.Policy{Type: wire.PolicyLeastUsedWithDegradation, Load: 7})
	if added || i != 1 {
		t.Fatalf("re-Upsert = %d, %v", i, added)
	}
	m := p.Members[1]
	if m.Degradation != 0 || m.Load != 7 || m.Seq != seq {
		t.Errorf("updated member = %+v: want degradation reset, load 7, position kept", m)
	}
	p.RemoveAt(0)
	if _, ok := p.Index(1); ok || p.Len() != 2 {
		t.Errorf("RemoveAt left %v", p.Members)
	}
}

func TestSetPolicyTakesTheRightDPF(t *testing.T) {
	var m Member
	m.SetPolicy(wire.Policy{Type: wire.PolicyWeightedRandomWithDPF, Weight: 3, WeightDPF: 9, Distance: 4})
	if m.DPF != 9 || m.Weight != 3 || m.Distance != 4 {
		t.Errorf("WR-DPF member = %+v", m)
	}
	m.SetPolicy(wire.Policy{Type: wire.PolicyLeastUsedWithDPF, Load: 1, LoadDPF: 8})
	if m.DPF != 8 || m.Load != 1 {
		t.Errorf("LU-DPF member = %+v", m)
	}
}

// Every policy returns distinct members, never more than asked or present.
func TestSelectNIsDistinctForEveryPolicy(t *testing.T) {
	reg := Standard()
	r := newRand(7)
	for typ, pol := range reg.byType {
		ps := make([]wire.Policy, 20)
		for i := range ps {
			ps[i] = wire.Policy{Type: typ, Weight: uint32(i % 4), Priority: uint32(i % 3),
				Load: wire.FractionOf(float64(i%5) / 5), LoadDegradation: wire.FractionOf(0.01), Distance: uint32(i)}
		}
		p := build(ps...)
		for _, n := range []int{0, 1, 3, 9, 20, 25} {
			for range 50 {
				got := pol.Select(p, Request{N: n}, r, nil)
				if want := min(n, 20); len(got) != want {
					t.Fatalf("%v N=%d: got %d members", typ, n, len(got))
				}
				seen := map[int]bool{}
				for _, i := range got {
					if i < 0 || i >= 20 || seen[i] {
						t.Fatalf("%v N=%d: bad or repeated index in %v", typ, n, got)
					}
					seen[i] = true
				}
			}
		}
	}
}

func TestAvoidAndPreferHints(t *testing.T) {
	p := build(make([]wire.Policy, 5)...)
	got := RoundRobin{}.Select(p, Request{N: 5, Hints: Hints{Avoid: []wire.PEIdentifier{1, 99}, Prefer: []wire.PEIdentifier{4, 1, 77}}}, nil, nil)
	// PE 1 is avoided (even though preferred), PE 4 is first, the rest in turn.
	want := []int{3, 1, 2, 4}
	if len(got) != len(want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("got %v, want %v", got, want)
		}
	}
	// Preferred members are not charged: the round starts again at PE 2.
	if got := (RoundRobin{}).Select(p, Request{N: 1}, nil, nil); got[0] != 0 {
		t.Errorf("next pick %v, want index 0 (PE 1 still first in the round)", got)
	}
}

func TestAdvanceChargesOnlyTheFirstMembers(t *testing.T) {
	p := build(
		wire.Policy{LoadDegradation: 100}, wire.Policy{LoadDegradation: 100}, wire.Policy{LoadDegradation: 100})
	LeastUsedWithDegradation{}.Select(p, Request{N: 3}, nil, nil)
	if p.Members[0].Degradation != 100 || p.Members[1].Degradation != 0 {
		t.Errorf("default Advance charged %v", p.Members)
	}
	LeastUsedWithDegradation{}.Select(p, Request{N: 3, Advance: 3}, nil, nil)
	for _, m := range p.Members {
		if m.Degradation == 0 {
			t.Errorf("Advance=3 left %v uncharged", m)
		}
	}
}

func TestSelectDoesNotAllocate(t *testing.T) {
	reg := Standard()
	r := newRand(3)
	for typ, pol := range reg.byType {
		ps := make([]wire.Policy, 20)
		for i := range ps {
			ps[i] = wire.Policy{Type: typ, Weight: uint32(i + 1), Load: wire.FractionOf(0.5), LoadDegradation: 1000}
		}
		p := build(ps...)
		buf := make([]int, 0, 8)
		pol.Select(p, Request{N: 3}, r, buf) // sizes the scratch
		if a := testing.AllocsPerRun(200, func() { buf = pol.Select(p, Request{N: 3}, r, buf[:0]) }); a != 0 {
			t.Errorf("%v: %v allocations per Select", typ, a)
		}
	}
}

func BenchmarkSelect3of20(b *testing.B) {
	reg := Standard()
	for _, typ := range []wire.PolicyType{
		wire.PolicyRoundRobin, wire.PolicyWeightedRoundRobin, wire.PolicyRandom, wire.PolicyWeightedRandom,
		wire.PolicyLeastUsed, wire.PolicyLeastUsedWithDegradation, wire.PolicyRandomizedLeastUsed,
		wire.PolicyLeastUsedWithDPF,
	} {
		pol, _ := reg.Lookup(typ)
		ps := make([]wire.Policy, 20)
		for i := range ps {
			ps[i] = wire.Policy{Type: typ, Weight: uint32(i + 1), Load: wire.FractionOf(float64(i) / 20), LoadDegradation: 1000, Distance: uint32(i)}
		}
		p := build(ps...)
		r := newRand(1)
		buf := make([]int, 0, 8)
		b.Run(typ.String(), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				buf = pol.Select(p, Request{N: 3}, r, buf[:0])
			}
		})
	}
}
