// Package policy implements the pool member selection policies of RFC 5356
// and the RSPLIB extensions, behind one small interface.
//
// A Pool holds the members of one pool as the policies see them: PE
// identifier, policy fields (weight, priority, load, load degradation, DPF,
// distance) and the selection state every policy shares (a round-robin
// sequence number, the accumulated degradation, the smooth weighted
// round-robin counter). A Policy picks N distinct members of a Pool and
// advances that state. Adding a policy is one file: a type with Type and
// Select, usually a key function (smallest first) or a weight function
// (drawn at random) handed to Pool.SelectByKey or Pool.SelectWeighted, and
// one entry in the Registry it is used with.
//
// The package is pure: no I/O, goroutines, clock, globals or init. Random
// choices come from an injected Rand (a *math/rand/v2.Rand fits), so a
// seeded source gives exact, repeatable selections. Nothing here is safe for
// concurrent use; the owner of a Pool serialises access.
//
// Decisions where RFC 5356 leaves room (each follows RSPLIB):
//   - Ties among equal keys go to the member selected longest ago
//     (round robin by sequence number); a new member starts at the end of
//     the round.
//   - A selection advances the state of its first Request.Advance members
//     only (default 1): a PU uses the first PE and keeps the rest for
//     failover, so a round-robin pool handing out 3 of 5 PEs starts the next
//     answer one place further, and degradation is charged once.
//   - Priority: the larger value is preferred.
//   - Priority Least Used ranks by load + load degradation (the load a new
//     request would add); the "with degradation" variants also add the
//     degradation accumulated since the PE last updated its policy.
//   - Degradation accumulates by the PE's load degradation each time it is
//     handed out, saturating at 100%, and resets when the PE re-registers.
//   - Weight 0 gives no share: such members are handed out only after every
//     positively weighted one, so a standby PE still fills a long list.
//   - Randomized least-used variants draw with weight 100% - effective
//     load, at least one step, so a fully loaded PE keeps a tiny chance.
//   - DPF: the penalty is distance x DPF (DPF a fraction per distance unit,
//     e.g. per millisecond); least-used adds it to the load, weighted random
//     takes that share off the weight (never below 1).
package policy

import (
	"errors"
	"fmt"
	"math/bits"

	"github.com/sigpool/sigpool/wire"
)

// Rand is the random source. *math/rand/v2.Rand satisfies it.
type Rand interface {
	Uint64() uint64
}

// Request says what a selection wants.
type Request struct {
	// N is how many distinct members to return (fewer if the pool is
	// smaller); N <= 0 returns none.
	N int
	// Advance is how many of the returned members, from the first, count as
	// handed out (round-robin position moves past them, degradation is
	// charged). 0 means 1; use N to charge every returned member.
	Advance int
	Hints
}

// Hints carry what the PU (or the registrar on its behalf) knows.
type Hints struct {
	// Distance, when set, gives the distance from the PU to a PE for the DPF
	// policies (in the unit their DPF is per, RSPLIB uses milliseconds);
	// otherwise each member's own Distance field is used.
	Distance func(wire.PEIdentifier) uint32
	// Avoid lists PEs not to return at all (e.g. just reported unreachable).
	Avoid []wire.PEIdentifier
	// Prefer lists PEs to put first, in this order, when present and not
	// avoided (e.g. the PE a dialogue already runs on). They are not charged
	// as handed out by the policy.
	Prefer []wire.PEIdentifier
}

// Policy is one member selection policy.
type Policy interface {
	// Type is the policy type this implements.
	Type() wire.PolicyType
	// Select appends to dst the indices (into p.Members) of up to req.N
	// distinct members, best first, and advances the selection state.
	// It must not allocate when dst has room.
	Select(p *Pool, req Request, r Rand, dst []int) []int
}

// Registry maps policy types to implementations. It is immutable after
// construction, so one value can be shared freely.
type Registry struct {
	byType map[wire.PolicyType]Policy
}

// NewRegistry returns a registry of the given policies; a later entry for
// the same type replaces an earlier one.
func NewRegistry(ps ...Policy) *Registry {
	r := &Registry{byType: make(map[wire.PolicyType]Policy, len(ps))}
	for _, p := range ps {
		if p != nil {
			r.byType[p.Type()] = p
		}
	}
	return r
}

// Standard returns a registry of every RFC 5356 policy and RSPLIB extension.
func Standard() *Registry {
	return NewRegistry(
		RoundRobin{}, WeightedRoundRobin{}, Random{}, WeightedRandom{}, Priority{},
		LeastUsed{}, LeastUsedWithDegradation{}, PriorityLeastUsed{}, RandomizedLeastUsed{},
		RandomizedPriorityLeastUsed{}, RandomizedLeastUsedWithDegradation{},
		PriorityLeastUsedWithDegradation{}, RandomizedPriorityLeastUsedWithDegradation{},
		WeightedRandomWithDPF{}, LeastUsedWithDPF{}, LeastUsedWithDegradationAndDPF{},
	)
}

// With returns a new registry holding r's policies and ps.
func (r *Registry) With(ps ...Policy) *Registry {
	all := make([]Policy, 0, len(r.byType)+len(ps))
	for _, p := range r.byType {
		all = append(all, p)
	}
	return NewRegistry(append(all, ps...)...)
}

// Lookup returns the implementation of t.
func (r *Registry) Lookup(t wire.PolicyType) (Policy, bool) {
	p, ok := r.byType[t]
	return p, ok
}

// Len is the number of policies.
func (r *Registry) Len() int { return len(r.byType) }

// Errors; test with errors.Is.
var (
	// ErrInconsistent: a PE's policy differs from its pool's.
	ErrInconsistent = errors.New("pooling policy inconsistent")
	// ErrUnsupported: the policy type is not in the registry.
	ErrUnsupported = errors.New("unsupported pooling policy")
)

// Error is a policy check failure and the cause to report on the wire.
type Error struct {
	Pool, PE wire.PolicyType
	Reason   error
}

func (e *Error) Error() string {
	if e.Reason == ErrUnsupported {
		return fmt.Sprintf("policy: %v: %v", e.Reason, e.PE)
	}
	return fmt.Sprintf("policy: %v: pool uses %v, PE asks for %v", e.Reason, e.Pool, e.PE)
}

// Unwrap returns the reason.
func (e *Error) Unwrap() error { return e.Reason }

// Cause is the Operation Error cause: "pooling policy inconsistent" for a
// mismatch, "invalid values" for a type nobody implements.
func (e *Error) Cause() wire.CauseCode {
	if e.Reason == ErrUnsupported {
		return wire.CauseInvalidValues
	}
	return wire.CauseInconsistentPoolingPolicy
}

// CheckConsistent reports whether a PE with policy type pe may join a pool
// whose members use pool. RSerPool allows one policy type per pool (a
// registrar rejects others with "pooling policy inconsistent"); the fields
// (weight, load, ...) may differ per PE.
func CheckConsistent(pool, pe wire.PolicyType) error {
	if pool != pe {
		return &Error{Pool: pool, PE: pe, Reason: ErrInconsistent}
	}
	return nil
}

// Check reports whether t is supported by r.
func (r *Registry) Check(t wire.PolicyType) error {
	if _, ok := r.byType[t]; !ok {
		return &Error{PE: t, Reason: ErrUnsupported}
	}
	return nil
}

// uniform returns a uniform value in [0, n), n > 0 (Lemire's method).
func uniform(r Rand, n uint64) uint64 {
	hi, lo := bits.Mul64(r.Uint64(), n)
	if lo < n {
		thresh := -n % n
		for lo < thresh {
			hi, lo = bits.Mul64(r.Uint64(), n)
		}
	}
	return hi
}

const maxFraction = uint64(^uint32(0))

// satAdd adds fractions, saturating at 100%.
func satAdd(vs ...uint32) uint64 {
	var s uint64
	for _, v := range vs {
		s += uint64(v)
	}
	return min(s, maxFraction)
}

// penalty is distance x dpf as a fraction of 100% (may exceed 1).
func penalty(distance uint32, dpf wire.Fraction) float64 {
	return float64(distance) * dpf.Float64()
}
