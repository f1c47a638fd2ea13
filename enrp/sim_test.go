package enrp

import (
	"container/heap"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"os"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sigpool/sigpool/handlespace"
	"github.com/sigpool/sigpool/wire"
)

// A deterministic simulation of registrars and PEs (as etcd's raft tests
// do): Cores driven by a fake clock over a simulated network that delays,
// drops and partitions messages, with registrar crashes and restarts and
// PEs that register, fail over, leave and die. Everything random comes
// from one seed, printed on failure.

// simConfig is the registrar configuration of the simulation: RSPLIB's
// shape on a faster clock so that a scenario runs many takeovers.
func simConfig(id uint32) Config {
	return Config{ServerID: id, HandleTableBlock: 32,
		PeerHeartbeatCycle: time.Second, PeerMaxTimeLastHeard: 3 * time.Second, PeerMaxTimeNoResponse: 2 * time.Second,
		TakeoverExpiry: 2 * time.Second, MentorDiscoveryTimeout: 2 * time.Second,
		KeepAliveInterval: 2 * time.Second, KeepAliveTimeout: 2 * time.Second}
}

// convergenceBound is the acceptance bound: 2 x peer max-time-last-heard +
// takeover expiry.
func convergenceBound(c Config) time.Duration {
	return 2*c.PeerMaxTimeLastHeard + c.TakeoverExpiry
}

const (
	simPeerPort = 10000 // + node index: a registrar's ENRP port
	simPEPort   = 20000 // + PE index: a PE's user transport port
)

type simEvent struct {
	at  time.Time
	seq uint64
	fn  func()
}

type simQueue []*simEvent

func (q simQueue) Len() int { return len(q) }
func (q simQueue) Less(i, j int) bool {
	if !q[i].at.Equal(q[j].at) {
		return q[i].at.Before(q[j].at)
	}
	return q[i].seq < q[j].seq
}
func (q simQueue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *simQueue) Push(x any)   { *q = append(*q, x.(*simEvent)) }
func (q *simQueue) Pop() any {
	old := *q
	e := old[len(old)-1]
	*q = old[:len(old)-1]
	return e
}

// simEnd is one side of a link: a registrar's association or a PE.
type simEnd struct {
	node  int // -1 for a PE
	pe    int
	assoc AssocID
}

type simLink struct {
	ends [2]simEnd
	up   bool
	last [2]time.Time // last delivery time per direction (in order, as TCP)
}

type simNode struct {
	idx     int
	id      uint32
	alive   bool
	core    *Core
	acts    Actions
	links   map[AssocID]*simLink
	nextID  AssocID
	static  []int
	staticL map[int]*simLink
	tickAt  time.Time
	tickGen uint64
	epoch   int
}

type simPE struct {
	idx      int
	handle   wire.PoolHandle
	id       wire.PEIdentifier
	alive    bool
	stubborn bool // knows only its first registrar (relies on takeover)
	first    int
	home     *simLink
	links    []*simLink
	retrying bool
}

type sim struct {
	t     testing.TB
	seed  uint64
	rng   *rand.Rand
	now   time.Time
	q     simQueue
	seq   uint64
	nodes []*simNode
	pes   []*simPE
	drop  float64
	group []int // partition group per node; equal groups talk
	log   []string
	msgs  uint64
	// filter, when set, drops the messages it returns true for.
	filter func(from, to simEnd, ppid uint32, data []byte) bool
}

func newSim(t testing.TB, seed uint64, registrars int) *sim {
	s := &sim{t: t, seed: seed, rng: rand.New(rand.NewPCG(seed, 0x5171)), now: t0, group: make([]int, registrars)}
	used := map[uint32]bool{}
	for i := range registrars {
		id := s.rng.Uint32()
		for id == 0 || used[id] {
			id = s.rng.Uint32()
		}
		used[id] = true
		n := &simNode{idx: i, id: id}
		for j := range registrars {
			if j != i {
				n.static = append(n.static, j)
			}
		}
		s.nodes = append(s.nodes, n)
	}
	return s
}

func (s *sim) logf(format string, args ...any) {
	s.log = append(s.log, fmt.Sprintf("%8.3fs ", s.now.Sub(t0).Seconds())+fmt.Sprintf(format, args...))
}

func (s *sim) fail(format string, args ...any) {
	s.t.Helper()
	tail := s.log
	if len(tail) > 80 {
		tail = tail[len(tail)-80:]
	}
	s.t.Fatalf("seed %d (rerun: SIGPOOL_SIM_SEED=%d): %s\nlast events:\n%s\nstate:\n%s", s.seed, s.seed, fmt.Sprintf(format, args...), strings.Join(tail, "\n"), s.dump())
}

// dump describes every registrar's view: owners, peers, takeovers.
func (s *sim) dump() string {
	var b strings.Builder
	for _, n := range s.nodes {
		if !n.alive {
			fmt.Fprintf(&b, "registrar %d 0x%08x down\n", n.idx, n.id)
			continue
		}
		c := n.core
		owners := map[uint32]int{}
		page, _, _ := c.Namespace().Page(handlespace.Cursor{}, c.Namespace().Len()+1, nil, nil)
		for _, rec := range page {
			owners[rec.HomeRegistrar()]++
		}
		fmt.Fprintf(&b, "registrar %d 0x%08x: %d PEs, owners", n.idx, n.id, len(page))
		for _, o := range slices.Sorted(mapsKeys(owners)) {
			fmt.Fprintf(&b, " %08x:%d", o, owners[o])
		}
		b.WriteString("\n   peers:")
		for _, p := range c.Peers() {
			fmt.Fprintf(&b, " %08x(assoc %d dead %v heard %.1fs sync %v)", p.ServerID, p.Assoc, p.Dead, p.LastHeard.Sub(t0).Seconds(), c.p.peers[p.ServerID].sync != nil)
		}
		b.WriteString("\n   taken:")
		for _, t := range slices.Sorted(mapsKeys(c.p.taken)) {
			fmt.Fprintf(&b, " %08x->%08x", t, c.p.taken[t].winner)
		}
		b.WriteString(" acked:")
		for _, t := range slices.Sorted(mapsKeys(c.p.acked)) {
			fmt.Fprintf(&b, " %08x->%08x", t, c.p.acked[t].initiator)
		}
		b.WriteString(" initiating:")
		for _, t := range slices.Sorted(mapsKeys(c.p.initiating)) {
			fmt.Fprintf(&b, " %08x", t)
		}
		b.WriteString("\n")
	}
	return b.String()
}

func (s *sim) at(t time.Time, fn func()) {
	s.seq++
	heap.Push(&s.q, &simEvent{at: t, seq: s.seq, fn: fn})
}

func (s *sim) after(d time.Duration, fn func()) { s.at(s.now.Add(d), fn) }

// run processes events until end.
func (s *sim) run(end time.Time) {
	for len(s.q) > 0 && !s.q[0].at.After(end) {
		e := heap.Pop(&s.q).(*simEvent)
		s.now = e.at
		e.fn()
	}
	s.now = end
}

func (s *sim) delay() time.Duration {
	return time.Millisecond + time.Duration(s.rng.IntN(30))*time.Millisecond
}

func (s *sim) talk(i, j int) bool { return s.group[i] == s.group[j] }

// call runs fn on node n's core and carries out what it asks.
func (s *sim) call(n *simNode, fn func(c *Core, acts *Actions)) {
	if !n.alive {
		return
	}
	n.acts.Reset()
	fn(n.core, &n.acts)
	s.execute(n)
	s.schedule(n)
}

func (s *sim) schedule(n *simNode) {
	d, ok := n.core.NextDeadline()
	if !ok || (!n.tickAt.IsZero() && !d.Before(n.tickAt) && n.tickAt.After(s.now)) {
		return
	}
	if d.Before(s.now) {
		d = s.now
	}
	n.tickGen++
	gen, epoch := n.tickGen, n.epoch
	n.tickAt = d
	s.at(d, func() {
		if n.tickGen != gen || n.epoch != epoch || !n.alive {
			return
		}
		n.tickAt = time.Time{}
		s.call(n, func(c *Core, acts *Actions) { c.Tick(s.now, acts) })
	})
}

func (s *sim) execute(n *simNode) {
	acts := &n.acts
	for i := 0; i < acts.Len(); i++ {
		id, ppid, data := acts.Message(i)
		l := n.links[id]
		if l == nil {
			continue
		}
		s.send(l, simEnd{node: n.idx, pe: -1, assoc: id}, ppid, append([]byte(nil), data...))
	}
	for _, id := range slices.Clone(acts.Aborts) {
		if l := n.links[id]; l != nil {
			s.cut(l, 0)
		}
	}
	for _, d := range slices.Clone(acts.Dials) {
		s.dial(n, d)
	}
}

func (s *sim) side(l *simLink, from simEnd) int {
	if l.ends[0] == from {
		return 0
	}
	return 1
}

// send delivers data over l from one end to the other, in order, after a
// random delay, unless dropped or partitioned.
func (s *sim) send(l *simLink, from simEnd, ppid uint32, data []byte) {
	if !l.up {
		return
	}
	dir := s.side(l, from)
	to := l.ends[1-dir]
	if from.node >= 0 && to.node >= 0 && !s.talk(from.node, to.node) {
		return
	}
	if s.drop > 0 && s.rng.Float64() < s.drop {
		return
	}
	if s.filter != nil && s.filter(from, to, ppid, data) {
		return
	}
	s.msgs++
	at := s.now.Add(s.delay())
	if at.Before(l.last[dir]) {
		at = l.last[dir]
	}
	l.last[dir] = at
	s.at(at, func() {
		if !l.up {
			return
		}
		if to.node >= 0 {
			n := s.nodes[to.node]
			if n.links[to.assoc] != l {
				return
			}
			s.call(n, func(c *Core, acts *Actions) {
				if ppid == wire.PPIDENRP {
					c.HandleENRP(s.now, to.assoc, data, acts)
					return
				}
				m, reports, err := wire.DecodeASAP(data)
				if err != nil {
					s.fail("registrar sent an undecodable ASAP message: %v", err)
				}
				c.HandleASAP(s.now, to.assoc, data, m, reports, acts)
			})
			return
		}
		s.peReceive(s.pes[to.pe], l, data)
	})
}

// link connects two ends and announces them.
func (s *sim) newLink(a, b simEnd) *simLink {
	l := &simLink{ends: [2]simEnd{a, b}, up: true}
	for _, e := range l.ends {
		if e.node >= 0 {
			s.nodes[e.node].links[e.assoc] = l
		} else {
			pe := s.pes[e.pe]
			pe.links = append(pe.links, l)
		}
	}
	return l
}

func (n *simNode) newID() AssocID {
	n.nextID++
	return n.nextID
}

// cut ends a link; each registrar end hears of it after rst (never when
// rst < 0: a silent death, found by the transport later).
func (s *sim) cut(l *simLink, rst time.Duration) {
	if !l.up {
		return
	}
	l.up = false
	for _, e := range l.ends {
		if e.node >= 0 {
			n := s.nodes[e.node]
			epoch := n.epoch
			d := rst
			if d < 0 {
				d = 2 * time.Second // the transport's dead-peer detection
			}
			s.after(d, func() {
				if n.epoch != epoch || n.links[e.assoc] != l {
					return
				}
				delete(n.links, e.assoc)
				for j, sl := range n.staticL {
					if sl == l {
						delete(n.staticL, j)
					}
				}
				s.call(n, func(c *Core, acts *Actions) { c.AssociationDown(s.now, e.assoc, acts) })
			})
		} else {
			pe := s.pes[e.pe]
			pe.links = slices.DeleteFunc(pe.links, func(x *simLink) bool { return x == l })
			if pe.home == l {
				pe.home = nil
				s.peLostHome(pe)
			}
		}
	}
}

func (s *sim) dial(n *simNode, d Dial) {
	epoch := n.epoch
	s.after(s.delay(), func() {
		if n.epoch != epoch || !n.alive {
			return
		}
		port := int(d.Transport.Port)
		ok := false
		switch d.Protocol {
		case wire.ProtocolENRP:
			j := port - simPeerPort
			if j >= 0 && j < len(s.nodes) && s.nodes[j].alive && s.talk(n.idx, j) && j != n.idx {
				m := s.nodes[j]
				jid := m.newID()
				s.newLink(simEnd{node: n.idx, pe: -1, assoc: d.Assoc}, simEnd{node: j, pe: -1, assoc: jid})
				s.call(m, func(c *Core, acts *Actions) { c.AssociationUp(jid, s.peerTransport(n.idx)) })
				ok = true
			}
		case wire.ProtocolASAP:
			k := port - simPEPort
			if k >= 0 && k < len(s.pes) && s.pes[k].alive {
				s.newLink(simEnd{node: n.idx, pe: -1, assoc: d.Assoc}, simEnd{node: -1, pe: k})
				ok = true
			}
		}
		if ok {
			s.call(n, func(c *Core, acts *Actions) { c.DialUp(s.now, d.Assoc, d.Transport, acts) })
		} else {
			s.call(n, func(c *Core, acts *Actions) { c.AssociationDown(s.now, d.Assoc, acts) })
		}
	})
}

func (s *sim) peerTransport(i int) wire.Transport {
	return wire.Transport{Kind: wire.TransportTCP, Port: uint16(simPeerPort + i), Addresses: []netip.Addr{netip.AddrFrom4([4]byte{10, 0, 0, byte(i + 1)})}}
}

// start (re)starts registrar i with an empty handlespace.
func (s *sim) start(i int) {
	n := s.nodes[i]
	c, err := NewCore(func() Config {
		cfg := simConfig(n.id)
		cfg.Rand = rand.New(rand.NewPCG(s.rng.Uint64(), uint64(i)))
		return cfg
	}())
	if err != nil {
		s.t.Fatal(err)
	}
	c.SetServerTransport(s.peerTransport(i))
	n.core, n.alive, n.links, n.staticL, n.tickAt = c, true, map[AssocID]*simLink{}, map[int]*simLink{}, time.Time{}
	n.epoch++
	s.logf("registrar %d (0x%08x) starts", i, n.id)
	s.call(n, func(c *Core, acts *Actions) { c.Start(s.now, acts) })
}

func (s *sim) crash(i int) {
	n := s.nodes[i]
	if !n.alive {
		return
	}
	s.logf("registrar %d (0x%08x) crashes", i, n.id)
	n.alive = false
	n.epoch++
	silent := s.rng.IntN(4) == 0
	for _, id := range slices.Sorted(mapsKeys(n.links)) {
		rst := s.delay()
		if silent {
			rst = -1
		}
		s.cut(n.links[id], rst)
	}
	n.links = map[AssocID]*simLink{}
}

func mapsKeys[K comparable, V any](m map[K]V) func(func(K) bool) {
	return func(yield func(K) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// dialStatic keeps every live registrar connected to its configured
// peers, as the driver's redial loop does.
func (s *sim) dialStatic() {
	for _, n := range s.nodes {
		if !n.alive {
			continue
		}
		for _, j := range n.static {
			m := s.nodes[j]
			if n.staticL[j] != nil || !m.alive || !s.talk(n.idx, j) {
				continue
			}
			id, jid := n.newID(), m.newID()
			n.staticL[j] = s.newLink(simEnd{node: n.idx, pe: -1, assoc: id}, simEnd{node: j, pe: -1, assoc: jid})
			s.call(m, func(c *Core, acts *Actions) { c.AssociationUp(jid, s.peerTransport(n.idx)) })
			s.call(n, func(c *Core, acts *Actions) { c.PeerAssociationUp(s.now, id, s.peerTransport(j), acts) })
		}
	}
	s.after(500*time.Millisecond, s.dialStatic)
}

// PEs.

func (s *sim) peElement(pe *simPE) wire.PoolElement {
	return wire.PoolElement{Identifier: pe.id, RegistrationLife: 30000,
		UserTransport: wire.Transport{Kind: wire.TransportTCP, Port: uint16(simPEPort + pe.idx), Use: wire.TransportUseDataPlusControl,
			Addresses: []netip.Addr{netip.AddrFrom4([4]byte{10, 1, byte(pe.idx >> 8), byte(pe.idx)})}},
		Policy: wire.Policy{Type: wire.PolicyRoundRobin}}
}

func (s *sim) peSend(pe *simPE, l *simLink, m wire.Message) {
	b, err := wire.Marshal(m)
	if err != nil {
		s.t.Fatal(err)
	}
	s.send(l, simEnd{node: -1, pe: pe.idx}, wire.PPIDASAP, b)
}

func (s *sim) addPE() {
	idx := len(s.pes)
	pe := &simPE{idx: idx, handle: wire.PoolHandle(fmt.Sprintf("pool%d", idx%7)), id: wire.PEIdentifier(idx + 1), alive: true,
		stubborn: s.rng.IntN(3) == 0}
	s.pes = append(s.pes, pe)
	live := s.liveNodes()
	if len(live) == 0 {
		pe.first = s.rng.IntN(len(s.nodes))
		s.peLostHome(pe)
		return
	}
	pe.first = live[s.rng.IntN(len(live))]
	s.peRegister(pe, pe.first)
	s.after(10*time.Second+time.Duration(s.rng.IntN(1000))*time.Millisecond, func() { s.peReregister(pe) })
}

func (s *sim) liveNodes() []int {
	var live []int
	for _, n := range s.nodes {
		if n.alive {
			live = append(live, n.idx)
		}
	}
	return live
}

// peRegister opens an ASAP association to registrar i and registers.
func (s *sim) peRegister(pe *simPE, i int) {
	n := s.nodes[i]
	if !pe.alive || !n.alive {
		return
	}
	id := n.newID()
	l := s.newLink(simEnd{node: i, pe: -1, assoc: id}, simEnd{node: -1, pe: pe.idx})
	pe.home = l
	t := wire.Transport{Kind: wire.TransportTCP, Port: uint16(40000 + pe.idx), Use: wire.TransportUseDataPlusControl,
		Addresses: []netip.Addr{netip.AddrFrom4([4]byte{10, 1, byte(pe.idx >> 8), byte(pe.idx)})}}
	s.call(n, func(c *Core, acts *Actions) { c.AssociationUp(id, t) })
	s.peSend(pe, l, &wire.Registration{PoolHandle: pe.handle, PoolElement: s.peElement(pe)})
}

func (s *sim) peReregister(pe *simPE) {
	if !pe.alive {
		return
	}
	if pe.home != nil {
		s.peSend(pe, pe.home, &wire.Registration{PoolHandle: pe.handle, PoolElement: s.peElement(pe)})
	}
	s.after(10*time.Second, func() { s.peReregister(pe) })
}

// peLostHome: the PE's registrar association ended. A stubborn PE knows
// only its first registrar and waits for it (or for a takeover's
// keep-alive with H); the others fail over to a live registrar.
func (s *sim) peLostHome(pe *simPE) {
	if !pe.alive || pe.retrying {
		return
	}
	pe.retrying = true
	s.after(500*time.Millisecond+time.Duration(s.rng.IntN(2500))*time.Millisecond, func() {
		pe.retrying = false
		if !pe.alive || pe.home != nil {
			return
		}
		target := pe.first
		if !pe.stubborn || !s.nodes[target].alive {
			if live := s.liveNodes(); len(live) > 0 && !pe.stubborn {
				target = live[s.rng.IntN(len(live))]
			}
		}
		if s.nodes[target].alive {
			s.peRegister(pe, target)
		} else {
			s.peLostHome(pe)
		}
	})
}

func (s *sim) peReceive(pe *simPE, l *simLink, data []byte) {
	if !pe.alive {
		return
	}
	m, _, err := wire.DecodeASAP(data)
	if err != nil {
		s.fail("PE got an undecodable message: %v", err)
	}
	switch m := m.(type) {
	case *wire.EndpointKeepAlive:
		s.peSend(pe, l, &wire.EndpointKeepAliveAck{PoolHandle: pe.handle, PEIdentifier: pe.id})
		if m.Home {
			pe.home = l
		}
	case *wire.RegistrationResponse:
		if m.Reject {
			s.logf("PE %d rejected: %v", pe.idx, m.Error)
		}
	}
}

func (s *sim) livePEs() []*simPE {
	var out []*simPE
	for _, pe := range s.pes {
		if pe.alive {
			out = append(out, pe)
		}
	}
	return out
}

// Checks.

type simView struct {
	node  int
	pes   map[peKey]uint32 // PE -> home registrar
	total wire.PEChecksum
}

func snapshot(c *Core) (map[peKey]uint32, error) {
	ns := c.Namespace()
	page, _, _ := ns.Page(handlespace.Cursor{}, ns.Len()+1, nil, nil)
	m := make(map[peKey]uint32, len(page))
	owned := 0
	for _, rec := range page {
		m[keyOf(rec)] = rec.HomeRegistrar()
		if rec.HomeRegistrar() == c.cfg.ServerID {
			owned++
			if c.pes[rec] == nil {
				return nil, fmt.Errorf("0x%08x records %v as its own but keeps no state for it", c.cfg.ServerID, rec)
			}
		}
	}
	if owned != len(c.pes) {
		return nil, fmt.Errorf("0x%08x keeps state for %d PEs but owns %d", c.cfg.ServerID, len(c.pes), owned)
	}
	return m, nil
}

// converged reports whether every live registrar holds the same PEs with
// the same owners, equal checksums, and no PE owned by a dead registrar.
func (s *sim) converged() (bool, string) {
	live := s.liveNodes()
	if len(live) == 0 {
		return true, ""
	}
	ref := s.nodes[live[0]].core.Namespace()
	for _, i := range live[1:] {
		ns := s.nodes[i].core.Namespace()
		if ns.Len() != ref.Len() || ns.Checksum() != ref.Checksum() {
			return false, fmt.Sprintf("registrar %d holds %d PEs (checksum 0x%04x), registrar %d %d (0x%04x)",
				live[0], ref.Len(), uint16(ref.Checksum()), i, ns.Len(), uint16(ns.Checksum()))
		}
	}
	alive := map[uint32]bool{}
	for _, i := range live {
		alive[s.nodes[i].id] = true
	}
	var first map[peKey]uint32
	for _, i := range live {
		m, err := snapshot(s.nodes[i].core)
		if err != nil {
			s.fail("%v", err)
		}
		if first == nil {
			first = m
			for k, home := range m {
				if !alive[home] {
					return false, fmt.Sprintf("PE %s/%v owned by registrar 0x%08x, which is down", k.handle, k.id, home)
				}
			}
			continue
		}
		for k, home := range first {
			if m[k] != home {
				return false, fmt.Sprintf("PE %s/%v: registrar %d says home 0x%08x, registrar %d says 0x%08x", k.handle, k.id, live[0], home, i, m[k])
			}
		}
	}
	return true, ""
}

// awaitConvergence runs the simulation until the registrars agree and
// fails past the acceptance bound; it returns the time taken.
func (s *sim) awaitConvergence(bound time.Duration) time.Duration {
	s.t.Helper()
	start := s.now
	for {
		if ok, _ := s.converged(); ok {
			return s.now.Sub(start)
		}
		if s.now.Sub(start) > bound {
			_, why := s.converged()
			s.fail("not converged %v after the last disturbance (bound %v): %s", s.now.Sub(start), bound, why)
		}
		s.run(s.now.Add(50 * time.Millisecond))
	}
}

// scenario runs a random sequence of disturbances, heals the network and
// checks convergence within the bound.
func (s *sim) scenario(pes int, chaos time.Duration) time.Duration {
	for i := range s.nodes {
		s.start(i)
	}
	s.dialStatic()
	s.run(s.now.Add(3 * time.Second))
	for range pes {
		s.addPE()
		s.run(s.now.Add(time.Duration(s.rng.IntN(20)) * time.Millisecond))
	}
	s.run(s.now.Add(5 * time.Second))
	if _, why := s.converged(); why != "" {
		bound := convergenceBound(simConfig(1))
		s.awaitConvergence(bound)
	}
	end := s.now.Add(chaos)
	s.drop = 0.02
	for s.now.Before(end) {
		s.run(s.now.Add(time.Duration(200+s.rng.IntN(3000)) * time.Millisecond))
		s.disturb()
	}
	// Heal: no more losses or partitions; crashed registrars stay down
	// or come back at random, as the last disturbances.
	s.drop = 0
	for i := range s.group {
		s.group[i] = 0
	}
	if s.rng.IntN(2) == 0 {
		if down := s.downNodes(); len(down) > 0 {
			s.start(down[s.rng.IntN(len(down))])
		}
	}
	s.logf("healed")
	return s.awaitConvergence(convergenceBound(simConfig(1)))
}

func (s *sim) downNodes() []int {
	var down []int
	for _, n := range s.nodes {
		if !n.alive {
			down = append(down, n.idx)
		}
	}
	return down
}

func (s *sim) disturb() {
	switch r := s.rng.IntN(100); {
	case r < 25:
		for range 1 + s.rng.IntN(10) {
			s.addPE()
		}
		s.logf("PEs added (%d in all)", len(s.pes))
	case r < 35:
		if live := s.livePEs(); len(live) > 0 {
			pe := live[s.rng.IntN(len(live))]
			if pe.home != nil {
				s.peSend(pe, pe.home, &wire.Deregistration{PoolHandle: pe.handle, PEIdentifier: pe.id})
			}
			s.after(100*time.Millisecond, func() { pe.alive = false })
			s.logf("PE %d deregisters", pe.idx)
		}
	case r < 45:
		if live := s.livePEs(); len(live) > 0 {
			pe := live[s.rng.IntN(len(live))]
			pe.alive = false
			s.logf("PE %d dies", pe.idx)
		}
	case r < 65:
		if live := s.liveNodes(); len(live) > 1 {
			s.crash(live[s.rng.IntN(len(live))])
		}
	case r < 85:
		if down := s.downNodes(); len(down) > 0 {
			s.start(down[s.rng.IntN(len(down))])
		}
	case r < 95:
		for i := range s.group {
			s.group[i] = s.rng.IntN(2)
		}
		s.logf("partition %v", s.group)
	default:
		for i := range s.group {
			s.group[i] = 0
		}
		s.logf("partition healed")
	}
}

func simSeeds(t *testing.T, n int) []uint64 {
	if v := os.Getenv("SIGPOOL_SIM_SEED"); v != "" {
		seed, err := strconv.ParseUint(v, 10, 64)
		if err != nil {
			t.Fatalf("SIGPOOL_SIM_SEED=%q: %v", v, err)
		}
		return []uint64{seed}
	}
	if v := os.Getenv("SIGPOOL_SIM_RUNS"); v != "" {
		if k, err := strconv.Atoi(v); err == nil && k > 0 {
			n = k
		}
	}
	seeds := make([]uint64, n)
	for i := range seeds {
		seeds[i] = uint64(i + 1)
	}
	return seeds
}

// TestSimulationConverges: seeded random scenarios of 3 to 7 registrars
// and hundreds of PEs with registrations, deregistrations, PE deaths,
// registrar crashes and restarts, message loss and partitions; after the
// network heals, every live registrar holds the same handlespace (equal
// PE sets, owners and checksums, no PE owned by a dead registrar) within
// 2 x peer max-time-last-heard + takeover expiry. SIGPOOL_SIM_RUNS sets the
// number of seeds, SIGPOOL_SIM_SEED replays one.
func TestSimulationConverges(t *testing.T) {
	runs := 40
	if testing.Short() {
		runs = 8
	}
	var worst time.Duration
	var worstSeed uint64
	for _, seed := range simSeeds(t, runs) {
		r := rand.New(rand.NewPCG(seed, 1))
		registrars := 3 + r.IntN(5)
		pes := 100 + r.IntN(300)
		s := newSim(t, seed, registrars)
		took := s.scenario(pes, 60*time.Second)
		if took > worst {
			worst, worstSeed = took, seed
		}
	}
	t.Logf("worst convergence after healing: %v (seed %d; bound %v)", worst, worstSeed, convergenceBound(simConfig(1)))
}
