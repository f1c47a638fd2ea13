package sctppcap

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"net/netip"
	"testing"
	"time"
)

func TestWriterLayout(t *testing.T) {
	var buf bytes.Buffer
	w, err := NewWriter(&buf)
	if err != nil {
		t.Fatal(err)
	}
	src := netip.MustParseAddrPort("127.0.0.1:5000")
	dst := netip.MustParseAddrPort("127.0.0.2:3863")
	payload := []byte{1, 2, 3, 4, 5} // odd length: the chunk needs padding
	for range 2 {
		if err := w.WriteFrame(Frame{Time: time.Unix(10, 5000), Src: src, Dst: dst, Stream: 7, PPID: 11, Data: payload}); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	b := buf.Bytes()
	if got := binary.LittleEndian.Uint32(b[20:]); got != LinkTypeRaw {
		t.Fatalf("link type %d, want %d", got, LinkTypeRaw)
	}
	rec := b[24:]
	if sec, usec := binary.LittleEndian.Uint32(rec[0:]), binary.LittleEndian.Uint32(rec[4:]); sec != 10 || usec != 5 {
		t.Fatalf("timestamp %d.%06d, want 10.000005", sec, usec)
	}
	n := int(binary.LittleEndian.Uint32(rec[8:]))
	wantLen := 20 + 12 + 16 + 8 // IPv4 + common header + DATA header + padded payload
	if n != wantLen {
		t.Fatalf("frame length %d, want %d", n, wantLen)
	}
	pkt := rec[16 : 16+n]
	if pkt[9] != 132 || ipChecksum(pkt[:20]) != 0 {
		t.Fatalf("bad IPv4 header % x", pkt[:20])
	}
	sctp := append([]byte(nil), pkt[20:]...)
	sum := binary.LittleEndian.Uint32(sctp[8:])
	binary.LittleEndian.PutUint32(sctp[8:], 0)
	if want := crc32.Checksum(sctp, crc32.MakeTable(crc32.Castagnoli)); sum != want {
		t.Fatalf("CRC32c %#x, want %#x", sum, want)
	}
	chunk := sctp[12:]
	if chunk[0] != 0 || chunk[1] != 3 || binary.BigEndian.Uint16(chunk[2:]) != 16+5 {
		t.Fatalf("DATA chunk header % x", chunk[:4])
	}
	if tsn, sid, ssn, ppid := binary.BigEndian.Uint32(chunk[4:]), binary.BigEndian.Uint16(chunk[8:]), binary.BigEndian.Uint16(chunk[10:]), binary.BigEndian.Uint32(chunk[12:]); tsn != 1 || sid != 7 || ssn != 0 || ppid != 11 {
		t.Fatalf("tsn %d sid %d ssn %d ppid %d", tsn, sid, ssn, ppid)
	}
	// The second frame of the same flow advances TSN and stream sequence.
	chunk2 := rec[16+n+16+20+12:]
	if tsn, ssn := binary.BigEndian.Uint32(chunk2[4:]), binary.BigEndian.Uint16(chunk2[10:]); tsn != 2 || ssn != 1 {
		t.Fatalf("second frame tsn %d ssn %d, want 2 and 1", tsn, ssn)
	}
}

func TestWriterRejectsBadFrames(t *testing.T) {
	w, err := NewWriter(&bytes.Buffer{})
	if err != nil {
		t.Fatal(err)
	}
	v4 := netip.MustParseAddrPort("127.0.0.1:1")
	v6 := netip.MustParseAddrPort("[::1]:1")
	for name, f := range map[string]Frame{
		"no source":      {Dst: v4},
		"mixed families": {Src: v4, Dst: v6},
		"too large":      {Src: v4, Dst: v4, Data: make([]byte, 70000)},
	} {
		if err := w.WriteFrame(f); err == nil {
			t.Errorf("%s: want an error", name)
		}
	}
}
