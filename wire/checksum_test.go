package wire

import (
	"encoding/binary"
	"math/rand/v2"
	"testing"
)

// rsplibChecksum follows RSPLIB's poolhandlespacechecksum.c on a
// little-endian host: 16-bit host-order loads over the pool handle and,
// separately, over the PE identifier in network order; a 32-bit
// accumulator; fold, complement, and a raw two-byte store into the
// parameter. It returns the two bytes RSPLIB puts on the wire.
func rsplibChecksum(pes []struct {
	h  []byte
	id uint32
}) [2]byte {
	var sum uint32
	compute := func(buf []byte) {
		for len(buf) >= 2 {
			sum += uint32(binary.LittleEndian.Uint16(buf))
			buf = buf[2:]
		}
		if len(buf) == 1 {
			sum += uint32(buf[0]) // memcpy into a zeroed uint16: the low byte on LE
		}
	}
	for _, pe := range pes {
		compute(pe.h)
		compute(binary.BigEndian.AppendUint32(nil, pe.id))
	}
	for sum>>16 != 0 {
		sum = sum&0xffff + sum>>16
	}
	var out [2]byte
	binary.LittleEndian.PutUint16(out[:], ^uint16(sum))
	return out
}

func TestPEChecksumKnownValue(t *testing.T) {
	// "gw"+"c-"+"po"+"ol" = 0x1aa7f, + 0x0000 + 0x1234 = 0x1bcb3,
	// folded 0xbcb4, complemented 0x434b.
	if c := PEChecksumOf(PoolHandle("gwc-pool"), 0x1234); c != 0x434b {
		t.Fatalf("got %v", c)
	}
	// Odd handle: the last byte is padded on its own; the ID is not shifted.
	// "ab" 0x6162 + "c\0" 0x6300 + 0x0001 + 0x0002 = 0xc465 -> 0x3b9a.
	if c := PEChecksumOf(PoolHandle("abc"), 0x00010002); c != 0x3b9a {
		t.Fatalf("got %v", c)
	}
	var empty ChecksumAccumulator
	if empty.Checksum() != 0xffff {
		t.Fatalf("empty handlespace: %v", empty.Checksum())
	}
}

func TestPEChecksumMatchesRSPLIB(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for round := 0; round < 200; round++ {
		var pes []struct {
			h  []byte
			id uint32
		}
		var acc ChecksumAccumulator
		for n := r.IntN(50); n > 0; n-- {
			h := make([]byte, r.IntN(33))
			for i := range h {
				h[i] = byte(r.Uint32())
			}
			id := r.Uint32()
			pes = append(pes, struct {
				h  []byte
				id uint32
			}{h, id})
			acc.Add(h, PEIdentifier(id))
		}
		want := rsplibChecksum(pes)
		var got [2]byte
		binary.BigEndian.PutUint16(got[:], uint16(acc.Checksum()))
		if got != want {
			t.Fatalf("round %d: wire bytes %x, RSPLIB %x", round, got, want)
		}
	}
}

func TestChecksumIncremental(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	type pe struct {
		h  PoolHandle
		id PEIdentifier
	}
	var all []pe
	var acc ChecksumAccumulator
	sum := PEChecksum(0xffff) // empty set
	for i := 0; i < 300; i++ {
		p := pe{PoolHandle([]byte{byte(i), byte(i >> 8), 'x'}[:1+i%3]), PEIdentifier(r.Uint32())}
		all = append(all, p)
		acc.Add(p.h, p.id)
		sum = sum.Add(PEChecksumOf(p.h, p.id))
		if sum != acc.Checksum() {
			t.Fatalf("after add %d: %v vs %v", i, sum, acc.Checksum())
		}
	}
	for i, p := range all[:len(all)-1] {
		acc.Remove(p.h, p.id)
		sum = sum.Sub(PEChecksumOf(p.h, p.id))
		var fresh ChecksumAccumulator
		for _, q := range all[i+1:] {
			fresh.Add(q.h, q.id)
		}
		if acc.Checksum() != fresh.Checksum() {
			t.Fatalf("after remove %d: accumulator %v, recomputed %v", i, acc.Checksum(), fresh.Checksum())
		}
		if sum != fresh.Checksum() && !(sum == 0 && fresh.Checksum() == 0xffff) {
			t.Fatalf("after remove %d: Sub %v, recomputed %v", i, sum, fresh.Checksum())
		}
	}
	last := all[len(all)-1]
	acc.Remove(last.h, last.id)
	if acc != 0 || acc.Checksum() != 0xffff {
		t.Fatalf("emptied accumulator %v", acc.Checksum())
	}
}
