package e2e

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// sigpoolBin is the sigpool binary TestMain builds once for the process
// tests; empty when the build failed (buildErr says why).
var (
	sigpoolBin string
	buildErr   error
)

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "sigpool-e2e-")
	if err != nil {
		fmt.Fprintln(os.Stderr, "e2e:", err)
		os.Exit(1)
	}
	sigpoolBin, buildErr = buildSigpool(dir)
	code := m.Run()
	_ = os.RemoveAll(dir)
	os.Exit(code)
}

// buildSigpool builds cmd/sigpool into dir.
func buildSigpool(dir string) (string, error) {
	out, err := exec.Command("go", "list", "-f", "{{.Dir}}", "github.com/sigpool/sigpool/cmd/sigpool").Output()
	if err != nil {
		return "", fmt.Errorf("locate cmd/sigpool: %w", err)
	}
	bin := filepath.Join(dir, "sigpool")
	cmd := exec.Command("go", "build", "-o", bin, ".")
	cmd.Dir = strings.TrimSpace(string(out))
	if b, err := cmd.CombinedOutput(); err != nil {
		return "", fmt.Errorf("go build cmd/sigpool: %w\n%s", err, b)
	}
	return bin, nil
}

// needBinary fails a process test when the binary could not be built.
func needBinary(t testing.TB) {
	t.Helper()
	if buildErr != nil {
		t.Fatalf("sigpool binary: %v", buildErr)
	}
}

// freeAddr returns a loopback TCP address nobody listens on right now.
// (The port is free when returned; a process told to listen on it takes
// it well before anything else on this machine asks for a random port.)
func freeAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// syncBuffer collects a process's output for failure reports.
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

// proc is a sigpool process started by a test. At cleanup it is resumed,
// killed and reaped, whatever the test did to it, and its output is shown
// if the test failed.
type proc struct {
	t      testing.TB
	name   string
	cmd    *exec.Cmd
	out    *syncBuffer
	lines  chan string
	exited chan struct{}
}

func startProc(t testing.TB, name string, args ...string) *proc {
	t.Helper()
	needBinary(t)
	cmd := exec.Command(sigpoolBin, args...)
	p := &proc{t: t, name: name, cmd: cmd, out: &syncBuffer{}, lines: make(chan string, 1024), exited: make(chan struct{})}
	pr, pw, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = pw, pw
	if err := cmd.Start(); err != nil {
		t.Fatalf("start %s: %v", name, err)
	}
	pw.Close()
	go func() {
		sc := bufio.NewScanner(pr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			line := sc.Text()
			fmt.Fprintln(p.out, line)
			select {
			case p.lines <- line:
			default: // nobody waits for lines any more
			}
		}
		pr.Close()
	}()
	go func() { _ = cmd.Wait(); close(p.exited) }()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGCONT)
		_ = cmd.Process.Kill()
		<-p.exited
		if t.Failed() {
			t.Logf("%s (%s) output:\n%s", name, strings.Join(args, " "), p.out.String())
		}
	})
	return p
}

// signal sends sig to the process.
func (p *proc) signal(sig syscall.Signal) {
	p.t.Helper()
	if err := p.cmd.Process.Signal(sig); err != nil {
		p.t.Fatalf("signal %v to %s: %v", sig, p.name, err)
	}
}

// waitDial waits until addr accepts TCP connections (the process is
// listening), failing if the process exits first.
func (p *proc) waitDial(addr string, within time.Duration) {
	p.t.Helper()
	deadline := time.Now().Add(within)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return
		}
		select {
		case <-p.exited:
			p.t.Fatalf("%s exited before listening on %s:\n%s", p.name, addr, p.out.String())
		default:
		}
		if time.Now().After(deadline) {
			p.t.Fatalf("%s not listening on %s within %v:\n%s", p.name, addr, within, p.out.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func ctxFor(t testing.TB, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}
