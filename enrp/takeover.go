package enrp

import (
	"fmt"
	"slices"
	"time"

	"github.com/sigpool/sigpool/handlespace"
	"github.com/sigpool/sigpool/wire"
)

// ENRP takeover (RFC 5353 section 3.9): a registrar that finds a peer dead
// sends Init Takeover to every other peer, takes the target's PEs over once
// all acked (or when TakeoverExpiry passes), tells the peers with Takeover
// Server and sends each PE an Endpoint Keep-Alive with the H flag. On a race
// the lower server ID wins: the higher one acks it and drops its own, as
// RSPLIB's registrar does (a mixed set must agree on the rule, or both
// sides yield and nobody takes the PEs over).
//
// Outcomes converge even when Init Takeover, acks or Takeover Server are
// lost and two registrars both complete: every registrar keeps, per target,
// the winner and the PEs it moved; a Takeover Server naming another winner
// is settled after the fact by the same rule everywhere (the lower server
// ID wins; the loser's PEs move to it, the loser stops keeping them alive).
// A registrar that acked and then hears no Takeover Server follows the
// lowest initiator it acked. The Presence audit repairs whatever remains.

type takeoverAttempt struct {
	waiting map[uint32]bool // peers whose Init Takeover Ack is missing
	due     time.Time
}

type ackedTakeover struct {
	initiator uint32
	due       time.Time
}

type takenOver struct {
	winner uint32
	pes    []peKey // the PEs moved away from the target here
}

// peerDead starts the takeover of a peer that answered neither Presence
// nor probe, unless another registrar already does it.
func (c *Core) peerDead(now time.Time, p *peer, out *Actions) {
	p.dead, p.probing = true, false
	if p.sync != nil {
		c.endSync(p)
	}
	out.note(Note{Kind: NotePeer, Server: p.id, Reason: fmt.Sprintf("no answer for %v: presumed dead", now.Sub(p.lastHeard))})
	t := p.id
	if c.p.taken[t] != nil || c.p.acked[t] != nil || c.p.initiating[t] != nil {
		return
	}
	att := &takeoverAttempt{waiting: map[uint32]bool{}, due: now.Add(c.cfg.TakeoverExpiry)}
	c.p.initiating[t] = att
	c.toPeers(func(q *peer) {
		if q.id == t {
			return
		}
		att.waiting[q.id] = true
		c.sendENRP(q.assoc, &wire.InitTakeover{SenderServerID: c.cfg.ServerID, ReceiverServerID: q.id, TargetServerID: t}, out)
	})
	out.note(Note{Kind: NoteTakeover, Server: t, Reason: fmt.Sprintf("takeover initiated, %d acks awaited", len(att.waiting))})
	if len(att.waiting) == 0 {
		c.completeTakeover(now, t, out)
	}
}

func (c *Core) initTakeover(now time.Time, id AssocID, from *peer, target uint32, out *Actions) {
	if target == c.cfg.ServerID {
		// We are alive: our Presence makes the initiator abandon.
		c.sendPresence(id, from.id, false, out)
		return
	}
	if _, mine := c.p.initiating[target]; mine {
		if c.cfg.ServerID < from.id {
			return // the lower server ID wins: us
		}
		delete(c.p.initiating, target)
		out.note(Note{Kind: NoteTakeover, Server: target, Reason: fmt.Sprintf("yielding the takeover to 0x%08x", from.id)})
	}
	c.sendENRP(id, &wire.InitTakeoverAck{SenderServerID: c.cfg.ServerID, ReceiverServerID: from.id, TargetServerID: target}, out)
	if a := c.p.acked[target]; a == nil || from.id < a.initiator {
		c.p.acked[target] = &ackedTakeover{initiator: from.id, due: now.Add(c.cfg.TakeoverExpiry + c.cfg.TakeoverExpiry/2)}
	}
	if t := c.p.peers[target]; t != nil && !t.dead {
		t.dead, t.probing = true, false
	}
}

func (c *Core) initTakeoverAck(now time.Time, from *peer, target uint32, out *Actions) {
	att := c.p.initiating[target]
	if att == nil {
		return
	}
	delete(att.waiting, from.id)
	if len(att.waiting) == 0 {
		c.completeTakeover(now, target, out)
	}
}

func (c *Core) takeoverServer(now time.Time, from *peer, target uint32, out *Actions) {
	if target == c.cfg.ServerID {
		// The others took us for dead and re-homed our PEs; so do we,
		// or the copies would disagree on owners forever.
		var sts []*peState
		for rec := range c.ns.OwnedBy(c.cfg.ServerID) {
			if st := c.pes[rec]; st != nil {
				sts = append(sts, st)
			}
		}
		for _, st := range sts {
			c.forget(st)
		}
		moved := c.ns.Takeover(c.cfg.ServerID, from.id, nil)
		out.note(Note{Kind: NoteTakeover, Server: from.id, Reason: fmt.Sprintf("we were taken over: %d PEs now owned by the peer", len(moved))})
		return
	}
	if _, mine := c.p.initiating[target]; mine {
		delete(c.p.initiating, target)
	}
	c.applyTakeover(now, target, from.id, out)
}

func (c *Core) completeTakeover(now time.Time, target uint32, out *Actions) {
	delete(c.p.initiating, target)
	c.applyTakeover(now, target, c.cfg.ServerID, out)
	c.toPeers(func(q *peer) {
		if q.id != target {
			c.sendENRP(q.assoc, &wire.TakeoverServer{SenderServerID: c.cfg.ServerID, ReceiverServerID: q.id, TargetServerID: target}, out)
		}
	})
}

// applyTakeover records that winner took target over and re-homes the
// target's PEs, settling a competing outcome by the lower server ID.
func (c *Core) applyTakeover(now time.Time, target, winner uint32, out *Actions) {
	delete(c.p.acked, target)
	if p := c.p.peers[target]; p != nil {
		p.dead, p.probing = true, false
	}
	tk := c.p.taken[target]
	switch {
	case tk == nil:
		tk = &takenOver{winner: winner}
		c.p.taken[target] = tk
		out.note(Note{Kind: NoteTakeover, Server: target, Reason: fmt.Sprintf("taken over by 0x%08x", winner)})
	case winner == tk.winner:
	case winner < tk.winner:
		old := tk.winner
		n := 0
		for _, k := range tk.pes {
			rec, ok := c.ns.Lookup(wire.PoolHandle(k.handle), k.id)
			if !ok || rec.HomeRegistrar() != old {
				continue
			}
			if st := c.pes[rec]; st != nil {
				c.forget(st)
			}
			c.ns.Rehome(rec, winner)
			if winner == c.cfg.ServerID {
				c.adopt(now, rec, out)
			}
			n++
		}
		tk.winner = winner
		out.note(Note{Kind: NoteTakeover, Server: target, Reason: fmt.Sprintf("competing takeovers: 0x%08x wins over 0x%08x (%d PEs moved)", winner, old, n)})
	default:
		// The sender lost to the winner we know; tell it, if that is us.
		if tk.winner == c.cfg.ServerID {
			if p := c.p.peers[winner]; p != nil && p.assoc != 0 {
				c.sendENRP(p.assoc, &wire.TakeoverServer{SenderServerID: c.cfg.ServerID, ReceiverServerID: winner, TargetServerID: target}, out)
			}
		}
	}
	moved := c.ns.Takeover(target, tk.winner, nil)
	for _, rec := range moved {
		tk.pes = append(tk.pes, keyOf(rec))
		if tk.winner == c.cfg.ServerID {
			c.adopt(now, rec, out)
		}
	}
	if len(moved) > 0 && tk.winner == c.cfg.ServerID {
		out.note(Note{Kind: NoteTakeover, Server: target, Reason: fmt.Sprintf("%d PEs taken over", len(moved))})
	}
}

// adopt makes a PE that became ours by takeover a PE we keep alive: the
// driver opens an association to it and the core sends the Keep-Alive with
// the H flag, which re-homes the PE here.
func (c *Core) adopt(now time.Time, rec *handlespace.PoolElement, out *Actions) {
	c.hs.SetExpiry(rec, now.Add(time.Duration(rec.RegistrationLife())*time.Millisecond))
	st := &peState{rec: rec, heapIdx: -1, waitingAck: true}
	c.pes[rec] = st
	if t, ok := dialTarget(rec); ok {
		id := c.newDialID()
		c.p.peDials[id] = true
		c.AssociationUp(id, wire.Transport{})
		st.assoc = id
		c.link(st, c.assocs[id])
		out.Dials = append(out.Dials, Dial{Assoc: id, Protocol: wire.ProtocolASAP, Transport: t})
	} else {
		out.note(Note{Kind: NoteTakeover, PoolHandle: rec.PoolHandle(), PE: rec.Identifier(), Reason: "taken-over PE has no transport a registrar can reach"})
	}
	// Until the association is up the PE is waiting for its keep-alive;
	// a dial that never completes removes it in time.
	c.timers.set(st, now.Add(c.cfg.KeepAliveInterval+c.cfg.KeepAliveTimeout))
}

// dialTarget is where a registrar reaches a PE it took over: the user
// transport when it carries control (TCP or SCTP, data plus control), else
// an SCTP ASAP transport.
func dialTarget(rec *handlespace.PoolElement) (wire.Transport, bool) {
	u := rec.UserTransport()
	if (u.Kind == wire.TransportTCP || u.Kind == wire.TransportSCTP) && u.Use == wire.TransportUseDataPlusControl && len(u.Addresses) > 0 {
		return u, true
	}
	if a, ok := rec.ASAPTransport(); ok && a.Kind == wire.TransportSCTP && len(a.Addresses) > 0 && a.Port != 0 {
		return a, true
	}
	return wire.Transport{}, false
}

func (c *Core) takeoverTick(now time.Time, out *Actions) {
	var due []uint32
	for t, att := range c.p.initiating {
		if !now.Before(att.due) {
			due = append(due, t)
		}
	}
	slices.Sort(due)
	for _, t := range due {
		out.note(Note{Kind: NoteTakeover, Server: t, Reason: fmt.Sprintf("takeover expiry: %d acks missing, taking over anyway", len(c.p.initiating[t].waiting))})
		c.completeTakeover(now, t, out)
	}
	due = due[:0]
	for t, a := range c.p.acked {
		if !now.Before(a.due) {
			due = append(due, t)
		}
	}
	slices.Sort(due)
	for _, t := range due {
		// The initiator's Takeover Server never came: follow it.
		c.applyTakeover(now, t, c.p.acked[t].initiator, out)
	}
}
