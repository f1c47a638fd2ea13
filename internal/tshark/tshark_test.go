package tshark_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"net/netip"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/sigpool/sigpool/internal/sctppcap"
	"github.com/sigpool/sigpool/internal/tshark"
	"github.com/sigpool/sigpool/internal/tshark/tsharktest"
)

// An ASAP Handle Resolution for pool handle "abcd".
var handleResolution = []byte{0x05, 0x00, 0x00, 0x0c, 0x00, 0x09, 0x00, 0x08, 'a', 'b', 'c', 'd'}

func writeCapture(t *testing.T, frames ...sctppcap.Frame) string {
	t.Helper()
	var buf bytes.Buffer
	w, err := sctppcap.NewWriter(&buf)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range frames {
		if err := w.WriteFrame(f); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "capture.pcap")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func decode(t *testing.T, path string) []tshark.Packet {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	pkts, err := tshark.Decode(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	return pkts
}

func TestSyntheticFramesDecode(t *testing.T) {
	tsharktest.Require(t)
	path := writeCapture(t,
		sctppcap.Frame{Src: netip.MustParseAddrPort("127.0.0.1:40000"), Dst: netip.MustParseAddrPort("127.0.0.1:3863"), Stream: 3, PPID: 11, Data: handleResolution},
		sctppcap.Frame{Src: netip.MustParseAddrPort("[::1]:40000"), Dst: netip.MustParseAddrPort("[::1]:3863"), PPID: 11, Data: handleResolution},
	)
	pkts := decode(t, path)
	if len(pkts) != 2 {
		t.Fatalf("%d packets, want 2", len(pkts))
	}
	for i, p := range pkts {
		if probs := p.Problems(); len(probs) > 0 {
			t.Errorf("frame %d: %v", i, probs)
		}
		if p.Protocol("asap") == nil {
			t.Fatalf("frame %d: no ASAP layer", i)
		}
		if v, err := p.First("asap.message_type").Uint(); err != nil || v != 5 {
			t.Errorf("frame %d: asap.message_type %d (%v), want 5", i, v, err)
		}
		if v, err := p.First("sctp.data_payload_proto_id").Uint(); err != nil || v != 11 {
			t.Errorf("frame %d: PPID %d (%v), want 11", i, v, err)
		}
	}
	if v, _ := pkts[0].First("sctp.data_sid").Uint(); v != 3 {
		t.Errorf("stream id %d, want 3", v)
	}
}

// The checks must be able to fail: a truncated parameter is malformed and a
// corrupted CRC32c is an expert error.
func TestProblemsAreReported(t *testing.T) {
	tsharktest.Require(t)
	bad := append([]byte(nil), handleResolution...)
	binary.BigEndian.PutUint16(bad[6:], 40) // parameter longer than the message
	path := writeCapture(t,
		sctppcap.Frame{Src: netip.MustParseAddrPort("127.0.0.1:40000"), Dst: netip.MustParseAddrPort("127.0.0.1:3863"), PPID: 11, Data: bad},
		sctppcap.Frame{Src: netip.MustParseAddrPort("127.0.0.1:40000"), Dst: netip.MustParseAddrPort("127.0.0.1:3863"), PPID: 11, Data: handleResolution},
	)
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// Flip one bit of the second frame's SCTP checksum: global header (24),
	// first record (16 + 20 + 12 + 16 + 12), second record header (16), IPv4 (20), checksum at 8.
	off := 24 + 16 + 20 + 12 + 16 + 12 + 16 + 20 + 8
	raw[off] ^= 0x01
	if err := os.WriteFile(path, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	pkts := decode(t, path)
	if len(pkts) != 2 {
		t.Fatalf("%d packets, want 2", len(pkts))
	}
	if !pkts[0].Malformed() {
		t.Error("frame with an over-long parameter: not reported malformed")
	}
	if len(pkts[1].Problems()) == 0 {
		t.Error("frame with a corrupted checksum: no problem reported")
	}
}
