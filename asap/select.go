package asap

import (
	"github.com/sigpool/sigpool/policy"
	"github.com/sigpool/sigpool/wire"
)

// poolView is a PU's selection view of one resolved pool: the elements the
// registrar returned and the policy state over them. It uses package
// policy, the same RFC 5356 selection the registrar runs, so local choices
// follow the pool's policy (weights, priorities, loads, round-robin
// position) rather than an approximation of it.
type poolView struct {
	elements []wire.PoolElement
	members  policy.Pool
	dst      []int
}

// update replaces the elements with a fresh resolution. Members still
// present keep their selection state (round-robin position, degradation);
// members gone are removed; new ones join at the end of the round.
func (v *poolView) update(pes []wire.PoolElement) {
	v.elements = append(v.elements[:0], pes...)
	keep := make(map[wire.PEIdentifier]bool, len(pes))
	for _, pe := range pes {
		keep[pe.Identifier] = true
	}
	for i := v.members.Len() - 1; i >= 0; i-- {
		if !keep[v.members.Members[i].ID] {
			v.members.RemoveAt(i)
		}
	}
	for _, pe := range pes {
		v.members.Upsert(pe.Identifier, pe.Policy)
	}
}

// selectPE picks one element by the pool's policy, never one in avoid. It
// returns false when no element is left. An unknown policy type (a peer's
// extension this build lacks) falls back to round robin, which every PE
// of any pool can serve.
func (v *poolView) selectPE(reg *policy.Registry, t wire.PolicyType, r policy.Rand, avoid []wire.PEIdentifier) (wire.PoolElement, bool) {
	p, ok := reg.Lookup(t)
	if !ok {
		p, _ = reg.Lookup(wire.PolicyRoundRobin)
	}
	v.dst = p.Select(&v.members, policy.Request{N: 1, Hints: policy.Hints{Avoid: avoid}}, r, v.dst[:0])
	if len(v.dst) == 0 {
		return wire.PoolElement{}, false
	}
	id := v.members.Members[v.dst[0]].ID
	for _, pe := range v.elements {
		if pe.Identifier == id {
			return pe, true
		}
	}
	return wire.PoolElement{}, false
}
