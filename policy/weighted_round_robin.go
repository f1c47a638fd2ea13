package policy

import "github.com/sigpool/sigpool/wire"

// WeightedRoundRobin (RFC 5356 section 4.2) hands each PE out in proportion
// to its weight, deterministically. It uses the smooth weighted round robin
// (as nginx does): every turn each member's counter grows by its weight and
// the member with the largest counter is handed out and pays the total
// weight back, so over any sum-of-weights turns each PE gets exactly its
// weight, interleaved rather than in bursts.
type WeightedRoundRobin struct{}

// Type returns wire.PolicyWeightedRoundRobin.
func (WeightedRoundRobin) Type() wire.PolicyType { return wire.PolicyWeightedRoundRobin }

// Select returns the members with the largest counters, weight-0 members last.
func (WeightedRoundRobin) Select(p *Pool, req Request, _ Rand, dst []int) []int {
	return p.SelectByKey(req, dst, Rank{Value: wrrKey, Charge: wrrCharge})
}

// wrrKey orders by counter + weight, largest first.
func wrrKey(m *Member, _ uint32) uint64 {
	if m.Weight == 0 {
		return ^uint64(0)
	}
	x := m.Current + int64(m.Weight)
	return ^(uint64(x) ^ 1<<63) // int64 order flipped into ascending uint64
}

// wrrLimit bounds the counters so a member that is avoided for ever cannot
// overflow; far beyond any real imbalance.
const wrrLimit = 1 << 52

func wrrCharge(p *Pool, picked *Member) {
	var total int64
	for i := range p.Members {
		m := &p.Members[i]
		total += int64(m.Weight)
		m.Current = min(m.Current+int64(m.Weight), wrrLimit)
	}
	picked.Current = max(picked.Current-total, -wrrLimit)
}
