package asap

import (
	"errors"
	"testing"
	"time"

	"github.com/sigpool/sigpool/wire"
)

const testPE = wire.PEIdentifier(0x1234)

var testHandle = wire.PoolHandle("echo")

func newTestPE(t *testing.T, registrars int) *PECore {
	t.Helper()
	c, err := NewPECore(PECoreConfig{PoolHandle: testHandle, Element: testElement(testPE, 7000), Registrars: registrars, Timers: testTimers})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// registered brings c to registered on association 1 with registrar 0.
func registered(t *testing.T, c *PECore, now time.Time) {
	t.Helper()
	if d := only[DialRegistrar](t, c.Start(now)); d.Index != 0 {
		t.Fatalf("first dial to registrar %d, want 0", d.Index)
	}
	reg := sentMsg[*wire.Registration](t, c.AssocUp(now, 1, 0), 1)
	acts := c.Message(now, 1, &wire.RegistrationResponse{PoolHandle: reg.PoolHandle, PEIdentifier: reg.PoolElement.Identifier})
	if ev := only[PEEvent](t, acts); ev.Kind != PERegistered || !ev.First {
		t.Fatalf("event %+v, want first registration", ev)
	}
}

func TestPECoreRejectsBadConfig(t *testing.T) {
	for name, cfg := range map[string]PECoreConfig{
		"no handle":    {Element: testElement(1, 1), Registrars: 1},
		"zero id":      {PoolHandle: testHandle, Element: testElement(0, 1), Registrars: 1},
		"no transport": {PoolHandle: testHandle, Element: wire.PoolElement{Identifier: 1}, Registrars: 1},
		"negative":     {PoolHandle: testHandle, Element: testElement(1, 1), Timers: Timers{CacheTTL: -1}},
	} {
		if _, err := NewPECore(cfg); err == nil {
			t.Errorf("%s: want an error", name)
		}
	}
}

func TestPERegistrationAndReregistration(t *testing.T) {
	c := newTestPE(t, 1)
	now := t0
	only[DialRegistrar](t, c.Start(now))
	reg := sentMsg[*wire.Registration](t, c.AssocUp(now, 1, 0), 1)
	if string(reg.PoolHandle) != "echo" || reg.PoolElement.Identifier != testPE {
		t.Fatalf("registration %+v", reg)
	}
	if reg.PoolElement.RegistrationLife != 90000 {
		t.Fatalf("registration life %d ms, want 3 x 30 s", reg.PoolElement.RegistrationLife)
	}
	if reg.PoolElement.UserTransport.Use != wire.TransportUseDataPlusControl {
		t.Fatalf("user transport use %v", reg.PoolElement.UserTransport.Use)
	}
	acts := c.Message(now, 1, &wire.RegistrationResponse{PoolHandle: testHandle, PEIdentifier: testPE})
	if ev := only[PEEvent](t, acts); ev.Kind != PERegistered || !ev.First {
		t.Fatalf("%+v", ev)
	}
	if !c.Registered() {
		t.Fatal("not registered")
	}
	if d := c.NextDeadline(); !d.Equal(now.Add(30 * time.Second)) {
		t.Fatalf("next deadline %v, want re-registration at +30s", d.Sub(now))
	}
	if acts := c.Tick(now.Add(29 * time.Second)); len(acts) != 0 {
		t.Fatalf("early tick: %#v", acts)
	}
	now = now.Add(30 * time.Second)
	sentMsg[*wire.Registration](t, c.Tick(now), 1)
	acts = c.Message(now, 1, &wire.RegistrationResponse{PoolHandle: testHandle, PEIdentifier: testPE})
	if ev := only[PEEvent](t, acts); ev.Kind != PERegistered || ev.First {
		t.Fatalf("re-registration event %+v", ev)
	}
	// A thousand simulated minutes: one re-registration every 30 s.
	n := 0
	for i := 0; i < 2000; i++ {
		now = now.Add(30 * time.Second)
		if acts := c.Tick(now); len(acts) > 0 {
			sentMsg[*wire.Registration](t, acts, 1)
			c.Message(now, 1, &wire.RegistrationResponse{PoolHandle: testHandle, PEIdentifier: testPE})
			n++
		}
	}
	if n != 2000 {
		t.Fatalf("%d re-registrations in 2000 intervals", n)
	}
}

func TestPERejectionSurfacesEachCause(t *testing.T) {
	codes := []wire.CauseCode{
		wire.CauseUnrecognizedParameter, wire.CauseUnrecognizedMessage, wire.CauseInvalidValues,
		wire.CauseNonUniquePEIdentifier, wire.CauseInconsistentPoolingPolicy, wire.CauseLackOfResources,
		wire.CauseInconsistentTransportType, wire.CauseInconsistentDataControlConfig,
		wire.CauseUnknownPoolHandle, wire.CauseRejectionDueToSecurity,
		0xf003, // RSPLIB internal number on the wire
	}
	for _, code := range codes {
		c := newTestPE(t, 1)
		only[DialRegistrar](t, c.Start(t0))
		c.AssocUp(t0, 1, 0)
		acts := c.Message(t0, 1, &wire.RegistrationResponse{Reject: true, PoolHandle: testHandle, PEIdentifier: testPE,
			Error: &wire.OperationError{Causes: []wire.ErrorCause{{Code: code}}}})
		ev := only[PEEvent](t, acts)
		if ev.Kind != PERejected {
			t.Fatalf("cause %v: event %+v", code, ev)
		}
		var rej *RejectedError
		if !errors.Is(ev.Err, ErrRejected) || !errors.As(ev.Err, &rej) || !rej.HasCause(code) {
			t.Fatalf("cause %v: error %v", code, ev.Err)
		}
		var cause wire.ErrorCause
		if !errors.As(ev.Err, &cause) || cause.Code != code {
			t.Fatalf("cause %v: errors.As gives %v", code, cause)
		}
		if c.Registered() {
			t.Fatal("registered after rejection")
		}
		// Tries again after the re-registration interval.
		sentMsg[*wire.Registration](t, c.Tick(t0.Add(30*time.Second)), 1)
	}
}

func TestPEKeepAliveAckAndRehoming(t *testing.T) {
	c := newTestPE(t, 1)
	registered(t, c, t0)
	id := testPE
	ack := sentMsg[*wire.EndpointKeepAliveAck](t, c.Message(t0, 1, &wire.EndpointKeepAlive{ServerID: 11, PoolHandle: testHandle, PEIdentifier: &id}), 1)
	if ack.PEIdentifier != testPE || string(ack.PoolHandle) != "echo" {
		t.Fatalf("ack %+v", ack)
	}
	if h, sid := c.Home(); h != 1 || sid != 11 {
		t.Fatalf("home %d/%d, want association 1, server 11", h, sid)
	}
	// A keep-alive about another PE is not ours to answer.
	other := wire.PEIdentifier(99)
	if acts := c.Message(t0, 1, &wire.EndpointKeepAlive{ServerID: 11, PoolHandle: testHandle, PEIdentifier: &other}); len(acts) != 0 {
		t.Fatalf("answered a keep-alive for PE 99: %#v", acts)
	}
	// Takeover: registrar 22 calls in on association 7 with H set.
	now := t0.Add(time.Second)
	acts := c.Message(now, 7, &wire.EndpointKeepAlive{Home: true, ServerID: 22, PoolHandle: testHandle})
	sentMsg[*wire.EndpointKeepAliveAck](t, acts, 7)
	if ev := only[PEEvent](t, acts); ev.Kind != PEHomeChanged || ev.ServerID != 22 || ev.Assoc != 7 {
		t.Fatalf("event %+v", ev)
	}
	if h, sid := c.Home(); h != 7 || sid != 22 {
		t.Fatalf("home %d/%d, want association 7, server 22", h, sid)
	}
	// Re-registration now goes to the new home and names it.
	reg := sentMsg[*wire.Registration](t, c.Tick(now.Add(30*time.Second)), 7)
	if reg.PoolElement.HomeRegistrar != 22 {
		t.Fatalf("home registrar in registration %d, want 22", reg.PoolElement.HomeRegistrar)
	}
	// The old registrar's association dying does not matter any more.
	if acts := c.AssocDown(now, 1); len(acts) != 0 {
		t.Fatalf("old registrar down: %#v", acts)
	}
	// Keep-alives are answered while waiting for a response, and H from
	// the home again changes nothing.
	acts = c.Message(now, 7, &wire.EndpointKeepAlive{Home: true, ServerID: 22, PoolHandle: testHandle})
	sentMsg[*wire.EndpointKeepAliveAck](t, acts, 7)
	none[PEEvent](t, acts)
}

func TestPEFailoverOnAssociationLoss(t *testing.T) {
	c := newTestPE(t, 3)
	registered(t, c, t0)
	now := t0.Add(time.Second)
	acts := c.AssocDown(now, 1)
	if ev := only[PEEvent](t, acts); ev.Kind != PERegistrarLost {
		t.Fatalf("%+v", ev)
	}
	if d := only[DialRegistrar](t, acts); d.Index != 1 {
		t.Fatalf("dial %d, want 1", d.Index)
	}
	// Registrar 1 refuses, registrar 2 refuses: a whole round failed
	// (0 lost, 1, 2), back off ReconnectMin before registrar 0 again.
	if d := only[DialRegistrar](t, c.DialFailed(now, 1)); d.Index != 2 {
		t.Fatalf("dial %d, want 2", d.Index)
	}
	none[DialRegistrar](t, c.DialFailed(now, 2))
	if d := c.NextDeadline(); !d.Equal(now.Add(100 * time.Millisecond)) {
		t.Fatalf("retry after %v, want 100ms", d.Sub(now))
	}
	now = now.Add(100 * time.Millisecond)
	if d := only[DialRegistrar](t, c.Tick(now)); d.Index != 0 {
		t.Fatalf("dial %d, want 0", d.Index)
	}
	// Back-off doubles after the next failed round.
	c.DialFailed(now, 0)
	c.DialFailed(now, 1)
	c.DialFailed(now, 2)
	if d := c.NextDeadline(); !d.Equal(now.Add(200 * time.Millisecond)) {
		t.Fatalf("retry after %v, want 200ms", d.Sub(now))
	}
	now = now.Add(200 * time.Millisecond)
	only[DialRegistrar](t, c.Tick(now))
	reg := sentMsg[*wire.Registration](t, c.AssocUp(now, 5, 0), 5)
	acts = c.Message(now, 5, &wire.RegistrationResponse{PoolHandle: reg.PoolHandle, PEIdentifier: testPE})
	if ev := only[PEEvent](t, acts); ev.Kind != PERegistered || !ev.First || ev.Registrar != 0 {
		t.Fatalf("%+v", ev)
	}
}

func TestPEFailoverWhenRegistrarStopsAnswering(t *testing.T) {
	c := newTestPE(t, 2)
	registered(t, c, t0)
	now := t0.Add(30 * time.Second)
	sentMsg[*wire.Registration](t, c.Tick(now), 1)
	// Two retransmissions, one second apart, then give up on it.
	for i := 0; i < 2; i++ {
		now = now.Add(time.Second)
		sentMsg[*wire.Registration](t, c.Tick(now), 1)
	}
	now = now.Add(time.Second)
	acts := c.Tick(now)
	if cl := only[CloseAssoc](t, acts); cl.Assoc != 1 {
		t.Fatalf("close %d", cl.Assoc)
	}
	if d := only[DialRegistrar](t, acts); d.Index != 1 {
		t.Fatalf("dial %d, want 1", d.Index)
	}
	if ev := only[PEEvent](t, acts); ev.Kind != PERegistrarLost {
		t.Fatalf("%+v", ev)
	}
	sentMsg[*wire.Registration](t, c.AssocUp(now, 2, 1), 2)
}

func TestPESetPolicyReregistersAtOnce(t *testing.T) {
	c := newTestPE(t, 1)
	registered(t, c, t0)
	p := wire.Policy{Type: wire.PolicyLeastUsed, Load: wire.FractionOf(0.5)}
	reg := sentMsg[*wire.Registration](t, c.SetPolicy(t0.Add(time.Second), p), 1)
	if reg.PoolElement.Policy.Type != wire.PolicyLeastUsed || reg.PoolElement.Policy.Load != wire.FractionOf(0.5) {
		t.Fatalf("policy %v", reg.PoolElement.Policy)
	}
	// While that is outstanding, another change waits for the answer.
	if acts := c.SetPolicy(t0.Add(time.Second), wire.Policy{Type: wire.PolicyLeastUsed, Load: wire.FractionOf(0.9)}); len(acts) != 0 {
		t.Fatalf("%#v", acts)
	}
	c.Message(t0.Add(time.Second), 1, &wire.RegistrationResponse{PoolHandle: testHandle, PEIdentifier: testPE})
	reg = sentMsg[*wire.Registration](t, c.Tick(t0.Add(time.Second)), 1)
	if reg.PoolElement.Policy.Load != wire.FractionOf(0.9) {
		t.Fatalf("load %v", reg.PoolElement.Policy.Load)
	}
}

func TestPEDeregistration(t *testing.T) {
	c := newTestPE(t, 1)
	registered(t, c, t0)
	d := sentMsg[*wire.Deregistration](t, c.Deregister(t0), 1)
	if d.PEIdentifier != testPE || string(d.PoolHandle) != "echo" {
		t.Fatalf("%+v", d)
	}
	// Keep-alives are still answered meanwhile.
	sentMsg[*wire.EndpointKeepAliveAck](t, c.Message(t0, 1, &wire.EndpointKeepAlive{ServerID: 1, PoolHandle: testHandle}), 1)
	acts := c.Message(t0, 1, &wire.DeregistrationResponse{PoolHandle: testHandle, PEIdentifier: testPE})
	if ev := only[PEEvent](t, acts); ev.Kind != PEDeregistered || ev.Err != nil {
		t.Fatalf("%+v", ev)
	}
	if !c.Stopped() {
		t.Fatal("not stopped")
	}

	// No answer: stops after the deregistration timeout.
	c = newTestPE(t, 1)
	registered(t, c, t0)
	c.Deregister(t0)
	if d := c.NextDeadline(); !d.Equal(t0.Add(2 * time.Second)) {
		t.Fatalf("deadline %v", d.Sub(t0))
	}
	if ev := only[PEEvent](t, c.Tick(t0.Add(2*time.Second))); ev.Kind != PEDeregistered || ev.Err == nil {
		t.Fatalf("%+v", ev)
	}
	if !c.Stopped() {
		t.Fatal("not stopped")
	}

	// Never registered: stops at once.
	c = newTestPE(t, 1)
	c.Start(t0)
	if ev := only[PEEvent](t, c.Deregister(t0)); ev.Kind != PEDeregistered || ev.Err == nil {
		t.Fatalf("%+v", ev)
	}
}
