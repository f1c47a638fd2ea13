//go:build linux && !386

package transport

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"net/netip"
	"os"
	"os/exec"
	"slices"
	"sync"
	"syscall"
	"testing"
	"time"
	"unsafe"

	"github.com/ishidawataru/sctp"
)

// sctpOnly skips where kernel SCTP is not among the suite's backends (the
// host); in the VM (SIGPOOL_TEST_TRANSPORT=sctp) backends() fails instead
// when SCTP does not work.
func sctpOnly(t *testing.T) {
	t.Helper()
	for _, b := range backends(t) {
		if b.sctp() {
			return
		}
	}
	t.Skip("kernel SCTP unavailable here; scripts/vmtest.sh runs this in a VM")
}

// The byte layouts written by hand match linux/sctp.h (sizes and offsets
// as gcc computes them for x86-64 and arm64; sctp_paddrparams is packed).
func TestSCTPStructLayout(t *testing.T) {
	p := Profile{RTOInitial: 0x11223344 * time.Millisecond, RTOMax: 0x55667788 * time.Millisecond, RTOMin: 0x0a0b0c0d * time.Millisecond,
		HBInterval: 0x01020304 * time.Millisecond, PathMaxRetrans: 0x0506, AssocMaxRetrans: 0x0708}
	rto := rtoInfo(p)
	if len(rto) != 16 || binary.NativeEndian.Uint32(rto[4:]) != 0x11223344 || binary.NativeEndian.Uint32(rto[8:]) != 0x55667788 || binary.NativeEndian.Uint32(rto[12:]) != 0x0a0b0c0d {
		t.Errorf("sctp_rtoinfo (16 bytes: assoc_id, initial@4, max@8, min@12): % x", rto)
	}
	ap := assocParams(p)
	if len(ap) != 20 || binary.NativeEndian.Uint16(ap[4:]) != 0x0708 || !allZero(ap[:4]) || !allZero(ap[6:]) {
		t.Errorf("sctp_assocparams (20 bytes: asocmaxrxt@4): % x", ap)
	}
	pp := paddrParams(p)
	if len(pp) != 156 || binary.NativeEndian.Uint32(pp[132:]) != 0x01020304 || binary.NativeEndian.Uint16(pp[136:]) != 0x0506 ||
		binary.NativeEndian.Uint32(pp[146:]) != sppHBEnable || !allZero(pp[:132]) || !allZero(pp[138:146]) || !allZero(pp[150:]) {
		t.Errorf("sctp_paddrparams (156 bytes packed: hbinterval@132, pathmaxrxt@136, pathmtu@138, sackdelay@142, flags@146): % x", pp)
	}
	if paddrParamsLenV1 != 152 || assocChangeLen != 20 || paddrChangeLen != 148 || sndRcvInfoLen != 32 {
		t.Error("structure sizes differ from linux/sctp.h")
	}
	if got := unsafe.Sizeof(sctp.SackTimer{}); got != 12 {
		t.Errorf("library SackTimer is %d bytes, sctp_sack_info 12", got)
	}
	if got := unsafe.Sizeof(sctp.InitMsg{}); got != 8 {
		t.Errorf("library InitMsg is %d bytes, sctp_initmsg 8", got)
	}
	if got := unsafe.Sizeof(sctp.Status{}); got != 176 {
		t.Errorf("library Status is %d bytes, sctp_status 176", got)
	}
	if unsafe.Offsetof(sctp.Status{}.Ostreams) != 18 {
		t.Errorf("library Status.Ostreams at %d, sstat_outstrms at 18", unsafe.Offsetof(sctp.Status{}.Ostreams))
	}
}

func allZero(b []byte) bool { return !slices.ContainsFunc(b, func(c byte) bool { return c != 0 }) }

// The PPID goes into sinfo_ppid in network byte order (M3UA's 3 is
// 00 00 00 03 on the wire, not 50331648), and comes back unchanged.
func TestSndRcvPPIDByteOrder(t *testing.T) {
	oob := sndRcvCmsg(7, 3)
	data := oob[syscall.CmsgLen(0):]
	if !bytes.Equal(data[8:12], []byte{0, 0, 0, 3}) {
		t.Fatalf("sinfo_ppid bytes % x, want 00 00 00 03", data[8:12])
	}
	if binary.NativeEndian.Uint16(data[0:]) != 7 {
		t.Fatalf("sinfo_stream % x", data[0:2])
	}
	for _, ppid := range []uint32{3, 4, 11, 12, 0x01020304, 0xffffffff} {
		stream, got, ok := parseSndRcv(sndRcvCmsg(9, ppid))
		if !ok || stream != 9 || got != ppid {
			t.Errorf("PPID %d: round trip gave stream %d PPID %d ok %v", ppid, stream, got, ok)
		}
	}
}

func TestSockaddrList(t *testing.T) {
	var b []byte
	v4 := make([]byte, syscall.SizeofSockaddrInet4)
	binary.NativeEndian.PutUint16(v4, syscall.AF_INET)
	binary.BigEndian.PutUint16(v4[2:], 3863)
	copy(v4[4:], []byte{127, 0, 0, 2})
	v6 := make([]byte, syscall.SizeofSockaddrInet6)
	binary.NativeEndian.PutUint16(v6, syscall.AF_INET6)
	binary.BigEndian.PutUint16(v6[2:], 2905)
	v6[23] = 1 // ::1
	mapped := make([]byte, syscall.SizeofSockaddrInet6)
	binary.NativeEndian.PutUint16(mapped, syscall.AF_INET6)
	binary.BigEndian.PutUint16(mapped[2:], 1)
	copy(mapped[8:], netip.MustParseAddr("::ffff:127.0.0.1").AsSlice())
	b = append(append(append(b, v4...), v6...), mapped...)
	got := sockaddrList(b, 3)
	want := []netip.AddrPort{netip.MustParseAddrPort("127.0.0.2:3863"), netip.MustParseAddrPort("[::1]:2905"), netip.MustParseAddrPort("127.0.0.1:1")}
	if !slices.Equal(got, want) {
		t.Fatalf("got %v, want %v", got, want)
	}
	if got := sockaddrList(b[:20], 3); len(got) != 1 {
		t.Fatalf("truncated list: %v", got)
	}
}

// Notifications become events; nothing in them can crash the reader.
func TestSCTPNotifications(t *testing.T) {
	r, w, err := os.Pipe()
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	rc, err := r.SyscallConn()
	if err != nil {
		t.Fatal(err)
	}
	prof, _ := LookupProfile("carrier")
	a := &sctpAssoc{f: r, rc: rc, cfg: Config{Profile: prof}, core: newCore(testLogger())}
	<-a.Events() // up

	notif := func(typ sctp.SCTPNotificationType, size int) []byte {
		b := make([]byte, size)
		binary.NativeEndian.PutUint16(b, uint16(typ))
		binary.NativeEndian.PutUint32(b[4:], uint32(size))
		return b
	}
	pc := notif(sctp.SCTP_PEER_ADDR_CHANGE, paddrChangeLen)
	binary.NativeEndian.PutUint16(pc[8:], syscall.AF_INET)
	binary.BigEndian.PutUint16(pc[10:], 3863)
	copy(pc[12:], []byte{127, 0, 0, 2})
	binary.NativeEndian.PutUint32(pc[136:], addrUnreachable)
	var partial []byte
	if a.notified(pc, &partial) {
		t.Fatal("path change ended the association")
	}
	if ev := <-a.Events(); ev.Kind != EventPathDown || ev.Addr != netip.MustParseAddrPort("127.0.0.2:3863") {
		t.Fatalf("event %v", ev)
	}
	restart := notif(sctp.SCTP_ASSOC_CHANGE, assocChangeLen)
	binary.NativeEndian.PutUint16(restart[8:], uint16(sctp.SCTP_RESTART))
	a.notified(restart, &partial)
	if ev := <-a.Events(); ev.Kind != EventRestart {
		t.Fatalf("event %v", ev)
	}
	// Truncated and unknown notifications are ignored.
	for _, b := range [][]byte{nil, {1}, notif(sctp.SCTP_ASSOC_CHANGE, 12), notif(sctp.SCTP_PEER_ADDR_CHANGE, 40), notif(0x9999, 8)} {
		if a.notified(b, &partial) {
			t.Fatalf("notification % x ended the association", b)
		}
	}
	lost := notif(sctp.SCTP_ASSOC_CHANGE, assocChangeLen)
	binary.NativeEndian.PutUint16(lost[8:], uint16(sctp.SCTP_COMM_LOST))
	if !a.notified(lost, &partial) {
		t.Fatal("COMM_LOST did not end the association")
	}
	if ev := finalEvent(t, a, time.Second); ev.Kind != EventPeerDead {
		t.Fatalf("COMM_LOST without ABORT chunk: %v, want peer dead", ev)
	}
	if _, err := a.Recv(context.Background()); !errors.Is(err, ErrPeerDead) {
		t.Fatalf("recv: %v", err)
	}
}

// The profile reaches the kernel on both ends: RTO bounds, heartbeat,
// retransmission limits and SCTP_NODELAY.
func TestSCTPProfileApplied(t *testing.T) {
	sctpOnly(t)
	ctx := testCtx(t, 10*time.Second)
	prof, _ := ParseProfile("carrier,hb_interval=120ms")
	cfg := Config{Profile: prof, Logger: testLogger()}
	c, s := pair(t, ctx, backend{scheme: "sctp"}, cfg)
	want := appliedProfile{rtoInitial: prof.RTOInitial, rtoMax: prof.RTOMax, rtoMin: prof.RTOMin, hbInterval: prof.HBInterval, sackDelay: prof.SACKDelay,
		pathMaxRetrans: prof.PathMaxRetrans, assocMaxRetrans: prof.AssocMaxRetrans, nodelay: true}
	for name, a := range map[string]Association{"dialed": c, "accepted": s} {
		var got appliedProfile
		var err error
		if cerr := a.(*sctpAssoc).rc.Control(func(fd uintptr) { got, err = readProfile(int(fd)) }); cerr != nil {
			t.Fatal(cerr)
		}
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if got != want {
			t.Errorf("%s: kernel holds %+v, want %+v", name, got, want)
		}
	}
}

// On the wire the DATA chunk carries PPID 3 as 00 00 00 03 (RFC 4960
// section 3.3.1: network byte order), read back with a raw socket.
func TestSCTPPPIDOnWire(t *testing.T) {
	sctpOnly(t)
	needRoot(t)
	ctx := testCtx(t, 10*time.Second)
	raw, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_RAW, syscall.IPPROTO_SCTP)
	if err != nil {
		t.Fatalf("raw SCTP socket: %v", err)
	}
	defer syscall.Close(raw)
	tv := syscall.Timeval{Usec: 100000}
	if err := syscall.SetsockoptTimeval(raw, syscall.SOL_SOCKET, syscall.SO_RCVTIMEO, &tv); err != nil {
		t.Fatal(err)
	}
	c, s := pair(t, ctx, backend{scheme: "sctp"}, testConfig(backend{scheme: "sctp"}))
	for _, tt := range []struct {
		stream uint16
		ppid   uint32
		wire   []byte
	}{
		{1, 3, []byte{0, 0, 0, 3}},          // M3UA
		{0, 11, []byte{0, 0, 0, 11}},        // ASAP
		{2, 0x01020304, []byte{1, 2, 3, 4}}, // byte order visible
		{3, 0xfeedface, []byte{0xfe, 0xed, 0xfa, 0xce}},
	} {
		marker := []byte(fmt.Sprintf("ppid-on-wire %d %d", tt.stream, tt.ppid))
		if err := c.Send(ctx, Message{Stream: tt.stream, PPID: tt.ppid, Data: marker}); err != nil {
			t.Fatal(err)
		}
		m, err := s.Recv(ctx)
		if err != nil || m.PPID != tt.ppid || m.Stream != tt.stream {
			t.Fatalf("received stream %d PPID %d, %v; want %d %d", m.Stream, m.PPID, err, tt.stream, tt.ppid)
		}
		stream, ppid, ok := findDataChunk(t, raw, marker)
		if !ok {
			t.Fatalf("DATA chunk with %q not seen on the wire", marker)
		}
		if !bytes.Equal(ppid, tt.wire) || stream != tt.stream {
			t.Fatalf("on the wire: stream %d PPID % x; want stream %d PPID % x", stream, ppid, tt.stream, tt.wire)
		}
		t.Logf("PPID %d on the wire: % x (stream %d)", tt.ppid, ppid, stream)
	}
}

// findDataChunk reads raw SCTP packets until a DATA chunk carries marker.
func findDataChunk(t *testing.T, raw int, marker []byte) (uint16, []byte, bool) {
	buf := make([]byte, 65536)
	deadline := time.Now().Add(3 * time.Second)
	for time.Now().Before(deadline) {
		n, _, err := syscall.Recvfrom(raw, buf, 0)
		if err != nil {
			continue // timeout: try again
		}
		pkt := buf[:n]
		if len(pkt) < 20 {
			continue
		}
		ihl := int(pkt[0]&0x0f) * 4
		if len(pkt) < ihl+12 {
			continue
		}
		chunks := pkt[ihl+12:]
		for len(chunks) >= 4 {
			typ, clen := chunks[0], int(binary.BigEndian.Uint16(chunks[2:]))
			if clen < 4 || clen > len(chunks) {
				break
			}
			if typ == 0 && clen >= 16 && bytes.Equal(chunks[16:clen], marker) {
				return binary.BigEndian.Uint16(chunks[8:]), append([]byte(nil), chunks[12:16]...), true
			}
			chunks = chunks[min((clen+3)&^3, len(chunks)):]
		}
	}
	return 0, nil, false
}

// With both ends bound to 127.0.0.1 and 127.0.0.2, the association
// survives losing the primary path (nft drops everything to 127.0.0.1):
// messages keep flowing over 127.0.0.2.
func TestSCTPMultihomingFailover(t *testing.T) {
	sctpOnly(t)
	needRoot(t, "nft", "ip")
	ctx := testCtx(t, 30*time.Second)
	// All of 127/8 is local, but its route prefers source 127.0.0.1, so
	// packets to 127.0.0.2 would leave from 127.0.0.1 and the replies die
	// with the primary path. 127.0.0.2/32 as an address of its own (not a
	// secondary of 127.0.0.1/8) brings a host route with source 127.0.0.2:
	// two disjoint paths, as over two networks.
	ip, _ := lookTool("ip")
	if out, err := exec.Command(ip, "addr", "add", "127.0.0.2/32", "dev", "lo").CombinedOutput(); err == nil {
		t.Cleanup(func() { run(t, "ip", "addr", "del", "127.0.0.2/32", "dev", "lo") })
	} else if !bytes.Contains(out, []byte("exists")) {
		t.Fatalf("ip addr add 127.0.0.2/32 dev lo: %v: %s", err, out)
	}
	if out, err := exec.Command(ip, "route", "get", "127.0.0.2").CombinedOutput(); err != nil || !bytes.Contains(out, []byte("src 127.0.0.2")) {
		t.Fatalf("packets to 127.0.0.2 would not leave from 127.0.0.2: ip route get: %v: %s", err, out)
	}
	prof, _ := LookupProfile("carrier")
	local := []netip.Addr{netip.MustParseAddr("127.0.0.1"), netip.MustParseAddr("127.0.0.2")}
	cfg := Config{Profile: prof, LocalAddrs: local, Logger: testLogger()}
	l, err := Listen(ctx, "sctp://127.0.0.1,127.0.0.2:0", cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	if len(l.Addrs()) != 2 {
		t.Fatalf("listener bound to %v, want two addresses", l.Addrs())
	}
	addr := fmt.Sprintf("sctp://127.0.0.1,127.0.0.2:%d", l.Addrs()[0].Port())
	c, s := pairOn(t, ctx, l, addr, cfg)
	t.Logf("client %v -> %v; server %v -> %v", c.LocalAddrs(), c.RemoteAddrs(), s.LocalAddrs(), s.RemoteAddrs())
	if len(c.LocalAddrs()) != 2 || len(c.RemoteAddrs()) != 2 || len(s.RemoteAddrs()) != 2 {
		t.Fatal("association is not multi-homed on both ends")
	}
	go echo(ctx, s)

	const interval = 2 * time.Millisecond
	sent := 0
	type arrival struct {
		seq uint32
		at  time.Time
	}
	arrivals := make(chan arrival, 4096)
	recvErr := make(chan error, 1)
	go func() {
		for {
			m, err := c.Recv(ctx)
			if err != nil {
				recvErr <- err
				return
			}
			arrivals <- arrival{binary.BigEndian.Uint32(m.Data), time.Now()}
		}
	}()
	send := func(until time.Time) {
		for time.Now().Before(until) {
			data := binary.BigEndian.AppendUint32(nil, uint32(sent))
			data = append(data, bytes.Repeat([]byte{0x33}, 96)...)
			if err := c.Send(ctx, Message{PPID: 3, Data: data}); err != nil {
				t.Fatalf("send #%d: %v", sent, err)
			}
			sent++
			time.Sleep(interval)
		}
	}
	send(time.Now().Add(500 * time.Millisecond)) // both paths confirmed by now
	table := randomName("sigpool_mh_")
	t.Cleanup(func() { nftScript(t, "", "delete table inet "+table+"\n") })
	nftScript(t, "", fmt.Sprintf(`table inet %s {
	chain in {
		type filter hook input priority 0; policy accept;
		ip daddr 127.0.0.1 meta l4proto sctp drop
	}
}
`, table))
	dropAt := time.Now()
	var snaps []string
	var snapMu sync.Mutex
	stopSnap := make(chan struct{})
	go func() {
		for {
			select {
			case <-stopSnap:
				return
			case <-time.After(40 * time.Millisecond):
			}
			b, _ := os.ReadFile("/proc/net/sctp/remaddr")
			snapMu.Lock()
			snaps = append(snaps, fmt.Sprintf("%v\n%s", time.Since(dropAt), b))
			snapMu.Unlock()
		}
	}()
	t.Cleanup(func() {
		close(stopSnap)
		if t.Failed() {
			snapMu.Lock()
			for _, s := range snaps {
				t.Log(s)
			}
			snapMu.Unlock()
			for _, f := range []string{"/proc/net/sctp/assocs", "/proc/net/sctp/remaddr", "/proc/net/sctp/snmp"} {
				b, _ := os.ReadFile(f)
				t.Logf("%s:\n%s", f, b)
			}
			out, _ := exec.Command(ip, "route", "show", "table", "local").CombinedOutput()
			t.Logf("ip route show table local:\n%s", out)
		}
	})
	send(dropAt.Add(2 * time.Second))

	next := uint32(0)
	var last time.Time
	var maxGap time.Duration
	timeout := time.After(5 * time.Second)
	for int(next) < sent {
		select {
		case a := <-arrivals:
			if a.seq != next {
				t.Fatalf("echo #%d arrived, want #%d", a.seq, next)
			}
			if !last.IsZero() && a.at.After(dropAt) {
				maxGap = max(maxGap, a.at.Sub(last))
			}
			last = a.at
			next++
		case err := <-recvErr:
			t.Fatalf("association ended after the primary path was lost (%d of %d echoed): %v", next, sent, err)
		case <-timeout:
			t.Fatalf("only %d of %d messages echoed", next, sent)
		}
	}
	var evs []string
	drain := true
	for drain {
		select {
		case ev, ok := <-c.Events():
			if !ok {
				t.Fatal("client association ended")
			}
			evs = append(evs, ev.String())
		default:
			drain = false
		}
	}
	t.Logf("primary path 127.0.0.1 dropped: all %d messages echoed, longest pause %v; client events %v", sent, maxGap, evs)
	if maxGap > time.Second {
		t.Errorf("messages stalled %v while failing over; want under 1s", maxGap)
	}
}
