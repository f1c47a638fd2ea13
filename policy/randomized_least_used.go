package policy

import "github.com/sigpool/sigpool/wire"

// RandomizedLeastUsed (RFC 5356 section 5.4) draws PEs at random with
// weight 100% - load: lightly loaded PEs are likelier, yet PUs resolving at
// the same moment do not all hit the same least-loaded PE.
type RandomizedLeastUsed struct{}

// Type returns wire.PolicyRandomizedLeastUsed.
func (RandomizedLeastUsed) Type() wire.PolicyType { return wire.PolicyRandomizedLeastUsed }

// Select draws members weighted by free capacity.
func (RandomizedLeastUsed) Select(p *Pool, req Request, r Rand, dst []int) []int {
	return p.SelectWeighted(req, r, dst, Rank{Value: freeLoad})
}

// RandomizedLeastUsedWithDegradation (RSPLIB 0xb0001002): weight 100% -
// (load + degradation).
type RandomizedLeastUsedWithDegradation struct{}

// Type returns wire.PolicyRandomizedLeastUsedWithDegradation.
func (RandomizedLeastUsedWithDegradation) Type() wire.PolicyType {
	return wire.PolicyRandomizedLeastUsedWithDegradation
}

// Select draws members weighted by free capacity after degradation.
func (RandomizedLeastUsedWithDegradation) Select(p *Pool, req Request, r Rand, dst []int) []int {
	return p.SelectWeighted(req, r, dst, Rank{Value: freeDegradedLoad, Charge: degrade})
}

// RandomizedPriorityLeastUsed (RSPLIB 0xb0001001): weight 100% - (load +
// load degradation).
type RandomizedPriorityLeastUsed struct{}

// Type returns wire.PolicyRandomizedPriorityLeastUsed.
func (RandomizedPriorityLeastUsed) Type() wire.PolicyType {
	return wire.PolicyRandomizedPriorityLeastUsed
}

// Select draws members weighted by free capacity after one more request.
func (RandomizedPriorityLeastUsed) Select(p *Pool, req Request, r Rand, dst []int) []int {
	return p.SelectWeighted(req, r, dst, Rank{Value: freePriorityLoad})
}

// RandomizedPriorityLeastUsedWithDegradation (RSPLIB 0xb0001004): weight
// 100% - (load + load degradation + degradation).
type RandomizedPriorityLeastUsedWithDegradation struct{}

// Type returns wire.PolicyRandomizedPriorityLeastUsedWithDegradation.
func (RandomizedPriorityLeastUsedWithDegradation) Type() wire.PolicyType {
	return wire.PolicyRandomizedPriorityLeastUsedWithDegradation
}

// Select draws members weighted by free capacity after one more request
// and degradation.
func (RandomizedPriorityLeastUsedWithDegradation) Select(p *Pool, req Request, r Rand, dst []int) []int {
	return p.SelectWeighted(req, r, dst, Rank{Value: freeDegradedPriorityLoad, Charge: degrade})
}

// The weights: the free share, at least one step. Plain functions rather
// than closures so a selection never allocates.
func freeLoad(m *Member, d uint32) uint64         { return free(loadKey(m, d)) }
func freeDegradedLoad(m *Member, d uint32) uint64 { return free(degradedLoadKey(m, d)) }
func freePriorityLoad(m *Member, d uint32) uint64 { return free(priorityLoadKey(m, d)) }
func freeDegradedPriorityLoad(m *Member, d uint32) uint64 {
	return free(degradedPriorityLoadKey(m, d))
}

func free(load uint64) uint64 { return max(maxFraction-load, 1) }
