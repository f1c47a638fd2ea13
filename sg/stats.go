package sg

import (
	"slices"
	"time"

	"github.com/sigpool/sigpool/mxua"
	"github.com/sigpool/sigpool/wire"
)

// PEStats describes one GWC.
type PEStats struct {
	Pool  string
	PE    wire.PEIdentifier
	State string // idle, dialing, connected, active; gone: it left the pool
	Assoc mxua.AssocID
	// In and Out count messages from and to the GWC.
	In, Out  uint64
	Bindings int
	// Lost counts messages it had received but not answered when it was
	// lost; Failures how often it was lost (or could not be dialed).
	Lost, Failures uint64
	// Congested: its association's send queue is filling; new bindings go
	// to the pool's other ACTIVE GWCs meanwhile.
	Congested bool
}

// PoolStats describes one pool.
type PoolStats struct {
	Handle   string
	Protocol mxua.Protocol
	// Known PEs (from resolution), Active ones (ASP-ACTIVE), bindings
	// Waiting for one.
	Known, Active, Waiting int
}

// PeerStats describes one upstream ASP.
type PeerStats struct {
	Protocol mxua.Protocol
	Assoc    mxua.AssocID
	Uplink   string // the STP's address when the SG is the ASP (an uplink)
	Active   bool
	In, Out  uint64
}

// Stats is a snapshot of the SG.
type Stats struct {
	Counters
	Bindings int // current bindings
	TIDs     int // current pool-side TID entries
	Buffered int // messages held during failovers now
	Pools    []PoolStats
	PEs      []PEStats
	Upstream []PeerStats
	// FailoverTimes are the latest failover durations (oldest first):
	// from the oldest message the lost GWC left unanswered to the moment
	// its bindings moved. Failovers with nothing outstanding add none.
	FailoverTimes []time.Duration
	// Driver counters: SendTo refusals toward the GWCs, upstream work
	// dropped because its queue was full, Cookie Echoes that failed,
	// messages the upstream SGPs could not route.
	SendFailures, SlowDropped, EchoFailures, UpstreamDropped uint64
}

// PE returns the stats of one GWC (false if unknown): the current entry
// when it is in a pool, else the latest of it since it left.
func (s *Stats) PE(id wire.PEIdentifier) (PEStats, bool) {
	var found PEStats
	ok := false
	for _, p := range s.PEs {
		if p.PE == id && (!ok || found.State == "gone") {
			found, ok = p, true
		}
	}
	return found, ok
}

func (e *pe) stats() PEStats {
	return PEStats{Pool: e.pool.cfg.Handle, PE: e.id, State: e.state.String(), Assoc: e.assoc,
		In: e.in, Out: e.out, Bindings: e.bindings, Lost: e.lost, Failures: e.failures, Congested: e.congested}
}

// Stats returns a snapshot.
func (c *Core) Stats() Stats {
	s := Stats{Counters: c.cnt, Bindings: c.bt.len(), TIDs: len(c.bt.tids), Buffered: c.buffered,
		FailoverTimes: slices.Clone(c.ftimes)}
	for _, p := range c.poolList {
		ps := PoolStats{Handle: p.cfg.Handle, Protocol: p.cfg.Protocol, Known: len(p.pes), Active: p.active()}
		for _, w := range p.waiting {
			if w.b.gen == w.gen && w.b.state == waiting {
				ps.Waiting++
			}
		}
		s.Pools = append(s.Pools, ps)
		for _, e := range p.sortedPEs() {
			s.PEs = append(s.PEs, e.stats())
		}
	}
	s.PEs = append(s.PEs, c.retired...)
	for ref, u := range c.upstream {
		s.Upstream = append(s.Upstream, PeerStats{Protocol: ref.proto, Assoc: ref.assoc, Active: u.active, In: u.in, Out: u.out})
	}
	slices.SortFunc(s.Upstream, func(a, b PeerStats) int {
		if a.Protocol != b.Protocol {
			return int(a.Protocol) - int(b.Protocol)
		}
		switch {
		case a.Assoc < b.Assoc:
			return -1
		case a.Assoc > b.Assoc:
			return 1
		}
		return 0
	})
	return s
}
