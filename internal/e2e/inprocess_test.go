package e2e

import (
	"fmt"
	"testing"
	"time"

	"github.com/sigpool/sigpool/gwc"
	"github.com/sigpool/sigpool/internal/sepsim"
	"github.com/sigpool/sigpool/internal/transporttest"
	"github.com/sigpool/sigpool/mxua"
	"github.com/sigpool/sigpool/sg"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"
)

// Point codes of the scenario: the simulated SEP and the pool behind the SG.
const (
	sepPC  = 100
	poolPC = 200
)

// inProcess is an SG with an embedded registrar and n GWCs in this
// process, all over TCP.
type inProcess struct {
	sg   *sg.SG
	gwcs []*gwc.GWC
}

func startInProcess(t testing.TB, n int, agent gwc.AgentConfig, log *zap.Logger) *inProcess {
	return startInProcessProto(t, mxua.M3UA, n, agent, log)
}

func startInProcessProto(t testing.TB, proto mxua.Protocol, n int, agent gwc.AgentConfig, log *zap.Logger) *inProcess {
	t.Helper()
	transporttest.TCPOnly(t, "the end-to-end scenario runs over TCP")
	ctx := ctxFor(t, 30*time.Second)
	cfg := sg.Config{
		Routes:    []sg.Route{{DPC: []sg.Range{{Lo: poolPC, Hi: poolPC}}, Pool: "gwc"}},
		Pools:     []sg.PoolConfig{{Handle: "gwc", Protocol: proto}},
		PointCode: poolPC,
		Logger:    log.Named("sg"),
	}
	if proto == mxua.SUA {
		cfg.SUAListen = "tcp://127.0.0.1:0"
	} else {
		cfg.M3UAListen = "tcp://127.0.0.1:0"
	}
	s, err := sg.Start(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	p := &inProcess{sg: s}
	for i := range n {
		g, err := gwc.Start(ctx, gwc.Config{Registrars: s.RegistrarAddrs(), Agent: agent, Protocol: proto,
			Logger: log.Named(fmt.Sprintf("gwc%d", i))})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = g.Close() })
		p.gwcs = append(p.gwcs, g)
	}
	if err := s.WaitActive(ctx, "gwc", n); err != nil {
		t.Fatalf("%v; SG stats %+v", err, s.Stats())
	}
	return p
}

// SEP -> SG -> 3 GWCs over TCP: ISUP calls (the SEP releases after the
// hold time) and TCAP dialogues with Continues both ways (the SEP's last
// message is an End that names only the pool-side transaction) all
// complete, and each call and dialogue is handled by one GWC only.
func TestEndToEndCallsAndDialogues(t *testing.T) {
	log := zaptest.NewLogger(t, zaptest.Level(zap.WarnLevel))
	p := startInProcess(t, 3, gwc.AgentConfig{TCAPContinues: 2}, log)
	const calls, dialogues = 300, 300
	sim, err := sepsim.Start(ctxFor(t, 10*time.Second), sepsim.Config{
		Address: p.sg.M3UAAddr(),
		Core: sepsim.CoreConfig{OPC: sepPC, DPC: poolPC, CICFirst: 1, CICLast: calls,
			HoldTime: 50 * time.Millisecond, ContinueReplies: 1},
		CallRate: 600, Calls: calls, DialogueRate: 600, Dialogues: dialogues,
		Logger: log.Named("sep"),
	})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	r, err := sim.Wait(ctxFor(t, 60*time.Second))
	t.Logf("SEP report:\n%v", r)
	if err != nil {
		t.Fatal(err)
	}
	if r.Calls.Completed != calls || r.Dialogues.Completed != dialogues || r.Unanswered != 0 || r.Unexpected != 0 {
		t.Errorf("not every call and dialogue completed:\n%v", r)
	}

	// Each circuit (used by one call: as many circuits as calls) was seen
	// by exactly one GWC, and no GWC saw a message out of its call's turn
	// (a REL or dialogue message for state held by another).
	owner := map[uint16]int{}
	var completed, dlgStarted, dlgCompleted uint64
	for i, g := range p.gwcs {
		st := g.Stats()
		t.Logf("GWC %d: calls %d completed %d dialogues %d completed %d unexpected %d malformed %d in %d out %d cookies %d",
			i, st.CallsStarted, st.CallsCompleted, st.DialoguesStarted, st.DialoguesCompleted, st.Unexpected, st.Malformed,
			st.MessagesIn, st.MessagesOut, st.CookiesSent)
		if st.Unexpected != 0 || st.Malformed != 0 {
			t.Errorf("GWC %d: %d unexpected, %d malformed messages", i, st.Unexpected, st.Malformed)
		}
		if st.CallsStarted == 0 || st.DialoguesStarted == 0 {
			t.Errorf("GWC %d was given no calls or no dialogues: the pool is not shared", i)
		}
		for cic, n := range st.CallsPerCIC {
			if prev, ok := owner[cic]; ok || n != 1 {
				t.Errorf("CIC %d: %d calls at GWC %d (also at GWC %d: %v)", cic, n, i, prev, ok)
			}
			owner[cic] = i
		}
		completed += st.CallsCompleted
		dlgStarted += st.DialoguesStarted
		dlgCompleted += st.DialoguesCompleted
	}
	if len(owner) != calls || completed != calls || dlgStarted != dialogues || dlgCompleted != dialogues {
		t.Errorf("GWCs saw %d circuits, completed %d calls, started %d and completed %d dialogues; want %d, %d, %d, %d",
			len(owner), completed, dlgStarted, dlgCompleted, calls, calls, dialogues, dialogues)
	}
	st := p.sg.Stats()
	t.Logf("SG counters: %+v upstream %+v send failures %d upstream dropped %d", st.Counters, st.Upstream, st.SendFailures, st.UpstreamDropped)
	if st.Dropped != 0 || st.Failovers != 0 || st.BadBinding != 0 {
		t.Errorf("SG counters: %+v", st.Counters)
	}
}

// The same over SUA: TCAP dialogues in CLDT from the SEP through the SG's
// SUA listener to three SUA GWCs.
func TestEndToEndSUADialogues(t *testing.T) {
	log := zaptest.NewLogger(t, zaptest.Level(zap.WarnLevel))
	p := startInProcessProto(t, mxua.SUA, 3, gwc.AgentConfig{TCAPContinues: 1}, log)
	const dialogues = 300
	sim, err := sepsim.Start(ctxFor(t, 10*time.Second), sepsim.Config{
		Address:      p.sg.SUAAddr(),
		Core:         sepsim.CoreConfig{Protocol: mxua.SUA, OPC: sepPC, DPC: poolPC, ContinueReplies: 1},
		DialogueRate: 600, Dialogues: dialogues, Logger: log.Named("sep"),
	})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	r, err := sim.Wait(ctxFor(t, 60*time.Second))
	t.Logf("SEP report:\n%v", r)
	if err != nil {
		t.Fatal(err)
	}
	if r.Dialogues.Completed != dialogues || r.Unanswered != 0 || r.Unexpected != 0 {
		t.Errorf("not every dialogue completed:\n%v", r)
	}
	var started, completed uint64
	for i, g := range p.gwcs {
		st := g.Stats()
		if st.DialoguesStarted == 0 || st.Unexpected != 0 || st.Malformed != 0 {
			t.Errorf("GWC %d: %d dialogues, %d unexpected, %d malformed", i, st.DialoguesStarted, st.Unexpected, st.Malformed)
		}
		started += st.DialoguesStarted
		completed += st.DialoguesCompleted
	}
	if started != dialogues || completed != dialogues {
		t.Errorf("GWCs started %d and completed %d dialogues, want %d: a dialogue went to two GWCs", started, completed, dialogues)
	}
}
