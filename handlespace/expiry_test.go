package handlespace

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/sigpool/sigpool/wire"
)

func TestExpireRemovesInExpiryOrder(t *testing.T) {
	h := newHS(Config{})
	ns := h.Namespace("")
	r := rand.New(rand.NewPCG(3, 4))
	for id := wire.PEIdentifier(1); id <= 200; id++ {
		pe := element(id, 1, rr)
		pe.RegistrationLife = uint32(1000 + r.IntN(60000))
		mustRegister(t, ns, "p"+string(rune('a'+id%5)), pe, t0)
	}
	next, ok := h.NextExpiry()
	if !ok {
		t.Fatal("no next expiry")
	}
	var out []*PoolElement
	var last time.Time
	for now := t0; h.Len() > 0; now = now.Add(997 * time.Millisecond) {
		n := len(out)
		out = h.Expire(now, out)
		for _, pe := range out[n:] {
			if pe.Expiry().After(now) || pe.Expiry().Before(last) || pe.Registered() {
				t.Fatalf("expired %v at %v (expiry %v, previous %v)", pe, now, pe.Expiry(), last)
			}
			last = pe.Expiry()
		}
		if len(out) > n && out[n].Expiry() != next {
			t.Fatalf("first expired at %v, NextExpiry said %v", out[n].Expiry(), next)
		}
		next, _ = h.NextExpiry()
	}
	if len(out) != 200 || ns.Pools() != 0 || ns.Checksum() != 0xffff {
		t.Errorf("expired %d, pools left %d, checksum %v", len(out), ns.Pools(), ns.Checksum())
	}
	if _, ok := h.NextExpiry(); ok {
		t.Error("NextExpiry on an empty handlespace")
	}
}

func TestReRegistrationAndSetExpiryPostpone(t *testing.T) {
	h := newHS(Config{})
	ns := h.Namespace("")
	a := mustRegister(t, ns, "p", element(1, 1, rr), t0)
	b := mustRegister(t, ns, "p", element(2, 1, rr), t0)
	mustRegister(t, ns, "p", element(1, 1, rr), t0.Add(20*time.Second)) // a now ends at 50 s
	h.SetExpiry(b, t0.Add(10*time.Second))
	if got := h.Expire(t0.Add(30*time.Second), nil); len(got) != 1 || got[0] != b {
		t.Fatalf("expired %v, want only PE 2", got)
	}
	if got := h.Expire(t0.Add(49*time.Second), nil); len(got) != 0 {
		t.Fatalf("expired %v early", got)
	}
	if got := h.Expire(t0.Add(50*time.Second), nil); len(got) != 1 || got[0] != a {
		t.Fatalf("expired %v, want PE 1 exactly at its end", got)
	}
	h.SetExpiry(a, t0) // removed: no effect, no panic
}
