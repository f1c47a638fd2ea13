package policy

import "github.com/sigpool/sigpool/wire"

// RoundRobin (RFC 5356 section 4.1) hands PEs out in turn. The position is
// each member's sequence number, so it survives joins (a new PE queues at
// the end of the round) and leaves (the others keep their order).
type RoundRobin struct{}

// Type returns wire.PolicyRoundRobin.
func (RoundRobin) Type() wire.PolicyType { return wire.PolicyRoundRobin }

// Select returns the members handed out longest ago.
func (RoundRobin) Select(p *Pool, req Request, _ Rand, dst []int) []int {
	return p.SelectByKey(req, dst, Rank{Value: zeroKey})
}

func zeroKey(*Member, uint32) uint64 { return 0 }
