package main

import (
	"os/exec"
	"syscall"
	"testing"
	"time"

	"github.com/sigpool/sigpool/enrp"
	"github.com/sigpool/sigpool/transport"
	"github.com/sigpool/sigpool/wire"
)

// TestStalledPERegistersAgain: a `sigpool pe echo` process frozen (SIGSTOP)
// longer than the carrier keep-alive timeout leaves the pool; resumed, it
// is back within a second, not at its next re-registration (30 s): the
// registrar ended its association, so the PE registers again at once.
func TestStalledPERegistersAgain(t *testing.T) {
	if testing.Short() {
		t.Skip("builds and starts processes")
	}
	bin := buildSigpool(t)
	carrier, err := transport.LookupProfile("carrier")
	if err != nil {
		t.Fatal(err)
	}
	start := func(args ...string) *exec.Cmd {
		cmd := exec.Command(bin, args...)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			cmd.Process.Kill()
			cmd.Wait()
		})
		return cmd
	}
	addr := startRegistrarProc(t, bin, 0).asap
	pe := start("pe", "echo", "--pool", "demo", "--registrar", addr, "--profile", "carrier", "--id", "77")
	present := func() bool {
		resp, err := enrp.Resolve(t.Context(), addr, carrier, wire.PoolHandle("demo"), wire.AllItems)
		return err == nil && len(resp.PoolElements) == 1 && resp.PoolElements[0].Identifier == 77
	}
	waitUntil(t, 10*time.Second, "the PE registered", present)

	if err := pe.Process.Signal(syscall.SIGSTOP); err != nil {
		t.Fatal(err)
	}
	frozen := time.Now()
	waitUntil(t, 5*time.Second, "the frozen PE removed", func() bool { return !present() })
	gone := time.Since(frozen)
	time.Sleep(time.Second - gone)
	if err := pe.Process.Signal(syscall.SIGCONT); err != nil {
		t.Fatal(err)
	}
	resumed := time.Now()
	waitUntil(t, 5*time.Second, "the resumed PE registered again", present)
	back := time.Since(resumed)
	t.Logf("PE frozen: removed after %v; resumed after 1 s: registered again after %v",
		gone.Round(time.Millisecond), back.Round(time.Millisecond))
	if back > time.Second {
		t.Errorf("the resumed PE took %v to come back", back)
	}
}
