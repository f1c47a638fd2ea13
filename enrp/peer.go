package enrp

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/sigpool/sigpool/handlespace"
	"github.com/sigpool/sigpool/internal/authz"
	"github.com/sigpool/sigpool/wire"
)

// ENRP peering (RFC 5353), the sans-I/O side: the peer table, Presence
// with the PE checksum, the last-heard and no-response timers, List
// Request/Response, Handle Updates, and the dispatch of ENRP messages to the
// handle-table (sync.go) and takeover (takeover.go) machines. The Core is
// one registrar; peers are known by server ID, reached over whichever
// association they were last heard on.

// farFuture is the expiry of PEs other registrars own: their home
// registrar removes them (Handle Update) or a takeover re-homes them, so a
// copy never lapses on its own and every copy of the handlespace agrees.
const farFuture = 100 * 365 * 24 * time.Hour

// peer is what a registrar knows of one ENRP peer.
type peer struct {
	id        uint32
	info      wire.Transport // ENRP transport from its Server Information; Kind 0: unknown
	assoc     AssocID        // where messages to it go; 0: none
	heard     bool           // heard from at least once
	lastHeard time.Time
	learnt    time.Time // when first named (List Response) if never heard
	probing   bool      // a Presence with R was sent; answer due by probeDue
	probeDue  time.Time
	graced    bool // probeDue was extended once: the timer ran late
	dead      bool // presumed dead until heard again
	lastDial  time.Time
	dialing   AssocID
	sync      *tableSync // a handle-table download in progress
}

// peKey names a PE across handlespaces.
type peKey struct {
	handle string
	id     wire.PEIdentifier
}

func keyOf(rec *handlespace.PoolElement) peKey {
	return peKey{handle: string(rec.PoolHandle()), id: rec.Identifier()}
}

// peering is the ENRP state of a Core.
type peering struct {
	started      bool
	rng          Rand
	self         wire.Transport // this registrar's ENRP transport (Server Information)
	peers        map[uint32]*peer
	ids          []uint32 // sorted keys of peers: deterministic iteration
	mentorDue    time.Time
	mentorDone   bool
	mentor       uint32
	nextPresence time.Time
	nextDial     AssocID
	peerDials    map[AssocID]uint32 // dials to peers, by the peer they reach
	peDials      map[AssocID]bool   // dials to taken-over PEs, pending
	initiating   map[uint32]*takeoverAttempt
	acked        map[uint32]*ackedTakeover
	taken        map[uint32]*takenOver
	bytesOut     uint64 // ENRP bytes sent (for the steady-state benchmark)
	// peerAssocs counts associations opened to peers (enrpPeer), so that
	// the next deadline, asked after every message, needs no walk over
	// every association.
	peerAssocs     int
	updateScratchA []byte
	updateScratchB []byte
}

// PeerInfo describes one peer for status output and tests.
type PeerInfo struct {
	ServerID  uint32
	Transport wire.Transport
	Assoc     AssocID
	LastHeard time.Time
	Dead      bool
}

// Peers lists the known peers by server ID.
func (c *Core) Peers() []PeerInfo {
	out := make([]PeerInfo, 0, len(c.p.ids))
	for _, id := range c.p.ids {
		p := c.p.peers[id]
		out = append(out, PeerInfo{ServerID: id, Transport: p.info, Assoc: p.assoc, LastHeard: p.lastHeard, Dead: p.dead})
	}
	return out
}

// ENRPBytesSent is the number of ENRP bytes this core asked to send.
func (c *Core) ENRPBytesSent() uint64 { return c.p.bytesOut }

// MentorDone reports whether start-up is over: the mentor's handle table
// was downloaded, or no peer answered within MentorDiscoveryTimeout.
func (c *Core) MentorDone() bool { return c.p.mentorDone }

// SetServerTransport sets the ENRP transport this registrar announces in
// its Server Information (the driver knows it once listening).
func (c *Core) SetServerTransport(t wire.Transport) { c.p.self = t }

func (c *Core) serverInfo() *wire.ServerInformation {
	if c.p.self.Kind == 0 {
		return nil
	}
	return &wire.ServerInformation{ServerID: c.cfg.ServerID, Transport: c.p.self}
}

// Start begins ENRP: mentor discovery and the Presence cycle. Calls with a
// time start the core lazily too; a driver calls Start first.
func (c *Core) Start(now time.Time, out *Actions) {
	c.ensureStarted(now)
}

func (c *Core) ensureStarted(now time.Time) {
	if c.p.started {
		return
	}
	c.p.started = true
	c.p.mentorDue = now.Add(c.cfg.MentorDiscoveryTimeout)
	c.p.nextPresence = now.Add(c.jitter(c.cfg.PeerHeartbeatCycle))
}

func newPeering(cfg Config) peering {
	rng := cfg.Rand
	if rng == nil {
		rng = rand.New(rand.NewPCG(uint64(cfg.ServerID), 0x656e7270))
	}
	return peering{
		rng:        rng,
		peers:      map[uint32]*peer{},
		peerDials:  map[AssocID]uint32{},
		peDials:    map[AssocID]bool{},
		initiating: map[uint32]*takeoverAttempt{},
		acked:      map[uint32]*ackedTakeover{},
		taken:      map[uint32]*takenOver{},
	}
}

// jitter returns d x [0.875, 1.125], as RSPLIB randomises its cycles, so
// that registrars started together do not send in lockstep.
func (c *Core) jitter(d time.Duration) time.Duration {
	return time.Duration(float64(d) * (0.875 + 0.25*c.p.rng.Float64()))
}

func (c *Core) peerOf(id uint32) *peer {
	p := c.p.peers[id]
	if p == nil {
		p = &peer{id: id}
		c.p.peers[id] = p
		i, _ := slices.BinarySearch(c.p.ids, id)
		c.p.ids = slices.Insert(c.p.ids, i, id)
	}
	return p
}

func (c *Core) dropPeer(id uint32) {
	delete(c.p.peers, id)
	if i, ok := slices.BinarySearch(c.p.ids, id); ok {
		c.p.ids = slices.Delete(c.p.ids, i, i+1)
	}
}

// PeerAssociationUp tells the core about an association the driver opened
// to a configured peer address: the peer's server ID is not known yet, so
// the core asks it at once with a Presence (R flag).
func (c *Core) PeerAssociationUp(now time.Time, id AssocID, t wire.Transport, out *Actions) {
	c.ensureStarted(now)
	c.AssociationUp(id, t)
	a := c.assocs[id]
	if !a.enrpPeer {
		a.enrpPeer = true
		c.p.peerAssocs++
	}
	c.sendPresence(id, 0, true, out)
}

// DialUp reports that an association the core asked for (Actions.Dials)
// is up: a peer gets a Presence, taken-over PEs their Keep-Alive with H.
func (c *Core) DialUp(now time.Time, id AssocID, t wire.Transport, out *Actions) {
	if server, ok := c.p.peerDials[id]; ok {
		delete(c.p.peerDials, id)
		if p := c.p.peers[server]; p != nil && p.dialing == id {
			p.dialing = 0
		}
		c.PeerAssociationUp(now, id, t, out)
		return
	}
	if !c.p.peDials[id] {
		out.Aborts = append(out.Aborts, id) // nobody waits for it any more
		return
	}
	delete(c.p.peDials, id)
	a := c.assocs[id]
	if a == nil {
		c.AssociationUp(id, t)
		a = c.assocs[id]
	} else {
		a.asap = t
	}
	if len(a.pes) == 0 {
		out.Aborts = append(out.Aborts, id)
		return
	}
	sts := make([]*peState, 0, len(a.pes))
	for st := range a.pes {
		sts = append(sts, st)
	}
	slices.SortFunc(sts, func(x, y *peState) int { return comparePE(x.rec, y.rec) })
	for _, st := range sts {
		c.kaID = st.rec.Identifier()
		c.ka = wire.EndpointKeepAlive{Home: true, ServerID: c.cfg.ServerID, PoolHandle: st.rec.PoolHandle(), PEIdentifier: &c.kaID}
		out.send(id, wire.PPIDASAP, &c.ka)
		c.stats.KeepAlivesSent++
		st.waitingAck, st.graced = true, false
		c.timers.set(st, now.Add(c.cfg.KeepAliveTimeout))
	}
}

func comparePE(a, b *handlespace.PoolElement) int {
	if x, y := string(a.PoolHandle()), string(b.PoolHandle()); x != y {
		if x < y {
			return -1
		}
		return 1
	}
	switch {
	case a.Identifier() < b.Identifier():
		return -1
	case a.Identifier() > b.Identifier():
		return 1
	}
	return 0
}

// peerAssocDown forgets a peer association: the peer is reached over
// another one if any; its liveness is left to the timers.
func (c *Core) peerAssocDown(id AssocID, a *assocState) {
	if a != nil && a.enrpPeer {
		c.p.peerAssocs--
	}
	if server, ok := c.p.peerDials[id]; ok {
		delete(c.p.peerDials, id)
		if p := c.p.peers[server]; p != nil && p.dialing == id {
			p.dialing = 0
		}
	}
	delete(c.p.peDials, id)
	if a == nil || a.server == 0 {
		return
	}
	p := c.p.peers[a.server]
	if p == nil || p.assoc != id {
		return
	}
	p.assoc = 0
	for aid, other := range c.assocs {
		if other.server == p.id && (p.assoc == 0 || aid < p.assoc) {
			p.assoc = aid
		}
	}
}

func (c *Core) sendENRP(id AssocID, m appender, out *Actions) {
	before := len(out.buf)
	out.send(id, wire.PPIDENRP, m)
	c.p.bytesOut += uint64(len(out.buf) - before)
}

func (c *Core) sendPresence(id AssocID, to uint32, reply bool, out *Actions) {
	c.sendENRP(id, &wire.Presence{ReplyRequired: reply, SenderServerID: c.cfg.ServerID, ReceiverServerID: to,
		PEChecksum: c.ns.OwnerChecksum(c.cfg.ServerID), ServerInformation: c.serverInfo()}, out)
}

// toPeers calls fn for every peer that is not presumed dead and can be
// reached, in server ID order.
func (c *Core) toPeers(fn func(p *peer)) {
	for _, id := range c.p.ids {
		if p := c.p.peers[id]; !p.dead && p.assoc != 0 {
			fn(p)
		}
	}
}

// heard records that server spoke on association id: it is alive, and id
// reaches it. A peer presumed dead that speaks again is alive: takeovers of
// it stop, and one that completed is forgotten (it starts afresh).
func (c *Core) heard(now time.Time, id AssocID, server uint32, out *Actions) *peer {
	p := c.peerOf(server)
	first := !p.heard
	p.heard, p.lastHeard, p.probing = true, now, false
	if a := c.assocs[id]; a != nil {
		a.server = server
		// Prefer the association the peer opened: its local end is our
		// ENRP listening port, which our Presence names. RSPLIB ignores
		// a Presence whose Server Information does not match the
		// association's addresses and port, and it only ever opens
		// associations from its own ENRP port.
		if cur := c.assocs[p.assoc]; p.assoc == 0 || cur == nil || (cur.enrpPeer && !a.enrpPeer) {
			p.assoc = id
		}
	}
	if p.dead {
		p.dead = false
		out.note(Note{Kind: NotePeer, Assoc: id, Server: server, Reason: "peer alive again"})
	}
	if _, ok := c.p.initiating[server]; ok {
		delete(c.p.initiating, server)
		out.note(Note{Kind: NoteTakeover, Server: server, Reason: "takeover abandoned: the target is alive"})
	}
	delete(c.p.acked, server)
	delete(c.p.taken, server)
	if first {
		out.note(Note{Kind: NotePeer, Assoc: id, Server: server, Reason: "new peer"})
	}
	if !c.p.mentorDone && c.p.mentor == 0 && p.assoc != 0 {
		// Mentor discovery: the first peer heard lists its peers and
		// hands over its whole handle table.
		c.p.mentor = server
		c.sendENRP(p.assoc, &wire.ListRequest{SenderServerID: c.cfg.ServerID, ReceiverServerID: server}, out)
		c.requestTable(now, p, false, out)
		out.note(Note{Kind: NotePeer, Server: server, Reason: "mentor chosen"})
	}
	return p
}

// HandleENRP processes one ENRP message from association id. Handle Table
// Requests are served to anyone (`sigpool pool ls`, RSPLIB's hsdump); the
// other messages come from peers.
func (c *Core) HandleENRP(now time.Time, id AssocID, raw []byte, out *Actions) {
	c.ensureStarted(now)
	m, reports, err := wire.DecodeENRP(raw)
	if err != nil {
		c.stats.DecodeErrors++
		var de *wire.DecodeError
		if errors.As(err, &de) && de.OperationError() != nil {
			c.sendENRP(id, &wire.ENRPErrorMessage{SenderServerID: c.cfg.ServerID, Error: *de.OperationError()}, out)
		}
		out.note(Note{Kind: NoteIgnored, Assoc: id, Reason: "malformed ENRP message: " + err.Error()})
		return
	}
	if len(reports) > 0 {
		c.sendENRP(id, &wire.ENRPErrorMessage{SenderServerID: c.cfg.ServerID, Error: wire.OperationError{Causes: reports}}, out)
	}
	if c.assocs[id] == nil {
		c.AssociationUp(id, wire.Transport{})
	}
	if pol := c.cfg.Authorization; pol != nil {
		names := c.assocs[id].names
		_, tableRead := m.(*wire.HandleTableRequest)
		if !pol.Allows(names, authz.Peer, "") && !(tableRead && pol.Allows(names, authz.Resolve, "*")) {
			c.stats.Rejected++
			out.note(Note{Kind: NoteIgnored, Assoc: id, Reason: fmt.Sprintf("%v from a peer the authorization policy does not let peer (identity %v)", m.Type(), names)})
			return
		}
	}
	heard(now, c.assocs[id])
	sender, receiver := enrpIDs(m)
	if sender == c.cfg.ServerID {
		// Our own message came back (the peer list names this
		// registrar) or another registrar uses our ID: never a peer.
		out.note(Note{Kind: NoteIgnored, Assoc: id, Reason: fmt.Sprintf("%v from our own server ID 0x%08x", m.Type(), sender)})
		if c.assocs[id].enrpPeer {
			out.Aborts = append(out.Aborts, id)
		}
		return
	}
	if receiver != 0 && receiver != c.cfg.ServerID {
		out.note(Note{Kind: NoteIgnored, Assoc: id, Reason: fmt.Sprintf("%v for server 0x%08x, not us", m.Type(), receiver)})
		return
	}
	if req, ok := m.(*wire.HandleTableRequest); ok {
		// Anyone may read the table; a request alone does not make a
		// peer (peers announce themselves with Presence).
		c.serveTable(now, id, req, out)
		return
	}
	if sender == 0 {
		out.note(Note{Kind: NoteIgnored, Assoc: id, Reason: fmt.Sprintf("%v without a sender server ID", m.Type())})
		return
	}
	p := c.heard(now, id, sender, out)
	switch m := m.(type) {
	case *wire.Presence:
		c.presence(now, id, p, m, out)
	case *wire.HandleTableResponse:
		c.tableResponse(now, p, m, out)
	case *wire.HandleUpdate:
		c.handleUpdate(now, p, m, out)
	case *wire.ListRequest:
		c.listRequest(id, p, out)
	case *wire.ListResponse:
		c.listResponse(now, m, out)
	case *wire.InitTakeover:
		c.initTakeover(now, id, p, m.TargetServerID, out)
	case *wire.InitTakeoverAck:
		c.initTakeoverAck(now, p, m.TargetServerID, out)
	case *wire.TakeoverServer:
		c.takeoverServer(now, p, m.TargetServerID, out)
	case *wire.ENRPErrorMessage:
		out.note(Note{Kind: NoteIgnored, Assoc: id, Server: sender, Reason: "peer reported " + m.Error.String()})
	}
}

func enrpIDs(m wire.Message) (sender, receiver uint32) {
	switch m := m.(type) {
	case *wire.Presence:
		return m.SenderServerID, m.ReceiverServerID
	case *wire.HandleTableRequest:
		return m.SenderServerID, m.ReceiverServerID
	case *wire.HandleTableResponse:
		return m.SenderServerID, m.ReceiverServerID
	case *wire.HandleUpdate:
		return m.SenderServerID, m.ReceiverServerID
	case *wire.ListRequest:
		return m.SenderServerID, m.ReceiverServerID
	case *wire.ListResponse:
		return m.SenderServerID, m.ReceiverServerID
	case *wire.InitTakeover:
		return m.SenderServerID, m.ReceiverServerID
	case *wire.InitTakeoverAck:
		return m.SenderServerID, m.ReceiverServerID
	case *wire.TakeoverServer:
		return m.SenderServerID, m.ReceiverServerID
	case *wire.ENRPErrorMessage:
		return m.SenderServerID, m.ReceiverServerID
	}
	return 0, 0
}

// presence answers a Presence that asks for it and audits the sender: a PE
// checksum other than ours for its PEs means our copy differs, so we fetch
// its own PEs (Handle Table Request with W).
func (c *Core) presence(now time.Time, id AssocID, p *peer, m *wire.Presence, out *Actions) {
	if m.ServerInformation != nil && m.ServerInformation.ServerID == p.id {
		p.info = m.ServerInformation.Transport
	}
	if m.ReplyRequired {
		c.sendPresence(id, p.id, false, out)
	}
	if m.PEChecksum != c.ns.OwnerChecksum(p.id) && p.sync == nil {
		out.note(Note{Kind: NotePeer, Server: p.id, Reason: fmt.Sprintf("PE checksum 0x%04x, ours 0x%04x: auditing", uint16(m.PEChecksum), uint16(c.ns.OwnerChecksum(p.id)))})
		c.requestTable(now, p, true, out)
	}
}

func (c *Core) listRequest(id AssocID, p *peer, out *Actions) {
	resp := &wire.ListResponse{SenderServerID: c.cfg.ServerID, ReceiverServerID: p.id}
	for _, sid := range c.p.ids {
		q := c.p.peers[sid]
		if q.dead || !q.heard || q.info.Kind == 0 || sid == p.id {
			continue
		}
		resp.Servers = append(resp.Servers, wire.ServerInformation{ServerID: sid, Transport: q.info})
	}
	c.sendENRP(id, resp, out)
}

// listResponse learns the mentor's peers and opens associations to them;
// each then hears our Presence and adds us (a joining registrar needs no
// manual step at the others).
func (c *Core) listResponse(now time.Time, m *wire.ListResponse, out *Actions) {
	if m.Reject {
		return
	}
	for _, si := range m.Servers {
		if si.ServerID == 0 || si.ServerID == c.cfg.ServerID {
			continue
		}
		p := c.peerOf(si.ServerID)
		if p.info.Kind == 0 {
			p.info = si.Transport
		}
		if !p.heard && p.learnt.IsZero() {
			p.learnt = now
		}
		c.maybeDial(now, p, out)
	}
}

// maybeDial asks the driver for an association to a peer we cannot reach,
// at most once per PeerMaxTimeLastHeard.
func (c *Core) maybeDial(now time.Time, p *peer, out *Actions) {
	if p.assoc != 0 || p.dialing != 0 || p.info.Kind == 0 || len(p.info.Addresses) == 0 {
		return
	}
	if !p.lastDial.IsZero() && now.Sub(p.lastDial) < c.cfg.PeerMaxTimeLastHeard {
		return
	}
	p.lastDial = now
	id := c.newDialID()
	p.dialing = id
	c.p.peerDials[id] = p.id
	out.Dials = append(out.Dials, Dial{Assoc: id, Protocol: wire.ProtocolENRP, Transport: p.info})
}

func (c *Core) newDialID() AssocID {
	c.p.nextDial++
	return DialAssocBase | c.p.nextDial
}

// handleUpdate applies a peer's Handle Update. The sender is the PE's home
// registrar: its add wins over any other claim (the PE registered there
// last), its delete applies only to a PE it still owns here.
func (c *Core) handleUpdate(now time.Time, p *peer, m *wire.HandleUpdate, out *Actions) {
	switch m.Action {
	case wire.UpdateActionAddPE:
		c.learn(now, p.id, m.PoolHandle, m.PoolElement, p.id, false, out)
	case wire.UpdateActionDeletePE:
		rec, ok := c.ns.Lookup(m.PoolHandle, m.PoolElement.Identifier)
		if ok && rec.HomeRegistrar() == p.id {
			c.ns.Remove(rec)
		}
	}
}

// learn records a PE another registrar reports. home is the owner the
// report names; from the registrar reporting it. A claim on a PE we own is
// settled so that every registrar ends with the same owner: the owner's
// Handle Update wins (newest registration); in an audit the higher server
// ID keeps the PE and re-announces it; a third party's table never takes
// our PE.
func (c *Core) learn(now time.Time, from uint32, ph wire.PoolHandle, pe wire.PoolElement, home uint32, audit bool, out *Actions) {
	if home == c.cfg.ServerID {
		return // only we say what we own
	}
	if tk := c.p.taken[home]; tk != nil {
		if tk.winner == c.cfg.ServerID {
			return // a PE of a registrar we took over, unknown to us then
		}
		home = tk.winner
	}
	pe.HomeRegistrar = home
	if rec, ok := c.ns.Lookup(ph, pe.Identifier); ok && rec.HomeRegistrar() == c.cfg.ServerID {
		switch {
		case home != from:
			return
		case audit && from < c.cfg.ServerID:
			c.announce(wire.UpdateActionAddPE, rec, out)
			return
		}
		if st := c.pes[rec]; st != nil {
			c.forget(st)
		}
		out.note(Note{Kind: NotePeer, Server: from, PoolHandle: ph, PE: pe.Identifier, Reason: "PE now owned by the peer"})
	}
	rec, _, err := c.ns.Register(ph, pe, now)
	if errors.Is(err, handlespace.ErrNonUniquePEIdentifier) {
		// The owner's view of the PE replaces ours.
		if old, ok := c.ns.Lookup(ph, pe.Identifier); ok {
			if st := c.pes[old]; st != nil {
				c.forget(st)
			}
			c.ns.Remove(old)
		}
		rec, _, err = c.ns.Register(ph, pe, now)
	}
	if err != nil {
		out.note(Note{Kind: NoteIgnored, Server: from, PoolHandle: ph, PE: pe.Identifier, Reason: "peer's PE refused: " + err.Error()})
		return
	}
	c.hs.SetExpiry(rec, now.Add(farFuture))
	if p := c.peerOf(home); !p.heard && p.learnt.IsZero() {
		// An owner we never heard from (it died before we started):
		// unless it speaks up, it is taken over like a peer gone silent.
		p.learnt = now
	}
}

// announce sends a Handle Update about a PE we own to every peer.
func (c *Core) announce(action wire.UpdateAction, rec *handlespace.PoolElement, out *Actions) {
	if len(c.p.ids) == 0 {
		return
	}
	m := wire.HandleUpdate{SenderServerID: c.cfg.ServerID, Action: action, PoolHandle: rec.PoolHandle(), PoolElement: rec.Wire(true)}
	c.toPeers(func(p *peer) {
		m.ReceiverServerID = p.id
		c.sendENRP(p.assoc, &m, out)
	})
}

// peerTick runs the ENRP timers due at now.
func (c *Core) peerTick(now time.Time, out *Actions) {
	c.ensureStarted(now)
	if !c.p.mentorDone && !now.Before(c.p.mentorDue) && c.p.mentor == 0 {
		c.p.mentorDone = true
		out.note(Note{Kind: NotePeer, Reason: "no mentor within the discovery timeout: starting alone"})
	}
	if !now.Before(c.p.nextPresence) {
		c.p.nextPresence = now.Add(c.jitter(c.cfg.PeerHeartbeatCycle))
		// Peers presumed dead get it too: one that was only cut off
		// (partition) learns that we live, as we learn it from its own.
		for _, id := range c.p.ids {
			if p := c.p.peers[id]; p.assoc != 0 {
				c.sendPresence(p.assoc, p.id, false, out)
			}
		}
		for _, aid := range c.unidentifiedPeerAssocs() {
			c.sendPresence(aid, 0, true, out)
		}
	}
	for _, id := range slices.Clone(c.p.ids) {
		p := c.p.peers[id]
		if p == nil {
			continue
		}
		if p.sync != nil && !now.Before(p.sync.due) {
			out.note(Note{Kind: NotePeer, Server: id, Reason: "handle table download timed out"})
			c.endSync(p)
		}
		if !p.heard && !p.dead {
			switch {
			case c.ns.Owned(id) > 0 && now.Sub(p.learnt) >= c.cfg.PeerMaxTimeLastHeard+c.cfg.PeerMaxTimeNoResponse:
				p.lastHeard = p.learnt
				c.peerDead(now, p, out) // owns PEs here, never heard
			case now.Sub(p.learnt) >= 3*c.cfg.PeerMaxTimeLastHeard:
				c.dropPeer(id) // named by a List Response, never heard
			default:
				c.maybeDial(now, p, out)
			}
			continue
		}
		if p.dead {
			c.maybeDial(now, p, out)
			continue
		}
		if !p.probing && now.Sub(p.lastHeard) >= c.cfg.PeerMaxTimeLastHeard {
			p.probing, p.probeDue, p.graced = true, now.Add(c.cfg.PeerMaxTimeNoResponse), false
			if p.assoc != 0 {
				c.sendPresence(p.assoc, p.id, true, out)
			}
		} else if p.probing && !now.Before(p.probeDue) {
			if slack, late := lateDeadline(now, p.probeDue, c.cfg.PeerMaxTimeNoResponse); late && !p.graced {
				// Taking a live peer over moves all its PEs: worth the wait.
				p.graced, p.probeDue = true, now.Add(slack)
			} else {
				c.peerDead(now, p, out)
				continue
			}
		}
		c.maybeDial(now, p, out)
	}
	c.takeoverTick(now, out)
}

func (c *Core) unidentifiedPeerAssocs() []AssocID {
	var ids []AssocID
	for id, a := range c.assocs {
		if a.enrpPeer && a.server == 0 {
			ids = append(ids, id)
		}
	}
	slices.Sort(ids)
	return ids
}

// peerDeadline is the earliest ENRP timer.
func (c *Core) peerDeadline() (time.Time, bool) {
	if !c.p.started {
		return time.Time{}, false
	}
	var d time.Time
	ok := false
	at := func(t time.Time) {
		if !ok || t.Before(d) {
			d, ok = t, true
		}
	}
	if !c.p.mentorDone && c.p.mentor == 0 {
		at(c.p.mentorDue)
	}
	// Presence is due while there are peers, or associations to peers
	// not yet identified (an identified one's peer is in ids).
	if len(c.p.ids) > 0 || c.p.peerAssocs > 0 {
		at(c.p.nextPresence)
	}
	for _, p := range c.p.peers {
		if p.sync != nil {
			at(p.sync.due)
		}
		switch {
		case p.dead:
		case !p.heard:
			if c.ns.Owned(p.id) > 0 {
				at(p.learnt.Add(c.cfg.PeerMaxTimeLastHeard + c.cfg.PeerMaxTimeNoResponse))
			} else {
				at(p.learnt.Add(3 * c.cfg.PeerMaxTimeLastHeard))
			}
		case p.probing:
			at(p.probeDue)
		default:
			at(p.lastHeard.Add(c.cfg.PeerMaxTimeLastHeard))
		}
	}
	for _, t := range c.p.initiating {
		at(t.due)
	}
	for _, a := range c.p.acked {
		at(a.due)
	}
	return d, ok
}
