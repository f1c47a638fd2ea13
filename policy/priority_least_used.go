package policy

import "github.com/sigpool/sigpool/wire"

// PriorityLeastUsed (RFC 5356 section 5.3) ranks by load + load
// degradation: the load the PE would have after taking the request, so a
// PE whose load grows fast with each request (a small server) is picked
// after a big one at equal load.
type PriorityLeastUsed struct{}

// Type returns wire.PolicyPriorityLeastUsed.
func (PriorityLeastUsed) Type() wire.PolicyType { return wire.PolicyPriorityLeastUsed }

// Select returns members by ascending load + load degradation.
func (PriorityLeastUsed) Select(p *Pool, req Request, _ Rand, dst []int) []int {
	return p.SelectByKey(req, dst, Rank{Value: priorityLoadKey})
}

func priorityLoadKey(m *Member, _ uint32) uint64 {
	return satAdd(uint32(m.Load), uint32(m.LoadDegradation))
}

// PriorityLeastUsedWithDegradation (RSPLIB 0xb0001003) also adds the
// degradation accumulated since the PE last reported its load.
type PriorityLeastUsedWithDegradation struct{}

// Type returns wire.PolicyPriorityLeastUsedWithDegradation.
func (PriorityLeastUsedWithDegradation) Type() wire.PolicyType {
	return wire.PolicyPriorityLeastUsedWithDegradation
}

// Select returns members by ascending load + load degradation + degradation.
func (PriorityLeastUsedWithDegradation) Select(p *Pool, req Request, _ Rand, dst []int) []int {
	return p.SelectByKey(req, dst, Rank{Value: degradedPriorityLoadKey, Charge: degrade})
}

func degradedPriorityLoadKey(m *Member, _ uint32) uint64 {
	return satAdd(uint32(m.Load), uint32(m.LoadDegradation), uint32(m.Degradation))
}
