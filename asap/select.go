package asap

import (
	"math/rand/v2"

	"github.com/sigpool/sigpool/wire"
)

// selectPE picks one PE of a pool by the pool's policy.
//
// FALLBACK: package policy (RFC 5356 selection shared with the registrar)
// was not available when this was written; this is a minimal local
// implementation, to be replaced by policy's selection:
//   - Round Robin, Weighted Round Robin: round robin over the list (weights
//     ignored);
//   - Random, Weighted Random (and the DPF variant): random, weighted by
//     Weight when the weights are not all zero;
//   - Priority: the highest Priority, round robin among equals;
//   - every Least Used variant: the lowest Load (degradation and priority
//     ignored), round robin among equals;
//   - anything else: round robin.
//
// rr is the pool's round-robin counter, advanced on each pick.
func selectPE(pol wire.PolicyType, pes []wire.PoolElement, rr *uint64, rnd *rand.Rand) int {
	if len(pes) == 0 {
		return -1
	}
	next := func(cands []int) int {
		i := cands[int(*rr%uint64(len(cands)))]
		*rr++
		return i
	}
	all := make([]int, len(pes))
	for i := range pes {
		all[i] = i
	}
	switch pol {
	case wire.PolicyRandom, wire.PolicyWeightedRandom, wire.PolicyWeightedRandomWithDPF:
		var total uint64
		for _, pe := range pes {
			total += uint64(pe.Policy.Weight)
		}
		if pol == wire.PolicyRandom || total == 0 {
			return rnd.IntN(len(pes))
		}
		x := rnd.Uint64N(total)
		for i, pe := range pes {
			if x < uint64(pe.Policy.Weight) {
				return i
			}
			x -= uint64(pe.Policy.Weight)
		}
		return len(pes) - 1
	case wire.PolicyPriority:
		best := pes[0].Policy.Priority
		for _, pe := range pes {
			best = max(best, pe.Policy.Priority)
		}
		var c []int
		for i, pe := range pes {
			if pe.Policy.Priority == best {
				c = append(c, i)
			}
		}
		return next(c)
	case wire.PolicyLeastUsed, wire.PolicyLeastUsedWithDegradation, wire.PolicyPriorityLeastUsed,
		wire.PolicyRandomizedLeastUsed, wire.PolicyRandomizedPriorityLeastUsed,
		wire.PolicyRandomizedLeastUsedWithDegradation, wire.PolicyPriorityLeastUsedWithDegradation,
		wire.PolicyRandomizedPriorityLeastUsedWithDegradation, wire.PolicyLeastUsedWithDPF,
		wire.PolicyLeastUsedWithDegradationAndDPF:
		best := pes[0].Policy.Load
		for _, pe := range pes {
			best = min(best, pe.Policy.Load)
		}
		var c []int
		for i, pe := range pes {
			if pe.Policy.Load == best {
				c = append(c, i)
			}
		}
		return next(c)
	}
	return next(all)
}
