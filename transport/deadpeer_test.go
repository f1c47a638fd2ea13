package transport

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Dead-peer detection with the carrier profile, on every backend.

// inVM reports whether the tests run inside the VM harness, where nft acts
// on the VM's own loopback instead of a network namespace.
func inVM() bool {
	return os.Getenv("VMTEST") == "1" || os.Getenv(envTransport) == "sctp"
}

func randomName(prefix string) string {
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return prefix + hex.EncodeToString(b)
}

// A peer process killed with SIGKILL is noticed within 200 ms: its kernel
// closes the association (TCP FIN or RST, SCTP SHUTDOWN or ABORT).
func TestDeadPeerKilled(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := testCtx(t, 30*time.Second)
		peer := startPeer(t, nil, "echo", b.scheme+"://127.0.0.1:0", "carrier")
		addr := peer.expect("LISTEN ", 20*time.Second)
		prof, _ := LookupProfile("carrier")
		a, err := Dial(ctx, addr, Config{Profile: prof, Framing: b.framing, Logger: testLogger()})
		if err != nil {
			t.Fatal(err)
		}
		defer a.Abort()
		for i := range 10 {
			if err := a.Send(ctx, Message{PPID: 3, Data: []byte("ping " + strconv.Itoa(i))}); err != nil {
				t.Fatal(err)
			}
			if _, err := a.Recv(ctx); err != nil {
				t.Fatal(err)
			}
		}
		type result struct {
			at  time.Time
			err error
		}
		ended := make(chan result, 1)
		go func() {
			_, err := a.Recv(ctx)
			ended <- result{time.Now(), err}
		}()
		start := time.Now()
		if err := peer.cmd.Process.Kill(); err != nil {
			t.Fatal(err)
		}
		select {
		case r := <-ended:
			d := r.at.Sub(start)
			t.Logf("peer process killed (SIGKILL): detected in %v: %v", d, r.err)
			if d > 200*time.Millisecond {
				t.Errorf("detection took %v, want within 200ms", d)
			}
			if r.err == nil || errors.Is(r.err, ErrClosed) {
				t.Errorf("recv after the peer died: %v", r.err)
			}
		case <-time.After(5 * time.Second):
			t.Fatal("killed peer not detected within 5s")
		}
		if ev := finalEvent(t, a, time.Second); ev.Kind != EventDown && ev.Kind != EventPeerDead {
			t.Errorf("final event %v", ev)
		}
	})
}

// A path black-holed while messages flow is noticed within the profile's
// budget: 600 ms over TCP on the host (TCP_USER_TIMEOUT 500 ms), 1.5 s over
// SCTP in the VM (three retransmission timeouts, 100+200+200 ms, plus the
// emulator's slack). On the host both peers run in a network namespace of
// their own, whose loopback nft black-holes; in the VM nft acts on lo.
func TestDeadPeerBlackhole(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		limit := 600 * time.Millisecond
		proto := "tcp"
		if b.sctp() {
			limit, proto = 1500*time.Millisecond, "sctp"
		}
		var wrapper []string
		netns := ""
		if inVM() {
			needRoot(t, "nft")
		} else {
			needRoot(t, "ip", "nft")
			netns = newNetns(t)
			ip, _ := lookTool("ip")
			wrapper = []string{ip, "netns", "exec", netns}
		}
		peer := startPeer(t, wrapper, "echo", b.scheme+"://127.0.0.1:0", "carrier")
		addr := peer.expect("LISTEN ", 20*time.Second)
		sender := startPeer(t, wrapper, "sender", addr, "carrier")
		sender.expect("FLOWING", 20*time.Second)

		table := randomName("sigpool_t_")
		if netns == "" {
			t.Cleanup(func() { nftScript(t, "", "delete table inet "+table+"\n") })
		}
		nftScript(t, netns, fmt.Sprintf(`table inet %s {
	chain in {
		type filter hook input priority 0; policy accept;
		meta l4proto %s drop
	}
}
`, table, proto))
		if _, err := io.WriteString(sender.stdin, "DROP\n"); err != nil {
			t.Fatal(err)
		}
		res := sender.expect("DETECTED ", 15*time.Second)
		msStr, rest, _ := strings.Cut(res, " ")
		ms, err := strconv.ParseFloat(msStr, 64)
		if err != nil {
			t.Fatalf("bad DETECTED line %q", res)
		}
		d := time.Duration(ms * float64(time.Millisecond))
		t.Logf("path black-holed (nft drop %s) while sending: detected in %v (limit %v): %s", proto, d, limit, rest)
		if d > limit {
			t.Errorf("detection took %v, want within %v", d, limit)
		}
		if !strings.HasPrefix(rest, "peer-dead") {
			t.Errorf("ended as %q, want peer-dead", rest)
		}
	})
}

// newNetns creates a network namespace holding only an up loopback, and
// deletes it when the test ends.
func newNetns(t *testing.T) string {
	t.Helper()
	name := randomName("sigpool-t-")
	run(t, "ip", "netns", "add", name)
	t.Cleanup(func() { run(t, "ip", "netns", "del", name) })
	run(t, "ip", "-n", name, "link", "set", "lo", "up")
	return name
}
