package asap

import (
	"context"
	"errors"
	"fmt"
	"runtime"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"

	"github.com/sigpool/sigpool/internal/transporttest"
	"github.com/sigpool/sigpool/transport"
	"github.com/sigpool/sigpool/wire"
)

// noLeaks fails the test if goroutines started during it outlive it.
func noLeaks(t *testing.T) {
	t.Helper()
	before := runtime.NumGoroutine()
	t.Cleanup(func() {
		deadline := time.Now().Add(5 * time.Second)
		for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
			time.Sleep(20 * time.Millisecond)
		}
		if n := runtime.NumGoroutine(); n > before {
			buf := make([]byte, 1<<20)
			t.Errorf("%d goroutines leaked:\n%s", n-before, buf[:runtime.Stack(buf, true)])
		}
	})
}

func carrier(t *testing.T) transport.Profile { return mustProfile(t, "carrier") }

// fakeRegistrar speaks just enough ASAP over TCP: it answers
// Registration (accept, or reject with a cause), Deregistration and
// Handle Resolution (a fixed PE list), records what it receives and sends
// Endpoint Keep-Alives on demand.
type fakeRegistrar struct {
	t        *testing.T
	serverID uint32
	ln       transport.Listener
	addr     string
	ctx      context.Context
	cancel   context.CancelFunc
	wg       sync.WaitGroup

	mu      sync.Mutex
	reject  wire.CauseCode // non-zero: reject registrations
	pool    []wire.PoolElement
	assocs  []transport.Association
	regs    []*wire.Registration
	peAssoc map[wire.PEIdentifier]transport.Association
	got     []wire.Message
	changed chan struct{}
}

func newFakeRegistrar(t *testing.T, serverID uint32) *fakeRegistrar {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ln, err := transport.Listen(ctx, "tcp://127.0.0.1:0", transport.Config{Profile: carrier(t), Framing: transport.FramingRSerPool, PPID: wire.PPIDASAP})
	if err != nil {
		t.Fatal(err)
	}
	r := &fakeRegistrar{t: t, serverID: serverID, ln: ln, ctx: ctx, cancel: cancel,
		addr: fmt.Sprintf("tcp://%s", ln.Addrs()[0]), peAssoc: map[wire.PEIdentifier]transport.Association{}, changed: make(chan struct{})}
	r.wg.Add(1)
	go r.accept()
	t.Cleanup(r.stop)
	return r
}

func (r *fakeRegistrar) stop() {
	r.cancel()
	r.ln.Close()
	r.mu.Lock()
	for _, a := range r.assocs {
		a.Abort()
	}
	r.mu.Unlock()
	r.wg.Wait()
}

func (r *fakeRegistrar) accept() {
	defer r.wg.Done()
	for {
		a, err := r.ln.Accept(r.ctx)
		if err != nil {
			return
		}
		r.mu.Lock()
		r.assocs = append(r.assocs, a)
		r.mu.Unlock()
		r.wg.Add(1)
		go r.serve(a)
	}
}

func (r *fakeRegistrar) serve(a transport.Association) {
	defer r.wg.Done()
	for {
		m, err := a.Recv(r.ctx)
		if err != nil {
			return
		}
		msg, _, err := wire.DecodeASAP(m.Data)
		if err != nil {
			r.t.Errorf("fake registrar: %v", err)
			return
		}
		r.mu.Lock()
		r.got = append(r.got, msg)
		close(r.changed)
		r.changed = make(chan struct{})
		reject, pool := r.reject, r.pool
		var reply wire.Message
		switch msg := msg.(type) {
		case *wire.Registration:
			r.regs = append(r.regs, msg)
			r.peAssoc[msg.PoolElement.Identifier] = a
			resp := &wire.RegistrationResponse{PoolHandle: msg.PoolHandle, PEIdentifier: msg.PoolElement.Identifier}
			if reject != 0 {
				resp.Reject = true
				resp.Error = &wire.OperationError{Causes: []wire.ErrorCause{{Code: reject}}}
			}
			reply = resp
		case *wire.Deregistration:
			reply = &wire.DeregistrationResponse{PoolHandle: msg.PoolHandle, PEIdentifier: msg.PEIdentifier}
		case *wire.HandleResolution:
			reply = &wire.HandleResolutionResponse{PoolHandle: msg.PoolHandle, Policy: &wire.Policy{Type: wire.PolicyRoundRobin}, PoolElements: pool}
		}
		r.mu.Unlock()
		if reply != nil {
			if err := sendASAP(r.ctx, a, reply); err != nil {
				return
			}
		}
	}
}

// wait waits until cond holds on the messages received so far.
func (r *fakeRegistrar) wait(what string, cond func(got []wire.Message) bool) {
	r.t.Helper()
	deadline := time.After(5 * time.Second)
	for {
		r.mu.Lock()
		ok := cond(r.got)
		ch := r.changed
		r.mu.Unlock()
		if ok {
			return
		}
		select {
		case <-ch:
		case <-deadline:
			r.t.Fatalf("fake registrar %d: timed out waiting for %s", r.serverID, what)
		}
	}
}

func count[M wire.Message](got []wire.Message) int {
	n := 0
	for _, m := range got {
		if _, ok := m.(M); ok {
			n++
		}
	}
	return n
}

func (r *fakeRegistrar) keepAlive(id wire.PEIdentifier, home bool) {
	r.mu.Lock()
	a := r.peAssoc[id]
	r.mu.Unlock()
	if a == nil {
		r.t.Fatalf("no association for PE %v", id)
	}
	if err := sendASAP(r.ctx, a, &wire.EndpointKeepAlive{Home: home, ServerID: r.serverID, PoolHandle: wire.PoolHandle("echo"), PEIdentifier: &id}); err != nil {
		r.t.Fatal(err)
	}
}

func testCtx(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	return ctx
}

func startPE(t *testing.T, registrars ...string) *PoolElement {
	t.Helper()
	pe, err := StartPoolElement(testCtx(t), PEConfig{PoolHandle: "echo", Registrars: registrars, Listen: "tcp://127.0.0.1:0", Profile: carrier(t),
		Policy: wire.Policy{Type: wire.PolicyLeastUsed}, Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pe.Close(context.Background()) })
	return pe
}

func TestPEDriverRegistersAnswersKeepAlivesAndDeregisters(t *testing.T) {
	transporttest.TCPOnly(t, "scripted registrar over TCP")
	noLeaks(t)
	ctx := testCtx(t)
	reg := newFakeRegistrar(t, 0x51)
	pe := startPE(t, reg.addr)
	if err := pe.Registered(ctx); err != nil {
		t.Fatal(err)
	}
	ut := pe.UserTransport()
	if ut.Kind != wire.TransportTCP || ut.Port == 0 || ut.Use != wire.TransportUseDataPlusControl {
		t.Fatalf("user transport %v", ut)
	}
	reg.mu.Lock()
	first := reg.regs[0]
	reg.mu.Unlock()
	if first.PoolElement.Identifier == 0 || first.PoolElement.RegistrationLife != 90000 {
		t.Fatalf("registration %v", first.PoolElement)
	}
	reg.keepAlive(pe.Identifier(), false)
	reg.wait("keep-alive ack", func(got []wire.Message) bool { return count[*wire.EndpointKeepAliveAck](got) == 1 })

	if err := pe.SetLoad(ctx, 0.25); err != nil {
		t.Fatal(err)
	}
	reg.wait("re-registration with load", func(got []wire.Message) bool {
		r, ok := got[len(got)-1].(*wire.Registration)
		return ok && r.PoolElement.Policy.Load == wire.FractionOf(0.25)
	})
	if err := pe.Close(ctx); err != nil {
		t.Fatal(err)
	}
	reg.wait("deregistration", func(got []wire.Message) bool { return count[*wire.Deregistration](got) == 1 })
}

func TestPEDriverRejection(t *testing.T) {
	transporttest.TCPOnly(t, "scripted registrar over TCP")
	noLeaks(t)
	reg := newFakeRegistrar(t, 1)
	reg.reject = wire.CauseInconsistentPoolingPolicy
	pe := startPE(t, reg.addr)
	err := pe.Registered(testCtx(t))
	var rej *RejectedError
	if !errors.As(err, &rej) || !rej.HasCause(wire.CauseInconsistentPoolingPolicy) {
		t.Fatalf("want rejection with inconsistent pooling policy, got %v", err)
	}
	if !strings.Contains(err.Error(), "rejected") {
		t.Fatalf("error text %q", err)
	}
}

func TestPEDriverFailsOverToNextRegistrar(t *testing.T) {
	transporttest.TCPOnly(t, "scripted registrar over TCP")
	noLeaks(t)
	ctx := testCtx(t)
	r1 := newFakeRegistrar(t, 1)
	r2 := newFakeRegistrar(t, 2)
	pe := startPE(t, "tcp://127.0.0.1:1", r1.addr, r2.addr) // the first refuses
	if err := pe.Registered(ctx); err != nil {
		t.Fatal(err)
	}
	r1.stop()
	r2.wait("registration at the second registrar", func(got []wire.Message) bool { return count[*wire.Registration](got) >= 1 })
	// The takeover case: registrar 2 sends a keep-alive with H set.
	r2.keepAlive(pe.Identifier(), true)
	r2.wait("ack", func(got []wire.Message) bool { return count[*wire.EndpointKeepAliveAck](got) == 1 })
	for {
		select {
		case ev := <-pe.Events():
			if ev.Kind == PERegistered && ev.Registrar == 2 && ev.First {
				return
			}
		case <-ctx.Done():
			t.Fatal("no registration event for registrar 2")
		}
	}
}

// echoPE runs an echo application on pe: each message is echoed with the
// PE's ID prefixed, followed by a Cookie naming the PE and the count;
// a Cookie Echo received is recorded.
func echoPE(t *testing.T, pe *PoolElement, echoes chan<- string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	t.Cleanup(func() { cancel(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			a, err := pe.Accept(ctx)
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				n := 0
				for {
					m, err := a.Recv(ctx)
					if err != nil {
						return
					}
					if ce, ok := m.Control.(*wire.CookieEcho); ok {
						echoes <- "cookie-echo:" + string(ce.Cookie)
						continue
					}
					n++
					out := fmt.Sprintf("%v:%s", pe.Identifier(), m.Data)
					if a.Send(ctx, transport.Message{PPID: m.PPID, Data: []byte(out)}) != nil {
						return
					}
					a.SendCookie(ctx, wire.Cookie(fmt.Sprintf("%v/%d", pe.Identifier(), n)))
				}
			}()
		}
	}()
}

func TestSessionFailsOverWithCookieEcho(t *testing.T) {
	transporttest.TCPOnly(t, "scripted registrar over TCP")
	noLeaks(t)
	ctx := testCtx(t)
	reg := newFakeRegistrar(t, 1)
	pe1 := startPE(t, reg.addr)
	pe2 := startPE(t, reg.addr)
	for _, pe := range []*PoolElement{pe1, pe2} {
		if err := pe.Registered(ctx); err != nil {
			t.Fatal(err)
		}
	}
	echoes := make(chan string, 16)
	echoPE(t, pe1, echoes)
	echoPE(t, pe2, echoes)
	reg.mu.Lock()
	reg.pool = []wire.PoolElement{
		{Identifier: pe1.Identifier(), UserTransport: pe1.UserTransport(), Policy: wire.Policy{Type: wire.PolicyRoundRobin}},
		{Identifier: pe2.Identifier(), UserTransport: pe2.UserTransport(), Policy: wire.Policy{Type: wire.PolicyRoundRobin}},
	}
	reg.mu.Unlock()

	pu, err := NewPoolUser(ctx, PUConfig{Registrars: []string{reg.addr}, Profile: carrier(t), Logger: testLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer pu.Close()
	s, err := pu.Dial(ctx, "echo", SessionConfig{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if s.PE().Identifier != pe1.Identifier() {
		t.Fatalf("first PE %v, want %v (round robin, first listed)", s.PE().Identifier, pe1.Identifier())
	}
	roundTrip := func(text string) string {
		t.Helper()
		if err := s.Send(ctx, transport.Message{PPID: 1234, Data: []byte(text)}); err != nil {
			t.Fatal(err)
		}
		m, err := s.Recv(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if m.PPID != 1234 {
			t.Fatalf("PPID %d", m.PPID)
		}
		return string(m.Data)
	}
	for i := 1; i <= 2; i++ {
		if got, want := roundTrip(fmt.Sprint("m", i)), fmt.Sprintf("%v:m%d", pe1.Identifier(), i); got != want {
			t.Fatalf("echo %q, want %q", got, want)
		}
	}
	// Cookie 1 was read on the way to echo 2; cookie 2 travels right
	// behind echo 2 and is taken in when the association is drained.
	wantCookie := fmt.Sprintf("%v/2", pe1.Identifier())
	if c := string(s.LastCookie()); c != fmt.Sprintf("%v/1", pe1.Identifier()) {
		t.Fatalf("last cookie %q", c)
	}
	// PE 1 dies (its associations are aborted).
	if err := pe1.Close(ctx); err != nil {
		t.Fatal(err)
	}
	// Messages sent while the old association dies are lost (the
	// application recovers through its cookie); wait for the failover.
	for done := false; !done; {
		select {
		case ev := <-s.Events():
			done = ev.Kind == SessionConnected && ev.Failover
		case <-ctx.Done():
			t.Fatal("no failover")
		}
	}
	got := roundTrip("m3")
	if want := fmt.Sprintf("%v:m3", pe2.Identifier()); got != want {
		t.Fatalf("after failover echo %q, want %q", got, want)
	}
	select {
	case e := <-echoes:
		if e != "cookie-echo:"+wantCookie && e != "cookie-echo:"+fmt.Sprintf("%v/1", pe1.Identifier()) {
			t.Fatalf("PE 2 got %q, want a Cookie Echo of PE 1's last cookie", e)
		}
	case <-ctx.Done():
		t.Fatal("PE 2 got no Cookie Echo")
	}
	reg.wait("endpoint unreachable for PE 1", func(got []wire.Message) bool {
		for _, m := range got {
			if eu, ok := m.(*wire.EndpointUnreachable); ok && eu.PEIdentifier == pe1.Identifier() {
				return true
			}
		}
		return false
	})
}

func TestPUServesStaleCacheWhenRegistrarsAreGone(t *testing.T) {
	transporttest.TCPOnly(t, "scripted registrar over TCP")
	noLeaks(t)
	ctx := testCtx(t)
	reg := newFakeRegistrar(t, 1)
	reg.pool = []wire.PoolElement{testElement(7, 7777)}
	pu, err := NewPoolUser(ctx, PUConfig{Registrars: []string{reg.addr}, Profile: carrier(t),
		Timers: Timers{CacheTTL: 50 * time.Millisecond, ResponseTimeout: 200 * time.Millisecond}})
	if err != nil {
		t.Fatal(err)
	}
	defer pu.Close()
	// Concurrent resolutions share one request.
	var wg sync.WaitGroup
	for i := 0; i < 10; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			if r, err := pu.Resolve(ctx, "echo"); err != nil || len(r.Elements) != 1 || r.Stale {
				t.Errorf("resolve: %+v %v", r, err)
			}
		}()
	}
	wg.Wait()
	reg.mu.Lock()
	n := count[*wire.HandleResolution](reg.got)
	reg.mu.Unlock()
	if n != 1 {
		t.Fatalf("%d handle resolutions for 10 concurrent callers", n)
	}
	reg.stop()
	time.Sleep(60 * time.Millisecond)
	r, err := pu.Resolve(ctx, "echo")
	if err != nil || !r.Stale || len(r.Elements) != 1 || r.Elements[0].Identifier != 7 {
		t.Fatalf("stale resolve: %+v %v", r, err)
	}
	if _, err := pu.Resolve(ctx, "unknown"); !errors.Is(err, ErrNoRegistrar) {
		t.Fatalf("uncached, no registrar: %v", err)
	}
}

func testLogger(t *testing.T) *zap.Logger {
	if testing.Verbose() {
		return zaptest.NewLogger(t)
	}
	return nil
}
