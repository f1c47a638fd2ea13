package policy

import (
	"slices"
	"testing"

	"github.com/sigpool/sigpool/wire"
)

func TestWeightedRoundRobinIsExactPerCycleAndInterleaved(t *testing.T) {
	p := build(wire.Policy{Weight: 5}, wire.Policy{Weight: 1}, wire.Policy{Weight: 1})
	var got []wire.PEIdentifier
	for range 7 {
		got = append(got, ids(p, WeightedRoundRobin{}.Select(p, Request{N: 1}, nil, nil))...)
	}
	// Smooth WRR: exactly 5:1:1 per 7 turns, the light PEs interleaved
	// (a a b a c a a) rather than a burst of five.
	want := []wire.PEIdentifier{1, 1, 2, 1, 3, 1, 1}
	if !slices.Equal(got, want) {
		t.Errorf("sequence %v, want %v", got, want)
	}
}

func TestWeightedRoundRobinDistribution(t *testing.T) {
	p := build(wire.Policy{Weight: 1}, wire.Policy{Weight: 2}, wire.Policy{Weight: 3}, wire.Policy{Weight: 0}, wire.Policy{Weight: 4})
	c := counts(t, WeightedRoundRobin{}, p, nil, 30000)
	within(t, "WRR", c, []float64{1, 2, 3, 0, 4}, 0.01)
	// Weight 0 still fills a full list, last.
	got := WeightedRoundRobin{}.Select(p, Request{N: 5}, nil, nil)
	if got[4] != 3 {
		t.Errorf("full list %v: weight-0 member should be last", got)
	}
}

func TestWeightedRoundRobinSurvivesMembershipChanges(t *testing.T) {
	p := build(wire.Policy{Weight: 2}, wire.Policy{Weight: 2})
	counts(t, WeightedRoundRobin{}, p, nil, 3)
	p.Upsert(9, wire.Policy{Weight: 4})
	i, _ := p.Index(1)
	p.RemoveAt(i)
	c := counts(t, WeightedRoundRobin{}, p, nil, 6000)
	within(t, "WRR after changes", c, []float64{2, 4}, 0.01)
}
