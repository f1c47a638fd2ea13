package enrp

import (
	"testing"
	"time"

	"github.com/sigpool/sigpool/wire"
)

// peerFake is a fake core (server 0x1234, or id) that knows peers 0x10
// (assoc 1), 0x20 (assoc 2) and 0x99 (assoc 3), and holds 5 PEs of 0x10 and
// 3 PEs of its own.
func peerFake(t *testing.T, id ...uint32) *fake {
	t.Helper()
	self := uint32(0x1234)
	if len(id) > 0 {
		self = id[0]
	}
	f := newFake(t, Config{ServerID: self, PeerHeartbeatCycle: time.Second, PeerMaxTimeLastHeard: 3 * time.Second,
		PeerMaxTimeNoResponse: 2 * time.Second, TakeoverExpiry: 2 * time.Second})
	for i, id := range []uint32{0x10, 0x20, 0x99} {
		f.enrpIn(AssocID(i+1), &wire.Presence{SenderServerID: id})
	}
	f.c.p.peers[0x10].sync = nil
	f.c.p.mentorDone = true
	for i := uint32(1); i <= 5; i++ {
		f.enrpIn(1, &wire.HandleUpdate{SenderServerID: 0x10, Action: wire.UpdateActionAddPE, PoolHandle: wire.PoolHandle("p"), PoolElement: peerPE(i, 0x10)})
	}
	for i := uint32(6); i <= 8; i++ {
		f.in(4, reg("p", peerPE(i, 0)))
	}
	return f
}

// owners counts the PEs per owner; "me" (key 1) is the fake itself.
func owners(f *fake) map[uint32]int {
	m := map[uint32]int{}
	if n := f.c.Namespace().Owned(f.c.cfg.ServerID); n > 0 {
		m[1] = n
	}
	for _, id := range []uint32{0x10, 0x20, 0x99} {
		if n := f.c.Namespace().Owned(id); n > 0 {
			m[id] = n
		}
	}
	return m
}

// TestTakeoverInitiatedAndCompleted: a dead peer is taken over once every
// other peer acked; its PEs become ours, each gets a dial and, once up, a
// Keep-Alive with the H flag; the peers hear Takeover Server.
func TestTakeoverInitiatedAndCompleted(t *testing.T) {
	f := peerFake(t)
	p := f.c.p.peers[0x10]
	f.acts.Reset()
	f.c.peerDead(f.now, p, &f.acts)
	inits := ofType[*wire.InitTakeover](f.out())
	if len(inits) != 2 || inits[0].TargetServerID != 0x10 {
		t.Fatalf("Init Takeovers %v", inits)
	}
	f.enrpIn(2, &wire.InitTakeoverAck{SenderServerID: 0x20, TargetServerID: 0x10})
	if f.c.Namespace().Owned(0x10) != 5 {
		t.Fatal("took over before every ack")
	}
	out := f.enrpIn(3, &wire.InitTakeoverAck{SenderServerID: 0x99, TargetServerID: 0x10})
	if got := owners(f); got[1] != 8 || got[0x10] != 0 {
		t.Fatalf("owners after takeover %v", got)
	}
	if ts := ofType[*wire.TakeoverServer](out); len(ts) != 2 {
		t.Fatalf("Takeover Server to %d peers", len(ts))
	}
	dials := f.acts.Dials
	if len(dials) != 5 || dials[0].Protocol != wire.ProtocolASAP || dials[0].Transport.Port < 7001 || dials[0].Transport.Port > 7005 {
		t.Fatalf("dials %+v", dials)
	}
	f.acts.Reset()
	f.c.DialUp(f.now, dials[0].Assoc, dials[0].Transport, &f.acts)
	ka := one[*wire.EndpointKeepAlive](t, f.out())
	if !ka.Home || ka.ServerID != 0x1234 {
		t.Fatalf("keep-alive %+v", ka)
	}
	f.in(dials[0].Assoc, &wire.EndpointKeepAliveAck{PoolHandle: ka.PoolHandle, PEIdentifier: *ka.PEIdentifier})
	// A dial that fails removes the PE (it cannot be kept alive) and
	// tells the peers.
	f.acts.Reset()
	f.c.AssociationDown(f.now, dials[1].Assoc, &f.acts)
	if u := ofType[*wire.HandleUpdate](f.out()); len(u) != 2 || u[0].Action != wire.UpdateActionDeletePE {
		t.Fatalf("updates after a failed dial %v", u)
	}
	// The ones whose dial never completes time out (so do the others
	// here: the fake PEs answer no keep-alive).
	f.advance(9 * time.Second)
	if got := owners(f); got[1] != 7 {
		t.Fatalf("owners %v before the keep-alive timeout", got)
	}
	f.advance(2 * time.Second)
	if n := f.c.Namespace().Len(); n != 0 || len(f.c.pes) != 0 {
		t.Fatalf("%d PEs left after the keep-alive timeout", n)
	}
}

// TestTakeoverRaceLowerIDWins: an initiator that gets another's Init
// Takeover for the same target ignores it when its own ID is lower, and
// acks it (dropping its own attempt) when higher, as RSPLIB does.
func TestTakeoverRaceLowerIDWins(t *testing.T) {
	f := peerFake(t, 0x50)
	f.acts.Reset()
	f.c.peerDead(f.now, f.c.p.peers[0x10], &f.acts)
	if out := f.enrpIn(3, &wire.InitTakeover{SenderServerID: 0x99, TargetServerID: 0x10}); len(ofType[*wire.InitTakeoverAck](out)) != 0 {
		t.Fatal("lower ID acked a higher initiator")
	}
	if _, still := f.c.p.initiating[0x10]; !still {
		t.Fatal("lower ID dropped its takeover")
	}
	if out := f.enrpIn(2, &wire.InitTakeover{SenderServerID: 0x20, TargetServerID: 0x10}); len(ofType[*wire.InitTakeoverAck](out)) != 1 {
		t.Fatal("higher ID did not yield to a lower initiator")
	}
	if _, still := f.c.p.initiating[0x10]; still {
		t.Fatal("higher ID kept its takeover")
	}
}

// TestCompetingTakeoversSettleAfterTheFact: two registrars completed a
// takeover of the same target (lost messages); whatever order their
// Takeover Servers arrive in, the lower ID owns the PEs, and a loser that
// took the PEs itself stops keeping them.
func TestCompetingTakeoversSettleAfterTheFact(t *testing.T) {
	for _, order := range [][]uint32{{0x20, 0x99}, {0x99, 0x20}} {
		f := peerFake(t)
		for _, w := range order {
			f.enrpIn(map[uint32]AssocID{0x20: 2, 0x99: 3}[w], &wire.TakeoverServer{SenderServerID: w, TargetServerID: 0x10})
		}
		if got := owners(f); got[0x20] != 5 || got[1] != 3 {
			t.Fatalf("order %x: owners %v", order, got)
		}
	}
	// We won first (0x50 < 0x99), then a lower one completed too.
	f := peerFake(t, 0x50)
	f.acts.Reset()
	f.c.peerDead(f.now, f.c.p.peers[0x10], &f.acts)
	f.advance(3 * time.Second) // takeover expiry: no acks, take over anyway
	if got := owners(f); got[1] != 8 {
		t.Fatalf("owners %v after expiry", got)
	}
	out := f.enrpIn(3, &wire.TakeoverServer{SenderServerID: 0x99, TargetServerID: 0x10})
	if ts := ofType[*wire.TakeoverServer](out); len(ts) != 1 || ts[0].ReceiverServerID != 0x99 {
		t.Fatalf("the higher completer was not told: %v", out)
	}
	f.enrpIn(2, &wire.TakeoverServer{SenderServerID: 0x20, TargetServerID: 0x10})
	if got := owners(f); got[0x20] != 5 || got[1] != 3 || len(f.c.pes) != 3 {
		t.Fatalf("owners %v, %d PEs kept alive", got, len(f.c.pes))
	}
}

// TestAckedInitiatorFollowed: a registrar that acked an Init Takeover and
// never gets the Takeover Server applies the takeover to the initiator.
func TestAckedInitiatorFollowed(t *testing.T) {
	f := peerFake(t)
	f.enrpIn(3, &wire.InitTakeover{SenderServerID: 0x99, TargetServerID: 0x10})
	f.advance(2 * time.Second)
	if got := owners(f); got[0x10] != 5 {
		t.Fatalf("followed too early: %v", got)
	}
	f.enrpIn(2, &wire.Presence{SenderServerID: 0x20})
	f.enrpIn(3, &wire.Presence{SenderServerID: 0x99})
	f.advance(1500 * time.Millisecond)
	if got := owners(f); got[0x99] != 5 {
		t.Fatalf("owners %v", got)
	}
	// Two initiators acked: the lower one is followed.
	f = peerFake(t)
	f.enrpIn(3, &wire.InitTakeover{SenderServerID: 0x99, TargetServerID: 0x10})
	f.enrpIn(2, &wire.InitTakeover{SenderServerID: 0x20, TargetServerID: 0x10})
	for range 4 {
		f.advance(time.Second)
		f.enrpIn(2, &wire.Presence{SenderServerID: 0x20})
		f.enrpIn(3, &wire.Presence{SenderServerID: 0x99})
	}
	if got := owners(f); got[0x20] != 5 {
		t.Fatalf("owners %v after acking 0x99 and 0x20", got)
	}
}

// TestTakenOverRegistrarYields: a registrar told it was taken over (it was
// only slow) hands its PEs to the winner like everyone else.
func TestTakenOverRegistrarYields(t *testing.T) {
	f := peerFake(t)
	out := f.enrpIn(2, &wire.InitTakeover{SenderServerID: 0x20, TargetServerID: 0x1234})
	if len(ofType[*wire.Presence](out)) != 1 || len(ofType[*wire.InitTakeoverAck](out)) != 0 {
		t.Fatalf("target answered %v", out)
	}
	f.enrpIn(2, &wire.TakeoverServer{SenderServerID: 0x20, TargetServerID: 0x1234})
	if got := owners(f); got[0x20] != 3 || len(f.c.pes) != 0 {
		t.Fatalf("owners %v, %d PEs kept", got, len(f.c.pes))
	}
}

// TestTargetAliveAbandonsTakeover: hearing from the target stops the
// takeover.
func TestTargetAliveAbandonsTakeover(t *testing.T) {
	f := peerFake(t)
	f.acts.Reset()
	f.c.peerDead(f.now, f.c.p.peers[0x10], &f.acts)
	f.enrpIn(1, &wire.Presence{SenderServerID: 0x10, PEChecksum: f.c.Namespace().OwnerChecksum(0x10)})
	f.advance(5 * time.Second)
	if got := owners(f); got[0x10] != 5 {
		t.Fatalf("owners %v", got)
	}
}
