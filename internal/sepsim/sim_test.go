package sepsim

import (
	"context"
	"testing"
	"time"

	"github.com/sigpool/sigpool/internal/relay"
	"github.com/sigpool/sigpool/internal/transporttest"
	"github.com/sigpool/sigpool/mxua"
	"go.uber.org/zap/zaptest"
)

// The driver against a stateless far end (relay.Responder: ASP management
// acknowledged, IAM -> ACM + ANM, REL -> RLC, Begin -> End) over TCP with
// the bare SIGTRAN framing.

func testCtx(t *testing.T, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

func farEndAddr(t *testing.T, p mxua.Protocol) string {
	t.Helper()
	transporttest.TCPOnly(t, "bare SIGTRAN framing over TCP")
	r, err := relay.StartResponder(testCtx(t, 10*time.Second), relay.ResponderConfig{Listen: "tcp://127.0.0.1:0", Protocol: p})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = r.Close() })
	return "sigtran+" + r.Addr()
}

// waitFor polls a condition on the simulator's state (it changes only as
// protocol events arrive), with a generous deadline as failure guard.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("no %s within 20s", what)
		}
		time.Sleep(2 * time.Millisecond)
	}
}

func startSim(t *testing.T, cfg Config) *Sim {
	t.Helper()
	cfg.Logger = zaptest.NewLogger(t)
	if cfg.Core.OPC == 0 {
		cfg.Core.OPC, cfg.Core.DPC = 100, 200
	}
	s, err := Start(testCtx(t, 10*time.Second), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func wait(t *testing.T, s *Sim) Report {
	t.Helper()
	r, err := s.Wait(testCtx(t, 30*time.Second))
	if err != nil {
		t.Fatalf("%v\n%v", err, r)
	}
	t.Logf("report:\n%v", r)
	return r
}

func TestSimCallsAndDialogues(t *testing.T) {
	s := startSim(t, Config{Address: farEndAddr(t, mxua.M3UA),
		Core:     CoreConfig{CICFirst: 1, CICLast: 20, HoldTime: 20 * time.Millisecond, RoutingContext: 5},
		CallRate: 400, Calls: 60, DialogueRate: 400, Dialogues: 60})
	r := wait(t, s)
	if r.Calls.Completed != 60 || r.Dialogues.Completed != 60 || r.Calls.Active+r.Dialogues.Active != 0 {
		t.Fatalf("not every call and dialogue completed:\n%v", r)
	}
	if r.Sent != 60*3 || r.Answered != r.Sent || r.Unanswered != 0 || r.Unexpected != 0 || r.Malformed != 0 {
		t.Fatalf("requests and answers do not match:\n%v", r)
	}
	if r.Latency["iam-anm"].Count != 60 || r.Latency["rel-rlc"].Count != 60 || r.Latency["begin"].Count != 60 {
		t.Fatalf("latencies %+v", r.Latency)
	}
	if n, err := s.SendErrors(); n != 0 {
		t.Fatalf("%d send errors, last %v", n, err)
	}
}

func TestSimSUADialogues(t *testing.T) {
	s := startSim(t, Config{Address: farEndAddr(t, mxua.SUA), Core: CoreConfig{Protocol: mxua.SUA},
		DialogueRate: 1000, Dialogues: 100})
	r := wait(t, s)
	if r.Dialogues.Completed != 100 || r.Answered != 100 {
		t.Fatalf("SUA dialogues:\n%v", r)
	}
	if _, err := Start(testCtx(t, time.Second), Config{Address: "tcp://127.0.0.1:1", Core: CoreConfig{Protocol: mxua.SUA}, CallRate: 1}); err == nil {
		t.Fatal("ISUP calls over SUA accepted")
	}
}

// The rate is an upper bound a run cannot beat, whatever the machine's
// load: 250 dialogues at 500/s with a burst of 5 take at least 490 ms.
func TestSimPacesAtTheRate(t *testing.T) {
	s := startSim(t, Config{Address: farEndAddr(t, mxua.M3UA), DialogueRate: 500, Dialogues: 250, Burst: 5})
	r := wait(t, s)
	if r.Dialogues.Completed != 250 {
		t.Fatalf("dialogues:\n%v", r)
	}
	if r.Elapsed < 490*time.Millisecond {
		t.Fatalf("250 dialogues at 500/s took %v", r.Elapsed)
	}
}

func TestSimRawLoad(t *testing.T) {
	s := startSim(t, Config{Address: farEndAddr(t, mxua.M3UA), RawWindow: 64, RawCount: 5000})
	r := wait(t, s)
	if r.Raw.Started != 5000 || r.Raw.Completed != 5000 || r.Answered != 5000 || r.Latency["raw"].Count != 5000 {
		t.Fatalf("raw load:\n%v", r)
	}
}

func TestSimStopWithoutLimits(t *testing.T) {
	s := startSim(t, Config{Address: farEndAddr(t, mxua.M3UA), Core: CoreConfig{HoldTime: 10 * time.Millisecond},
		CallRate: 200, DialogueRate: 200})
	waitFor(t, "5 calls completed", func() bool { return s.Report().Calls.Completed >= 5 })
	s.Stop()
	r := wait(t, s)
	if r.Calls.Active+r.Dialogues.Active != 0 || r.Calls.Failed+r.Calls.TimedOut != 0 || r.Calls.Completed != r.Calls.Started {
		t.Fatalf("after Stop:\n%v", r)
	}
	if again := s.Report(); again.Elapsed != r.Elapsed {
		t.Fatalf("elapsed moved after the run ended: %v then %v", r.Elapsed, again.Elapsed)
	}
}

func TestSimCloseInterruptsARun(t *testing.T) {
	s := startSim(t, Config{Address: farEndAddr(t, mxua.M3UA), Core: CoreConfig{HoldTime: time.Hour}, CallRate: 1000, Calls: 10})
	waitFor(t, "10 calls held", func() bool { c, _, _ := s.Active(); return c == 10 })
	done := make(chan struct{})
	go func() { _ = s.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(10 * time.Second):
		t.Fatal("Close waited for calls held for an hour")
	}
	if r := s.Report(); r.Calls.Active != 10 {
		t.Fatalf("after Close:\n%v", r)
	}
}

func TestSimRawOpenLoopRate(t *testing.T) {
	s := startSim(t, Config{Address: farEndAddr(t, mxua.M3UA), RawRate: 2000, RawCount: 500, Burst: 10})
	r := wait(t, s)
	if r.Raw.Completed != 500 {
		t.Fatalf("raw:\n%v", r)
	}
	if r.Elapsed < 245*time.Millisecond {
		t.Fatalf("500 requests at 2000/s took %v", r.Elapsed)
	}
}

// A simulator whose SG stops taking traffic backs off: the rate's starts
// that find the association congested are held back (counted, never
// sent) instead of being queued to be dropped.
func TestSimHoldsBackOnCongestion(t *testing.T) {
	transporttest.TCPOnly(t, "a TCP far end")
	ctx := testCtx(t, 20*time.Second)
	// An SGP whose user never reads: once its backlog is full it stops
	// reading the association, and the kernel's buffers fill behind it.
	srv, err := mxua.ListenSGP(ctx, mxua.SGPServerConfig{
		Address: "tcp://127.0.0.1:0",
		SGP: mxua.SGPConfig{Protocol: mxua.M3UA, ASes: []mxua.ASConfig{{
			RoutingContext: 1, TrafficMode: mxua.TrafficModeLoadshare,
			Keys: []mxua.RoutingKey{{DPC: func(v uint32) *uint32 { return &v }(200)}},
		}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = srv.Close() })
	s := startSim(t, Config{Address: srv.Addr(), ASP: mxua.ASPConfig{RoutingContexts: []uint32{1}}, DialogueRate: 200_000})
	waitFor(t, "held-back dialogues", func() bool { return s.Report().HeldBack > 10_000 })
	s.Stop()
	r := s.Report()
	errs, last := s.SendErrors()
	if errs > r.Dialogues.Started/10 {
		t.Fatalf("%d of %d Begins refused by the association (%v): the simulator did not back off", errs, r.Dialogues.Started, last)
	}
	t.Logf("%d dialogues started, %d held back, %d refused", r.Dialogues.Started, r.HeldBack, errs)
}
