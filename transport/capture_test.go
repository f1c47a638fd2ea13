package transport

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/sigpool/sigpool/internal/tshark"
	"github.com/sigpool/sigpool/internal/tshark/tsharktest"
)

// Messages over a TCP association, TLS included, come out of the capture as
// SCTP DATA that tshark decodes by PPID: ASAP (11) and M3UA (3).
func TestCaptureDecodesInTshark(t *testing.T) {
	tcpOnly(t)
	tsharktest.Require(t)
	ctx := testCtx(t, 30*time.Second)
	path := filepath.Join(t.TempDir(), "capture.pcap")
	c, err := CreateCapture(path)
	if err != nil {
		t.Fatal(err)
	}
	b := backend{scheme: "tcp", framing: FramingMux}
	srv, cli := memTLSConfigs(t)
	scfg, ccfg := testConfig(b), testConfig(b)
	scfg.TLS, ccfg.TLS, ccfg.Capture = srv, cli, c
	l, addr := listen(t, ctx, b, scfg)
	client, server := pairOn(t, ctx, l, addr, ccfg)

	// An ASAP Handle Resolution for pool "gwc" and an M3UA BEAT.
	asapMsg := asap(0x05, []byte{0, 9, 0, 7, 'g', 'w', 'c', 0})
	m3uaMsg := m3ua(3, 3, []byte{0, 9, 0, 8, 1, 2, 3, 4})
	if err := client.Send(ctx, Message{Stream: 0, PPID: 11, Data: asapMsg}); err != nil {
		t.Fatal(err)
	}
	if err := client.Send(ctx, Message{Stream: 1, PPID: 3, Data: m3uaMsg}); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		m, err := server.Recv(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if err := server.Send(ctx, m); err != nil { // echo back
			t.Fatal(err)
		}
	}
	for range 2 {
		if _, err := client.Recv(ctx); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	dctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	pkts, err := tshark.Decode(dctx, path)
	if err != nil {
		t.Fatal(err)
	}
	if len(pkts) != 4 {
		t.Fatalf("%d packets captured, want 4 (2 sent, 2 received)", len(pkts))
	}
	want := []string{"asap", "m3ua", "asap", "m3ua"}
	for i, p := range pkts {
		if p.Protocol(want[i]) == nil || p.Malformed() {
			t.Errorf("packet %d: no well-formed %s layer (problems: %v)", i, want[i], p.Problems())
		}
	}
	// Received frames go the other way: from the server to the client.
	port := func(p tshark.Packet, f string) uint64 {
		fld := p.First(f)
		if fld == nil {
			t.Fatalf("no %s", f)
		}
		v, err := fld.Uint()
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	if s, d := port(pkts[0], "sctp.srcport"), port(pkts[2], "sctp.dstport"); s != d || s == 0 {
		t.Errorf("sent from port %d, received frame addressed to %d", s, d)
	}
	if err := c.Close(); err != nil {
		t.Errorf("second close: %v", err)
	}
}
