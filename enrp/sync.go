package enrp

import (
	"time"

	"github.com/sigpool/sigpool/handlespace"
	"github.com/sigpool/sigpool/wire"
)

// Handle-table transfer between registrars (RFC 5353 section 3.2): the
// requester side downloads a peer's table page by page (M flag), either the
// whole table from the mentor at start-up, or the peer's own PEs (W flag)
// when its Presence checksum disagrees with our copy (the audit). The
// server side pages with a cursor per association.

// tableSync is a download in progress from one peer.
type tableSync struct {
	own  bool               // W flag: the peer's own PEs only
	seen map[peKey]struct{} // own downloads: PEs listed so far
	due  time.Time          // the next page is due by then
}

// requestTable starts a download from p; own asks for its own PEs only.
func (c *Core) requestTable(now time.Time, p *peer, own bool, out *Actions) {
	if p.assoc == 0 || p.sync != nil {
		return
	}
	s := &tableSync{own: own, due: now.Add(c.cfg.PeerMaxTimeNoResponse)}
	if own {
		s.seen = map[peKey]struct{}{}
	}
	p.sync = s
	c.sendENRP(p.assoc, &wire.HandleTableRequest{OwnChildrenOnly: own, SenderServerID: c.cfg.ServerID, ReceiverServerID: p.id}, out)
}

func (c *Core) endSync(p *peer) {
	if p.sync != nil && !p.sync.own && p.id == c.p.mentor && !c.p.mentorDone {
		c.p.mentor = 0 // choose another mentor: the next peer heard
	}
	p.sync = nil
}

// tableResponse applies one page. At the end of an own-PEs download, PEs
// we record as the peer's that it did not list are removed: it no longer
// owns them (it restarted, or they left while an update was lost).
func (c *Core) tableResponse(now time.Time, p *peer, m *wire.HandleTableResponse, out *Actions) {
	s := p.sync
	if s == nil {
		out.note(Note{Kind: NoteIgnored, Server: p.id, Reason: "unrequested Handle Table Response"})
		return
	}
	if m.Reject {
		c.endSync(p)
		out.note(Note{Kind: NotePeer, Server: p.id, Reason: "peer rejected the Handle Table Request"})
		return
	}
	for i := range m.Entries {
		e := &m.Entries[i]
		for j := range e.PoolElements {
			pe := e.PoolElements[j]
			home := pe.HomeRegistrar
			if s.own {
				home = p.id
				s.seen[peKey{handle: string(e.PoolHandle), id: pe.Identifier}] = struct{}{}
			}
			c.learn(now, p.id, e.PoolHandle, pe, home, s.own, out)
		}
	}
	if m.MoreToSend && p.assoc != 0 {
		s.due = now.Add(c.cfg.PeerMaxTimeNoResponse)
		c.sendENRP(p.assoc, &wire.HandleTableRequest{OwnChildrenOnly: s.own, SenderServerID: c.cfg.ServerID, ReceiverServerID: p.id}, out)
		return
	}
	if s.own {
		var stale []*handlespace.PoolElement
		for rec := range c.ns.OwnedBy(p.id) {
			if _, ok := s.seen[keyOf(rec)]; !ok {
				stale = append(stale, rec)
			}
		}
		for _, rec := range stale {
			c.ns.Remove(rec)
		}
	} else if p.id == c.p.mentor && !c.p.mentorDone {
		c.p.mentorDone = true
		out.note(Note{Kind: NotePeer, Server: p.id, Reason: "mentor's handle table received"})
	}
	p.sync = nil
}

// serveTable answers a Handle Table Request with the next page. A request
// continues the previous download on the association when that one set the
// M flag, asked the same (W flag) and is recent; anything else starts over.
func (c *Core) serveTable(now time.Time, id AssocID, req *wire.HandleTableRequest, out *Actions) {
	a := c.assocs[id]
	after := handlespace.Cursor{}
	if a.tableMore && a.tableOwn == req.OwnChildrenOnly && now.Sub(a.tableAt) <= c.cfg.PeerMaxTimeNoResponse {
		after = a.tableCursor
	}
	var keep func(*handlespace.PoolElement) bool
	if req.OwnChildrenOnly {
		keep = func(pe *handlespace.PoolElement) bool { return pe.HomeRegistrar() == c.cfg.ServerID }
	}
	page, cur, more := c.ns.Page(after, c.cfg.HandleTableBlock, keep, nil)
	a.tableCursor, a.tableMore, a.tableOwn, a.tableAt = cur, more, req.OwnChildrenOnly, now
	resp := &wire.HandleTableResponse{MoreToSend: more, SenderServerID: c.cfg.ServerID, ReceiverServerID: req.SenderServerID}
	for _, pe := range page {
		ph := pe.PoolHandle()
		if n := len(resp.Entries); n == 0 || string(resp.Entries[n-1].PoolHandle) != string(ph) {
			resp.Entries = append(resp.Entries, wire.PoolEntry{PoolHandle: ph})
		}
		e := &resp.Entries[len(resp.Entries)-1]
		e.PoolElements = append(e.PoolElements, pe.Wire(true))
	}
	c.sendENRP(id, resp, out)
}
