package policy

import (
	"testing"

	"github.com/sigpool/sigpool/wire"
)

func TestRandomizedLeastUsedFollowsFreeCapacity(t *testing.T) {
	p := build(wire.Policy{Load: load(0.25)}, wire.Policy{Load: load(0.5)}, wire.Policy{Load: load(0.75)})
	within(t, "RLU", counts(t, RandomizedLeastUsed{}, p, newRand(41), 30000), []float64{0.75, 0.5, 0.25}, 0.03)
}

func TestRandomizedPriorityLeastUsedFollowsFreeCapacityAfterOneRequest(t *testing.T) {
	p := build(
		wire.Policy{Load: load(0.25), LoadDegradation: load(0.25)},
		wire.Policy{Load: load(0.25), LoadDegradation: load(0)},
	)
	within(t, "RPLU", counts(t, RandomizedPriorityLeastUsed{}, p, newRand(42), 30000), []float64{0.5, 0.75}, 0.03)
}

func TestRandomizedDegradationVariantsCharge(t *testing.T) {
	for _, pol := range []Policy{RandomizedLeastUsedWithDegradation{}, RandomizedPriorityLeastUsedWithDegradation{}} {
		p := build(wire.Policy{Load: load(0.2), LoadDegradation: load(0.01)})
		for range 10 {
			pol.Select(p, Request{N: 1}, newRand(1), nil)
		}
		if d := p.Members[0].Degradation.Float64(); d < 0.0999 || d > 0.1001 {
			t.Errorf("%v: degradation %.4f after 10 picks, want 0.10", pol.Type(), d)
		}
	}
	// A fully loaded PE keeps a floor weight of one step.
	if w := freeDegradedPriorityLoad(&Member{Load: load(1), LoadDegradation: load(1)}, 0); w != 1 {
		t.Errorf("floor weight %d", w)
	}
	// Degradation shifts the distribution towards the undegraded PE.
	p := build(wire.Policy{Load: load(0.5)}, wire.Policy{Load: load(0.5)})
	p.Members[0].Degradation = load(0.25)
	within(t, "RLUD", counts(t, RandomizedLeastUsedWithDegradation{}, p, newRand(43), 30000), []float64{0.25, 0.5}, 0.03)
}
