package transport

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap"
)

// envTransport selects the backends the suite runs on: "sctp" (the VM
// harness; SCTP must then work, a missing kernel SCTP fails the run),
// "tcp", or empty (TCP, plus SCTP when this kernel has it).
const envTransport = "SIGPOOL_TEST_TRANSPORT"

// backend is one transport the suite runs against.
type backend struct {
	name    string
	scheme  string
	framing Framing
}

func (b backend) sctp() bool { return b.scheme == "sctp" }

func backends(t testing.TB) []backend {
	t.Helper()
	tcp := backend{name: "tcp-mux", scheme: "tcp", framing: FramingMux}
	sctp := backend{name: "sctp", scheme: "sctp"}
	switch v := os.Getenv(envTransport); v {
	case "sctp":
		if err := KernelSCTP(); err != nil {
			t.Fatalf("%s=sctp but kernel SCTP does not work: %v", envTransport, err)
		}
		return []backend{sctp}
	case "tcp":
		return []backend{tcp}
	case "":
		if KernelSCTP() == nil {
			return []backend{tcp, sctp}
		}
		return []backend{tcp}
	default:
		t.Fatalf("%s=%q: want sctp, tcp or nothing", envTransport, v)
	}
	return nil
}

// forEachBackend runs f as a subtest per backend.
func forEachBackend(t *testing.T, f func(t *testing.T, b backend)) {
	for _, b := range backends(t) {
		t.Run(b.name, func(t *testing.T) { f(t, b) })
	}
}

// tcpOnly skips where the suite does not run TCP (the VM run).
func tcpOnly(t *testing.T) {
	for _, b := range backends(t) {
		if b.scheme == "tcp" {
			return
		}
	}
	t.Skipf("%s=%s: TCP tests run on the host", envTransport, os.Getenv(envTransport))
}

// testCtx bounds a test so that nothing can hang.
func testCtx(t testing.TB, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// testLogger logs to stderr with SIGPOOL_TEST_LOG=1 and is silent
// otherwise (association goroutines may log after a test has returned, so
// the test's own log cannot be used).
func testLogger() *zap.Logger {
	if os.Getenv("SIGPOOL_TEST_LOG") == "1" {
		l, _ := zap.NewDevelopment()
		return l
	}
	return zap.NewNop()
}

func testConfig(b backend) Config {
	return Config{Framing: b.framing, Logger: testLogger()}
}

// listen listens on 127.0.0.1, port chosen by the kernel.
func listen(t testing.TB, ctx context.Context, b backend, cfg Config) (Listener, string) {
	t.Helper()
	l, err := Listen(ctx, b.scheme+"://127.0.0.1:0", cfg)
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	t.Cleanup(func() { _ = l.Close() })
	return l, b.scheme + "://" + l.Addrs()[0].String()
}

// pair returns a dialed association and its accepted peer.
func pair(t testing.TB, ctx context.Context, b backend, cfg Config) (client, server Association) {
	t.Helper()
	l, addr := listen(t, ctx, b, cfg)
	return pairOn(t, ctx, l, addr, cfg)
}

func pairOn(t testing.TB, ctx context.Context, l Listener, addr string, cfg Config) (client, server Association) {
	t.Helper()
	type res struct {
		a   Association
		err error
	}
	accepted := make(chan res, 1)
	go func() {
		a, err := l.Accept(ctx)
		accepted <- res{a, err}
	}()
	client, err := Dial(ctx, addr, cfg)
	if err != nil {
		t.Fatalf("dial %s: %v", addr, err)
	}
	t.Cleanup(func() { _ = client.Abort() })
	r := <-accepted
	if r.err != nil {
		t.Fatalf("accept: %v", r.err)
	}
	t.Cleanup(func() { _ = r.a.Abort() })
	return client, r.a
}

// finalEvent waits for the final event of an association, skipping others.
func finalEvent(t testing.TB, a Association, within time.Duration) Event {
	t.Helper()
	timer := time.NewTimer(within)
	defer timer.Stop()
	var last Event
	for {
		select {
		case ev, ok := <-a.Events():
			if !ok {
				if last.Kind == 0 {
					t.Fatal("event channel closed without a final event")
				}
				return last
			}
			last = ev
		case <-timer.C:
			t.Fatalf("no final event within %v (last: %v)", within, last)
		}
	}
}

// needRoot skips tests that need root and the network tools, except where
// the tools are required (make test sets SIGPOOL_REQUIRE_TOOLS=1; CI sets
// CI=true): there their absence is a failure.
func needRoot(t *testing.T, tools ...string) {
	t.Helper()
	fail := t.Skipf
	if os.Getenv("CI") == "true" || os.Getenv("SIGPOOL_REQUIRE_TOOLS") != "" {
		fail = t.Fatalf
	}
	if os.Geteuid() != 0 {
		fail("needs root (network namespaces, nftables, raw sockets); run as root or in the VM harness")
		return
	}
	for _, tool := range tools {
		if _, err := lookTool(tool); err != nil {
			fail("needs %s: %v", tool, err)
			return
		}
	}
}

// lookTool finds a tool on PATH or in /usr/sbin and /sbin, where root's
// tools live when PATH is minimal (the VM's init).
func lookTool(name string) (string, error) {
	if p, err := exec.LookPath(name); err == nil {
		return p, nil
	}
	for _, dir := range []string{"/usr/sbin", "/sbin", "/usr/bin", "/bin"} {
		if st, err := os.Stat(dir + "/" + name); err == nil && !st.IsDir() {
			return dir + "/" + name, nil
		}
	}
	return "", errors.New(name + " not found")
}

// run runs a command and fails the test with its output if it fails.
func run(t testing.TB, args ...string) {
	t.Helper()
	path, err := lookTool(args[0])
	if err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command(path, args[1:]...).CombinedOutput()
	if err != nil {
		t.Fatalf("%v: %v\n%s", args, err, out)
	}
}

// nftScript loads an nft script (nft -f -), optionally inside a netns.
func nftScript(t testing.TB, netns, script string) {
	t.Helper()
	nft, err := lookTool("nft")
	if err != nil {
		t.Fatal(err)
	}
	args := []string{nft, "-f", "-"}
	if netns != "" {
		ip, err := lookTool("ip")
		if err != nil {
			t.Fatal(err)
		}
		args = append([]string{ip, "netns", "exec", netns}, args...)
	}
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Stdin = strings.NewReader(script)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("nft %s: %v\n%s\nscript:\n%s", netns, err, out, script)
	}
}
