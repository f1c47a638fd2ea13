package mxua

import (
	"os"
	"testing"

	"github.com/sigpool/sigpool/transport"
)

// The endpoint tests pick their transport the way transport's own suite
// does, from SIGPOOL_TEST_TRANSPORT: "sctp" is the VM harness
// (scripts/vmtest.sh), where kernel SCTP must work and the endpoints run
// over real SCTP associations and streams; anything else (the host, which
// has no kernel SCTP) runs them over TCP with the mux framing.
const envTestTransport = "SIGPOOL_TEST_TRANSPORT"

// sctpRun reports whether this run is the SCTP one (the VM). It fails the
// test when SCTP is asked for but the kernel does not have it.
func sctpRun(t testing.TB) bool {
	t.Helper()
	switch v := os.Getenv(envTestTransport); v {
	case "sctp":
		if err := transport.KernelSCTP(); err != nil {
			t.Fatalf("%s=sctp but kernel SCTP does not work: %v", envTestTransport, err)
		}
		return true
	case "", "tcp":
		return false
	default:
		t.Fatalf("%s=%q: want sctp, tcp or nothing", envTestTransport, v)
		return false
	}
}

// testScheme is the scheme the endpoint tests listen and dial with:
// "sctp" in the VM, "tcp" on the host.
func testScheme(t testing.TB) string {
	t.Helper()
	if sctpRun(t) {
		return "sctp"
	}
	return "tcp"
}

// testListenAddr is the address an SGP server or raw peer listens on.
func testListenAddr(t testing.TB) string {
	t.Helper()
	return testScheme(t) + "://127.0.0.1:0"
}

// tcpOnlyTest skips a test that only means something over TCP (the bare
// SIGTRAN framing has no SCTP counterpart) in the SCTP run.
func tcpOnlyTest(t testing.TB, why string) {
	t.Helper()
	if sctpRun(t) {
		t.Skipf("%s=sctp: TCP only (%s); it runs on the host", envTestTransport, why)
	}
}

// sctpOnlyTest skips an SCTP-specific test outside the SCTP run: the host
// has no kernel SCTP, scripts/vmtest.sh (VMTEST_PKGS=./mxua) runs it.
func sctpOnlyTest(t testing.TB) {
	t.Helper()
	if !sctpRun(t) {
		t.Skipf("kernel SCTP test: runs in the VM (VMTEST_PKGS=./mxua scripts/vmtest.sh sets %s=sctp)", envTestTransport)
	}
}
