package scenarios

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/sigpool/sigpool/transport"
)

// Process is one sigpool component the player started.
type Process struct {
	Name string
	Args []string
	cmd  *exec.Cmd
	log  *os.File
	done chan struct{}
	mu   sync.Mutex
	err  error
}

// StartProcess runs bin with args; its output goes to dir/NAME.log.
func StartProcess(bin, dir, name string, args ...string) (*Process, error) {
	logf, err := os.Create(filepath.Join(dir, name+".log"))
	if err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	cmd := exec.Command(bin, args...)
	cmd.Stdout, cmd.Stderr = logf, logf
	// Its own process group: a signal meant for it never reaches the player.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	if err := cmd.Start(); err != nil {
		logf.Close()
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	p := &Process{Name: name, Args: args, cmd: cmd, log: logf, done: make(chan struct{})}
	go func() {
		err := cmd.Wait()
		p.mu.Lock()
		p.err = err
		p.mu.Unlock()
		logf.Close()
		close(p.done)
	}()
	return p, nil
}

// LogPath is where the process writes.
func (p *Process) LogPath() string { return p.log.Name() }

// Exited reports whether the process has ended, and how.
func (p *Process) Exited() (bool, error) {
	select {
	case <-p.done:
		p.mu.Lock()
		defer p.mu.Unlock()
		return true, p.err
	default:
		return false, nil
	}
}

// Signal sends sig (SIGKILL, SIGSTOP, SIGCONT, SIGTERM).
func (p *Process) Signal(sig syscall.Signal) error {
	if done, _ := p.Exited(); done {
		return fmt.Errorf("%s: already exited", p.Name)
	}
	if err := p.cmd.Process.Signal(sig); err != nil {
		return fmt.Errorf("%s: %v: %w", p.Name, sig, err)
	}
	return nil
}

// Stop ends the process: SIGCONT (it may be frozen), SIGTERM, and SIGKILL
// after grace.
func (p *Process) Stop(grace time.Duration) {
	if done, _ := p.Exited(); done {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGCONT)
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(grace):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

// WaitListening waits until addr accepts associations, the process exits
// or ctx ends. addr is "host:port" (TCP) or a transport address with its
// scheme ("sctp://127.0.0.1:3863"), dialled as the components will.
func (p *Process) WaitListening(ctx context.Context, addr string) error {
	for {
		if done, err := p.Exited(); done {
			return fmt.Errorf("%s exited before listening on %s (%v); see %s", p.Name, addr, err, p.LogPath())
		}
		if listening(ctx, addr) {
			return nil
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s not listening on %s: %w; see %s", p.Name, addr, ctx.Err(), p.LogPath())
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// bindFailed reports whether the process ended because an address it was
// to listen on was in use (its log says so).
func (p *Process) bindFailed() bool {
	if done, _ := p.Exited(); !done {
		return false
	}
	b, err := os.ReadFile(p.LogPath())
	return err == nil && bytes.Contains(b, []byte("address already in use"))
}

func listening(ctx context.Context, addr string) bool {
	dctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
	defer cancel()
	if !strings.Contains(addr, "://") {
		c, err := (&net.Dialer{}).DialContext(dctx, "tcp", addr)
		if err == nil {
			c.Close()
		}
		return err == nil
	}
	a, err := transport.Dial(dctx, addr, transport.Config{})
	if err == nil {
		_ = a.Abort()
	}
	return err == nil
}

// freePorts reserves n loopback TCP ports by binding and releasing them;
// the components bind them right after.
func freePorts(n int) ([]int, error) {
	var lns []net.Listener
	defer func() {
		for _, l := range lns {
			l.Close()
		}
	}()
	ports := make([]int, 0, n)
	for range n {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			return nil, fmt.Errorf("reserve a port: %w", err)
		}
		lns = append(lns, l)
		ports = append(ports, l.Addr().(*net.TCPAddr).Port)
	}
	return ports, nil
}

// errStopped marks a run ended by its context.
var errStopped = errors.New("scenario stopped")
