package policy

import (
	"slices"
	"testing"

	"github.com/sigpool/sigpool/wire"
)

func load(f float64) wire.Fraction { return wire.FractionOf(f) }

func TestLeastUsedAlwaysPicksAMinimumLoad(t *testing.T) {
	r := newRand(31)
	p := &Pool{}
	for id := range wire.PEIdentifier(20) {
		p.Upsert(id+1, wire.Policy{Load: load(float64(id%7) / 10)})
	}
	for range 2000 {
		// Loads change between resolutions, as re-registrations do.
		id := wire.PEIdentifier(r.IntN(20) + 1)
		p.Upsert(id, wire.Policy{Load: load(r.Float64())})
		i := LeastUsed{}.Select(p, Request{N: 1}, r, nil)[0]
		for _, m := range p.Members {
			if m.Load < p.Members[i].Load {
				t.Fatalf("picked load %v, member %v has %v", p.Members[i].Load, m.ID, m.Load)
			}
		}
	}
}

func TestLeastUsedBreaksTiesRoundRobin(t *testing.T) {
	p := build(wire.Policy{Load: load(0.5)}, wire.Policy{Load: load(0.2)}, wire.Policy{Load: load(0.2)})
	var got []wire.PEIdentifier
	for range 4 {
		got = append(got, ids(p, LeastUsed{}.Select(p, Request{N: 1}, nil, nil))...)
	}
	if want := []wire.PEIdentifier{2, 3, 2, 3}; !slices.Equal(got, want) {
		t.Errorf("picks %v, want %v", got, want)
	}
	if got := ids(p, LeastUsed{}.Select(p, Request{N: 3}, nil, nil)); got[2] != 1 {
		t.Errorf("list %v: the loaded PE must be last", got)
	}
}

func TestLeastUsedWithDegradationSpreadsUntilReRegistration(t *testing.T) {
	deg := load(0.1)
	p := build(
		wire.Policy{Load: load(0.1), LoadDegradation: deg},
		wire.Policy{Load: load(0.35), LoadDegradation: deg},
	)
	var got []wire.PEIdentifier
	for range 5 {
		got = append(got, ids(p, LeastUsedWithDegradation{}.Select(p, Request{N: 1}, nil, nil))...)
	}
	// PE 1 goes 0.1, 0.2, 0.3 then 0.4 > 0.35: PE 2 takes over, then PE 1 (0.4 < 0.45).
	if want := []wire.PEIdentifier{1, 1, 1, 2, 1}; !slices.Equal(got, want) {
		t.Errorf("picks %v, want %v", got, want)
	}
	// Re-registration reports the load afresh: degradation resets.
	p.Upsert(1, wire.Policy{Load: load(0.1), LoadDegradation: deg})
	if got := ids(p, LeastUsedWithDegradation{}.Select(p, Request{N: 1}, nil, nil)); got[0] != 1 || p.Members[0].Degradation != deg {
		t.Errorf("after re-registration picked %v, degradation %v", got, p.Members[0].Degradation)
	}
	// Degradation saturates at 100%.
	p.Members[0].Degradation = ^wire.Fraction(0) - 1
	degrade(p, &p.Members[0])
	if p.Members[0].Degradation != ^wire.Fraction(0) {
		t.Errorf("degradation did not saturate: %v", p.Members[0].Degradation)
	}
}

func TestLeastUsedWithDPFWeighsDistance(t *testing.T) {
	dpf := load(0.001) // 0.1% load per distance unit
	p := build(
		wire.Policy{Type: wire.PolicyLeastUsedWithDPF, Load: load(0.20), LoadDPF: dpf, Distance: 200}, // 0.20 + 0.20
		wire.Policy{Type: wire.PolicyLeastUsedWithDPF, Load: load(0.30), LoadDPF: dpf, Distance: 10},  // 0.30 + 0.01
	)
	if got := ids(p, LeastUsedWithDPF{}.Select(p, Request{N: 1}, nil, nil)); got[0] != 2 {
		t.Errorf("picked %v, want the near PE 2", got)
	}
	near := Request{N: 1, Hints: Hints{Distance: func(wire.PEIdentifier) uint32 { return 0 }}}
	if got := ids(p, LeastUsedWithDPF{}.Select(p, near, nil, nil)); got[0] != 1 {
		t.Errorf("with equal distances picked %v, want the less loaded PE 1", got)
	}
	// A huge penalty saturates instead of wrapping.
	if k := loadDPFKey(&Member{Load: load(0.5), DPF: load(1)}, 1<<31); k != maxFraction {
		t.Errorf("saturated key %x", k)
	}
}

func TestLeastUsedWithDegradationAndDPF(t *testing.T) {
	dpf, deg := load(0.001), load(0.15)
	p := build(
		wire.Policy{Type: wire.PolicyLeastUsedWithDegradationAndDPF, Load: load(0.1), LoadDegradation: deg, LoadDPF: dpf, Distance: 100}, // 0.2
		wire.Policy{Type: wire.PolicyLeastUsedWithDegradationAndDPF, Load: load(0.3), LoadDegradation: deg, LoadDPF: dpf, Distance: 0},   // 0.3
	)
	var got []wire.PEIdentifier
	for range 3 {
		got = append(got, ids(p, LeastUsedWithDegradationAndDPF{}.Select(p, Request{N: 1}, nil, nil))...)
	}
	// 0.2 vs 0.3 -> 1; 0.35 vs 0.3 -> 2; 0.35 vs 0.45 -> 1.
	if want := []wire.PEIdentifier{1, 2, 1}; !slices.Equal(got, want) {
		t.Errorf("picks %v, want %v", got, want)
	}
}

// Every deterministic least-used variant hands out a member of minimal
// effective load (load + whatever the variant adds), as it stands before
// the selection, under random loads, degradations, distances and updates.
func TestLeastUsedVariantsAlwaysPickAMinimum(t *testing.T) {
	variants := []struct {
		pol Policy
		key func(*Member, uint32) uint64
	}{
		{LeastUsed{}, loadKey},
		{LeastUsedWithDegradation{}, degradedLoadKey},
		{LeastUsedWithDPF{}, loadDPFKey},
		{LeastUsedWithDegradationAndDPF{}, degradedLoadDPFKey},
		{PriorityLeastUsed{}, priorityLoadKey},
		{PriorityLeastUsedWithDegradation{}, degradedPriorityLoadKey},
	}
	r := newRand(77)
	for _, v := range variants {
		p := &Pool{}
		random := func(id wire.PEIdentifier) {
			p.Upsert(id, wire.Policy{Type: v.pol.Type(), Load: load(r.Float64() * 0.6), LoadDegradation: load(r.Float64() * 0.1),
				LoadDPF: load(0.0005), WeightDPF: load(0.0005), Distance: uint32(r.IntN(200))})
		}
		for id := range wire.PEIdentifier(15) {
			random(id + 1)
		}
		for range 3000 {
			if r.IntN(4) == 0 {
				random(wire.PEIdentifier(r.IntN(15) + 1))
			}
			keys := make([]uint64, p.Len())
			least := ^uint64(0)
			for i := range p.Members {
				keys[i] = v.key(&p.Members[i], p.Members[i].Distance)
				least = min(least, keys[i])
			}
			if i := v.pol.Select(p, Request{N: 1}, r, nil)[0]; keys[i] != least {
				t.Fatalf("%v picked key %x, minimum %x", v.pol.Type(), keys[i], least)
			}
		}
	}
}
