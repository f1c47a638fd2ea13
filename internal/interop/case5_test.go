package interop

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"testing"
	"time"
)

// labReport is the part of a scenario's report.json case 5 reads.
type labReport struct {
	Topology struct {
		Transport string `json:"transport"`
		Profile   string `json:"profile"`
	} `json:"topology"`
	Totals struct {
		CallsAttempted     int64 `json:"calls_attempted"`
		CallsCompleted     int64 `json:"calls_completed"`
		DialoguesAttempted int64 `json:"dialogues_attempted"`
		DialoguesCompleted int64 `json:"dialogues_completed"`
		MessagesLost       int64 `json:"messages_lost"`
	} `json:"totals"`
	Failovers []struct {
		Target string        `json:"target"`
		Time   time.Duration `json:"time_ns"`
		OK     bool          `json:"recovered"`
	} `json:"failovers"`
	Pass bool `json:"pass"`
}

// Case 5: the lab scenario over kernel SCTP with the carrier profile
// (testdata/lab-sctp.yaml: topology.transport sctp) reports its failover
// time.
func TestCase5LabScenarioOverKernelSCTP(t *testing.T) {
	requireVM(t)
	scenario, err := filepath.Abs(filepath.Join("testdata", "lab-sctp.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	bin := filepath.Join(peersDir(t), "bin", "sigpool")
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	out, runErr := runSigpool(ctx, t, "scenario", "run", scenario, "--binary", bin, "--dir", dir)
	t.Logf("sigpool scenario run:\n%s", out)
	b, err := os.ReadFile(filepath.Join(dir, "report.json"))
	if err != nil {
		t.Fatalf("no report.json (run: %v): %v", runErr, err)
	}
	var rep labReport
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatalf("report.json: %v", err)
	}
	if rep.Topology.Transport != "sctp" || rep.Topology.Profile != "carrier" {
		t.Errorf("topology %+v: want transport sctp, profile carrier", rep.Topology)
	}
	if len(rep.Failovers) != 1 || !rep.Failovers[0].OK {
		t.Fatalf("failovers %+v: want gwc-2's, recovered", rep.Failovers)
	}
	f := rep.Failovers[0]
	figure(t, "case 5: lab over kernel SCTP (carrier): failover of %s in %v; calls %d/%d, dialogues %d/%d, lost %d",
		f.Target, f.Time.Round(time.Millisecond), rep.Totals.CallsCompleted, rep.Totals.CallsAttempted,
		rep.Totals.DialoguesCompleted, rep.Totals.DialoguesAttempted, rep.Totals.MessagesLost)
	if runErr != nil || !rep.Pass {
		t.Fatalf("the scenario's expectations failed (%v); see the report above", runErr)
	}
}
