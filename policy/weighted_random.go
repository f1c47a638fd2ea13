package policy

import (
	"math"

	"github.com/sigpool/sigpool/wire"
)

// WeightedRandom (RFC 5356 section 4.4) picks PEs at random with
// probability proportional to their weight.
type WeightedRandom struct{}

// Type returns wire.PolicyWeightedRandom.
func (WeightedRandom) Type() wire.PolicyType { return wire.PolicyWeightedRandom }

// Select draws distinct members by weight.
func (WeightedRandom) Select(p *Pool, req Request, r Rand, dst []int) []int {
	return p.SelectWeighted(req, r, dst, Rank{Value: weightOf})
}

func weightOf(m *Member, _ uint32) uint64 { return uint64(m.Weight) }

// WeightedRandomWithDPF (RSPLIB 0xb0002001) is Weighted Random with the
// weight reduced by the distance penalty: weight x (1 - distance x weight
// DPF), never below 1 for a positive weight, so distant PEs are chosen less.
type WeightedRandomWithDPF struct{}

// Type returns wire.PolicyWeightedRandomWithDPF.
func (WeightedRandomWithDPF) Type() wire.PolicyType { return wire.PolicyWeightedRandomWithDPF }

// Select draws distinct members by penalised weight.
func (WeightedRandomWithDPF) Select(p *Pool, req Request, r Rand, dst []int) []int {
	return p.SelectWeighted(req, r, dst, Rank{Value: weightDPF, Distance: true})
}

func weightDPF(m *Member, d uint32) uint64 {
	if m.Weight == 0 {
		return 0
	}
	w := float64(m.Weight)
	v := w - math.Round(w*penalty(d, m.DPF))
	if v < 1 {
		return 1
	}
	return uint64(v)
}
