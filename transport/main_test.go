package transport

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
)

// The test binary doubles as the peer process of the dead-peer tests: with
// SIGPOOL_TRANSPORT_PEER set, TestMain runs a peer instead of the tests.
// Re-executing the binary itself works on the host, inside a network
// namespace and inside the VM alike.
const (
	envPeer        = "SIGPOOL_TRANSPORT_PEER"         // echo | sender
	envPeerAddr    = "SIGPOOL_TRANSPORT_PEER_ADDR"    // listen or dial address
	envPeerProfile = "SIGPOOL_TRANSPORT_PEER_PROFILE" // profile spec
)

func TestMain(m *testing.M) {
	if mode := os.Getenv(envPeer); mode != "" {
		os.Exit(runPeer(mode))
	}
	os.Exit(m.Run())
}

// runPeer is the child process side. It talks to the parent in lines on
// stdout ("LISTEN addr", "FLOWING", "DETECTED ms kind reason") and reads
// commands from stdin ("DROP": the path is now black-holed).
func runPeer(mode string) int {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	prof, err := ParseProfile(os.Getenv(envPeerProfile))
	if err != nil {
		fmt.Fprintln(os.Stderr, "peer:", err)
		return 2
	}
	log := zap.New(zapcore.NewCore(zapcore.NewConsoleEncoder(zap.NewDevelopmentEncoderConfig()),
		zapcore.Lock(os.Stderr), zap.InfoLevel))
	cfg := Config{Profile: prof, Logger: log}
	addr := os.Getenv(envPeerAddr)
	switch mode {
	case "echo":
		l, err := Listen(ctx, addr, cfg)
		if err != nil {
			fmt.Fprintln(os.Stderr, "peer:", err)
			return 2
		}
		ap := l.Addrs()[0]
		scheme, _, _ := strings.Cut(addr, "://")
		fmt.Printf("LISTEN %s://%s\n", scheme, ap)
		for {
			a, err := l.Accept(ctx)
			if err != nil {
				fmt.Fprintln(os.Stderr, "peer:", err)
				return 1
			}
			go echo(ctx, a)
		}
	case "sender":
		return runSender(ctx, addr, cfg)
	}
	fmt.Fprintln(os.Stderr, "peer: unknown mode", mode)
	return 2
}

// echo sends every message back until the association ends.
func echo(ctx context.Context, a Association) {
	for {
		m, err := a.Recv(ctx)
		if err != nil {
			return
		}
		if err := a.Send(ctx, m); err != nil {
			return
		}
	}
}

// runSender keeps messages flowing to an echo peer, and once told the path
// is black-holed, measures how long the association takes to notice.
func runSender(ctx context.Context, addr string, cfg Config) int {
	a, err := Dial(ctx, addr, cfg)
	if err != nil {
		fmt.Fprintln(os.Stderr, "sender:", err)
		return 2
	}
	ended := make(chan error, 1)
	echoes := make(chan struct{}, 1024)
	go func() {
		for {
			if _, err := a.Recv(ctx); err != nil {
				ended <- err
				return
			}
			select {
			case echoes <- struct{}{}:
			default:
			}
		}
	}()
	go func() {
		payload := bytes.Repeat([]byte{0x5a}, 100)
		for ctx.Err() == nil {
			sctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
			_ = a.Send(sctx, Message{PPID: 3, Data: payload})
			cancel()
			time.Sleep(5 * time.Millisecond)
		}
	}()
	for i := 0; i < 20; i++ {
		select {
		case <-echoes:
		case err := <-ended:
			fmt.Fprintln(os.Stderr, "sender: ended before traffic flowed:", err)
			return 1
		case <-time.After(5 * time.Second):
			fmt.Fprintln(os.Stderr, "sender: no echo within 5s")
			return 1
		}
	}
	fmt.Println("FLOWING")
	line, err := bufio.NewReader(os.Stdin).ReadString('\n')
	if err != nil || strings.TrimSpace(line) != "DROP" {
		fmt.Fprintf(os.Stderr, "sender: want DROP on stdin, got %q, %v\n", line, err)
		return 2
	}
	t0 := time.Now()
	select {
	case err := <-ended:
		kind := "down"
		if errors.Is(err, ErrPeerDead) {
			kind = "peer-dead"
		}
		fmt.Printf("DETECTED %.1f %s %v\n", float64(time.Since(t0).Microseconds())/1000, kind, err)
		return 0
	case <-time.After(10 * time.Second):
		fmt.Println("TIMEOUT")
		return 1
	}
}

// child is a peer process started by a test.
type child struct {
	t      testing.TB
	cmd    *exec.Cmd
	stdin  io.WriteCloser
	lines  chan string
	stderr *lockedBuffer
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// startPeer re-executes the test binary as a peer, behind wrapper (e.g.
// "ip netns exec NS") when given. The process is killed at cleanup.
func startPeer(t testing.TB, wrapper []string, mode, addr, profile string) *child {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatalf("os.Executable: %v", err)
	}
	args := append(append([]string(nil), wrapper...), exe, "-test.run=^$")
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Env = append(os.Environ(), envPeer+"="+mode, envPeerAddr+"="+addr, envPeerProfile+"="+profile)
	c := &child{t: t, cmd: cmd, lines: make(chan string, 16), stderr: &lockedBuffer{}}
	cmd.Stderr = c.stderr
	if c.stdin, err = cmd.StdinPipe(); err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start peer %v: %v", args, err)
	}
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			c.lines <- sc.Text()
		}
		close(c.lines)
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("peer %s stderr:\n%s", mode, c.stderr.String())
		}
	})
	return c
}

// expect waits for a line starting with prefix and returns the rest.
func (c *child) expect(prefix string, within time.Duration) string {
	c.t.Helper()
	timer := time.NewTimer(within)
	defer timer.Stop()
	for {
		select {
		case line, ok := <-c.lines:
			if !ok {
				c.t.Fatalf("peer exited before printing %q; stderr:\n%s", prefix, c.stderr.String())
			}
			if rest, found := strings.CutPrefix(line, prefix); found {
				return strings.TrimSpace(rest)
			}
			c.t.Logf("peer: %s", line)
		case <-timer.C:
			c.t.Fatalf("no %q from peer within %v; stderr:\n%s", prefix, within, c.stderr.String())
		}
	}
}
