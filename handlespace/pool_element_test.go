package handlespace

import (
	"testing"
	"time"

	"github.com/sigpool/sigpool/wire"
)

func TestPoolElementViews(t *testing.T) {
	h := newHS(Config{})
	ns := h.Namespace("x")
	in := element(9, 77, wire.Policy{Type: wire.PolicyLeastUsed, Load: wire.FractionOf(0.25)})
	pe := mustRegister(t, ns, "pool", in, t0)
	if pe.Identifier() != 9 || pe.HomeRegistrar() != 77 || pe.RegistrationLife() != 30000 ||
		pe.PoolHandle().String() != "pool" || pe.Namespace() != "x" || pe.Policy().Load != in.Policy.Load ||
		!pe.Expiry().Equal(t0.Add(30*time.Second)) || !pe.Registered() || pe.String() != "pool/$00000009" {
		t.Errorf("views wrong: %v", pe.Wire(true))
	}
	// The handlespace keeps its own copy of the addresses.
	in.UserTransport.Addresses[0] = addr(999)
	if pe.UserTransport().Addresses[0] == addr(999) {
		t.Error("user transport aliases the caller's slice")
	}
	w := pe.Wire(true)
	if w.ASAPTransport == nil || w.ASAPTransport.Port != 3863 || w.UserTransport.Port != 5009 {
		t.Errorf("Wire(true) = %v", w)
	}
	if pe.Wire(false).ASAPTransport != nil {
		t.Error("Wire(false) carries the ASAP transport")
	}
	if _, err := w.AppendTo(nil); err != nil {
		t.Errorf("Wire() does not encode: %v", err)
	}
	if a, ok := pe.ASAPTransport(); !ok || a.Kind != wire.TransportSCTP {
		t.Error("ASAPTransport missing")
	}
	ns.Remove(pe)
	if pe.Registered() || pe.PoolHandle().String() != "pool" {
		t.Error("removed record not readable or still registered")
	}
}
