package policy

import (
	"slices"
	"testing"

	"github.com/sigpool/sigpool/wire"
)

func TestRandomIsUniform(t *testing.T) {
	p := build(make([]wire.Policy, 4)...)
	within(t, "Random", counts(t, Random{}, p, newRand(11), 30000), []float64{1, 1, 1, 1}, 0.03)
}

func TestRandomIsDeterministicForASeed(t *testing.T) {
	p1, p2 := build(make([]wire.Policy, 10)...), build(make([]wire.Policy, 10)...)
	a := Random{}.Select(p1, Request{N: 10}, newRand(5), nil)
	b := Random{}.Select(p2, Request{N: 10}, newRand(5), nil)
	if !slices.Equal(a, b) {
		t.Errorf("same seed gave %v and %v", a, b)
	}
}
