package asap

import (
	"os"
	"testing"

	"github.com/sigpool/sigpool/transport"
)

// envTransport selects the transports the driver tests run on, as in
// package transport: "sctp" (the VM harness, scripts/vmtest.sh: SCTP must
// work and the TCP-only tests skip), "tcp", or empty (TCP, plus SCTP when
// this kernel has it; the SCTP variants skip on a host without it).
const envTransport = "SIGPOOL_TEST_TRANSPORT"

// testSchemes returns the transport schemes to run on.
func testSchemes(t testing.TB) []string {
	t.Helper()
	switch v := os.Getenv(envTransport); v {
	case "sctp":
		if err := transport.KernelSCTP(); err != nil {
			t.Fatalf("%s=sctp but kernel SCTP does not work: %v", envTransport, err)
		}
		return []string{"sctp"}
	case "tcp":
		return []string{"tcp"}
	case "":
		if transport.KernelSCTP() == nil {
			return []string{"tcp", "sctp"}
		}
		return []string{"tcp"}
	default:
		t.Fatalf("%s=%q: want sctp, tcp or nothing", envTransport, v)
	}
	return nil
}

// forEachTransport runs f as a subtest per scheme ("tcp", "sctp").
func forEachTransport(t *testing.T, f func(t *testing.T, scheme string)) {
	for _, s := range testSchemes(t) {
		t.Run(s, func(t *testing.T) { f(t, s) })
	}
}

// tcpOnly skips the TCP-only tests where the suite does not run TCP (the
// VM run, which executes the whole package binary).
func tcpOnly(t *testing.T) {
	t.Helper()
	for _, s := range testSchemes(t) {
		if s == "tcp" {
			return
		}
	}
	t.Skipf("%s=%s: TCP-only test (fake registrar over TCP), runs on the host", envTransport, os.Getenv(envTransport))
}

// ForEachTransport is forEachTransport for the external tests (package asap_test).
var ForEachTransport = forEachTransport
