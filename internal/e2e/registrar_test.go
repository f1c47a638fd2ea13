package e2e

import (
	"syscall"
	"testing"
	"time"

	"github.com/sigpool/sigpool/internal/sepsim"
	"go.uber.org/zap"
	"go.uber.org/zap/zaptest"
)

// Two remote registrars (`sigpool enrp`, peers of each other) serve the SG
// and three GWCs. SIGKILL the first one, which the SG and the GWCs use:
// dialogues keep completing through the loss, and the SG resolves the pool
// at the survivor: a fourth GWC that only knows the survivor registers
// there and the SG takes it into the pool.
func TestRegistrarLoss(t *testing.T) {
	needBinary(t)
	asap1, enrp1, asap2, enrp2 := "tcp://"+freeAddr(t), "tcp://"+freeAddr(t), "tcp://"+freeAddr(t), "tcp://"+freeAddr(t)
	reg1 := startProc(t, "enrp1", "enrp", "--listen", asap1, "--enrp-listen", enrp1, "--peer", enrp2, "--profile", "carrier")
	reg2 := startProc(t, "enrp2", "enrp", "--listen", asap2, "--enrp-listen", enrp2, "--peer", enrp1, "--profile", "carrier")
	reg1.waitDial(asap1[len("tcp://"):], 20*time.Second)
	reg2.waitDial(asap2[len("tcp://"):], 20*time.Second)
	p := startProcPool(t, 3, []string{asap1, asap2})

	log := zaptest.NewLogger(t, zaptest.Level(zap.WarnLevel))
	sim, err := sepsim.Start(ctxFor(t, 10*time.Second), sepsim.Config{
		Address: p.m3ua, Core: sepsim.CoreConfig{OPC: sepPC, DPC: poolPC, AnswerTimeout: 2 * time.Second},
		DialogueRate: 300, Logger: log.Named("sep"),
	})
	if err != nil {
		t.Fatal(err)
	}
	defer sim.Close()
	waitFor(t, "dialogues before the loss", func() bool { return sim.Report().Dialogues.Completed >= 100 })
	killedAt := sim.Mark()
	reg1.signal(syscall.SIGKILL)

	p.addGWC(t, 3, []string{asap2})
	p.waitActive(t, 4)
	t.Logf("a GWC registered at the surviving registrar was ACTIVE at the SG %v after the kill", time.Since(killedAt).Round(time.Millisecond))
	atJoin := sim.Report().Dialogues.Completed
	waitFor(t, "dialogues after the new GWC joined", func() bool { return sim.Report().Dialogues.Completed >= atJoin+300 })
	sim.Stop()
	r, err := sim.Wait(ctxFor(t, 30*time.Second))
	t.Logf("SEP report:\n%v", r)
	if err != nil {
		t.Fatal(err)
	}
	if r.Dialogues.Failed+r.Dialogues.TimedOut != 0 || r.Unanswered != 0 {
		t.Errorf("dialogues lost across the registrar loss:\n%v", r)
	}
	m, err := scrape(p.metrics)
	if err != nil {
		t.Fatal(err)
	}
	if f := metric(m, "sg_failovers_total"); f != 0 {
		t.Errorf("the registrar loss cost %v GWC failovers", f)
	}
}
