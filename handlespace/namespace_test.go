package handlespace

import (
	"errors"
	"math/rand/v2"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sigpool/sigpool/policy"
	"github.com/sigpool/sigpool/wire"
)

func TestRegisterRejections(t *testing.T) {
	udp := wire.Transport{Kind: wire.TransportUDP, Port: 5001, Addresses: []netip.Addr{addr(1)}}
	tcpData := wire.Transport{Kind: wire.TransportTCP, Port: 5001, Addresses: []netip.Addr{addr(1)}}
	sctpData := sctp(5002, addr(2))
	sctpData.Use = wire.TransportUseDataOnly
	with := func(id wire.PEIdentifier, f func(*wire.PoolElement)) wire.PoolElement {
		pe := element(id, 1, rr)
		f(&pe)
		return pe
	}
	tests := []struct {
		name   string
		handle string
		pe     wire.PoolElement
		reason error
	}{
		{"empty handle", "", element(5, 1, rr), ErrInvalidValues},
		{"handle too long", strings.Repeat("h", 33), element(5, 1, rr), ErrInvalidValues},
		{"PE identifier 0", "gwc", element(0, 1, rr), ErrInvalidValues},
		{"registration life 0", "gwc", with(5, func(p *wire.PoolElement) { p.RegistrationLife = 0 }), ErrInvalidValues},
		{"unknown policy", "gwc", with(5, func(p *wire.PoolElement) { p.Policy.Type = 0x7777 }), ErrInvalidValues},
		{"no user transport", "gwc", with(5, func(p *wire.PoolElement) { p.UserTransport = wire.Transport{} }), ErrInvalidValues},
		{"no address", "gwc", with(5, func(p *wire.PoolElement) { p.UserTransport.Addresses = nil }), ErrInvalidValues},
		{"unspecified address", "gwc", with(5, func(p *wire.PoolElement) { p.UserTransport.Addresses = []netip.Addr{netip.IPv4Unspecified()} }), ErrInvalidValues},
		{"bad transport use", "gwc", with(5, func(p *wire.PoolElement) { p.UserTransport.Use = 7 }), ErrInvalidValues},
		{"UDP with control", "gwc", with(5, func(p *wire.PoolElement) { p.UserTransport = udp; p.UserTransport.Use = 1 }), ErrInvalidValues},
		{"ID of another PE", "gwc", with(1, func(p *wire.PoolElement) { p.UserTransport.Port = 6000 }), ErrNonUniquePEIdentifier},
		{"ID of another host", "gwc", with(1, func(p *wire.PoolElement) { p.UserTransport.Addresses = []netip.Addr{addr(50)} }), ErrNonUniquePEIdentifier},
		{"other policy", "gwc", with(5, func(p *wire.PoolElement) { p.Policy = wire.Policy{Type: wire.PolicyLeastUsed} }), ErrPolicyInconsistent},
		{"re-registration changing policy", "gwc", with(1, func(p *wire.PoolElement) { p.Policy = wire.Policy{Type: wire.PolicyRandom} }), ErrPolicyInconsistent},
		{"other protocol", "gwc", with(5, func(p *wire.PoolElement) { p.UserTransport = tcpData; p.UserTransport.Use = 1 }), ErrInconsistentTransport},
		{"UDP in SCTP pool", "gwc", with(5, func(p *wire.PoolElement) { p.UserTransport = udp }), ErrInconsistentTransport},
		{"data only in data+control pool", "gwc", with(5, func(p *wire.PoolElement) { p.UserTransport = sctpData }), ErrInconsistentDataControl},
		{"too many user addresses", "gwc", with(5, func(p *wire.PoolElement) { p.UserTransport.Addresses = manyAddrs(DefaultMaxAddresses + 1) }), ErrInvalidValues},
		{"too many ASAP addresses", "gwc", with(5, func(p *wire.PoolElement) {
			p.ASAPTransport = &wire.Transport{Kind: wire.TransportSCTP, Port: 3863, Addresses: manyAddrs(DefaultMaxAddresses + 1)}
		}), ErrInvalidValues},
		{"pool full", "full", element(5, 1, rr), ErrLackOfResources},
		{"too many pools", "new", element(5, 1, rr), ErrLackOfResources},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			h := newHS(Config{MaxPoolsPerNamespace: 2, MaxPEsPerPool: 2})
			ns := h.Namespace("")
			mustRegister(t, ns, "gwc", element(1, 1, rr), t0)
			mustRegister(t, ns, "gwc", element(2, 1, rr), t0.Add(-time.Hour)) // keeps "gwc" from being a sole-member pool
			ns.Deregister(wire.PoolHandle("gwc"), 2)
			mustRegister(t, ns, "gwc", element(3, 1, rr), t0)
			mustRegister(t, ns, "full", element(1, 1, rr), t0)
			mustRegister(t, ns, "full", element(2, 1, rr), t0)
			sum, n := ns.Checksum(), h.Len()

			rec, added, err := ns.Register(wire.PoolHandle(tc.handle), tc.pe, t0)
			if !errors.Is(err, tc.reason) || rec != nil || added {
				t.Fatalf("got %v, %v, %v; want %v", rec, added, err, tc.reason)
			}
			var e *Error
			if !errors.As(err, &e) || e.Cause() != causeOf(tc.reason) || e.Op != "register" || e.PE != tc.pe.Identifier {
				t.Errorf("error %#v", err)
			}
			if ns.Checksum() != sum || h.Len() != n {
				t.Error("a rejected registration changed the handlespace")
			}
		})
	}
}

func TestReRegistrationUpdatesInPlace(t *testing.T) {
	h := newHS(Config{})
	ns := h.Namespace("")
	deg := wire.Policy{Type: wire.PolicyLeastUsedWithDegradation, Load: wire.FractionOf(0.1), LoadDegradation: wire.FractionOf(0.5)}
	a := mustRegister(t, ns, "p", element(1, 10, deg), t0)
	mustRegister(t, ns, "p", element(2, 10, deg), t0)
	got, _ := ns.Select(wire.PoolHandle("p"), policy.Request{N: 1}, nil)
	if got[0] != a {
		t.Fatalf("picked %v", got[0])
	}
	// PE 1 now carries 0.6 effective load, PE 2 0.1.
	again := element(1, 10, deg)
	again.RegistrationLife = 60000
	again.Policy.Load = wire.FractionOf(0.05)
	again.UserTransport.Addresses = append(again.UserTransport.Addresses, addr(7777)) // gained an address
	rec, added, err := ns.Register(wire.PoolHandle("p"), again, t0.Add(time.Second))
	if err != nil || added || rec != a {
		t.Fatalf("re-registration: %v %v %v", rec, added, err)
	}
	if a.RegistrationLife() != 60000 || !a.Expiry().Equal(t0.Add(61*time.Second)) || a.Policy().Load != again.Policy.Load ||
		len(a.UserTransport().Addresses) != 2 || ns.Len() != 1+1 {
		t.Errorf("not updated: %v", a.Wire(true))
	}
	// Degradation reset: PE 1 (0.05) beats PE 2 (0.1) again.
	if got, _ := ns.Select(wire.PoolHandle("p"), policy.Request{N: 1}, nil); got[0] != a {
		t.Errorf("after re-registration picked %v, want PE 1", got[0])
	}
}

func TestSoleMemberMayChangeEverything(t *testing.T) {
	h := newHS(Config{})
	ns := h.Namespace("")
	mustRegister(t, ns, "p", element(1, 1, rr), t0)
	pe := element(1, 1, wire.Policy{Type: wire.PolicyWeightedRandom, Weight: 3})
	pe.UserTransport.Use = wire.TransportUseDataOnly
	mustRegister(t, ns, "p", pe, t0)
	if info, _ := ns.Pool(wire.PoolHandle("p")); info.Policy != wire.PolicyWeightedRandom || info.Elements != 1 {
		t.Errorf("pool info %+v", info)
	}
	// The pool now holds data-only weighted random PEs.
	other := element(2, 1, rr)
	if _, _, err := ns.Register(wire.PoolHandle("p"), other, t0); !errors.Is(err, ErrPolicyInconsistent) {
		t.Errorf("round robin into the converted pool: %v", err)
	}
}

func TestDeregister(t *testing.T) {
	h := newHS(Config{})
	ns := h.Namespace("")
	a := mustRegister(t, ns, "p", element(1, 1, rr), t0)
	mustRegister(t, ns, "q", element(2, 1, rr), t0)
	pe, ok := ns.Deregister(wire.PoolHandle("p"), 1)
	if !ok || pe != a || pe.Registered() || ns.Pools() != 1 || ns.Len() != 1 || h.Len() != 1 {
		t.Fatalf("Deregister: %v %v pools %d", pe, ok, ns.Pools())
	}
	if _, ok := ns.Pool(wire.PoolHandle("p")); ok {
		t.Error("empty pool kept")
	}
	if _, ok := ns.Deregister(wire.PoolHandle("p"), 1); ok {
		t.Error("second Deregister succeeded")
	}
	if _, ok := ns.Deregister(wire.PoolHandle("q"), 99); ok {
		t.Error("Deregister of an unknown PE succeeded")
	}
	if ns.Remove(a) {
		t.Error("Remove of a removed PE succeeded")
	}
	if ns.Checksum() != wire.PEChecksumOf(wire.PoolHandle("q"), 2) {
		t.Errorf("checksum %v after deregistration", ns.Checksum())
	}
}

func TestSelectByPoolPolicy(t *testing.T) {
	h := newHS(Config{})
	ns := h.Namespace("")
	for id := wire.PEIdentifier(1); id <= 5; id++ {
		mustRegister(t, ns, "rr", element(id, 1, rr), t0)
	}
	var got []wire.PEIdentifier
	buf := make([]*PoolElement, 0, 3)
	for range 2 {
		buf, _ = ns.Select(wire.PoolHandle("rr"), policy.Request{N: 3}, buf[:0])
		for _, pe := range buf {
			got = append(got, pe.Identifier())
		}
	}
	if want := []wire.PEIdentifier{1, 2, 3, 2, 3, 4}; !slices.Equal(got, want) {
		t.Errorf("selections %v, want %v", got, want)
	}
	_, err := ns.Select(wire.PoolHandle("nope"), policy.Request{N: 1}, nil)
	if c, _ := CauseOf(err); c != wire.CauseUnknownPoolHandle || !errors.Is(err, ErrUnknownPoolHandle) {
		t.Errorf("unknown pool: %v", err)
	}
	if a := testing.AllocsPerRun(100, func() {
		buf, _ = ns.Select(wire.PoolHandle("rr"), policy.Request{N: 3}, buf[:0])
	}); a != 0 {
		t.Errorf("Select allocates %v times", a)
	}
}

func TestTakeoverRehomes(t *testing.T) {
	h := newHS(Config{})
	ns := h.Namespace("")
	for id := wire.PEIdentifier(1); id <= 30; id++ {
		mustRegister(t, ns, "p"+string(rune('a'+id%3)), element(id, uint32(100+id%3), rr), t0)
	}
	before100, before102, total := ns.OwnerChecksum(100), ns.OwnerChecksum(102), ns.Checksum()
	moved := ns.Takeover(100, 102, nil)
	if len(moved) != 10 || ns.Owned(100) != 0 || ns.Owned(102) != 20 {
		t.Fatalf("moved %d, owned 100: %d, 102: %d", len(moved), ns.Owned(100), ns.Owned(102))
	}
	for _, pe := range moved {
		if pe.HomeRegistrar() != 102 {
			t.Errorf("%v still at %d", pe, pe.HomeRegistrar())
		}
	}
	if ns.OwnerChecksum(100) != 0xffff || ns.OwnerChecksum(102) != before102.Add(before100) || ns.Checksum() != total {
		t.Errorf("checksums after takeover: 100 %v, 102 %v, total %v", ns.OwnerChecksum(100), ns.OwnerChecksum(102), ns.Checksum())
	}
	n := 0
	for pe := range ns.OwnedBy(102) {
		if pe.HomeRegistrar() != 102 {
			t.Errorf("OwnedBy(102) yielded %v of %d", pe, pe.HomeRegistrar())
		}
		n++
	}
	if n != 20 || len(ns.Takeover(5, 5, nil)) != 0 || len(ns.Takeover(999, 5, nil)) != 0 {
		t.Errorf("OwnedBy yielded %d", n)
	}
	// Removing while iterating is safe.
	for pe := range ns.OwnedBy(102) {
		ns.Remove(pe)
	}
	if ns.Owned(102) != 0 || ns.Len() != 10 {
		t.Errorf("left %d PEs of 102, %d in all", ns.Owned(102), ns.Len())
	}
}

// recompute builds every checksum from scratch and checks the bookkeeping.
func recompute(t *testing.T, h *Handlespace, step int) {
	t.Helper()
	total := 0
	for _, name := range h.Namespaces() {
		ns, _ := h.LookupNamespace(name)
		var all wire.ChecksumAccumulator
		by := map[uint32]*wire.ChecksumAccumulator{}
		n := 0
		for _, p := range ns.sorted {
			if len(p.recs) == 0 || len(p.recs) != p.sel.Len() || ns.pools[p.key] != p {
				t.Fatalf("step %d: pool %q inconsistent", step, p.key)
			}
			for i, pe := range p.recs {
				if p.sel.Members[i].ID != pe.id || (i > 0 && p.recs[i-1].id >= pe.id) || h.expiry[pe.heapIdx] != pe {
					t.Fatalf("step %d: %v misplaced", step, pe)
				}
				all.Add(p.handle, pe.id)
				if by[pe.home] == nil {
					by[pe.home] = new(wire.ChecksumAccumulator)
				}
				by[pe.home].Add(p.handle, pe.id)
				n++
			}
		}
		if ns.Checksum() != all.Checksum() || n != ns.Len() || len(ns.pools) != len(ns.sorted) {
			t.Fatalf("step %d ns %q: checksum %v, recomputed %v; %d PEs counted, Len %d", step, name, ns.Checksum(), all.Checksum(), n, ns.Len())
		}
		for id, acc := range by {
			if ns.OwnerChecksum(id) != acc.Checksum() || ns.Owned(id) == 0 {
				t.Fatalf("step %d ns %q owner %d: checksum %v, recomputed %v", step, name, id, ns.OwnerChecksum(id), acc.Checksum())
			}
		}
		if len(by) != len(ns.owners) {
			t.Fatalf("step %d: %d owners recorded, %d present", step, len(ns.owners), len(by))
		}
		total += n
	}
	if total != h.Len() || len(h.expiry) != total {
		t.Fatalf("step %d: %d PEs, Len %d, heap %d", step, total, h.Len(), len(h.expiry))
	}
}

func TestChecksumsMatchRecomputationAfterRandomOperations(t *testing.T) {
	h := newHS(Config{MaxPEsPerPool: 12, MaxPoolsPerNamespace: 6})
	r := rand.New(rand.NewPCG(42, 43))
	now := t0
	handles := []string{"a", "bb", "ccc", "gwc-1", "x", "odd", "y7"}
	for step := range 5000 {
		ns := h.Namespace([]string{"one", "two"}[r.IntN(2)])
		ph := handles[r.IntN(len(handles))]
		id := wire.PEIdentifier(r.IntN(40) + 1)
		switch op := r.IntN(10); {
		case op < 5:
			pe := element(id, uint32(r.IntN(4)+1), rr)
			pe.RegistrationLife = uint32(r.IntN(20000) + 1)
			if r.IntN(10) == 0 {
				pe.Policy = wire.Policy{Type: wire.PolicyLeastUsed}
			}
			_, _, err := ns.Register(wire.PoolHandle(ph), pe, now)
			if err != nil && !errors.Is(err, ErrLackOfResources) && !errors.Is(err, ErrPolicyInconsistent) {
				t.Fatalf("step %d: %v", step, err)
			}
		case op < 7:
			ns.Deregister(wire.PoolHandle(ph), id)
		case op < 8:
			ns.Takeover(uint32(r.IntN(4)+1), uint32(r.IntN(4)+1), nil)
		case op < 9:
			now = now.Add(time.Duration(r.IntN(3000)) * time.Millisecond)
			h.Expire(now, nil)
		default:
			ns.Select(wire.PoolHandle(ph), policy.Request{N: 3}, nil)
		}
		if step%25 == 0 {
			recompute(t, h, step)
		}
	}
	recompute(t, h, -1)
}

func TestRehomeOnePE(t *testing.T) {
	ns := newHS(Config{}).Namespace("")
	a := mustRegister(t, ns, "p", element(1, 7, rr), t0)
	b := mustRegister(t, ns, "p", element(2, 7, rr), t0)
	before := ns.OwnerChecksum(7)
	if !ns.Rehome(a, 9) || a.HomeRegistrar() != 9 || ns.Owned(7) != 1 || ns.Owned(9) != 1 {
		t.Fatalf("rehome: home %d, owned %d/%d", a.HomeRegistrar(), ns.Owned(7), ns.Owned(9))
	}
	one := wire.PEChecksumOf(wire.PoolHandle("p"), 1)
	if ns.OwnerChecksum(7) != before.Sub(one) || ns.OwnerChecksum(9) != one {
		t.Fatal("checksums not moved")
	}
	ns.Remove(b)
	if ns.Rehome(b, 9) {
		t.Fatal("rehomed a removed PE")
	}
}

// manyAddrs returns n distinct IPv4 addresses.
func manyAddrs(n int) []netip.Addr {
	out := make([]netip.Addr, n)
	for i := range out {
		out[i] = netip.AddrFrom4([4]byte{10, 1, byte(i >> 8), byte(i)})
	}
	return out
}
