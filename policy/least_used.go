package policy

import (
	"math"

	"github.com/sigpool/sigpool/wire"
)

// LeastUsed (RFC 5356 section 5.1) hands out the PE with the lowest load;
// PEs of equal load take turns.
type LeastUsed struct{}

// Type returns wire.PolicyLeastUsed.
func (LeastUsed) Type() wire.PolicyType { return wire.PolicyLeastUsed }

// Select returns members by ascending load.
func (LeastUsed) Select(p *Pool, req Request, _ Rand, dst []int) []int {
	return p.SelectByKey(req, dst, Rank{Value: loadKey})
}

func loadKey(m *Member, _ uint32) uint64 { return uint64(m.Load) }

// LeastUsedWithDegradation (RFC 5356 section 5.2) ranks by load plus the
// degradation accumulated since the PE last reported its load: each time
// the PE is handed out its load degradation is added, so a burst of
// resolutions spreads over the pool instead of hitting one PE until its
// next re-registration.
type LeastUsedWithDegradation struct{}

// Type returns wire.PolicyLeastUsedWithDegradation.
func (LeastUsedWithDegradation) Type() wire.PolicyType {
	return wire.PolicyLeastUsedWithDegradation
}

// Select returns members by ascending load + degradation.
func (LeastUsedWithDegradation) Select(p *Pool, req Request, _ Rand, dst []int) []int {
	return p.SelectByKey(req, dst, Rank{Value: degradedLoadKey, Charge: degrade})
}

func degradedLoadKey(m *Member, _ uint32) uint64 {
	return satAdd(uint32(m.Load), uint32(m.Degradation))
}

// LeastUsedWithDPF (RSPLIB 0xb0002002) ranks by load plus the distance
// penalty distance x load DPF, so nearby PEs win among similar loads.
type LeastUsedWithDPF struct{}

// Type returns wire.PolicyLeastUsedWithDPF.
func (LeastUsedWithDPF) Type() wire.PolicyType { return wire.PolicyLeastUsedWithDPF }

// Select returns members by ascending penalised load.
func (LeastUsedWithDPF) Select(p *Pool, req Request, _ Rand, dst []int) []int {
	return p.SelectByKey(req, dst, Rank{Value: loadDPFKey, Distance: true})
}

func loadDPFKey(m *Member, d uint32) uint64 {
	return withPenalty(uint64(m.Load), m, d)
}

// LeastUsedWithDegradationAndDPF (RSPLIB 0xb0002003) combines both: load +
// degradation + distance penalty.
type LeastUsedWithDegradationAndDPF struct{}

// Type returns wire.PolicyLeastUsedWithDegradationAndDPF.
func (LeastUsedWithDegradationAndDPF) Type() wire.PolicyType {
	return wire.PolicyLeastUsedWithDegradationAndDPF
}

// Select returns members by ascending penalised, degraded load.
func (LeastUsedWithDegradationAndDPF) Select(p *Pool, req Request, _ Rand, dst []int) []int {
	return p.SelectByKey(req, dst, Rank{Value: degradedLoadDPFKey, Distance: true, Charge: degrade})
}

func degradedLoadDPFKey(m *Member, d uint32) uint64 {
	return withPenalty(degradedLoadKey(m, d), m, d)
}

func withPenalty(load uint64, m *Member, d uint32) uint64 {
	pen := penalty(d, m.DPF) * float64(maxFraction)
	if pen >= float64(maxFraction) {
		return maxFraction
	}
	return min(load+uint64(math.Round(pen)), maxFraction)
}
