package policy

import "github.com/sigpool/sigpool/wire"

// Random (RFC 5356 section 4.3) picks PEs uniformly at random.
type Random struct{}

// Type returns wire.PolicyRandom.
func (Random) Type() wire.PolicyType { return wire.PolicyRandom }

// Select draws distinct members uniformly.
func (Random) Select(p *Pool, req Request, r Rand, dst []int) []int {
	return p.SelectWeighted(req, r, dst, Rank{Value: unitWeight})
}

func unitWeight(*Member, uint32) uint64 { return 1 }
