package interop

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sigpool/sigpool/enrp"
	"github.com/sigpool/sigpool/wire"
)

// startRSPLIBRegistrar runs rspregistrar with its ASAP endpoint on
// host:3863 and its ENRP endpoint on host:9901, announces off (the VM has
// no multicast route), and the given peers.
func startRSPLIBRegistrar(t testing.TB, name, host string, extra ...string) *proc {
	t.Helper()
	args := append([]string{"-asap=" + host + ":3863", "-enrp=" + host + ":9901",
		"-asapannounce=off", "-enrpannounce=off", "-loglevel=3", "-logcolor=off"}, extra...)
	return startPeer(t, name, "rspregistrar", args...)
}

// Case 2: a sigpool PE (`sigpool pe echo`) registers with RSPLIB's
// registrar; RSPLIB's hsdump sees it; a sigpool PU resolves it through
// RSPLIB's registrar and gets its echo.
func TestCase2SigpoolPoolElementAtRSPLIBRegistrar(t *testing.T) {
	requireVM(t)
	asap, enrpAddr := hostA+":3863", hostA+":9901"
	startRSPLIBRegistrar(t, "rspregistrar", hostA)

	pe := startSigpool(t, "sigpool-pe", "pe", "echo", "--pool", "InteropEcho2", "--id", "0x2a2a0002",
		"--policy", "leastused", "--load", "0.25",
		"--registrar", "sctp://"+asap, "--listen", "sctp://"+hostC+":0")
	pe.mustLine(`registered with registrar`)

	// hsdump asks the registrar for its handle table over ENRP, as a peer
	// registrar would.
	eventually(t, "the sigpool PE in hsdump's dump of the RSPLIB registrar", guard, func() error {
		out, err := hsdump(t, enrpAddr)
		if err != nil {
			return err
		}
		if !regexp.MustCompile(`"InteropEcho2" / \$2a2a0002`).MatchString(out) ||
			!strings.Contains(out, `Pool "InteropEcho2", Policy "LeastUsed"`) {
			return fmt.Errorf("hsdump shows no least-used pool InteropEcho2:\n%s", out)
		}
		return nil
	})
	// sigpool's ENRP client reads the same table once it has introduced
	// itself with a Presence (RSPLIB refuses Handle Table Requests from
	// servers it does not know; docs/interop.md).
	eventually(t, "the sigpool PE in the RSPLIB registrar's table, read by sigpool's ENRP client", guard, func() error {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_, entries, err := enrp.Client{}.FetchHandleTableAsPeer(ctx, "sctp://"+enrpAddr, 0x5150c002)
		if err != nil {
			return err
		}
		for _, e := range entries {
			if string(e.PoolHandle) == "InteropEcho2" && len(e.PoolElements) == 1 &&
				e.PoolElements[0].Identifier == 0x2a2a0002 && e.PoolElements[0].Policy.Type == wire.PolicyLeastUsed {
				return nil
			}
		}
		return fmt.Errorf("want InteropEcho2 with PE 0x2a2a0002 (least used): %+v", entries)
	})

	ctx, cancel := context.WithTimeout(context.Background(), guard)
	defer cancel()
	out, err := runSigpool(ctx, t, "pu", "echo", "--pool", "InteropEcho2", "--registrar", "sctp://"+asap,
		"--count", "3", "--interval", "50ms")
	t.Logf("sigpool pu echo:\n%s", out)
	if err != nil {
		t.Fatalf("sigpool pu echo through the RSPLIB registrar: %v", err)
	}
	if !strings.Contains(out, "3 sent, 3 echoed") {
		t.Fatalf("sigpool pu echo: want 3 echoes from the sigpool PE")
	}

	// RSPLIB's own PU reaches the sigpool PE too.
	pu := startPeer(t, "rspterminal", "rspterminal", "-poolhandle=InteropEcho2",
		"-registrar="+asap, "-asapannounce=off", "-logcolor=off", "-loglevel=2")
	const token = "interop-case2-hello"
	pu.send(token)
	pu.mustLine(regexp.QuoteMeta(token))
	t.Logf("rspterminal:\n%s", pu.output())
}

// hsdump runs RSPLIB's hsdump against a registrar's ENRP address and
// returns its dump once complete: hsdump keeps running after it, so the dump
// ends when the ownership list has as many lines as the handlespace summary
// counts PEs.
func hsdump(t testing.TB, enrpAddr string) (string, error) {
	t.Helper()
	p := startPeer(t, "hsdump", "hsdump", enrpAddr, "-logcolor=off", "-loglevel=1")
	defer p.stop()
	i, m, err := p.waitLine(0, regexp.MustCompile(`Handlespace\[.*\]: \((\d+) Pools, (\d+) PoolElements`), 10*time.Second)
	if err != nil {
		return p.output(), err
	}
	n, _ := strconv.Atoi(m[2])
	if i, _, err = p.waitLine(i, regexp.MustCompile(`\*-- Ownership:`), 5*time.Second); err != nil {
		return p.output(), err
	}
	for range n {
		if i, _, err = p.waitLine(i+1, ownerLine, 5*time.Second); err != nil {
			return p.output(), err
		}
	}
	return p.output(), nil
}
