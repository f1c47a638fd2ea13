package mxua

import (
	"bufio"
	"bytes"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/sigpool/sigpool/transport"
)

// Process-level acceptance: the ASP is a real process (this test binary
// re-executed, see TestMain) that the test freezes or kills.

// aspChild is an ASP endpoint process started by a test.
type aspChild struct {
	t      testing.TB
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	lines  chan string
	stderr *syncBuffer
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// startASPChild starts the child, which dials addr with the profile spec.
// At cleanup it is resumed, killed and reaped, whatever the test did to it.
func startASPChild(t testing.TB, addr, profile string) *aspChild {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatalf("os.Executable: %v", err)
	}
	cmd := exec.Command(exe, "-test.run=^$")
	cmd.Env = append(os.Environ(), envChild+"=asp", envChildAddr+"="+addr, envChildProfile+"="+profile)
	c := &aspChild{t: t, cmd: cmd, lines: make(chan string, 16), stderr: &syncBuffer{}}
	cmd.Stderr = c.stderr
	if c.stdin, err = cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start ASP child: %v", err)
	}
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			c.lines <- sc.Text()
		}
		close(c.lines)
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGCONT)
		_ = cmd.Process.Kill()
		_ = c.stdin.Close()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("ASP child stderr:\n%s", c.stderr.String())
		}
	})
	return c
}

// expect waits for a line of the child starting with prefix.
func (c *aspChild) expect(prefix string, within time.Duration) {
	c.t.Helper()
	timer := time.NewTimer(within)
	defer timer.Stop()
	for {
		select {
		case line, ok := <-c.lines:
			if !ok {
				c.t.Fatalf("ASP child exited before %q; stderr:\n%s", prefix, c.stderr.String())
			}
			if strings.HasPrefix(line, prefix) {
				return
			}
			c.t.Logf("ASP child: %s", line)
		case <-timer.C:
			c.t.Fatalf("no %q from the ASP child within %v; stderr:\n%s", prefix, within, c.stderr.String())
		}
	}
}

// activeChild starts an SGP server with the carrier profile and an ASP
// child that goes ACTIVE on it, and returns both once the SGP agrees.
func activeChild(t *testing.T) (*SGPServer, notes, *aspChild, AssocID) {
	t.Helper()
	s := startSGP(t, transport.FramingMux, carrier(t))
	sn := notes{t, s.Notifications()}
	c := startASPChild(t, s.Addr(), "carrier")
	c.expect("ACTIVE", 20*time.Second)
	up := sn.wait("ASP-ACTIVE at the SGP", 5*time.Second, func(n Notify) bool {
		return n.Kind == NotifyASPState && n.ASP == ASPActive
	})
	// Let a few BEAT rounds pass both ways so the measurement starts from
	// steady state, not from the handshake.
	time.Sleep(250 * time.Millisecond)
	return s, sn, c, up.Assoc
}

// A frozen ASP (SIGSTOP) is declared down after BEAT interval x miss count;
// with the carrier profile (100 ms x 3, worst case 400 ms) within 600 ms.
// Its kernel still acknowledges TCP (or SCTP), so only BEAT can notice.
func TestProcessFrozenASPDetected(t *testing.T) {
	_, sn, c, assoc := activeChild(t)
	start := time.Now()
	if err := c.cmd.Process.Signal(syscall.SIGSTOP); err != nil {
		t.Fatalf("SIGSTOP: %v", err)
	}
	defer func() { _ = c.cmd.Process.Signal(syscall.SIGCONT) }()
	var lost, down time.Duration
	for lost == 0 || down == 0 {
		x := sn.wait("peer lost and ASP-DOWN", 3*time.Second, func(n Notify) bool {
			return n.Assoc == assoc && (n.Kind == NotifyPeerLost || n.Kind == NotifyASPState && n.ASP == ASPDown)
		})
		d := time.Since(start)
		if x.Kind == NotifyPeerLost {
			lost = d
		} else {
			down = d
			t.Logf("ASP-DOWN reason: %s", x.Reason)
		}
	}
	t.Logf("frozen ASP (SIGSTOP), carrier profile: peer lost after %v, ASP-DOWN after %v (budget 600ms, BEAT worst case %v)",
		lost, down, carrier(t).AppHBInterval*time.Duration(carrier(t).AppHBMiss+1))
	if lost >= 600*time.Millisecond || down >= 600*time.Millisecond {
		t.Errorf("frozen ASP detected after %v / %v, want within 600ms", lost, down)
	}
	if lost < carrier(t).AppHBInterval*time.Duration(carrier(t).AppHBMiss-1) {
		t.Errorf("peer lost after only %v: before %d BEATs could go unanswered", lost, carrier(t).AppHBMiss)
	}
}

// A killed ASP (SIGKILL) is noticed by the transport at once: its kernel
// closes the connection, no BEAT period needed.
func TestProcessKilledASPDetected(t *testing.T) {
	_, sn, c, assoc := activeChild(t)
	start := time.Now()
	if err := c.cmd.Process.Kill(); err != nil {
		t.Fatalf("SIGKILL: %v", err)
	}
	x := sn.wait("ASP-DOWN", 3*time.Second, func(n Notify) bool {
		return n.Assoc == assoc && n.Kind == NotifyASPState && n.ASP == ASPDown
	})
	d := time.Since(start)
	t.Logf("killed ASP (SIGKILL), carrier profile: ASP-DOWN after %v (%s)", d, x.Reason)
	if d >= 300*time.Millisecond {
		t.Errorf("killed ASP detected after %v, want within 300ms (before BEAT could)", d)
	}
}
