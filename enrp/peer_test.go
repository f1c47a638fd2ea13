package enrp

import (
	"fmt"
	"net/netip"
	"testing"
	"time"

	"github.com/sigpool/sigpool/wire"
)

// enrpIn feeds one ENRP message to the fake core from association id and
// returns the decoded messages it sends (to any association).
func (f *fake) enrpIn(id AssocID, m wire.Message) []wire.Message {
	f.t.Helper()
	raw, err := wire.Marshal(m)
	if err != nil {
		f.t.Fatal(err)
	}
	f.acts.Reset()
	f.c.HandleENRP(f.now, id, raw, &f.acts)
	return f.out()
}

func ofType[T wire.Message](ms []wire.Message) []T {
	var out []T
	for _, m := range ms {
		if v, ok := m.(T); ok {
			out = append(out, v)
		}
	}
	return out
}

func peerPE(id uint32, home uint32) wire.PoolElement {
	p := pe(id, uint16(7000+id), rr)
	p.HomeRegistrar = home
	p.UserTransport.Use = wire.TransportUseDataPlusControl
	return p
}

// startSim starts every registrar of s and waits until they know each other.
func startSim(t *testing.T, s *sim) {
	t.Helper()
	for i := range s.nodes {
		s.start(i)
	}
	s.dialStatic()
	s.run(s.now.Add(3 * time.Second))
}

func countType(s *sim, t wire.MessageType) *int {
	n := new(int)
	s.filter = func(_, _ simEnd, ppid uint32, data []byte) bool {
		if ppid == wire.PPIDENRP && len(data) > 0 && wire.MessageType(0x0200|uint16(data[0])) == t {
			*n++
		}
		return false
	}
	return n
}

// TestPeersShareRegistrations: PEs registered at any registrar reach all
// of them by Handle Update, with their home registrar; a re-registration
// that changes nothing sends no Handle Update; a deregistration removes
// the PE everywhere.
func TestPeersShareRegistrations(t *testing.T) {
	s := newSim(t, 7, 3)
	startSim(t, s)
	for _, n := range s.nodes {
		if ps := n.core.Peers(); len(ps) != 2 || ps[0].Dead || ps[1].Dead {
			t.Fatalf("registrar %d peers %+v", n.idx, ps)
		}
	}
	for range 30 {
		s.addPE()
	}
	s.run(s.now.Add(time.Second))
	if ok, why := s.converged(); !ok {
		t.Fatal(why)
	}
	for _, n := range s.nodes {
		if n.core.Namespace().Len() != 30 {
			t.Fatalf("registrar %d holds %d PEs", n.idx, n.core.Namespace().Len())
		}
	}
	updates := countType(s, wire.ENRPHandleUpdate)
	s.run(s.now.Add(25 * time.Second)) // two re-registrations of every PE
	if *updates != 0 {
		t.Fatalf("%d Handle Updates for re-registrations that changed nothing", *updates)
	}
	pe := s.pes[0]
	s.peSend(pe, pe.home, &wire.Deregistration{PoolHandle: pe.handle, PEIdentifier: pe.id})
	pe.alive = false
	s.run(s.now.Add(time.Second))
	for _, n := range s.nodes {
		if _, ok := n.core.Namespace().Lookup(pe.handle, pe.id); ok || n.core.Namespace().Len() != 29 {
			t.Fatalf("registrar %d still holds the deregistered PE", n.idx)
		}
	}
	if *updates != 2 {
		t.Fatalf("%d Handle Updates for one deregistration to two peers", *updates)
	}
}

// TestJoinThroughOneMentor: a registrar configured with one peer only
// downloads the handle table from it, learns the other registrars from its
// List Response and dials them; they add it without configuration.
func TestJoinThroughOneMentor(t *testing.T) {
	s := newSim(t, 11, 4)
	for i := range 3 {
		s.nodes[i].static = []int{0, 1, 2}[:0]
		for j := range 3 {
			if j != i {
				s.nodes[i].static = append(s.nodes[i].static, j)
			}
		}
	}
	s.nodes[3].static = []int{0}
	for i := range 3 {
		s.start(i)
	}
	s.dialStatic()
	s.run(s.now.Add(3 * time.Second))
	for range 200 {
		s.addPE()
	}
	s.run(s.now.Add(2 * time.Second))
	s.start(3)
	s.run(s.now.Add(3 * time.Second))
	if ok, why := s.converged(); !ok {
		t.Fatal(why)
	}
	if !s.nodes[3].core.MentorDone() || s.nodes[3].core.Namespace().Len() != 200 {
		t.Fatalf("joining registrar holds %d PEs", s.nodes[3].core.Namespace().Len())
	}
	for _, n := range s.nodes {
		alive := 0
		for _, p := range n.core.Peers() {
			if !p.Dead && p.Assoc != 0 {
				alive++
			}
		}
		if alive != 3 {
			t.Fatalf("registrar %d reaches %d peers: %+v", n.idx, alive, n.core.Peers())
		}
	}
}

// TestPeerMessagesFromOurselvesOrForOthers: a Presence carrying our own
// server ID (the peer list names us) ends that peer association; messages
// addressed to another server are dropped; malformed ones are answered
// with an ENRP Error, never a panic.
func TestPeerMessagesFromOurselvesOrForOthers(t *testing.T) {
	f := newFake(t, Config{})
	f.acts.Reset()
	f.c.PeerAssociationUp(f.now, 9, wire.Transport{}, &f.acts)
	if ps := ofType[*wire.Presence](f.out()); len(ps) != 1 || !ps[0].ReplyRequired {
		t.Fatal("no Presence with R on a new peer association")
	}
	f.enrpIn(9, &wire.Presence{SenderServerID: 0x1234, PEChecksum: 0})
	if len(f.acts.Aborts) != 1 || f.acts.Aborts[0] != 9 || len(f.c.Peers()) != 0 {
		t.Fatalf("self-association not ended: aborts %v peers %v", f.acts.Aborts, f.c.Peers())
	}
	f.enrpIn(2, &wire.Presence{SenderServerID: 77, ReceiverServerID: 78})
	if len(f.c.Peers()) != 0 {
		t.Fatal("a message for another server made a peer")
	}
	f.acts.Reset()
	f.c.HandleENRP(f.now, 2, []byte{0x04, 0, 0, 8, 1, 2, 3, 4}, &f.acts)
	if len(f.c.Peers()) != 0 || f.c.Stats().DecodeErrors == 0 {
		t.Fatal("malformed Handle Update not counted")
	}
	bad := peerPE(1, 0x55)
	bad.RegistrationLife = 0
	f.enrpIn(2, &wire.HandleUpdate{SenderServerID: 0x55, Action: wire.UpdateActionAddPE, PoolHandle: wire.PoolHandle("p"), PoolElement: bad})
	if f.c.Namespace().Len() != 0 {
		t.Fatal("an invalid PE from a peer was stored")
	}
}

// TestPeerTimers: a silent peer gets a Presence with R after
// PeerMaxTimeLastHeard and is presumed dead PeerMaxTimeNoResponse later,
// which starts its takeover; a Presence from it in time keeps it alive.
func TestPeerTimers(t *testing.T) {
	f := newFake(t, Config{PeerHeartbeatCycle: time.Second, PeerMaxTimeLastHeard: 3 * time.Second, PeerMaxTimeNoResponse: 2 * time.Second})
	f.enrpIn(1, &wire.Presence{SenderServerID: 0x77, ServerInformation: &wire.ServerInformation{ServerID: 0x77,
		Transport: wire.Transport{Kind: wire.TransportTCP, Port: 9901, Addresses: []netip.Addr{netip.MustParseAddr("127.0.0.2")}}}})
	var probes int
	for _, m := range ofType[*wire.Presence](f.advance(3 * time.Second)) {
		if m.ReplyRequired {
			probes++
		}
	}
	if probes != 1 {
		t.Fatalf("%d probes after 3 s of silence", probes)
	}
	f.enrpIn(1, &wire.Presence{SenderServerID: 0x77})
	f.advance(2500 * time.Millisecond)
	if p := f.c.Peers()[0]; p.Dead {
		t.Fatal("peer that answered presumed dead")
	}
	f.advance(3 * time.Second)
	if p := f.c.Peers()[0]; !p.Dead {
		t.Fatal("silent peer not presumed dead")
	}
	if _, ok := f.c.p.taken[0x77]; !ok {
		t.Fatal("dead peer not taken over (no other peer to ask)")
	}
}

// A probe deadline the registrar reaches late (it was stalled; the peer's
// answer may be unread) does not presume the peer dead at once: an answer
// within the grace keeps it; without one it is dead after the grace.
func TestLatePeerProbeDeadlineGivesGrace(t *testing.T) {
	f := newFake(t, Config{PeerHeartbeatCycle: time.Second, PeerMaxTimeLastHeard: 3 * time.Second, PeerMaxTimeNoResponse: 2 * time.Second})
	f.enrpIn(1, &wire.Presence{SenderServerID: 0x77})
	stall := func() {
		f.now = f.now.Add(10 * time.Second)
		f.acts.Reset()
		f.c.Tick(f.now, &f.acts)
	}
	f.advance(3100 * time.Millisecond) // probed
	if stall(); f.c.Peers()[0].Dead {
		t.Fatal("peer presumed dead by the probe deadline reached 10 s late")
	}
	f.enrpIn(1, &wire.Presence{SenderServerID: 0x77})
	if f.advance(100 * time.Millisecond); f.c.Peers()[0].Dead {
		t.Fatal("peer that answered within the grace presumed dead")
	}
	f.advance(3100 * time.Millisecond) // probed again
	stall()
	if f.advance(600 * time.Millisecond); !f.c.Peers()[0].Dead {
		t.Fatal("silent peer not presumed dead after the grace")
	}
}

// The ASAP transport peers learn for a PE is where a registrar taking it
// over reaches it: for a PE that answers ASAP on its SCTP user transport,
// that transport (data only, as RSPLIB wants); otherwise the association
// it registered over.
func TestHandleUpdateASAPTransport(t *testing.T) {
	f := newFake(t, Config{})
	f.enrpIn(1, &wire.Presence{SenderServerID: 0x77})
	sctp := func(port uint16, use wire.TransportUse) wire.Transport {
		return wire.Transport{Kind: wire.TransportSCTP, Port: port, Use: use, Addresses: []netip.Addr{netip.MustParseAddr("10.0.0.9")}}
	}
	f.c.AssociationUp(5, sctp(40123, wire.TransportUseDataOnly))
	for _, c := range []struct {
		user wire.Transport
		want wire.Transport
	}{
		{sctp(7001, wire.TransportUseDataPlusControl), sctp(7001, wire.TransportUseDataOnly)},
		{sctp(7002, wire.TransportUseDataOnly), sctp(40123, wire.TransportUseDataOnly)},
	} {
		p := pe(uint32(c.user.Port), c.user.Port, rr)
		p.UserTransport = c.user
		out := f.in(5, reg(fmt.Sprint("p", c.user.Port), p)) // a pool keeps one data/control use
		ups := ofType[*wire.HandleUpdate](out)
		if len(ups) != 1 || ups[0].PoolElement.ASAPTransport == nil {
			t.Fatalf("user %v: Handle Updates in %+v", c.user, out[0])
		}
		if got := *ups[0].PoolElement.ASAPTransport; got.String() != c.want.String() || got.Use != c.want.Use {
			t.Errorf("user %v: ASAP transport %v, want %v", c.user, got, c.want)
		}
	}
}

// A peer reached over both the association we opened and the one it
// opened gets our messages on its own: that one ends at our ENRP port.
func TestPeerOwnAssociationPreferred(t *testing.T) {
	f := newFake(t, Config{})
	tr := wire.Transport{Kind: wire.TransportSCTP, Port: 9901, Addresses: []netip.Addr{netip.MustParseAddr("10.0.0.2")}}
	f.acts.Reset()
	f.c.PeerAssociationUp(f.now, 7, tr, &f.acts) // ours, dialled
	f.enrpIn(7, &wire.Presence{SenderServerID: 0x77})
	if p := f.c.Peers()[0]; p.Assoc != 7 {
		t.Fatalf("peer reached over %d, want our association 7", p.Assoc)
	}
	f.enrpIn(1, &wire.Presence{SenderServerID: 0x77}) // the peer's own
	f.enrpIn(7, &wire.Presence{SenderServerID: 0x77})
	if p := f.c.Peers()[0]; p.Assoc != 1 {
		t.Fatalf("peer reached over %d, want its association 1", p.Assoc)
	}
	f.acts.Reset()
	f.c.AssociationDown(f.now, 1, &f.acts)
	if p := f.c.Peers()[0]; p.Assoc != 7 {
		t.Fatalf("after its association ended the peer is reached over %d, want 7", p.Assoc)
	}
}
