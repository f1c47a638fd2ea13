package interop

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Addresses of the VM's loopback. RSPLIB 3.4.4 drops loopback addresses
// from every transport parameter and will not register a PE that has no
// address of at least site-local scope (docs/interop.md), so the cases put
// site-local addresses on lo and use those.
const (
	hostA = "10.99.0.1" // sigpool registrar, first RSPLIB registrar
	hostB = "10.99.0.2" // second registrar
	hostC = "10.99.0.3" // PEs, PUs, STP
)

// guard bounds every wait: a failure guard only, the cases wait on events.
const guard = 30 * time.Second

// peersDir is where scripts/interop.sh staged the binaries.
func peersDir(t testing.TB) string {
	t.Helper()
	d, err := filepath.Abs(filepath.Join("testdata", "peers"))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// requireVM skips outside make interop's VM and prepares the loopback
// addresses inside it.
func requireVM(t *testing.T) string {
	t.Helper()
	if os.Getenv("SIGPOOL_INTEROP") != "1" {
		t.Skip("interop case: runs in the VM of scripts/interop.sh (make interop)")
	}
	d := peersDir(t)
	if _, err := os.Stat(filepath.Join(d, "bin", "sigpool")); err != nil {
		t.Fatalf("SIGPOOL_INTEROP=1 but the staged peers are missing: %v", err)
	}
	addrOnce.Do(func() {
		for _, a := range []string{hostA, hostB, hostC} {
			out, err := exec.Command("ip", "addr", "add", a+"/32", "dev", "lo").CombinedOutput()
			if err != nil && !bytes.Contains(out, []byte("exists")) {
				addrErr = fmt.Errorf("ip addr add %s dev lo: %v: %s", a, err, out)
				return
			}
		}
	})
	if addrErr != nil {
		t.Fatal(addrErr)
	}
	return d
}

var (
	addrOnce sync.Once
	addrErr  error
)

// proc is one peer or sigpool process whose output the case reads line by
// line.
type proc struct {
	t    testing.TB
	name string
	cmd  *exec.Cmd
	in   io.WriteCloser

	mu      sync.Mutex
	lines   []string
	changed chan struct{} // closed and replaced on every new line or exit
	exited  bool
	waitErr error
}

// startSigpool runs the staged sigpool binary.
func startSigpool(t testing.TB, name string, args ...string) *proc {
	t.Helper()
	return start(t, name, filepath.Join(peersDir(t), "bin", "sigpool"), args, nil)
}

// startPeer runs a staged Debian binary through the staged dynamic loader
// and libraries, its stdout line buffered.
func startPeer(t testing.TB, name, bin string, args ...string) *proc {
	t.Helper()
	d := peersDir(t)
	lib := filepath.Join(d, "lib")
	full := append([]string{"--library-path", lib, filepath.Join(d, "bin", bin)}, args...)
	var env []string
	if _, err := os.Stat(filepath.Join(lib, "libstdbuf.so")); err == nil {
		env = append(env, "LD_PRELOAD="+filepath.Join(lib, "libstdbuf.so"), "_STDBUF_O=L", "_STDBUF_E=L")
	}
	return start(t, name, filepath.Join(lib, "ld-linux-x86-64.so.2"), full, env)
}

func start(t testing.TB, name, path string, args, env []string) *proc {
	t.Helper()
	p := &proc{t: t, name: name, changed: make(chan struct{})}
	p.cmd = exec.Command(path, args...)
	p.cmd.Env = append(os.Environ(), env...)
	p.cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
	in, err := p.cmd.StdinPipe()
	if err != nil {
		t.Fatalf("%s: stdin: %v", name, err)
	}
	p.in = in
	r, w := io.Pipe()
	p.cmd.Stdout = w
	p.cmd.Stderr = w
	if err := p.cmd.Start(); err != nil {
		t.Fatalf("start %s (%s %s): %v", name, path, strings.Join(args, " "), err)
	}
	t.Logf("started %s (pid %d): %s", name, p.cmd.Process.Pid, strings.Join(args, " "))
	go func() {
		sc := bufio.NewScanner(r)
		sc.Buffer(make([]byte, 64*1024), 1024*1024)
		for sc.Scan() {
			p.add(sc.Text())
		}
	}()
	go func() {
		err := p.cmd.Wait()
		w.Close()
		p.mu.Lock()
		p.exited, p.waitErr = true, err
		close(p.changed)
		p.changed = make(chan struct{})
		p.mu.Unlock()
	}()
	t.Cleanup(func() {
		p.stop()
		if t.Failed() {
			t.Logf("---- output of %s ----\n%s", name, p.output())
		}
	})
	return p
}

func (p *proc) add(line string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.lines = append(p.lines, line)
	close(p.changed)
	p.changed = make(chan struct{})
}

// output is everything the process printed so far.
func (p *proc) output() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return strings.Join(p.lines, "\n")
}

// waitLine waits for a line matching re printed from line from on and
// returns its index and submatches.
func (p *proc) waitLine(from int, re *regexp.Regexp, within time.Duration) (int, []string, error) {
	deadline := time.NewTimer(within)
	defer deadline.Stop()
	for i := from; ; {
		p.mu.Lock()
		for ; i < len(p.lines); i++ {
			if m := re.FindStringSubmatch(p.lines[i]); m != nil {
				p.mu.Unlock()
				return i, m, nil
			}
		}
		ch, exited, werr := p.changed, p.exited, p.waitErr
		p.mu.Unlock()
		if exited {
			return -1, nil, fmt.Errorf("%s exited (%v) before printing a line matching %q", p.name, werr, re)
		}
		select {
		case <-ch:
		case <-deadline.C:
			return -1, nil, fmt.Errorf("%s printed no line matching %q within %v", p.name, re, within)
		}
	}
}

// mustLine is waitLine from the start that fails the case.
func (p *proc) mustLine(re string) []string {
	p.t.Helper()
	_, m, err := p.waitLine(0, regexp.MustCompile(re), guard)
	if err != nil {
		p.t.Fatal(err)
	}
	return m
}

// lineCount is the number of lines printed so far.
func (p *proc) lineCount() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return len(p.lines)
}

// send writes one line to the process's standard input.
func (p *proc) send(line string) {
	p.t.Helper()
	if _, err := io.WriteString(p.in, line+"\n"); err != nil {
		p.t.Fatalf("%s: write stdin: %v", p.name, err)
	}
}

// kill ends the process with SIGKILL (a crash) and waits for it.
func (p *proc) kill() { p.signal(syscall.SIGKILL) }

// stop ends the process with SIGTERM, then SIGKILL, and waits for it.
func (p *proc) stop() { p.signal(syscall.SIGTERM) }

func (p *proc) signal(sig syscall.Signal) {
	p.mu.Lock()
	exited, ch := p.exited, p.changed
	p.mu.Unlock()
	if exited {
		return
	}
	_ = syscall.Kill(-p.cmd.Process.Pid, sig)
	select {
	case <-ch:
	case <-time.After(5 * time.Second):
	}
	for {
		p.mu.Lock()
		exited, ch = p.exited, p.changed
		p.mu.Unlock()
		if exited {
			return
		}
		_ = syscall.Kill(-p.cmd.Process.Pid, syscall.SIGKILL)
		select {
		case <-ch:
		case <-time.After(5 * time.Second):
			p.t.Errorf("%s (pid %d) does not exit", p.name, p.cmd.Process.Pid)
			return
		}
	}
}

// run runs a short sigpool command and returns its output.
func runSigpool(ctx context.Context, t testing.TB, args ...string) (string, error) {
	t.Helper()
	cmd := exec.CommandContext(ctx, filepath.Join(peersDir(t), "bin", "sigpool"), args...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// eventually retries check until it returns nil or the guard expires. The
// conditions it waits for (a PE in a handle table, a takeover) have no event
// a separate process could wait on, so the case asks the peer again after a
// short pause.
func eventually(t testing.TB, what string, within time.Duration, check func() error) {
	t.Helper()
	deadline := time.Now().Add(within)
	pause := 50 * time.Millisecond
	for {
		err := check()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v: %v", what, within, err)
		}
		time.Sleep(pause)
		if pause < 500*time.Millisecond {
			pause *= 2
		}
	}
}

// poolLs is `sigpool pool ls --json` against a registrar's ENRP address.
func poolLs(t testing.TB, registrar string) ([]poolRow, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	out, err := runSigpool(ctx, t, "pool", "ls", "--json", "--registrar", registrar)
	if err != nil {
		return nil, fmt.Errorf("sigpool pool ls --registrar %s: %v: %s", registrar, err, out)
	}
	return parseRows(out)
}

// figure prints a measured figure so that scripts/interop.sh reports it.
func figure(t testing.TB, format string, args ...any) {
	t.Helper()

	fmt.Printf("INTEROP-FIGURE: "+format+"\n", args...)
}

// poolRow is one row of `sigpool pool ls --json`.
type poolRow struct {
	PoolHandle    string  `json:"pool_handle"`
	Policy        string  `json:"policy"`
	PE            string  `json:"pe_id"`
	UserTransport string  `json:"user_transport"`
	Load          *string `json:"load,omitempty"`
	HomeRegistrar string  `json:"home_registrar"`
}

func parseRows(out string) ([]poolRow, error) {
	var rows []poolRow
	if err := json.Unmarshal([]byte(out), &rows); err != nil {
		return nil, fmt.Errorf("sigpool pool ls --json printed no JSON (%v): %s", err, out)
	}
	return rows, nil
}

// rowsOf keeps the rows of one pool.
func rowsOf(rows []poolRow, pool string) []poolRow {
	var out []poolRow
	for _, r := range rows {
		if r.PoolHandle == pool {
			out = append(out, r)
		}
	}
	return out
}
