package interop

import (
	"fmt"
	"regexp"
	"strings"
	"testing"
)

// Case 1: RSPLIB's rspserver (echo service) registers with a sigpool
// registrar; `sigpool pool ls` shows it with its policy; RSPLIB's
// rspterminal resolves the pool through the sigpool registrar and gets its
// echo.
func TestCase1RSPLIBPoolElementAtSigpoolRegistrar(t *testing.T) {
	requireVM(t)
	asap, enrpAddr := hostA+":3863", hostA+":9901"
	reg := startSigpool(t, "sigpool-registrar", "enrp", "--server-id", "0x5150a001",
		"--listen", "sctp://"+asap, "--enrp-listen", "sctp://"+enrpAddr)
	reg.mustLine(`(?i)listening|serving|started`)

	pe := startPeer(t, "rspserver", "rspserver", "-echo", "-poolhandle=InteropEcho1",
		"-policy=WeightedRoundRobin:7", "-registrar="+asap, "-local="+hostC,
		"-asapannounce=off", "-logcolor=off", "-loglevel=2")

	var row poolRow
	eventually(t, "rspserver in the sigpool registrar's handle table", guard, func() error {
		rows, err := poolLs(t, "sctp://"+enrpAddr)
		if err != nil {
			return err
		}
		r := rowsOf(rows, "InteropEcho1")
		if len(r) != 1 {
			return fmt.Errorf("pool InteropEcho1 has %d PEs: %+v", len(r), rows)
		}
		row = r[0]
		return nil
	})
	t.Logf("pool ls: %+v", row)
	if !regexp.MustCompile(`(?i)weighted.?round.?robin`).MatchString(row.Policy) {
		t.Errorf("policy %q: want weighted round robin (rspserver -policy=WeightedRoundRobin:7)", row.Policy)
	}
	if !strings.Contains(row.UserTransport, hostC) {
		t.Errorf("user transport %q: want rspserver's address %s", row.UserTransport, hostC)
	}

	pu := startPeer(t, "rspterminal", "rspterminal", "-poolhandle=InteropEcho1",
		"-registrar="+asap, "-asapannounce=off", "-logcolor=off", "-loglevel=2")
	const token = "interop-case1-hello"
	pu.send(token)
	pu.mustLine(regexp.QuoteMeta(token))
	t.Logf("rspterminal:\n%s", pu.output())
	_ = pe
}
