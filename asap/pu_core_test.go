package asap

import (
	"errors"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/sigpool/sigpool/policy"
	"github.com/sigpool/sigpool/wire"
)

func newTestPU(t *testing.T, registrars int) *PUCore {
	t.Helper()
	c, err := NewPUCore(PUCoreConfig{Registrars: registrars, Timers: testTimers, Rand: rand.New(rand.NewPCG(1, 2))})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func pool(ids ...wire.PEIdentifier) []wire.PoolElement {
	var out []wire.PoolElement
	for i, id := range ids {
		out = append(out, testElement(id, uint16(7000+i)))
	}
	return out
}

func answer(handle wire.PoolHandle, pes []wire.PoolElement) *wire.HandleResolutionResponse {
	return &wire.HandleResolutionResponse{PoolHandle: handle, Policy: &wire.Policy{Type: wire.PolicyRoundRobin}, PoolElements: pes}
}

func TestPUCacheTTLAndDedup(t *testing.T) {
	c := newTestPU(t, 1)
	now := t0
	if d := only[DialRegistrar](t, c.Resolve(now, testHandle, 1)); d.Index != 0 {
		t.Fatal(d)
	}
	// A second caller while the first waits: no second request.
	if acts := c.Resolve(now, testHandle, 2); len(acts) != 0 {
		t.Fatalf("%#v", acts)
	}
	hr := sentMsg[*wire.HandleResolution](t, c.AssocUp(now, 1, 0), 1)
	if string(hr.PoolHandle) != "echo" {
		t.Fatal(hr)
	}
	if acts := c.Resolve(now, testHandle, 3); len(acts) != 0 {
		t.Fatalf("third caller: %#v", acts)
	}
	r := only[Resolved](t, c.Message(now, 1, answer(testHandle, pool(1, 2))))
	if !slices.Equal(r.Reqs, []ReqID{1, 2, 3}) || len(r.Elements) != 2 || r.Stale || r.Err != nil {
		t.Fatalf("%+v", r)
	}
	// Fresh: from the cache.
	now = now.Add(4 * time.Second)
	r = only[Resolved](t, c.Resolve(now, testHandle, 4))
	if !slices.Equal(r.Reqs, []ReqID{4}) || len(r.Elements) != 2 {
		t.Fatalf("%+v", r)
	}
	// Expired after the TTL: asks again.
	now = now.Add(time.Second)
	sentMsg[*wire.HandleResolution](t, c.Resolve(now, testHandle, 5), 1)
	r = only[Resolved](t, c.Message(now, 1, answer(testHandle, pool(3))))
	if len(r.Elements) != 1 || r.Elements[0].Identifier != 3 {
		t.Fatalf("%+v", r)
	}
}

func TestPUServesStaleWhenNoRegistrarAnswers(t *testing.T) {
	c := newTestPU(t, 1)
	c.Resolve(t0, testHandle, 1)
	c.AssocUp(t0, 1, 0)
	only[Resolved](t, c.Message(t0, 1, answer(testHandle, pool(1, 2))))

	now := t0.Add(10 * time.Second)
	sentMsg[*wire.HandleResolution](t, c.Resolve(now, testHandle, 2), 1)
	// One registrar: retransmit on it MaxRequestRetransmit times.
	for i := 0; i < 2; i++ {
		now = now.Add(time.Second)
		sentMsg[*wire.HandleResolution](t, c.Tick(now), 1)
	}
	now = now.Add(time.Second)
	r := only[Resolved](t, c.Tick(now))
	if !r.Stale || len(r.Elements) != 2 || r.Err != nil || !slices.Equal(r.Reqs, []ReqID{2}) {
		t.Fatalf("%+v", r)
	}
	// Selection works from the stale entry.
	if _, err := c.Select(now, testHandle); err != nil {
		t.Fatal(err)
	}

	// Nothing cached and nothing answering: ErrNoRegistrar.
	other := wire.PoolHandle("other")
	c.Resolve(now, other, 3)
	var r2 Resolved
	for i := 0; i < 3; i++ {
		now = now.Add(time.Second)
		for _, a := range c.Tick(now) {
			if x, ok := a.(Resolved); ok {
				r2 = x
			}
		}
	}
	if !errors.Is(r2.Err, ErrNoRegistrar) {
		t.Fatalf("%+v", r2)
	}
}

func TestPUNoRegistrarReachable(t *testing.T) {
	c := newTestPU(t, 2)
	now := t0
	only[DialRegistrar](t, c.Resolve(now, testHandle, 1))
	only[DialRegistrar](t, c.DialFailed(now, 0))
	none[DialRegistrar](t, c.DialFailed(now, 1)) // round over: back off
	var got *Resolved
	for i := 0; i < 100 && got == nil; i++ {
		now = now.Add(100 * time.Millisecond)
		for _, a := range c.Tick(now) {
			switch a := a.(type) {
			case DialRegistrar:
				c.DialFailed(now, a.Index)
			case Resolved:
				got = &a
			}
		}
	}
	if got == nil || !errors.Is(got.Err, ErrNoRegistrar) {
		t.Fatalf("%+v", got)
	}
	if d := now.Sub(t0); d < 3*time.Second || d > 4*time.Second {
		t.Fatalf("gave up after %v, want 3 attempts of 1 s", d)
	}
}

func TestPUSwitchesRegistrarOnTimeout(t *testing.T) {
	c := newTestPU(t, 2)
	c.Resolve(t0, testHandle, 1)
	sentMsg[*wire.HandleResolution](t, c.AssocUp(t0, 1, 0), 1)
	acts := c.Tick(t0.Add(time.Second))
	if cl := only[CloseAssoc](t, acts); cl.Assoc != 1 {
		t.Fatal(cl)
	}
	if d := only[DialRegistrar](t, acts); d.Index != 1 {
		t.Fatal(d)
	}
	sentMsg[*wire.HandleResolution](t, c.AssocUp(t0.Add(time.Second), 2, 1), 2)
	r := only[Resolved](t, c.Message(t0.Add(time.Second), 2, answer(testHandle, pool(1))))
	if r.Err != nil || len(r.Elements) != 1 {
		t.Fatalf("%+v", r)
	}
}

func TestPUResolutionError(t *testing.T) {
	c := newTestPU(t, 1)
	c.Resolve(t0, testHandle, 1)
	c.AssocUp(t0, 1, 0)
	r := only[Resolved](t, c.Message(t0, 1, &wire.HandleResolutionResponse{PoolHandle: testHandle,
		Error: &wire.OperationError{Causes: []wire.ErrorCause{{Code: wire.CauseUnknownPoolHandle}}}}))
	var re *ResolutionError
	if !errors.Is(r.Err, ErrResolution) || !errors.As(r.Err, &re) || !re.HasCause(wire.CauseUnknownPoolHandle) {
		t.Fatalf("%v", r.Err)
	}
	// An empty pool is an error too.
	c.Resolve(t0, testHandle, 2)
	r = only[Resolved](t, c.Message(t0, 1, answer(testHandle, nil)))
	if !errors.Is(r.Err, ErrEmptyPool) {
		t.Fatalf("%v", r.Err)
	}
}

func TestPUUnreachableAndSelection(t *testing.T) {
	c := newTestPU(t, 1)
	c.Resolve(t0, testHandle, 1)
	c.AssocUp(t0, 1, 0)
	c.Message(t0, 1, answer(testHandle, pool(1, 2, 3)))
	// Round robin over the three.
	var seq []wire.PEIdentifier
	for i := 0; i < 6; i++ {
		pe, err := c.Select(t0, testHandle)
		if err != nil {
			t.Fatal(err)
		}
		seq = append(seq, pe.Identifier)
	}
	if !slices.Equal(seq, []wire.PEIdentifier{1, 2, 3, 1, 2, 3}) {
		t.Fatalf("round robin %v", seq)
	}
	// PE 2 fails: reported, skipped, and the next Resolve asks again.
	eu := sentMsg[*wire.EndpointUnreachable](t, c.Unreachable(t0, testHandle, 2), 1)
	if eu.PEIdentifier != 2 || string(eu.PoolHandle) != "echo" {
		t.Fatal(eu)
	}
	for i := 0; i < 6; i++ {
		pe, _ := c.Select(t0, testHandle)
		if pe.Identifier == 2 {
			t.Fatal("selected the unreachable PE")
		}
	}
	if _, err := c.Select(t0, testHandle, 1, 3); !errors.Is(err, ErrEmptyPool) {
		t.Fatalf("all excluded: %v", err)
	}
	sentMsg[*wire.HandleResolution](t, c.Resolve(t0, testHandle, 2), 1)
	c.Message(t0, 1, answer(testHandle, pool(1, 2, 3))) // registrar still lists it
	for i := 0; i < 6; i++ {
		if pe, _ := c.Select(t0, testHandle); pe.Identifier == 2 {
			t.Fatal("selected the unreachable PE during the hold")
		}
	}
	// After the hold it is selectable again.
	later := t0.Add(10 * time.Second)
	found := false
	for i := 0; i < 6; i++ {
		if pe, _ := c.Select(later, testHandle); pe.Identifier == 2 {
			found = true
		}
	}
	if !found {
		t.Fatal("PE 2 never selected after the hold")
	}

	// Reports made while disconnected go out on the next association.
	c2 := newTestPU(t, 1)
	only[DialRegistrar](t, c2.Unreachable(t0, testHandle, 9))
	sentMsg[*wire.EndpointUnreachable](t, c2.AssocUp(t0, 4, 0), 4)
}

func TestPoolViewSelectsByPolicy(t *testing.T) {
	rnd := rand.New(rand.NewPCG(3, 4))
	reg := policy.Standard()
	pes := pool(1, 2, 3)
	pes[0].Policy = wire.Policy{Type: wire.PolicyLeastUsed, Load: wire.FractionOf(0.5)}
	pes[1].Policy = wire.Policy{Type: wire.PolicyLeastUsed, Load: wire.FractionOf(0.1)}
	pes[2].Policy = wire.Policy{Type: wire.PolicyLeastUsed, Load: wire.FractionOf(0.9)}
	var v poolView
	v.update(pes)
	if pe, ok := v.selectPE(reg, wire.PolicyLeastUsed, rnd, nil); !ok || pe.Identifier != 2 {
		t.Fatalf("least used picked %v (%v), want PE 2", pe.Identifier, ok)
	}
	if pe, ok := v.selectPE(reg, wire.PolicyLeastUsed, rnd, []wire.PEIdentifier{2}); !ok || pe.Identifier != 1 {
		t.Fatalf("least used avoiding PE 2 picked %v (%v), want PE 1", pe.Identifier, ok)
	}

	for i := range pes {
		pes[i].Policy = wire.Policy{Type: wire.PolicyWeightedRandom}
	}
	pes[2].Policy.Weight = 5
	v.update(pes)
	for range 20 {
		if pe, _ := v.selectPE(reg, wire.PolicyWeightedRandom, rnd, nil); pe.Identifier != 3 {
			t.Fatalf("weighted random with weights 0,0,5 picked PE %v", pe.Identifier)
		}
	}

	// Round robin goes round, and a refresh that drops a PE keeps the
	// position of the others.
	for i := range pes {
		pes[i].Policy = wire.Policy{Type: wire.PolicyRoundRobin}
	}
	v = poolView{}
	v.update(pes)
	var got []wire.PEIdentifier
	for range 4 {
		pe, _ := v.selectPE(reg, wire.PolicyRoundRobin, rnd, nil)
		got = append(got, pe.Identifier)
	}
	if want := []wire.PEIdentifier{1, 2, 3, 1}; !slices.Equal(got, want) {
		t.Fatalf("round robin %v, want %v", got, want)
	}
	v.update(pes[1:])
	if pe, _ := v.selectPE(reg, wire.PolicyRoundRobin, rnd, nil); pe.Identifier != 2 {
		t.Fatalf("after PE 1 left, round robin picked %v, want 2", pe.Identifier)
	}

	if _, ok := v.selectPE(reg, wire.PolicyRoundRobin, rnd, []wire.PEIdentifier{2, 3}); ok {
		t.Fatal("every PE avoided: want no selection")
	}
	if _, ok := (&poolView{}).selectPE(reg, wire.PolicyRoundRobin, rnd, nil); ok {
		t.Fatal("empty pool: want no selection")
	}
}

func TestSessionCoreCookieEchoAfterFailover(t *testing.T) {
	s := sessionCore{handle: testHandle}
	if first := s.connected(testElement(1, 1)); len(first) != 0 {
		t.Fatalf("first connection sends %v", first)
	}
	s.control(&wire.CookieMessage{Cookie: wire.Cookie("state-1")})
	s.control(&wire.CookieMessage{Cookie: wire.Cookie("state-2")})
	s.control(&wire.BusinessCard{PoolHandle: testHandle, PoolElements: pool(5, 6)})
	if lost := s.lost(); lost == nil || lost.Identifier != 1 {
		t.Fatalf("lost %v", lost)
	}
	if c := s.candidates([]wire.PEIdentifier{5}); len(c) != 1 || c[0].Identifier != 6 {
		t.Fatalf("candidates %v", c)
	}
	first := s.connected(testElement(6, 2))
	if len(first) != 1 {
		t.Fatalf("after failover: %v", first)
	}
	if ce, ok := first[0].(*wire.CookieEcho); !ok || string(ce.Cookie) != "state-2" {
		t.Fatalf("want Cookie Echo of the last cookie, got %#v", first[0])
	}
	// Failover without any cookie: nothing to echo.
	s2 := sessionCore{}
	s2.connected(testElement(1, 1))
	s2.lost()
	if first := s2.connected(testElement(2, 2)); len(first) != 0 {
		t.Fatalf("%v", first)
	}
}

func TestTimersForProfiles(t *testing.T) {
	for _, tc := range []struct {
		name string
		rt   time.Duration
	}{{"carrier", 500 * time.Millisecond}, {"wan", 4 * time.Second}, {"rfc4960", 15 * time.Second}} {
		p := mustProfile(t, tc.name)
		tm := TimersFor(p)
		if tm.ResponseTimeout != tc.rt || tm.ReregistrationInterval != 30*time.Second || tm.MaxRequestRetransmit != 2 {
			t.Errorf("%s: %+v", tc.name, tm)
		}
	}
	if TimersFor(mustProfile(t, "rfc4960")) != (Timers{}).withDefaults(zeroProfileForTest()) {
		t.Error("zero profile is not rfc4960")
	}
	if err := (Timers{ReregistrationInterval: 1 << 62}).Validate(); err == nil {
		t.Error("huge interval accepted")
	}
}
