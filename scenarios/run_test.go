package scenarios

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// Every shipped scenario passes in its short form (durations and fault
// times halved) against the real sigpool processes.
func TestExampleScenarios(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	for _, name := range BuiltinNames() {
		t.Run(name, func(t *testing.T) {
			s, err := Builtin(name)
			if err != nil {
				t.Fatal(err)
			}
			short, err := s.Scaled(0.5)
			if err != nil {
				t.Fatal(err)
			}
			var out bytes.Buffer
			ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
			defer cancel()
			dir := t.TempDir()
			rep, err := Run(ctx, short, RunOptions{Binary: sigpoolBin, Dir: dir, Out: &out})
			var sum bytes.Buffer
			if rep != nil {
				_ = rep.WriteSummary(&sum)
			}
			t.Logf("%s", sum.String())
			if err != nil {
				t.Fatalf("run: %v\n%s", err, out.String())
			}
			if !rep.Pass {
				t.Fatal("expectations not met")
			}
			if name == "lab" {
				// The report of a real run renders without console messages.
				png := filepath.Join(dir, "report.png")
				if msgs := screenshot(t, chromium(t), filepath.Join(dir, "report.html"), png); len(msgs) > 0 {
					t.Errorf("report.html console messages:\n%s", strings.Join(msgs, "\n"))
				}
			}
		})
	}
}

// A scenario whose expectations cannot hold fails with a clear message and
// a non-zero exit code, and still writes its report.
func TestImpossibleExpectationFails(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	dir := t.TempDir()
	file := filepath.Join(dir, "impossible.yaml")
	doc := `name: impossible
duration: 4s
topology:
  gwcs: 2
traffic:
  tcap:
    dialogues_per_second: 200
faults:
  - at: 2s
    action: kill
    target: gwc-1
expect:
  failover_time: "< 1us"
`
	if err := os.WriteFile(file, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(sigpoolBin, "scenario", "run", file, "--dir", filepath.Join(dir, "run")).CombinedOutput()
	var ee *exec.ExitError
	if !errors.As(err, &ee) || ee.ExitCode() == 0 {
		t.Fatalf("exit: %v, want a non-zero exit code\n%s", err, out)
	}
	for _, want := range []string{"scenario impossible: FAIL", "expect FAIL failover_time gwc-1 < 1us", "expectations not met"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	for _, f := range []string{"report.json", "report.html", "sg.log", "gwc-1.log"} {
		if _, err := os.Stat(filepath.Join(dir, "run", f)); err != nil {
			t.Errorf("%s: %v", f, err)
		}
	}
}

// A bad scenario file is refused before anything starts, naming file and line.
func TestBadScenarioFileRefused(t *testing.T) {
	dir := t.TempDir()
	file := filepath.Join(dir, "bad.yaml")
	if err := os.WriteFile(file, []byte("name: bad\nduration: 5s\ntopology:\n  gwcs: 2\n  colour: red\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(sigpoolBin, "scenario", "run", file).CombinedOutput()
	if err == nil || !strings.Contains(string(out), "bad.yaml:5: unknown key \"colour\" in topology") {
		t.Fatalf("err %v, output:\n%s", err, out)
	}
}
