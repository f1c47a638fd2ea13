package e2e

import (
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/sigpool/sigpool/internal/sepsim"
	"github.com/sigpool/sigpool/internal/transporttest"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"
)

// procPool is `sigpool sg` with its embedded registrar and n `sigpool gwc`
// processes, all with the carrier profile over TCP.
type procPool struct {
	sg      *proc
	m3ua    string // the SG's upstream M3UA address
	metrics string // the SG's metrics address
	gwcs    []*proc
	gwcMet  []string
}

func startProcPool(t testing.TB, n int, registrars []string, gwcArgs ...string) *procPool {
	t.Helper()
	transporttest.TCPOnly(t, "the process scenario runs over TCP")
	p := &procPool{m3ua: "tcp://" + freeAddr(t), metrics: freeAddr(t)}
	args := []string{"sg", "--m3ua-listen", p.m3ua, "--route", fmt.Sprintf("dpc=%d:gwc", poolPC),
		"--point-code", fmt.Sprint(poolPC), "--profile", "carrier", "--metrics", p.metrics, "--log-level", "warn"}
	if len(registrars) == 0 {
		registrars = []string{"tcp://" + freeAddr(t)}
		args = append(args, "--enrp", "embedded", "--enrp-listen", registrars[0])
	} else {
		args = append(args, "--enrp", "remote")
		for _, r := range registrars {
			args = append(args, "--registrar", r)
		}
	}
	p.sg = startProc(t, "sg", args...)
	p.sg.waitDial(p.metrics, 20*time.Second)
	for i := range n {
		p.addGWC(t, i, registrars, gwcArgs...)
	}
	p.waitActive(t, n)
	return p
}

func (p *procPool) addGWC(t testing.TB, i int, registrars []string, extra ...string) {
	t.Helper()
	met := freeAddr(t)
	args := []string{"gwc", "--listen", "tcp://127.0.0.1:0", "--pool", "gwc", "--profile", "carrier",
		"--point-code", fmt.Sprint(poolPC), "--answer-delay", "0", "--metrics", met, "--log-level", "warn",
		"--id", fmt.Sprint(1000 + i)}
	for _, r := range registrars {
		args = append(args, "--registrar", r)
	}
	p.gwcs = append(p.gwcs, startProc(t, fmt.Sprintf("gwc%d", i), append(args, extra...)...))
	p.gwcMet = append(p.gwcMet, met)
}

// waitActive waits until the SG has n ASP-ACTIVE GWCs in pool gwc.
func (p *procPool) waitActive(t testing.TB, n int) {
	t.Helper()
	waitMetric(t, p.metrics, fmt.Sprintf("%d GWCs ACTIVE at the SG", n), 30*time.Second, func(m map[string]float64) bool {
		return metric(m, "sg_pool_size", `pool="gwc"`, `state="active"`) >= float64(n)
	})
}

// failoverRun plays calls (held 1 s, released by the SEP) and dialogues
// (one Continue each way) through the process pool, does fault to one GWC
// after a second of traffic, keeps the load on the survivors until 500
// more calls completed and returns the SEP's report and the SG's metrics after the run.
func failoverRun(t *testing.T, fault func(p *procPool)) (sepsim.Report, map[string]float64, *procPool) {
	p := startProcPool(t, 3, nil, "--tcap-continues", "1")
	log := zaptest.NewLogger(t, zaptest.Level(zap.WarnLevel))
	sim, err := sepsim.Start(ctxFor(t, 10*time.Second), sepsim.Config{
		Address: p.m3ua,
		Core: sepsim.CoreConfig{OPC: sepPC, DPC: poolPC, HoldTime: time.Second, ContinueReplies: 1,
			AnswerTimeout: 2 * time.Second},
		CallRate: 300, DialogueRate: 300,
		Logger: log.Named("sep"),
	})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	waitFor(t, "a second of traffic", func() bool { return sim.Report().Calls.Completed >= 50 })
	atMark := sim.Report().Calls.Completed
	sim.Mark()
	fault(p)
	// The survivors carry the load: the calls held across the fault end
	// within the hold time, then new ones follow (300/s).
	waitFor(t, "calls completing after the fault", func() bool { return sim.Report().Calls.Completed >= atMark+500 })
	sim.Stop()
	r, err := sim.Wait(ctxFor(t, 30*time.Second))
	t.Logf("SEP report:\n%v", r)
	if err != nil {
		t.Fatal(err)
	}
	m, err := scrape(p.metrics)
	if err != nil {
		t.Fatal(err)
	}
	return r, m, p
}

// checkFailover applies the acceptance rules common to kill and freeze.
func checkFailover(t *testing.T, what string, r sepsim.Report, m map[string]float64, p *procPool, budget time.Duration) {
	t.Helper()
	lost := metric(m, "sg_lost_messages_total")
	t.Logf("%s: traffic stalled %v after the fault (budget %v): longest wait %v, latest lost request sent %v after; p99 wait after it %v; SG failovers %v, failover time sum %.3fs over %v, lost %v; SEP unanswered %d (sent before the fault %d, after %d)",
		what, r.Stall(), budget, r.AfterMark.Max, r.LastUnansweredAfterMark, r.AfterMark.P99, metric(m, "sg_failovers_total"),
		metric(m, "sg_failover_seconds_sum"), metric(m, "sg_failover_seconds_count"), lost,
		r.Unanswered, r.UnansweredBeforeMark, r.UnansweredAfterMark)
	if metric(m, "sg_failovers_total") < 1 {
		t.Errorf("the SG saw no failover")
	}
	if r.Stall() > budget {
		t.Errorf("traffic stalled %v after the fault, budget %v", r.Stall(), budget)
	}
	// Every request the SEP saw go unanswered is one the SG counted as
	// lost in the dead GWC: nothing is lost after detection.
	if float64(r.Unanswered) > lost {
		t.Errorf("SEP lost %d requests, the SG accounts for %v", r.Unanswered, lost)
	}
	if r.Calls.Failed+r.Dialogues.Failed != 0 {
		t.Errorf("calls or dialogues failed:\n%v", r)
	}
	// Calls held on the dead GWC across the fault were released through
	// a survivor that restored them from their cookie.
	restored := 0.0
	for i := 1; i < len(p.gwcMet); i++ {
		if g, err := scrape(p.gwcMet[i]); err == nil {
			restored += metric(g, "restored_total", `kind="call"`)
		}
	}
	t.Logf("%s: calls restored by the survivors %v; SG rehomed %v bindings, sent %v Cookie Echoes",
		what, restored, metric(m, "sg_rehomed_bindings_total"), metric(m, "sg_cookies_total", `kind="echoed"`))
	if restored == 0 || metric(m, "sg_cookies_total", `kind="echoed"`) == 0 {
		t.Errorf("no call was restored on a survivor")
	}
	if r.Calls.Completed < r.Calls.Started-int(lost) {
		t.Errorf("%d of %d calls completed, %v messages lost:\n%v", r.Calls.Completed, r.Calls.Started, lost, r)
	}
}

// SIGKILL one of three GWCs under load: the kernel resets its
// associations, the SG moves its calls to the survivors at once.
func TestFailoverKill(t *testing.T) {
	r, m, p := failoverRun(t, func(p *procPool) { p.gwcs[0].signal(syscall.SIGKILL) })
	checkFailover(t, "SIGKILL", r, m, p, 300*time.Millisecond)
}

// SIGSTOP one of three GWCs under load: its kernel still acknowledges,
// only the carrier profile's M3UA BEAT (3 x 100 ms) notices.
func TestFailoverFreeze(t *testing.T) {
	r, m, p := failoverRun(t, func(p *procPool) { p.gwcs[0].signal(syscall.SIGSTOP) })
	checkFailover(t, "SIGSTOP", r, m, p, 600*time.Millisecond)
}

// waitFor polls a condition on state that changes as protocol events
// arrive, with a generous deadline as failure guard.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("no %s within 30s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}
