// Package transporttest chooses the transports that sigpool's association
// tests run on, the same way in every package: from SIGPOOL_TEST_TRANSPORT.
// "sctp" is the kernel SCTP run inside the VM (scripts/vmtest.sh), where
// kernel SCTP must work and TCP-only tests skip; "tcp" or nothing is the
// host run, over TCP, plus SCTP variants where the kernel has SCTP.
// (Package transport keeps its own copy: it cannot import this one.)
package transporttest

import (
	"os"
	"slices"
	"testing"

	"github.com/sigpool/sigpool/transport"
)

// Env is the variable the VM harness sets to "sctp".
const Env = "SIGPOOL_TEST_TRANSPORT"

// Schemes returns the schemes to run a test over: ["sctp"] in the VM,
// ["tcp"] on a host without kernel SCTP, ["tcp", "sctp"] on one with it.
func Schemes(t testing.TB) []string {
	t.Helper()
	switch v := os.Getenv(Env); v {
	case "sctp":
		if err := transport.KernelSCTP(); err != nil {
			t.Fatalf("%s=sctp but kernel SCTP does not work: %v", Env, err)
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
		t.Fatalf("%s=%q: want sctp, tcp or nothing", Env, v)
	}
	return nil
}

// Scheme is the one scheme for a test that runs once: "sctp" in the VM,
// "tcp" elsewhere.
func Scheme(t testing.TB) string {
	t.Helper()
	if s := Schemes(t); len(s) == 1 && s[0] == "sctp" {
		return "sctp"
	}
	return "tcp"
}

// ForEach runs f as a subtest per scheme of Schemes.
func ForEach(t *testing.T, f func(t *testing.T, scheme string)) {
	t.Helper()
	for _, s := range Schemes(t) {
		t.Run(s, func(t *testing.T) { f(t, s) })
	}
}

// TCPOnly skips a test that only means something over TCP (a bare framing,
// a scripted TCP peer) in a run without TCP: the VM, which executes whole
// package binaries.
func TCPOnly(t testing.TB, why string) {
	t.Helper()
	if !slices.Contains(Schemes(t), "tcp") {
		t.Skipf("%s=%s: TCP-only test (%s); it runs on the host", Env, os.Getenv(Env), why)
	}
}

// SCTPOnly skips a kernel SCTP test outside the VM run
// (VMTEST_PKGS=./pkg scripts/vmtest.sh sets SIGPOOL_TEST_TRANSPORT=sctp).
func SCTPOnly(t testing.TB) {
	t.Helper()
	if Scheme(t) != "sctp" {
		t.Skipf("kernel SCTP test: runs in the VM (scripts/vmtest.sh sets %s=sctp)", Env)
	}
}
