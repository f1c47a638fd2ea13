package scenarios

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

func sampleReport() *Report {
	r := &Report{
		Scenario: "gwc-crash", Description: "one GWC <killed> under load", Started: time.Unix(1700000000, 0),
		Duration: 10 * time.Second,
		Topology: Topology{Transport: "tcp", Profile: "carrier", Protocol: "m3ua", Registrars: 2, GWCs: 3},
		Totals: Totals{CallsAttempted: 500, CallsCompleted: 498, DialoguesAttempted: 1000, DialoguesCompleted: 1000,
			MSUsSent: 4000, MSUsAnswered: 3990, MessagesLost: 0, UnansweredAtFault: 2,
			LatencyP50: 400 * time.Microsecond, LatencyP99: 3 * time.Millisecond, Throughput: 399},
		Failovers: []Failover{{Target: "gwc-1", Fault: "kill", At: 5 * time.Second, Time: 180 * time.Millisecond, Lost: 2, OK: true}},
		Events:    []Event{{At: 5 * time.Second, Kind: "fault", Target: "gwc-1", Detail: "kill gwc-1 (SIGKILL)"}},
	}
	for i := range 20 {
		s := Sample{At: time.Duration(i) * 500 * time.Millisecond, Answered: map[string]int64{"gwc-1": 70, "gwc-2": 65, "gwc-3": 66},
			P50: 400 * time.Microsecond, P99: 2 * time.Millisecond}
		if i >= 10 {
			s.Answered["gwc-1"] = 0
			s.Answered["gwc-2"], s.Answered["gwc-3"] = 100, 101
		}
		for _, v := range s.Answered {
			s.Total += v
		}
		r.Samples = append(r.Samples, s)
	}
	return r
}

func bound(t *testing.T, s string) *Bound {
	t.Helper()
	b, err := ParseBound(s)
	if err != nil {
		t.Fatal(err)
	}
	return &b
}

func TestEvaluate(t *testing.T) {
	r := sampleReport()
	r.Evaluate(Expectations{CallSuccessRatio: bound(t, ">= 0.99"), FailoverTime: bound(t, "<= 300ms"), MessagesLost: bound(t, "== 0")})
	if !r.Pass || len(r.Outcomes) != 3 {
		t.Fatalf("pass=%v outcomes %+v", r.Pass, r.Outcomes)
	}
	// An expectation that cannot hold fails the run, and says what was measured.
	r.Evaluate(Expectations{FailoverTime: bound(t, "< 1ms")})
	if r.Pass || r.Outcomes[0].Pass || !strings.Contains(r.Outcomes[0].Measured, "180ms") {
		t.Fatalf("impossible failover time: %+v", r.Outcomes)
	}
	r.Failovers[0].OK = false
	r.Evaluate(Expectations{FailoverTime: bound(t, "<= 10s")})
	if r.Pass {
		t.Error("a failover that never recovered passed")
	}
	r.Failovers = nil
	r.Evaluate(Expectations{FailoverTime: bound(t, "<= 10s")})
	if r.Pass {
		t.Error("no failover measured, yet failover_time passed")
	}
	r = sampleReport()
	r.Error = "gwc-2 did not start"
	r.Evaluate(Expectations{})
	if r.Pass {
		t.Error("a run that failed to start passed")
	}
}

func TestReportFiles(t *testing.T) {
	r := sampleReport()
	r.Evaluate(Expectations{FailoverTime: bound(t, "<= 300ms")})
	dir := t.TempDir()
	jp, hp, err := r.WriteFiles(dir)
	if err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(jp)
	if err != nil {
		t.Fatal(err)
	}
	var back Report
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if back.Failovers[0].Time != 180*time.Millisecond || !back.Pass || len(back.Samples) != 20 {
		t.Errorf("json round trip: %+v", back.Failovers)
	}
	page, err := os.ReadFile(hp)
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"<svg", "<polyline", `class="failover"`, `class="fault"`, "gwc-3", "PASS", "one GWC &lt;killed&gt; under load"} {
		if !bytes.Contains(page, []byte(want)) {
			t.Errorf("report.html lacks %q", want)
		}
	}
	var sum bytes.Buffer
	if err := r.WriteSummary(&sum); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"scenario gwc-crash: PASS", "gwc-1 kill at 5s: traffic answered again after 180ms", "expect ok   failover_time"} {
		if !strings.Contains(sum.String(), want) {
			t.Errorf("summary lacks %q:\n%s", want, sum.String())
		}
	}
}

// chromium finds a headless-capable Chromium; where the tools are required
// (make test, CI) its absence fails the test.
func chromium(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if os.Getenv("SIGPOOL_REQUIRE_TOOLS") != "" || os.Getenv("CI") != "" {
		t.Fatal("chromium not found (make deps installs it)")
	}
	t.Skip("chromium not found")
	return ""
}

var consoleLine = regexp.MustCompile(`:CONSOLE[:(]`)

// screenshot opens page in headless Chromium, writes a PNG and returns the
// console messages the page produced.
func screenshot(t *testing.T, bin, page, png string) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
		"--user-data-dir="+t.TempDir(), "--window-size=1100,1600", "--screenshot="+png,
		"--enable-logging=stderr", "--v=0", "file://"+page)
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("chromium: %v\n%s", err, out)
	}
	var console []string
	for _, l := range strings.Split(string(out), "\n") {
		if consoleLine.MatchString(l) {
			console = append(console, l)
		}
	}
	return console
}

func TestReportOpensInChromium(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a browser")
	}
	bin := chromium(t)
	dir := t.TempDir()
	r := sampleReport()
	r.Evaluate(Expectations{FailoverTime: bound(t, "<= 300ms")})
	_, hp, err := r.WriteFiles(dir)
	if err != nil {
		t.Fatal(err)
	}
	png := filepath.Join(dir, "report.png")
	if msgs := screenshot(t, bin, hp, png); len(msgs) > 0 {
		t.Errorf("console messages:\n%s", strings.Join(msgs, "\n"))
	}
	st, err := os.Stat(png)
	if err != nil || st.Size() < 10_000 {
		t.Fatalf("screenshot: %v (%d bytes): the page did not render", err, st.Size())
	}
	if keep := os.Getenv("SIGPOOL_KEEP_REPORT"); keep != "" {
		_ = os.WriteFile(filepath.Join(keep, "report.png"), mustRead(t, png), 0o644)
	}
	// The check above must be able to fail: a page with a script error is caught.
	bad := filepath.Join(dir, "bad.html")
	if err := os.WriteFile(bad, []byte(`<!DOCTYPE html><html><body><script>noSuchFunction()</script></body></html>`), 0o644); err != nil {
		t.Fatal(err)
	}
	if msgs := screenshot(t, bin, bad, filepath.Join(dir, "bad.png")); len(msgs) == 0 {
		t.Error("a page with a script error produced no console message: the check is blind")
	}
}

func mustRead(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
