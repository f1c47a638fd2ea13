package enrp

import (
	"testing"
	"time"

	"github.com/sigpool/sigpool/wire"
)

func isENRP(ppid uint32, data []byte, t wire.MessageType) bool {
	return ppid == wire.PPIDENRP && len(data) > 0 && wire.MessageType(0x0200|uint16(data[0])) == t
}

// TestAuditRepairsLostHandleUpdates: Handle Updates to one registrar are
// lost (adds, then deletes); the Presence checksum differs, the registrar
// fetches the owner's own PEs (W flag) and ends with the same handlespace.
func TestAuditRepairsLostHandleUpdates(t *testing.T) {
	s := newSim(t, 3, 3)
	startSim(t, s)
	victim := s.nodes[2]
	lose := true
	s.filter = func(_, to simEnd, ppid uint32, data []byte) bool {
		return lose && to.node == victim.idx && isENRP(ppid, data, wire.ENRPHandleUpdate)
	}
	for range 100 {
		s.addPE()
	}
	s.run(s.now.Add(200 * time.Millisecond))
	if ok, _ := s.converged(); ok {
		t.Fatal("converged although the updates were lost")
	}
	s.run(s.now.Add(3 * time.Second))
	if ok, why := s.converged(); !ok {
		t.Fatalf("audit did not repair lost adds: %s", why)
	}
	for _, pe := range s.pes[:40] {
		if pe.home != nil {
			s.peSend(pe, pe.home, &wire.Deregistration{PoolHandle: pe.handle, PEIdentifier: pe.id})
		}
		pe.alive = false
	}
	s.run(s.now.Add(3 * time.Second))
	if ok, why := s.converged(); !ok || victim.core.Namespace().Len() != 60 {
		t.Fatalf("audit did not repair lost deletes: %s (%d PEs)", why, victim.core.Namespace().Len())
	}
}

// TestHandleTableOwnChildrenAndPaging: with the W flag a registrar lists
// only the PEs it owns, in blocks with the M flag; a request with another
// flag, or after a pause, starts over.
func TestHandleTableOwnChildrenAndPaging(t *testing.T) {
	f := newFake(t, Config{HandleTableBlock: 4})
	for i := uint32(1); i <= 10; i++ {
		f.in(1, reg("p", peerPE(i, 0)))
	}
	f.enrpIn(3, &wire.Presence{SenderServerID: 0x77})
	for i := uint32(11); i <= 15; i++ {
		f.enrpIn(3, &wire.HandleUpdate{SenderServerID: 0x77, Action: wire.UpdateActionAddPE, PoolHandle: wire.PoolHandle("p"), PoolElement: peerPE(i, 0x77)})
	}
	if f.c.Namespace().Len() != 15 || f.c.Namespace().Owned(0x77) != 5 {
		t.Fatalf("%d PEs, %d of the peer", f.c.Namespace().Len(), f.c.Namespace().Owned(0x77))
	}
	download := func(own bool) (n, blocks int) {
		for {
			resp := one[*wire.HandleTableResponse](t, f.enrpIn(2, &wire.HandleTableRequest{OwnChildrenOnly: own}))
			blocks++
			for _, e := range resp.Entries {
				for _, p := range e.PoolElements {
					if own && p.HomeRegistrar != 0x1234 {
						t.Fatalf("W listed PE %v of 0x%x", p.Identifier, p.HomeRegistrar)
					}
					n++
				}
			}
			if !resp.MoreToSend {
				return n, blocks
			}
		}
	}
	if n, b := download(true); n != 10 || b != 3 {
		t.Fatalf("own children: %d PEs in %d blocks", n, b)
	}
	if n, b := download(false); n != 15 || b != 4 {
		t.Fatalf("whole table: %d PEs in %d blocks", n, b)
	}
	// An abandoned download is not resumed after a pause.
	one[*wire.HandleTableResponse](t, f.enrpIn(2, &wire.HandleTableRequest{}))
	f.now = f.now.Add(time.Minute)
	if n, _ := download(false); n != 15 {
		t.Fatalf("download after a pause listed %d PEs", n)
	}
}

// TestUnrequestedTableResponseIgnored: a Handle Table Response nobody
// asked for changes nothing.
func TestUnrequestedTableResponseIgnored(t *testing.T) {
	f := newFake(t, Config{})
	f.enrpIn(3, &wire.Presence{SenderServerID: 0x77, PEChecksum: f.c.Namespace().OwnerChecksum(0x77)})
	f.c.p.peers[0x77].sync = nil // the mentor download is not what this tests
	f.enrpIn(3, &wire.HandleTableResponse{SenderServerID: 0x77, Entries: []wire.PoolEntry{{PoolHandle: wire.PoolHandle("p"), PoolElements: []wire.PoolElement{peerPE(1, 0x77)}}}})
	if f.c.Namespace().Len() != 0 {
		t.Fatal("unrequested table applied")
	}
}
