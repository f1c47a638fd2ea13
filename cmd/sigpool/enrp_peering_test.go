package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/sigpool/sigpool/asap"
	"github.com/sigpool/sigpool/enrp"
	"github.com/sigpool/sigpool/transport"
	"github.com/sigpool/sigpool/wire"
)

// buildSigpool builds the real binary once per test.
func buildSigpool(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "sigpool")
	out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

type registrarProc struct {
	id         uint32
	asap, enrp string
	cmd        *exec.Cmd
	log        logTail
}

// TestENRPTakeoverProcesses: three `sigpool enrp` processes peered over
// TCP, 60 PEs spread over them (each knows only its own registrar). One
// registrar is SIGKILLed: the survivors take its PEs over, the PEs re-home
// (Keep-Alive with H), and no PE is missing from the survivors'
// resolutions meanwhile. The takeover time is logged.
func TestENRPTakeoverProcesses(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and starts processes")
	}
	bin := buildSigpool(t)
	carrier, err := transport.LookupProfile("carrier")
	if err != nil {
		t.Fatal(err)
	}
	// Each registrar names those started before it as peers; the first
	// learns the others from their Presence.
	regs := make([]*registrarProc, 3)
	var peers []string
	for i := range regs {
		regs[i] = startRegistrarProc(t, bin, uint32(0x100+i), peers...)
		peers = append(peers, regs[i].enrp)
	}
	ctx := t.Context()
	waitUntil(t, 10*time.Second, "registrars answering", func() bool {
		for _, r := range regs {
			if _, _, err := enrp.FetchHandleTable(ctx, r.enrp, carrier); err != nil {
				return false
			}
		}
		return true
	})

	const pes = 60
	home := map[wire.PEIdentifier]uint32{}
	var hmu sync.Mutex
	for k := range pes {
		r := regs[k%len(regs)]
		id := wire.PEIdentifier(1000 + k)
		pe, err := asap.StartPoolElement(ctx, asap.PEConfig{PoolHandle: "gwc", Registrars: []string{r.asap},
			Listen: "tcp://127.0.0.1:0", Identifier: id, Profile: carrier})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			c, cancel := context.WithTimeout(context.Background(), time.Second)
			defer cancel()
			pe.Close(c)
		})
		hmu.Lock()
		home[id] = r.id
		hmu.Unlock()
		go func() {
			for ev := range pe.Events() {
				if ev.Kind == asap.PEHomeChanged || ev.Kind == asap.PERegistered {
					hmu.Lock()
					if ev.ServerID != 0 {
						home[id] = ev.ServerID
					}
					hmu.Unlock()
				}
			}
		}()
	}
	table := func(r *registrarProc) map[wire.PEIdentifier]uint32 {
		_, entries, err := enrp.FetchHandleTable(ctx, r.enrp, carrier)
		if err != nil {
			return nil
		}
		m := map[wire.PEIdentifier]uint32{}
		for _, e := range entries {
			for _, p := range e.PoolElements {
				m[p.Identifier] = p.HomeRegistrar
			}
		}
		return m
	}
	converged := func() bool {
		for _, r := range regs {
			if len(table(r)) != pes {
				return false
			}
		}
		return true
	}
	if !poll(15*time.Second, converged) {
		// Say which PEs are missing where, and what the registrars said.
		for _, r := range regs {
			m := table(r)
			var missing []string
			for id := range home {
				if _, ok := m[id]; !ok {
					hmu.Lock()
					missing = append(missing, fmt.Sprintf("%d (home 0x%x)", id, home[id]))
					hmu.Unlock()
				}
			}
			t.Logf("registrar 0x%x holds %d PEs; missing %v; its last log lines:\n%s", r.id, len(m), missing, &r.log)
		}
		t.Fatalf("timed out after 15s waiting for every registrar holding the %d PEs", pes)
	}
	victim, survivors := regs[0], regs[1:]
	owned := []wire.PEIdentifier{}
	for id, h := range table(survivors[0]) {
		if h == victim.id {
			owned = append(owned, id)
		}
	}
	if len(owned) != pes/len(regs) {
		t.Fatalf("victim owns %d PEs, want %d", len(owned), pes/len(regs))
	}

	// Resolve at both survivors all along; record the longest absence.
	var (
		rmu       sync.Mutex
		lastSeen  = map[wire.PEIdentifier]time.Time{}
		worstGap  time.Duration
		polls     int
		stopPolls = make(chan struct{})
		pollsDone = make(chan struct{})
	)
	start := time.Now()
	for _, id := range owned {
		lastSeen[id] = start
	}
	go func() {
		defer close(pollsDone)
		for {
			select {
			case <-stopPolls:
				return
			default:
			}
			for _, r := range survivors {
				resp, err := enrp.Resolve(ctx, r.asap, carrier, wire.PoolHandle("gwc"), wire.AllItems)
				now := time.Now()
				rmu.Lock()
				polls++
				if err == nil {
					for _, p := range resp.PoolElements {
						if last, ok := lastSeen[p.Identifier]; ok {
							worstGap = max(worstGap, now.Sub(last))
							lastSeen[p.Identifier] = now
						}
					}
				}
				rmu.Unlock()
			}
			time.Sleep(10 * time.Millisecond)
		}
	}()
	time.Sleep(200 * time.Millisecond)
	killed := time.Now()
	if err := victim.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	var took time.Duration
	waitUntil(t, 20*time.Second, "the victim's PEs taken over and re-homed", func() bool {
		a, b := table(survivors[0]), table(survivors[1])
		hmu.Lock()
		defer hmu.Unlock()
		for _, id := range owned {
			h := a[id]
			if h == 0 || h == victim.id || b[id] != h || home[id] != h {
				return false
			}
		}
		took = time.Since(killed)
		return true
	})
	close(stopPolls)
	<-pollsDone
	rmu.Lock()
	defer rmu.Unlock()
	now := time.Now()
	for id, last := range lastSeen {
		worstGap = max(worstGap, now.Sub(last))
		_ = id
	}
	t.Logf("SIGKILL of registrar 0x%x: its %d PEs taken over and re-homed after %v; longest absence from the survivors' resolutions %v (%d resolutions)",
		victim.id, len(owned), took.Round(time.Millisecond), worstGap.Round(time.Millisecond), polls)
	if worstGap > took {
		t.Errorf("a PE was missing from resolutions for %v, longer than the takeover (%v)", worstGap, took)
	}
}

// startRegistrarProc starts `sigpool enrp` (carrier profile) with server ID
// id (0: its own choice) and the given ENRP peers, listening for ASAP and
// ENRP on ports the kernel picks, and returns once it says where.
func startRegistrarProc(t *testing.T, bin string, id uint32, peers ...string) *registrarProc {
	t.Helper()
	r := &registrarProc{id: id}
	args := []string{"enrp", "--listen", "tcp://127.0.0.1:0", "--enrp-listen", "tcp://127.0.0.1:0", "--profile", "carrier"}
	if id != 0 {
		args = append(args, "--server-id", fmt.Sprint(id))
	}
	for _, p := range peers {
		args = append(args, "--peer", p)
	}
	r.cmd = exec.Command(bin, args...)
	stderr, err := r.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := r.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		r.cmd.Process.Kill()
		r.cmd.Wait()
	})
	started := make(chan []string, 1)
	go func() {
		s := bufio.NewScanner(stderr)
		for s.Scan() {
			r.log.add(s.Text())
			if m := startedLine.FindStringSubmatch(s.Text()); m != nil {
				started <- m
			}
			if os.Getenv("SIGPOOL_TEST_LOG") != "" {
				fmt.Fprintf(os.Stderr, "registrar %#x: %s\n", id, s.Text())
			}
		}
		close(started)
	}()
	select {
	case m, ok := <-started:
		if !ok {
			t.Fatalf("sigpool enrp ended before it started:\n%s", &r.log)
		}
		r.asap, r.enrp = m[1], m[2]
	case <-time.After(10 * time.Second):
		t.Fatalf("sigpool enrp did not say where it listens within 10s:\n%s", &r.log)
	}
	return r
}

// startedLine is the registrar's start-up log line with its addresses.
var startedLine = regexp.MustCompile(`registrar started.*"asap": \["([^"]+)".*"enrp": \["([^"]+)"`)

func waitUntil(t *testing.T, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	if !poll(limit, cond) {
		t.Fatalf("timed out after %v waiting for %s", limit, what)
	}
}

// poll reports whether cond held within limit.
func poll(limit time.Duration, cond func() bool) bool {
	deadline := time.Now().Add(limit)
	for !cond() {
		if time.Now().After(deadline) {
			return false
		}
		time.Sleep(20 * time.Millisecond)
	}
	return true
}

// logTail keeps a process's last log lines for a failure message.
type logTail struct {
	mu    sync.Mutex
	lines []string
}

func (l *logTail) add(line string) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if len(l.lines) == 40 {
		l.lines = l.lines[1:]
	}
	l.lines = append(l.lines, line)
}

func (l *logTail) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return strings.Join(l.lines, "\n")
}

// TestENRPPeersFromFileAndFlags: "peers" in the YAML file, --peer on the
// command line (which replaces the file's list), and bad addresses.
func TestENRPPeersFromFileAndFlags(t *testing.T) {
	p := filepath.Join(t.TempDir(), "enrp.yaml")
	os.WriteFile(p, []byte("server_id: 5\npeers:\n  - tcp://10.0.0.1:9901\n  - tcp://10.0.0.2:9901\n"), 0o600)
	f, err := loadENRPFile(p)
	if err != nil {
		t.Fatal(err)
	}
	o, err := enrpOptions(f)
	if err != nil || len(o.Peers) != 2 || o.Peers[1] != "tcp://10.0.0.2:9901" {
		t.Fatalf("peers from file: %v %v", o.Peers, err)
	}
	cmd := newENRPCommand()
	if err := cmd.ParseFlags([]string{"--peer", "mux+tcp://10.0.0.3:9901"}); err != nil {
		t.Fatal(err)
	}
	var flags enrpFile
	flags.Peers, _ = cmd.Flags().GetStringArray("peer")
	overrideChanged(cmd.Flags(), &f, &flags)
	if len(f.Peers) != 1 || f.Peers[0] != "mux+tcp://10.0.0.3:9901" {
		t.Fatalf("--peer did not replace the file's peers: %v", f.Peers)
	}
	_, err = runSigpoolENRP(t, t.Context(), "enrp", "--peer", "udp://1.2.3.4:5")
	if err == nil || !strings.Contains(err.Error(), "--peer") {
		t.Fatalf("bad --peer: %v", err)
	}
}
