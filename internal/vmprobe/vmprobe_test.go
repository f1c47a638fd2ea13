package vmprobe

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

const (
	ipprotoSCTP = 132 // IPPROTO_SCTP, also the SOL_SCTP socket option level
	sctpNodelay = 3   // SCTP_NODELAY
)

// The raw socket calls below retry on EINTR: Go's runtime preempts goroutines
// with SIGURG, and a socket call that sleeps with SO_RCVTIMEO/SO_SNDTIMEO set
// is not restarted after a signal (signal(7)).

func accept(fd int) (int, syscall.Sockaddr, error) {
	for {
		nfd, sa, err := syscall.Accept4(fd, syscall.SOCK_CLOEXEC)
		if err != syscall.EINTR {
			return nfd, sa, err
		}
	}
}

func read(fd int, p []byte) (int, error) {
	for {
		n, err := syscall.Read(fd, p)
		if err != syscall.EINTR {
			return n, err
		}
	}
}

func write(fd int, p []byte) (int, error) {
	for {
		n, err := syscall.Write(fd, p)
		if err != syscall.EINTR {
			return n, err
		}
	}
}

// connect connects a blocking socket. An interrupted connect goes on in the
// kernel; calling it again reports EALREADY until it is done, then EISCONN.
func connect(fd int, sa syscall.Sockaddr) error {
	err := syscall.Connect(fd, sa)
	for err == syscall.EINTR || err == syscall.EALREADY {
		time.Sleep(5 * time.Millisecond)
		err = syscall.Connect(fd, sa)
		if err == syscall.EISCONN {
			return nil
		}
	}
	return err
}

// requireVM skips the test unless it runs inside the vmtest VM.
func requireVM(t *testing.T) {
	t.Helper()
	if os.Getenv("SIGPOOL_TEST_TRANSPORT") != "sctp" {
		t.Skip("vmprobe: SIGPOOL_TEST_TRANSPORT is not sctp; this probes kernel SCTP and nftables inside the qemu VM (make vmtest)")
	}
}

var (
	lo1 = [4]byte{127, 0, 0, 1}
	lo2 = [4]byte{127, 0, 0, 2}
)

// sctpSocket opens a one-to-one (SOCK_STREAM) SCTP socket bound to addr:port
// with 5 s send and receive timeouts; the test closes it at the end.
func sctpSocket(t *testing.T, addr [4]byte, port int, nonblock bool) int {
	t.Helper()
	typ := syscall.SOCK_STREAM | syscall.SOCK_CLOEXEC
	if nonblock {
		typ |= syscall.SOCK_NONBLOCK
	}
	fd, err := syscall.Socket(syscall.AF_INET, typ, ipprotoSCTP)
	if err != nil {
		t.Fatalf("socket(AF_INET, SOCK_STREAM, IPPROTO_SCTP): %v (no kernel SCTP?)", err)
	}
	t.Cleanup(func() { syscall.Close(fd) })
	tv := syscall.NsecToTimeval((5 * time.Second).Nanoseconds())
	for _, opt := range []int{syscall.SO_RCVTIMEO, syscall.SO_SNDTIMEO} {
		if err := syscall.SetsockoptTimeval(fd, syscall.SOL_SOCKET, opt, &tv); err != nil {
			t.Fatalf("setsockopt timeout: %v", err)
		}
	}
	if err := syscall.SetsockoptInt(fd, ipprotoSCTP, sctpNodelay, 1); err != nil {
		t.Fatalf("setsockopt(SCTP_NODELAY): %v", err)
	}
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Addr: addr, Port: port}); err != nil {
		t.Fatalf("bind %v:%d: %v", addr, port, err)
	}
	return fd
}

// listener returns a listening SCTP socket on 127.0.0.1 and its port.
func listener(t *testing.T, nonblock bool) (int, int) {
	t.Helper()
	fd := sctpSocket(t, lo1, 0, nonblock)
	if err := syscall.Listen(fd, 8); err != nil {
		t.Fatalf("listen: %v", err)
	}
	sa, err := syscall.Getsockname(fd)
	if err != nil {
		t.Fatalf("getsockname: %v", err)
	}
	return fd, sa.(*syscall.SockaddrInet4).Port
}

func addrString(sa syscall.Sockaddr) string {
	if in, ok := sa.(*syscall.SockaddrInet4); ok {
		return fmt.Sprintf("%d.%d.%d.%d:%d", in.Addr[0], in.Addr[1], in.Addr[2], in.Addr[3], in.Port)
	}
	return fmt.Sprintf("%v", sa)
}

func TestKernelSCTP(t *testing.T) {
	requireVM(t)
	if _, err := os.Stat("/proc/sys/net/sctp"); err != nil {
		t.Fatalf("no /proc/sys/net/sctp: sctp module not loaded? %v", err)
	}
	for _, k := range []string{"rto_initial", "rto_min", "hb_interval"} {
		if b, err := os.ReadFile("/proc/sys/net/sctp/" + k); err == nil {
			t.Logf("net.sctp.%s = %s", k, strings.TrimSpace(string(b)))
		}
	}

	lfd, port := listener(t, false)
	cfd := sctpSocket(t, lo2, 0, false)
	start := time.Now()
	if err := connect(cfd, &syscall.SockaddrInet4{Addr: lo1, Port: port}); err != nil {
		t.Fatalf("connect 127.0.0.2 -> 127.0.0.1:%d: %v", port, err)
	}
	afd, peer, err := accept(lfd)
	if err != nil {
		t.Fatalf("accept: %v", err)
	}
	t.Cleanup(func() { syscall.Close(afd) })
	t.Logf("association up in %v; server sees peer %s", time.Since(start), addrString(peer))
	if in, ok := peer.(*syscall.SockaddrInet4); !ok || in.Addr != lo2 {
		t.Errorf("peer address %s, want 127.0.0.2", addrString(peer))
	}

	// SCTP keeps message boundaries: three writes arrive as three reads.
	msgs := []string{"ping", "from 127.0.0.2", strings.Repeat("x", 3000)}
	for _, m := range msgs {
		if n, err := write(cfd, []byte(m)); err != nil || n != len(m) {
			t.Fatalf("client write %d bytes: n=%d err=%v", len(m), n, err)
		}
	}
	buf := make([]byte, 65536)
	for _, m := range msgs {
		n, err := read(afd, buf)
		if err != nil {
			t.Fatalf("server read: %v", err)
		}
		if got := string(buf[:n]); got != m {
			t.Fatalf("server read %d bytes %.20q, want the %d-byte message %.20q", n, got, len(m), m)
		}
	}
	if _, err := write(afd, []byte("pong")); err != nil {
		t.Fatalf("server write: %v", err)
	}
	n, err := read(cfd, buf)
	if err != nil || string(buf[:n]) != "pong" {
		t.Fatalf("client read: %q, %v; want pong", buf[:n], err)
	}

	// Closing one side ends the association: the other side reads EOF.
	syscall.Close(cfd)
	if n, err := read(afd, buf); n != 0 || err != nil {
		t.Errorf("server read after client close: n=%d err=%v, want EOF", n, err)
	}
}

// TestKernelSCTPv6 checks SCTP over the IPv6 loopback address.
func TestKernelSCTPv6(t *testing.T) {
	requireVM(t)
	open := func() int {
		fd, err := syscall.Socket(syscall.AF_INET6, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, ipprotoSCTP)
		if err != nil {
			t.Fatalf("socket(AF_INET6, SOCK_STREAM, IPPROTO_SCTP): %v", err)
		}
		t.Cleanup(func() { syscall.Close(fd) })
		tv := syscall.NsecToTimeval((5 * time.Second).Nanoseconds())
		syscall.SetsockoptTimeval(fd, syscall.SOL_SOCKET, syscall.SO_RCVTIMEO, &tv)
		syscall.SetsockoptTimeval(fd, syscall.SOL_SOCKET, syscall.SO_SNDTIMEO, &tv)
		if err := syscall.Bind(fd, &syscall.SockaddrInet6{Addr: [16]byte{15: 1}}); err != nil {
			t.Fatalf("bind [::1]: %v (no IPv6 loopback?)", err)
		}
		return fd
	}
	lfd := open()
	if err := syscall.Listen(lfd, 8); err != nil {
		t.Fatalf("listen: %v", err)
	}
	sa, err := syscall.Getsockname(lfd)
	if err != nil {
		t.Fatalf("getsockname: %v", err)
	}
	cfd := open()
	if err := connect(cfd, sa); err != nil {
		t.Fatalf("connect to [::1]:%d: %v", sa.(*syscall.SockaddrInet6).Port, err)
	}
	afd, _, err := accept(lfd)
	if err != nil {
		t.Fatalf("accept: %v", err)
	}
	t.Cleanup(func() { syscall.Close(afd) })
	if _, err := write(cfd, []byte("v6")); err != nil {
		t.Fatalf("write: %v", err)
	}
	buf := make([]byte, 16)
	if n, err := read(afd, buf); err != nil || string(buf[:n]) != "v6" {
		t.Fatalf("read: %q, %v", buf[:n], err)
	}
}

// nft runs nft with args and returns its output; errors fail the test.
func nft(t *testing.T, args ...string) string {
	t.Helper()
	out, err := exec.Command("nft", args...).CombinedOutput()
	if err != nil {
		t.Fatalf("nft %s: %v\n%s", strings.Join(args, " "), err, out)
	}
	return string(out)
}

// nftScript runs an nft -f script given on stdin (one exec instead of one per
// command: starting nft costs ~0.1 s under qemu TCG).
func nftScript(t *testing.T, script string) {
	t.Helper()
	cmd := exec.Command("nft", "-f", "-")
	cmd.Stdin = strings.NewReader(script)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("nft -f: %v\n%s\nscript:\n%s", err, out, script)
	}
}

func TestNftables(t *testing.T) {
	requireVM(t)
	if _, err := exec.LookPath("nft"); err != nil {
		t.Fatalf("nft not in the image: %v", err)
	}
	nft(t, "list", "ruleset")
	t.Cleanup(func() { exec.Command("nft", "delete", "table", "inet", "vmprobe").Run() })
	// The kinds of rules the transport tests use to lose packets; 127.0.0.9
	// and port 9 keep them from matching anything here.
	script := "add table inet vmprobe\n" +
		"add chain inet vmprobe in { type filter hook input priority 0 ; policy accept ; }\n"
	rules := []string{
		"ip daddr 127.0.0.9 ip protocol sctp drop",
		"sctp dport 9 drop",
		"ip daddr 127.0.0.9 sctp sport 9 counter drop",
		"ip daddr 127.0.0.9 numgen random mod 100 < 10 drop",
		"ip daddr 127.0.0.9 limit rate 10/second accept",
		"ip6 daddr ::9 meta l4proto sctp drop",
		"ip daddr 127.0.0.9 sctp chunk init exists drop",
		"ip daddr 127.0.0.9 ct state established accept",
		"ip daddr 127.0.0.9 tcp dport 9 reject with tcp reset",
	}
	for _, r := range rules {
		script += "add rule inet vmprobe in " + r + "\n"
	}
	nftScript(t, script)
	listing := nft(t, "list", "table", "inet", "vmprobe")
	for _, want := range []string{"sctp dport 9 drop", "numgen random mod 100"} {
		if !strings.Contains(listing, want) {
			t.Errorf("nft list table lacks %q:\n%s", want, listing)
		}
	}
	nft(t, "delete", "table", "inet", "vmprobe")
	if rs := nft(t, "list", "ruleset"); strings.Contains(rs, "vmprobe") {
		t.Errorf("table still there after delete:\n%s", rs)
	}
}

var counterRE = regexp.MustCompile(`counter packets (\d+)`)

// TestNftDropsSCTP checks that an input drop rule stops SCTP on loopback and
// that deleting it lets associations through again.
func TestNftDropsSCTP(t *testing.T) {
	requireVM(t)
	lfd, port := listener(t, true)
	t.Cleanup(func() { exec.Command("nft", "delete", "table", "inet", "vmprobe_drop").Run() })
	nftScript(t, fmt.Sprintf("add table inet vmprobe_drop\n"+
		"add chain inet vmprobe_drop in { type filter hook input priority 0 ; policy accept ; }\n"+
		"add rule inet vmprobe_drop in ip daddr 127.0.0.1 sctp dport %d counter drop\n", port))

	cfd := sctpSocket(t, lo2, 0, true)
	err := syscall.Connect(cfd, &syscall.SockaddrInet4{Addr: lo1, Port: port})
	if !errors.Is(err, syscall.EINPROGRESS) {
		t.Fatalf("nonblocking connect: %v, want EINPROGRESS", err)
	}
	time.Sleep(300 * time.Millisecond)
	if afd, _, err := accept(lfd); err == nil {
		syscall.Close(afd)
		t.Fatalf("association established through the drop rule")
	} else if !errors.Is(err, syscall.EAGAIN) {
		t.Fatalf("accept: %v", err)
	}
	m := counterRE.FindStringSubmatch(nft(t, "list", "table", "inet", "vmprobe_drop"))
	if m == nil {
		t.Fatalf("no counter in the rule listing")
	}
	if n, _ := strconv.Atoi(m[1]); n < 1 {
		t.Fatalf("drop rule counted %d packets, want the INIT", n)
	}
	t.Logf("drop rule dropped %s packet(s) (the INIT)", m[1])

	nft(t, "delete", "table", "inet", "vmprobe_drop")
	cfd2 := sctpSocket(t, lo2, 0, false)
	if err := connect(cfd2, &syscall.SockaddrInet4{Addr: lo1, Port: port}); err != nil {
		t.Fatalf("connect after deleting the rule: %v", err)
	}
	var afd int
	deadline := time.Now().Add(5 * time.Second)
	for {
		afd, _, err = accept(lfd)
		if err == nil || !errors.Is(err, syscall.EAGAIN) || time.Now().After(deadline) {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	if err != nil {
		t.Fatalf("accept after deleting the rule: %v", err)
	}
	defer syscall.Close(afd)
	if _, err := write(cfd2, []byte("through")); err != nil {
		t.Fatalf("write: %v", err)
	}
	buf := make([]byte, 64)
	// accept4 without SOCK_NONBLOCK gives a blocking socket (the listener's
	// O_NONBLOCK is not inherited): this read waits up to SO_RCVTIMEO.
	n, err := read(afd, buf)
	if err != nil || !bytes.Equal(buf[:n], []byte("through")) {
		t.Fatalf("read after deleting the rule: %q, %v", buf[:n], err)
	}
}
