package relay_test

import (
	"context"
	"testing"
	"time"

	"github.com/sigpool/sigpool/internal/relay"
	"github.com/sigpool/sigpool/internal/sepsim"
	"github.com/sigpool/sigpool/internal/transporttest"
	"github.com/sigpool/sigpool/mxua"
)

func testCtx(t testing.TB, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// startBaseline starts n responders and a relay in front of them.
func startBaseline(t testing.TB, n int, p mxua.Protocol) (*relay.Relay, []*relay.Responder) {
	t.Helper()
	transporttest.TCPOnly(t, "the baseline runs over TCP with SIGTRAN framing")
	ctx := testCtx(t, 10*time.Second)
	var rs []*relay.Responder
	var addrs []string
	for range n {
		r, err := relay.StartResponder(ctx, relay.ResponderConfig{Listen: "tcp://127.0.0.1:0", Protocol: p})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = r.Close() })
		rs = append(rs, r)
		addrs = append(addrs, r.Addr())
	}
	rl, err := relay.Start(ctx, relay.Config{Listen: "tcp://127.0.0.1:0", Downstream: addrs, Protocol: p})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = rl.Close() })
	return rl, rs
}

// A simulator's calls and dialogues cross the relay to three responders
// and back: every one completes, and the relay shares the traffic.
func TestRelayCarriesCallsAndDialogues(t *testing.T) {
	rl, rs := startBaseline(t, 3, mxua.M3UA)
	s, err := sepsim.Start(testCtx(t, 10*time.Second), sepsim.Config{
		Address:  "sigtran+" + rl.Addr(),
		Core:     sepsim.CoreConfig{OPC: 100, DPC: 200, CICFirst: 1, CICLast: 50, HoldTime: 5 * time.Millisecond},
		CallRate: 1000, Calls: 150, DialogueRate: 1000, Dialogues: 150,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	r, err := s.Wait(testCtx(t, 30*time.Second))
	if err != nil {
		t.Fatalf("%v\n%v", err, r)
	}
	if r.Calls.Completed != 150 || r.Dialogues.Completed != 150 || r.Unanswered != 0 {
		t.Fatalf("through the relay:\n%v", r)
	}
	fwd, ret, dropped := rl.Counts()
	// IAM, REL, Begin plus ASP Up and ASP Active (more if T(ack) made the
	// ASP repeat one); ACM, ANM, RLC, End plus their acks.
	if fwd < 150*3+2 || ret < 150*4+2 || dropped != 0 {
		t.Fatalf("relay forwarded %d, returned %d, dropped %d", fwd, ret, dropped)
	}
	for i, x := range rs {
		if got, _, failed := x.Counts(); got < fwd/3 || failed != 0 {
			t.Errorf("responder %d received %d of %d (failed %d): not round robin", i, got, fwd, failed)
		}
	}
}

func TestRelaySUAAndClose(t *testing.T) {
	rl, _ := startBaseline(t, 2, mxua.SUA)
	s, err := sepsim.Start(testCtx(t, 10*time.Second), sepsim.Config{
		Address: "sigtran+" + rl.Addr(), Core: sepsim.CoreConfig{Protocol: mxua.SUA, OPC: 1, DPC: 2},
		DialogueRate: 1000, Dialogues: 50,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	if r, err := s.Wait(testCtx(t, 30*time.Second)); err != nil || r.Dialogues.Completed != 50 {
		t.Fatalf("%v\n%v", err, r)
	}
	if err := rl.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := relay.Start(testCtx(t, time.Second), relay.Config{Listen: "tcp://127.0.0.1:0"}); err == nil {
		t.Fatal("relay without downstream started")
	}
}
