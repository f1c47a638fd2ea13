package policy

import "github.com/sigpool/sigpool/wire"

// Priority (policy 0x00000005) hands out the PE with the highest priority value;
// PEs of equal priority take turns. Lower priorities are only returned to
// fill a longer list, as failover candidates.
type Priority struct{}

// Type returns wire.PolicyPriority.
func (Priority) Type() wire.PolicyType { return wire.PolicyPriority }

// Select returns members by descending priority.
func (Priority) Select(p *Pool, req Request, _ Rand, dst []int) []int {
	return p.SelectByKey(req, dst, Rank{Value: priorityKey})
}

func priorityKey(m *Member, _ uint32) uint64 { return uint64(^m.Priority) }
