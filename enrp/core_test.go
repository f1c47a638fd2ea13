package enrp

import (
	"fmt"
	"math"
	"net/netip"
	"slices"
	"testing"
	"time"

	"github.com/sigpool/sigpool/wire"
)

var t0 = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

// fake is a core driven by a fake clock; replies are decoded for checks.
type fake struct {
	t    *testing.T
	c    *Core
	now  time.Time
	acts Actions
}

func newFake(t *testing.T, cfg Config) *fake {
	t.Helper()
	if cfg.ServerID == 0 {
		cfg.ServerID = 0x1234
	}
	c, err := NewCore(cfg)
	if err != nil {
		t.Fatal(err)
	}
	f := &fake{t: t, c: c, now: t0}
	for id := AssocID(1); id <= 4; id++ {
		c.AssociationUp(id, wire.Transport{Kind: wire.TransportTCP, Port: 40000 + uint16(id), Addresses: []netip.Addr{netip.MustParseAddr("127.0.0.1")}})
	}
	return f
}

// in sends m from assoc id through the wire codec (as the driver does) and
// returns the decoded replies.
func (f *fake) in(id AssocID, m wire.Message) []wire.Message {
	f.t.Helper()
	raw, err := wire.Marshal(m)
	if err != nil {
		f.t.Fatal(err)
	}
	return f.raw(id, raw)
}

func (f *fake) raw(id AssocID, raw []byte) []wire.Message {
	f.t.Helper()
	f.acts.Reset()
	msg, reports, err := wire.DecodeASAP(raw)
	if err != nil {
		f.c.HandleASAPDecodeError(f.now, id, raw, err, &f.acts)
	} else {
		f.c.HandleASAP(f.now, id, raw, msg, reports, &f.acts)
	}
	return f.out()
}

func (f *fake) out() []wire.Message {
	f.t.Helper()
	var res []wire.Message
	for i := 0; i < f.acts.Len(); i++ {
		_, ppid, b := f.acts.Message(i)
		dec := wire.DecodeASAP
		if ppid == wire.PPIDENRP {
			dec = wire.DecodeENRP
		}
		m, _, err := dec(b)
		if err != nil {
			f.t.Fatalf("core sent undecodable message: %v", err)
		}
		res = append(res, m)
	}
	return res
}

// advance moves the clock, running every timer on the way (as the driver
// does), and returns what was sent.
func (f *fake) advance(d time.Duration) []wire.Message {
	f.t.Helper()
	end := f.now.Add(d)
	var all []wire.Message
	for {
		dl, ok := f.c.NextDeadline()
		if !ok || dl.After(end) {
			break
		}
		f.now = dl
		f.acts.Reset()
		f.c.Tick(f.now, &f.acts)
		all = append(all, f.out()...)
	}
	f.now = end
	return all
}

func pe(id uint32, port uint16, pol wire.Policy) wire.PoolElement {
	return wire.PoolElement{Identifier: wire.PEIdentifier(id), RegistrationLife: 30000,
		UserTransport: wire.Transport{Kind: wire.TransportTCP, Port: port, Use: wire.TransportUseDataOnly, Addresses: []netip.Addr{netip.MustParseAddr("127.0.0.1")}},
		Policy:        pol}
}

var rr = wire.Policy{Type: wire.PolicyRoundRobin}

func reg(ph string, p wire.PoolElement) *wire.Registration {
	return &wire.Registration{PoolHandle: wire.PoolHandle(ph), PoolElement: p}
}

func one[T wire.Message](t *testing.T, ms []wire.Message) T {
	t.Helper()
	if len(ms) != 1 {
		t.Fatalf("got %d messages %v, want 1", len(ms), ms)
	}
	m, ok := ms[0].(T)
	if !ok {
		t.Fatalf("got %T %v", ms[0], ms[0])
	}
	return m
}

func causeOf(oe *wire.OperationError) wire.CauseCode {
	if oe == nil || len(oe.Causes) == 0 {
		return 0
	}
	return oe.Causes[0].Code
}

func TestRegistrationCauses(t *testing.T) {
	long := string(make([]byte, 33))
	sctp := pe(5, 5005, rr)
	sctp.UserTransport.Kind = wire.TransportSCTP
	ctl := pe(6, 5006, rr)
	ctl.UserTransport.Use = wire.TransportUseDataPlusControl
	zero := pe(0, 5007, rr)
	noLife := pe(8, 5008, rr)
	noLife.RegistrationLife = 0
	unknownPol := pe(9, 5009, wire.Policy{Type: 0x7777, Value: []byte{0, 0, 0, 1}})
	cases := []struct {
		name string
		ph   string
		pe   wire.PoolElement
		want wire.CauseCode
	}{
		{"non-unique PE ID", "p", pe(1, 6000, rr), wire.CauseNonUniquePEIdentifier},
		{"policy inconsistent", "p", pe(2, 5002, wire.Policy{Type: wire.PolicyLeastUsed}), wire.CauseInconsistentPoolingPolicy},
		{"transport inconsistent", "p", sctp, wire.CauseInconsistentTransportType},
		{"data/control inconsistent", "p", ctl, wire.CauseInconsistentDataControlConfig},
		{"zero PE ID", "p", zero, wire.CauseInvalidValues},
		{"oversize handle", long, pe(3, 5003, rr), wire.CauseInvalidValues},
		{"empty handle", "", pe(3, 5003, rr), wire.CauseInvalidValues},
		{"zero life", "p", noLife, wire.CauseInvalidValues},
		{"unknown policy", "q", unknownPol, wire.CauseInvalidValues},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			f := newFake(t, Config{})
			ok := one[*wire.RegistrationResponse](t, f.in(1, reg("p", pe(1, 5001, rr))))
			if ok.Reject {
				t.Fatalf("first registration rejected: %v", ok.Error)
			}
			if tc.name != "policy inconsistent" && tc.name != "transport inconsistent" && tc.name != "data/control inconsistent" {
				// nothing extra
			} else {
				// a second PE keeps the pool non-trivial for "alone may change"
				one[*wire.RegistrationResponse](t, f.in(1, reg("p", pe(10, 5010, rr))))
			}
			r := one[*wire.RegistrationResponse](t, f.in(2, reg(tc.ph, tc.pe)))
			if !r.Reject || causeOf(r.Error) != tc.want {
				t.Fatalf("got reject=%v %v, want cause %v", r.Reject, r.Error, tc.want)
			}
		})
	}
	t.Run("lack of resources", func(t *testing.T) {
		f := newFake(t, Config{MaxPEsPerAssociation: 2})
		for i := uint32(1); i <= 2; i++ {
			if r := one[*wire.RegistrationResponse](t, f.in(1, reg("p", pe(i, uint16(5000+i), rr)))); r.Reject {
				t.Fatal(r.Error)
			}
		}
		r := one[*wire.RegistrationResponse](t, f.in(1, reg("p", pe(3, 5003, rr))))
		if causeOf(r.Error) != wire.CauseLackOfResources {
			t.Fatalf("got %v", r.Error)
		}
		// re-registering a known PE is still fine
		if r := one[*wire.RegistrationResponse](t, f.in(1, reg("p", pe(2, 5002, rr)))); r.Reject {
			t.Fatal(r.Error)
		}
	})
	t.Run("lack of resources (handlespace)", func(t *testing.T) {
		cfg := Config{}
		cfg.Handlespace.MaxPEsPerPool = 1
		f := newFake(t, cfg)
		one[*wire.RegistrationResponse](t, f.in(1, reg("p", pe(1, 5001, rr))))
		r := one[*wire.RegistrationResponse](t, f.in(1, reg("p", pe(2, 5002, rr))))
		if causeOf(r.Error) != wire.CauseLackOfResources {
			t.Fatalf("got %v", r.Error)
		}
	})
}

func TestReregistrationUpdatesLoadAndLife(t *testing.T) {
	f := newFake(t, Config{KeepAliveInterval: time.Hour})
	lu := wire.Policy{Type: wire.PolicyLeastUsed, Load: wire.FractionOf(0.5)}
	p := pe(1, 5001, lu)
	p.RegistrationLife = 1000
	one[*wire.RegistrationResponse](t, f.in(1, reg("p", p)))
	f.advance(900 * time.Millisecond)
	p.Policy.Load = wire.FractionOf(0.25)
	p.RegistrationLife = 2000
	if r := one[*wire.RegistrationResponse](t, f.in(1, reg("p", p))); r.Reject {
		t.Fatal(r.Error)
	}
	rec, ok := f.c.Namespace().Lookup(wire.PoolHandle("p"), 1)
	if !ok || rec.Policy().Load != wire.FractionOf(0.25) || rec.RegistrationLife() != 2000 {
		t.Fatalf("not updated: %v", rec)
	}
	if rec.HomeRegistrar() != 0x1234 {
		t.Fatalf("home registrar %x", rec.HomeRegistrar())
	}
	f.advance(1500 * time.Millisecond) // beyond the first life, within the second
	if _, ok := f.c.Namespace().Lookup(wire.PoolHandle("p"), 1); !ok {
		t.Fatal("PE expired with its old life")
	}
	f.acts.Reset()
	f.advance(600 * time.Millisecond)
	if _, ok := f.c.Namespace().Lookup(wire.PoolHandle("p"), 1); ok {
		t.Fatal("PE still registered after its life")
	}
}

func TestDeregistration(t *testing.T) {
	f := newFake(t, Config{})
	one[*wire.RegistrationResponse](t, f.in(1, reg("p", pe(1, 5001, rr))))
	one[*wire.RegistrationResponse](t, f.in(1, reg("p", pe(2, 5002, rr))))
	// another association may not deregister the PE
	r := one[*wire.DeregistrationResponse](t, f.in(2, &wire.Deregistration{PoolHandle: wire.PoolHandle("p"), PEIdentifier: 1}))
	if causeOf(r.Error) != wire.CauseRejectionDueToSecurity {
		t.Fatalf("got %v", r.Error)
	}
	r = one[*wire.DeregistrationResponse](t, f.in(1, &wire.Deregistration{PoolHandle: wire.PoolHandle("p"), PEIdentifier: 1}))
	if r.Error != nil || r.PEIdentifier != 1 {
		t.Fatalf("got %v", r)
	}
	if f.c.Namespace().Len() != 1 {
		t.Fatal("PE not removed")
	}
	// unknown PE in a known pool: confirmed
	if r := one[*wire.DeregistrationResponse](t, f.in(1, &wire.Deregistration{PoolHandle: wire.PoolHandle("p"), PEIdentifier: 99})); r.Error != nil {
		t.Fatal(r.Error)
	}
	r = one[*wire.DeregistrationResponse](t, f.in(1, &wire.Deregistration{PoolHandle: wire.PoolHandle("nope"), PEIdentifier: 1}))
	if causeOf(r.Error) != wire.CauseUnknownPoolHandle {
		t.Fatalf("got %v", r.Error)
	}
	if len(f.c.timers) != 1 || len(f.c.pes) != 1 {
		t.Fatalf("state leaked: %d timers %d pes", len(f.c.timers), len(f.c.pes))
	}
}

func TestResolution(t *testing.T) {
	f := newFake(t, Config{HandleResolutionItemsCap: 8})
	for i := uint32(1); i <= 10; i++ {
		one[*wire.RegistrationResponse](t, f.in(1, reg("p", pe(i, uint16(5000+i), rr))))
	}
	res := func(opt *wire.HandleResolutionOption) *wire.HandleResolutionResponse {
		return one[*wire.HandleResolutionResponse](t, f.in(3, &wire.HandleResolution{PoolHandle: wire.PoolHandle("p"), Option: opt}))
	}
	if r := res(nil); len(r.PoolElements) != 3 || r.Policy == nil || r.Policy.Type != wire.PolicyRoundRobin {
		t.Fatalf("default: %v", r)
	}
	if r := res(&wire.HandleResolutionOption{Items: 5}); len(r.PoolElements) != 5 {
		t.Fatalf("option 5: %d", len(r.PoolElements))
	}
	if r := res(&wire.HandleResolutionOption{Items: wire.AllItems}); len(r.PoolElements) != 8 {
		t.Fatalf("all, capped at 8: %d", len(r.PoolElements))
	}
	if r := res(&wire.HandleResolutionOption{Items: 1000}); len(r.PoolElements) != 8 {
		t.Fatalf("1000, capped at 8: %d", len(r.PoolElements))
	}
	// round robin: the first PE advances by one per resolution
	first := res(&wire.HandleResolutionOption{Items: 1}).PoolElements[0].Identifier
	second := res(&wire.HandleResolutionOption{Items: 1}).PoolElements[0].Identifier
	if first == second {
		t.Fatalf("round robin repeated %v", first)
	}
	r := one[*wire.HandleResolutionResponse](t, f.in(3, &wire.HandleResolution{PoolHandle: wire.PoolHandle("none")}))
	if causeOf(r.Error) != wire.CauseUnknownPoolHandle {
		t.Fatalf("unknown handle: %v", r)
	}
	// PEs in ASAP responses carry no ASAP transport
	if r := res(nil); r.PoolElements[0].ASAPTransport != nil {
		t.Fatal("ASAP transport leaked into ASAP response")
	}
}

func TestResolutionAllocatesNothing(t *testing.T) {
	f := newFake(t, Config{})
	for i := uint32(1); i <= 20; i++ {
		f.in(1, reg("p", pe(i, uint16(5000+i), rr)))
	}
	raw, _ := wire.Marshal(&wire.HandleResolution{PoolHandle: wire.PoolHandle("p")})
	msg, _, _ := wire.DecodeASAP(raw)
	allocs := testing.AllocsPerRun(1000, func() {
		f.acts.Reset()
		f.c.HandleASAP(f.now, 3, raw, msg, nil, &f.acts)
	})
	if allocs > 0 {
		t.Fatalf("%.1f allocations per resolution", allocs)
	}
}

func TestWeightedDistribution(t *testing.T) {
	f := newFake(t, Config{})
	weights := []uint32{1, 2, 3}
	for i, w := range weights {
		f.in(1, reg("w", pe(uint32(i+1), uint16(5001+i), wire.Policy{Type: wire.PolicyWeightedRandom, Weight: w})))
	}
	for i := uint32(1); i <= 3; i++ {
		f.in(1, reg("rr", pe(i, uint16(6000+i), rr)))
	}
	const n = 30000
	counts := map[wire.PEIdentifier]int{}
	rrSeq := make([]wire.PEIdentifier, 0, n)
	opt := &wire.HandleResolutionOption{Items: 1}
	for range n {
		counts[one[*wire.HandleResolutionResponse](t, f.in(3, &wire.HandleResolution{PoolHandle: wire.PoolHandle("w"), Option: opt})).PoolElements[0].Identifier]++
		rrSeq = append(rrSeq, one[*wire.HandleResolutionResponse](t, f.in(3, &wire.HandleResolution{PoolHandle: wire.PoolHandle("rr"), Option: opt})).PoolElements[0].Identifier)
	}
	for i, w := range weights {
		want := float64(w) / 6
		got := float64(counts[wire.PEIdentifier(i+1)]) / n
		if math.Abs(got-want)/want > 0.03 {
			t.Errorf("weight %d: share %.4f, want %.4f ±3%%", w, got, want)
		}
	}
	for i := 3; i < n; i++ {
		if rrSeq[i] != rrSeq[i-3] || rrSeq[i] == rrSeq[i-1] {
			t.Fatalf("round robin not exact at %d: %v", i, rrSeq[i-3:i+1])
		}
	}
}

func TestKeepAliveTimeoutRemovesPE(t *testing.T) {
	f := newFake(t, Config{KeepAliveInterval: 100 * time.Millisecond, KeepAliveTimeout: 300 * time.Millisecond})
	one[*wire.RegistrationResponse](t, f.in(1, reg("p", pe(1, 5001, rr))))
	one[*wire.RegistrationResponse](t, f.in(2, reg("p", pe(2, 5002, rr))))
	// PE 1 answers every keep-alive, PE 2 never does.
	for step := 0; step < 10; step++ {
		out := f.advance(50 * time.Millisecond)
		for _, m := range out {
			ka, ok := m.(*wire.EndpointKeepAlive)
			if !ok {
				t.Fatalf("unexpected %v", m)
			}
			if ka.ServerID != 0x1234 || ka.PEIdentifier == nil {
				t.Fatalf("bad keep-alive %v", ka)
			}
			if *ka.PEIdentifier == 1 {
				f.in(1, &wire.EndpointKeepAliveAck{PoolHandle: ka.PoolHandle, PEIdentifier: 1})
			}
		}
	}
	// 500 ms: PE 2 got its keep-alive at 100 ms, timed out at 400 ms.
	if _, ok := f.c.Namespace().Lookup(wire.PoolHandle("p"), 2); ok {
		t.Fatal("silent PE still registered")
	}
	if _, ok := f.c.Namespace().Lookup(wire.PoolHandle("p"), 1); !ok {
		t.Fatal("answering PE removed")
	}
	// an ack forged on another association does not keep a PE alive
	f.advance(100 * time.Millisecond)
	f.in(3, &wire.EndpointKeepAliveAck{PoolHandle: wire.PoolHandle("p"), PEIdentifier: 1})
	f.advance(time.Second)
	if _, ok := f.c.Namespace().Lookup(wire.PoolHandle("p"), 1); ok {
		t.Fatal("forged ack kept the PE")
	}
}

// A PE removed for an unanswered keep-alive takes its association down
// with it when it was the association's last PE, so that a PE that was
// only slow registers again at once; an association that still carries an
// answering PE stays.
func TestKeepAliveTimeoutAbortsEmptiedAssociation(t *testing.T) {
	f := newFake(t, Config{KeepAliveInterval: 100 * time.Millisecond, KeepAliveTimeout: 300 * time.Millisecond})
	one[*wire.RegistrationResponse](t, f.in(1, reg("p", pe(1, 5001, rr))))
	one[*wire.RegistrationResponse](t, f.in(2, reg("p", pe(2, 5002, rr))))
	one[*wire.RegistrationResponse](t, f.in(2, reg("p", pe(3, 5003, rr))))
	aborts := f.advanceAborts(time.Second, func(m wire.Message) {
		if ka, ok := m.(*wire.EndpointKeepAlive); ok && *ka.PEIdentifier == 3 {
			f.in(2, &wire.EndpointKeepAliveAck{PoolHandle: ka.PoolHandle, PEIdentifier: 3})
		}
	})
	for _, id := range []uint32{1, 2} {
		if _, ok := f.c.Namespace().Lookup(wire.PoolHandle("p"), wire.PEIdentifier(id)); ok {
			t.Fatalf("silent PE %d still registered", id)
		}
	}
	if _, ok := f.c.Namespace().Lookup(wire.PoolHandle("p"), 3); !ok {
		t.Fatal("answering PE 3 removed")
	}
	if !slices.Equal(aborts, []AssocID{1}) {
		t.Fatalf("aborted associations %v, want [1] (PE 1's; PE 3 still uses 2)", aborts)
	}
}

// A keep-alive deadline the registrar reaches late (it was stalled: the
// ack may be read but not yet handled) does not remove the PE at once: an
// ack within the grace keeps it; without one the PE goes after the grace.
func TestLateKeepAliveDeadlineGivesGrace(t *testing.T) {
	f := newFake(t, Config{KeepAliveInterval: 100 * time.Millisecond, KeepAliveTimeout: 300 * time.Millisecond})
	one[*wire.RegistrationResponse](t, f.in(1, reg("p", pe(1, 5001, rr))))
	stall := func() []wire.Message {
		f.now = f.now.Add(2 * time.Second)
		f.acts.Reset()
		f.c.Tick(f.now, &f.acts)
		return f.out()
	}
	registered := func() bool {
		_, ok := f.c.Namespace().Lookup(wire.PoolHandle("p"), 1)
		return ok
	}
	one[*wire.EndpointKeepAlive](t, f.advance(150*time.Millisecond))
	if stall(); !registered() {
		t.Fatal("PE removed by the deadline the registrar reached 2 s late")
	}
	f.in(1, &wire.EndpointKeepAliveAck{PoolHandle: wire.PoolHandle("p"), PEIdentifier: 1})
	if one[*wire.EndpointKeepAlive](t, f.advance(150*time.Millisecond)); !registered() {
		t.Fatal("PE removed although its ack came within the grace")
	}
	if stall(); !registered() {
		t.Fatal("second late deadline removed the PE at once")
	}
	f.advance(100 * time.Millisecond)
	if registered() {
		t.Fatal("PE without an ack still registered after the grace")
	}
	// The deadline reached on time removes at once: no grace.
	one[*wire.RegistrationResponse](t, f.in(2, reg("p", pe(1, 5001, rr))))
	f.advance(100 * time.Millisecond) // keep-alive sent
	f.advance(300 * time.Millisecond) // unanswered
	if registered() {
		t.Fatal("PE still registered after a deadline reached on time")
	}
}

// Endpoint Unreachable reports remove a PE only when MaxBadPEReports
// different reporters send them within the window; the first report makes
// the registrar check the PE at once, so a dead PE goes at the keep-alive
// timeout anyway, and one client's forged reports cannot remove a live PE.
func TestUnreachableReports(t *testing.T) {
	f := newFake(t, Config{BadPEReportWindow: 10 * time.Second, KeepAliveInterval: time.Hour, KeepAliveTimeout: time.Second})
	one[*wire.RegistrationResponse](t, f.in(1, reg("p", pe(1, 5001, rr))))
	ur := &wire.EndpointUnreachable{PoolHandle: wire.PoolHandle("p"), PEIdentifier: 1}
	present := func() bool { _, ok := f.c.Namespace().Lookup(wire.PoolHandle("p"), 1); return ok }
	for id := AssocID(3); id <= 6; id++ {
		f.c.AssociationUp(id, wire.Transport{})
		f.c.SetIdentity(id, []string{fmt.Sprintf("pu-%d", id)})
	}
	f.in(3, ur)
	// The first report sends a keep-alive at once; the live PE answers.
	f.advance(0)
	if f.c.Stats().KeepAlivesSent != 1 {
		t.Fatalf("keep-alives after the first report: %d, want 1", f.c.Stats().KeepAlivesSent)
	}
	f.in(1, &wire.EndpointKeepAliveAck{PoolHandle: wire.PoolHandle("p"), PEIdentifier: 1})
	for range 50 { // a storm from one reporter
		f.in(3, ur)
	}
	if n := f.c.Stats().KeepAlivesSent; n != 1 {
		t.Fatalf("one reporter's storm sent %d keep-alives, want the one of its first report", n)
	}
	f.advance(2 * time.Second)
	if !present() {
		t.Fatal("a live PE was removed by one reporter's reports")
	}
	f.now = f.now.Add(11 * time.Second) // reporter 3 falls out of the window
	f.in(4, ur)
	f.in(5, ur)
	if !present() {
		t.Fatal("removed with 2 reporters in the window")
	}
	f.in(6, ur)
	if present() {
		t.Fatal("not removed after 3 reporters")
	}
	if len(f.c.timers) != 0 || len(f.c.pes) != 0 {
		t.Fatal("state leaked")
	}

	// A PE that is really gone: one report, no Keep-Alive Ack, removed at
	// the keep-alive timeout.
	g := newFake(t, Config{KeepAliveInterval: time.Hour, KeepAliveTimeout: time.Second})
	g.in(1, reg("p", pe(1, 5001, rr)))
	g.in(3, ur)
	g.advance(1100 * time.Millisecond)
	if _, ok := g.c.Namespace().Lookup(wire.PoolHandle("p"), 1); ok {
		t.Fatal("a PE that never answered the keep-alive the report triggered is still there")
	}
}

func TestLifetimeExpiry(t *testing.T) {
	f := newFake(t, Config{KeepAliveInterval: time.Hour})
	p := pe(1, 5001, rr)
	p.RegistrationLife = 2500
	one[*wire.RegistrationResponse](t, f.in(1, reg("p", p)))
	f.advance(2499 * time.Millisecond)
	if f.c.Namespace().Len() != 1 {
		t.Fatal("expired early")
	}
	f.advance(time.Millisecond)
	if f.c.Namespace().Len() != 0 || len(f.c.pes) != 0 || len(f.c.timers) != 0 {
		t.Fatal("not expired / state leaked")
	}
}

func TestAssociationLoss(t *testing.T) {
	f := newFake(t, Config{})
	f.in(1, reg("p", pe(1, 5001, rr)))
	f.in(2, reg("p", pe(2, 5002, rr)))
	f.acts.Reset()
	f.c.AssociationDown(f.now, 1, &f.acts)
	if f.c.Namespace().Len() != 1 {
		t.Fatal("PE of the lost association kept")
	}
	g := newFake(t, Config{KeepOnAssociationLoss: true, KeepAliveInterval: time.Second, KeepAliveTimeout: time.Second})
	g.in(1, reg("p", pe(1, 5001, rr)))
	g.c.AssociationDown(g.now, 1, &g.acts)
	if g.c.Namespace().Len() != 1 {
		t.Fatal("KeepOnAssociationLoss removed the PE")
	}
	g.advance(2 * time.Second)
	if g.c.Namespace().Len() != 0 {
		t.Fatal("keep-alive did not remove the PE of a lost association")
	}
}

func TestRateLimits(t *testing.T) {
	f := newFake(t, Config{ResolutionRate: 10, ResolutionBurst: 5, UnreachableRate: 1, UnreachableBurst: 1, RegistrationRate: 2, RegistrationBurst: 2})
	f.in(1, reg("p", pe(1, 5001, rr)))
	f.in(1, reg("p", pe(2, 5002, rr)))
	r := one[*wire.RegistrationResponse](t, f.in(1, reg("p", pe(3, 5003, rr))))
	if causeOf(r.Error) != wire.CauseLackOfResources {
		t.Fatalf("registration over limit: %v", r)
	}
	ok, limited := 0, 0
	for range 20 {
		r := one[*wire.HandleResolutionResponse](t, f.in(3, &wire.HandleResolution{PoolHandle: wire.PoolHandle("p")}))
		switch causeOf(r.Error) {
		case 0:
			ok++
		case wire.CauseLackOfResources:
			limited++
		}
	}
	if ok != 5 || limited != 15 {
		t.Fatalf("burst: %d answered, %d limited", ok, limited)
	}
	f.now = f.now.Add(500 * time.Millisecond) // 5 tokens back
	if r := one[*wire.HandleResolutionResponse](t, f.in(3, &wire.HandleResolution{PoolHandle: wire.PoolHandle("p")})); r.Error != nil {
		t.Fatal("tokens not refilled")
	}
	// another association has its own bucket
	if r := one[*wire.HandleResolutionResponse](t, f.in(4, &wire.HandleResolution{PoolHandle: wire.PoolHandle("p")})); r.Error != nil {
		t.Fatal("limit shared across associations")
	}
	// unreachable: 1/s; three reports in a burst count once
	ur := &wire.EndpointUnreachable{PoolHandle: wire.PoolHandle("p"), PEIdentifier: 1}
	for range 5 {
		f.in(3, ur)
	}
	if _, ok := f.c.Namespace().Lookup(wire.PoolHandle("p"), 1); !ok {
		t.Fatal("rate-limited reports removed the PE")
	}
}

func TestUnexpectedMessagesAndReports(t *testing.T) {
	f := newFake(t, Config{})
	e := one[*wire.ASAPErrorMessage](t, f.in(1, &wire.BusinessCard{PoolHandle: wire.PoolHandle("p")}))
	if causeOf(&e.Error) != wire.CauseUnrecognizedMessage {
		t.Fatalf("got %v", e)
	}
	// an error from the peer is never answered
	if out := f.in(1, &wire.ASAPErrorMessage{Error: wire.OperationError{Causes: []wire.ErrorCause{{Code: wire.CauseInvalidValues}}}}); len(out) != 0 {
		t.Fatalf("answered an error: %v", out)
	}
}

func TestHandleTablePaging(t *testing.T) {
	f := newFake(t, Config{HandleTableBlock: 4})
	for i := uint32(1); i <= 10; i++ {
		f.in(1, reg("p"+string(rune('a'+i%3)), pe(i, uint16(5000+i), rr)))
	}
	req, _ := wire.Marshal(&wire.HandleTableRequest{SenderServerID: 7})
	total, blocks := 0, 0
	for {
		f.acts.Reset()
		f.c.HandleENRP(f.now, 2, req, &f.acts)
		resp := one[*wire.HandleTableResponse](t, f.out())
		blocks++
		for _, e := range resp.Entries {
			for _, p := range e.PoolElements {
				total++
				if p.ASAPTransport == nil || p.HomeRegistrar != 0x1234 {
					t.Fatalf("PE %v lacks ASAP transport or home", p)
				}
			}
		}
		if resp.ReceiverServerID != 7 || resp.SenderServerID != 0x1234 {
			t.Fatalf("server IDs %v", resp)
		}
		if !resp.MoreToSend {
			break
		}
	}
	if total != 10 || blocks != 3 {
		t.Fatalf("%d PEs in %d blocks", total, blocks)
	}
}
