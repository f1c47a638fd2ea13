package sg

import (
	"fmt"
	"slices"
	"time"

	"github.com/sigpool/sigpool/mxua"
	"github.com/sigpool/sigpool/policy"
	"github.com/sigpool/sigpool/wire"
)

// PoolConfig describes one pool of GWCs the SG shares traffic over.
type PoolConfig struct {
	// Handle is the ASAP pool handle.
	Handle string
	// Protocol the GWCs speak on the SG's association (default M3UA).
	// Traffic of the other protocol is not converted: it cannot go there.
	Protocol mxua.Protocol
	// RoutingContext of the AS the GWCs go ASP-ACTIVE in (default 1).
	RoutingContext uint32
	// PointCodes announced unavailable (DUNA) while no GWC of the pool is
	// ASP-ACTIVE and available (DAVA) again when one is. Empty: the DPCs of
	// the pool's routes, else Config.PointCode.
	PointCodes []uint32
}

// peState is how far a PE is from carrying traffic.
type peState uint8

const (
	peIdle      peState = iota // known from resolution, no association
	peDialing                  // association being opened
	peConnected                // association up, ASP not ACTIVE
	peActive                   // ASP-ACTIVE: may be given bindings
)

func (s peState) String() string {
	switch s {
	case peIdle:
		return "idle"
	case peDialing:
		return "dialing"
	case peConnected:
		return "connected"
	case peActive:
		return "active"
	}
	return fmt.Sprintf("pe-state(%d)", uint8(s))
}

// pe is one GWC as the SG knows it.
type pe struct {
	id      wire.PEIdentifier
	pool    *pool
	elem    wire.PoolElement
	state   peState
	assoc   mxua.AssocID // valid from peConnected on
	removed bool         // gone from the pool; pointers to it are stale

	// head of the intrusive list of the bindings on this PE, so that a
	// failover visits only the bindings it moves.
	head     *binding
	bindings int

	in, out  uint64 // messages from and to the PE
	lost     uint64 // messages it had received but not answered when lost
	failures uint64

	// congested: its association's send queue is filling (the GWC is not
	// taking traffic as fast as it comes); new bindings go elsewhere while
	// another ACTIVE PE is not.
	congested bool
}

// pool is one pool: its PEs and the policy's selection view of the ACTIVE
// ones, a local copy refreshed on state changes and resolutions rather
// than per message.
type pool struct {
	cfg     PoolConfig
	rcs     []uint32 // RoutingContexts of messages sent to the pool (shared, read-only)
	pes     map[wire.PEIdentifier]*pe
	members policy.Pool // the ACTIVE PEs
	ptype   wire.PolicyType
	pol     policy.Policy
	dst     []int
	// congested counts the ACTIVE PEs marked congested.
	congested int
	reported  bool // DUNA/DAVA state announced: true = available
	announce  bool // an announcement was made at all

	// waiting holds bindings with no PE (none ACTIVE), oldest first; an
	// entry is stale when its binding moved on (gen differs).
	waiting []waitEntry
}

type waitEntry struct {
	b     *binding
	gen   uint32
	since time.Time
}

func newPool(cfg PoolConfig, reg *policy.Registry) *pool {
	p := &pool{cfg: cfg, pes: map[wire.PEIdentifier]*pe{}, dst: make([]int, 0, 4)}
	if cfg.RoutingContext != 0 {
		p.rcs = []uint32{cfg.RoutingContext}
	}
	p.setPolicy(wire.PolicyRoundRobin, reg)
	return p
}

// setPolicy switches the selection policy; an unknown type (a peer's
// extension) falls back to round robin, which any pool can serve.
func (p *pool) setPolicy(t wire.PolicyType, reg *policy.Registry) {
	if t == p.ptype && p.pol != nil {
		return
	}
	pol, ok := reg.Lookup(t)
	if !ok {
		pol, _ = reg.Lookup(wire.PolicyRoundRobin)
	}
	p.ptype, p.pol = t, pol
	p.members.Reset()
}

// choose picks an ACTIVE PE by the pool's policy; nil when none is.
// While some are congested it takes the policy's first choice among the
// others, and a congested one only when all are: a congested GWC is not
// handed new work it would have to drop, and the pool's availability
// (DUNA/DAVA) does not change for it.
func (p *pool) choose(r policy.Rand) *pe {
	if p.members.Len() == 0 {
		return nil
	}
	if p.congested == 0 {
		p.dst = p.pol.Select(&p.members, policy.Request{N: 1}, r, p.dst[:0])
		if len(p.dst) == 0 {
			return nil
		}
		return p.pes[p.members.Members[p.dst[0]].ID]
	}
	p.dst = p.pol.Select(&p.members, policy.Request{N: p.members.Len()}, r, p.dst[:0])
	var first *pe
	for _, i := range p.dst {
		e := p.pes[p.members.Members[i].ID]
		if !e.congested {
			return e
		}
		if first == nil {
			first = e
		}
	}
	return first
}

// activate adds an ACTIVE PE to the selection view.
func (p *pool) activate(e *pe) { p.members.Upsert(e.id, e.elem.Policy) }

// deactivate removes a PE from the selection view; it is no longer
// congested either.
func (p *pool) deactivate(e *pe) {
	if i, ok := p.members.Index(e.id); ok {
		p.members.RemoveAt(i)
	}
	p.setCongested(e, false)
}

// setCongested marks an ACTIVE PE congested or not.
func (p *pool) setCongested(e *pe, on bool) {
	if e.congested == on {
		return
	}
	e.congested = on
	if on {
		p.congested++
	} else {
		p.congested--
	}
}

// active is the number of ACTIVE PEs.
func (p *pool) active() int { return p.members.Len() }

// sortedPEs lists the PEs by identifier (stats).
func (p *pool) sortedPEs() []*pe {
	out := make([]*pe, 0, len(p.pes))
	for _, e := range p.pes {
		out = append(out, e)
	}
	slices.SortFunc(out, func(a, b *pe) int {
		switch {
		case a.id < b.id:
			return -1
		case a.id > b.id:
			return 1
		}
		return 0
	})
	return out
}
