package handlespace

import (
	"math/rand/v2"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/sigpool/sigpool/policy"
	"github.com/sigpool/sigpool/wire"
)

// Helpers shared by the tests of this package.

var t0 = time.Unix(1_700_000_000, 0)

func addr(i int) netip.Addr {
	return netip.AddrFrom4([4]byte{10, byte(i >> 16), byte(i >> 8), byte(i)})
}

func sctp(port uint16, a netip.Addr) wire.Transport {
	return wire.Transport{Kind: wire.TransportSCTP, Port: port, Use: wire.TransportUseDataPlusControl, Addresses: []netip.Addr{a}}
}

// element is a PE registered from 10.x.y.z port 5000+id with 30 s life.
func element(id wire.PEIdentifier, home uint32, pol wire.Policy) wire.PoolElement {
	asap := sctp(3863, addr(int(id)))
	return wire.PoolElement{
		Identifier: id, HomeRegistrar: home, RegistrationLife: 30000,
		UserTransport: sctp(uint16(5000+id%1000), addr(int(id))), Policy: pol, ASAPTransport: &asap,
	}
}

var rr = wire.Policy{Type: wire.PolicyRoundRobin}

func newHS(cfg Config) *Handlespace {
	if cfg.Rand == nil {
		cfg.Rand = rand.New(rand.NewPCG(1, 2))
	}
	return New(cfg)
}

func mustRegister(t testing.TB, ns *Namespace, ph string, pe wire.PoolElement, now time.Time) *PoolElement {
	t.Helper()
	rec, _, err := ns.Register(wire.PoolHandle(ph), pe, now)
	if err != nil {
		t.Fatalf("Register(%s, %v): %v", ph, pe.Identifier, err)
	}
	return rec
}

func TestNewFillsDefaults(t *testing.T) {
	c := New(Config{}).Config()
	if c.MaxPoolsPerNamespace != 1024 || c.MaxPEsPerPool != 1024 || c.MaxPEs != 1<<17 ||
		c.MaxPoolHandleLength != 32 || c.Policies == nil || c.Rand == nil {
		t.Errorf("defaults: %+v", c)
	}
}

func TestNamespacesAreIndependent(t *testing.T) {
	h := newHS(Config{})
	a, b := h.Namespace("a"), h.Namespace("b")
	if h.Namespace("a") != a {
		t.Fatal("Namespace did not return the existing namespace")
	}
	mustRegister(t, a, "gwc", element(1, 7, rr), t0)
	// Same handle and ID, different policy: no conflict across namespaces.
	mustRegister(t, b, "gwc", element(1, 7, wire.Policy{Type: wire.PolicyLeastUsed}), t0)
	if _, ok := b.Lookup(wire.PoolHandle("gwc"), 1); !ok || h.Len() != 2 || a.Len() != 1 {
		t.Errorf("lens: hs %d a %d", h.Len(), a.Len())
	}
	if got := h.Namespaces(); !slices.Equal(got, []string{"a", "b"}) {
		t.Errorf("Namespaces() = %v", got)
	}
	if _, ok := h.LookupNamespace("c"); ok {
		t.Error("LookupNamespace created a namespace")
	}
	if a.Name() != "a" {
		t.Errorf("Name() = %q", a.Name())
	}
}

func TestConfigLimitsTotalPEsAcrossNamespaces(t *testing.T) {
	h := newHS(Config{MaxPEs: 2})
	mustRegister(t, h.Namespace("a"), "p", element(1, 1, rr), t0)
	mustRegister(t, h.Namespace("b"), "p", element(1, 1, rr), t0)
	_, _, err := h.Namespace("c").Register(wire.PoolHandle("p"), element(1, 1, rr), t0)
	if c, _ := CauseOf(err); c != wire.CauseLackOfResources {
		t.Errorf("third PE: %v", err)
	}
}

var _ policy.Rand = (*rand.Rand)(nil)
