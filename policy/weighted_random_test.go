package policy

import (
	"testing"

	"github.com/sigpool/sigpool/wire"
)

func TestWeightedRandomDistribution(t *testing.T) {
	p := build(wire.Policy{Weight: 1}, wire.Policy{Weight: 2}, wire.Policy{Weight: 3}, wire.Policy{Weight: 0})
	within(t, "WeightedRandom", counts(t, WeightedRandom{}, p, newRand(21), 30000), []float64{1, 2, 3, 0}, 0.03)
}

func TestWeightedRandomWithDPFPenalisesDistance(t *testing.T) {
	dpf := wire.FractionOf(0.01) // 1% of the weight per distance unit
	p := build(
		wire.Policy{Type: wire.PolicyWeightedRandomWithDPF, Weight: 1000, WeightDPF: dpf, Distance: 0},
		wire.Policy{Type: wire.PolicyWeightedRandomWithDPF, Weight: 1000, WeightDPF: dpf, Distance: 50},
		wire.Policy{Type: wire.PolicyWeightedRandomWithDPF, Weight: 1000, WeightDPF: dpf, Distance: 90},
	)
	// Weights 1000, 500 and 100.
	within(t, "WR-DPF", counts(t, WeightedRandomWithDPF{}, p, newRand(22), 30000), []float64{1000, 500, 100}, 0.03)

	// The PU's own distances override the registered ones.
	dist := map[wire.PEIdentifier]uint32{1: 90, 2: 50, 3: 0}
	c := make([]int, 3)
	r := newRand(23)
	req := Request{N: 1, Hints: Hints{Distance: func(id wire.PEIdentifier) uint32 { return dist[id] }}}
	for range 30000 {
		c[WeightedRandomWithDPF{}.Select(p, req, r, nil)[0]]++
	}
	within(t, "WR-DPF with hint", c, []float64{100, 500, 1000}, 0.03)
}

func TestWeightDPFFloor(t *testing.T) {
	m := &Member{Weight: 1000, DPF: wire.FractionOf(0.01)}
	if w := weightDPF(m, 500); w != 1 {
		t.Errorf("penalty beyond the weight gave %d, want the floor 1", w)
	}
	if w := weightDPF(&Member{}, 0); w != 0 {
		t.Errorf("weight 0 gave %d", w)
	}
}
