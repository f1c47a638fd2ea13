// Package sctppcap writes pcap files of synthetic IP+SCTP frames, one SCTP
// DATA chunk per frame, so that messages sigpool encodes (ASAP, ENRP, M3UA,
// SUA) can be decoded by Wireshark/tshark exactly as if they had crossed a
// kernel SCTP association with the right PPID and stream.
package sctppcap

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"hash/crc32"
	"io"
	"net/netip"
	"time"
)

// LinkTypeRaw is the pcap link type for frames that start with an IP header.
const LinkTypeRaw = 101

const (
	ipv4HeaderLen   = 20
	ipv6HeaderLen   = 40
	sctpCommonLen   = 12
	dataChunkHeader = 16
	protoSCTP       = 132
	snapLen         = 262144
	// maxPayload keeps the IPv4 total length (16 bits) in range.
	maxPayload = 65535 - ipv4HeaderLen - sctpCommonLen - dataChunkHeader - 3
)

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// Frame is one SCTP user message as it would have crossed the wire.
type Frame struct {
	Time     time.Time
	Src, Dst netip.AddrPort
	Stream   uint16
	PPID     uint32
	Data     []byte
}

type flowKey struct{ src, dst netip.AddrPort }

type flowState struct {
	vtag      uint32
	tsn       uint32
	streamSeq map[uint16]uint16
}

// Writer appends frames to a pcap stream. TSNs and stream sequence numbers
// are kept per direction so that Wireshark's SCTP analysis sees a consistent
// association. A Writer is not safe for concurrent use.
type Writer struct {
	w     *bufio.Writer
	flows map[flowKey]*flowState
	buf   []byte
	err   error
}

// NewWriter writes the pcap global header and returns a Writer. Call Flush
// (or Close on the underlying file after Flush) when done.
func NewWriter(w io.Writer) (*Writer, error) {
	bw := bufio.NewWriter(w)
	var hdr [24]byte
	binary.LittleEndian.PutUint32(hdr[0:], 0xa1b2c3d4) // microsecond timestamps
	binary.LittleEndian.PutUint16(hdr[4:], 2)
	binary.LittleEndian.PutUint16(hdr[6:], 4)
	binary.LittleEndian.PutUint32(hdr[16:], snapLen)
	binary.LittleEndian.PutUint32(hdr[20:], LinkTypeRaw)
	if _, err := bw.Write(hdr[:]); err != nil {
		return nil, fmt.Errorf("sctppcap: write global header: %w", err)
	}
	return &Writer{w: bw, flows: make(map[flowKey]*flowState)}, nil
}

// WriteFrame appends one frame. Source and destination must be of the same
// address family.
func (w *Writer) WriteFrame(f Frame) error {
	if w.err != nil {
		return w.err
	}
	if !f.Src.IsValid() || !f.Dst.IsValid() {
		return errors.New("sctppcap: frame needs valid source and destination addresses")
	}
	if f.Src.Addr().Is4() != f.Dst.Addr().Is4() {
		return fmt.Errorf("sctppcap: source %s and destination %s differ in address family", f.Src, f.Dst)
	}
	if len(f.Data) > maxPayload {
		return fmt.Errorf("sctppcap: payload of %d bytes exceeds %d", len(f.Data), maxPayload)
	}
	key := flowKey{f.Src, f.Dst}
	st := w.flows[key]
	if st == nil {
		// Distinct tags and TSN ranges per direction keep Wireshark from
		// taking frames of different flows for retransmissions.
		n := uint32(len(w.flows))
		st = &flowState{vtag: n + 1, tsn: n<<20 + 1, streamSeq: make(map[uint16]uint16)}
		w.flows[key] = st
	}
	sctp := w.appendSCTP(w.buf[:0], f, st)
	var pkt []byte
	if f.Src.Addr().Is4() {
		pkt = appendIPv4(nil, f.Src.Addr(), f.Dst.Addr(), len(sctp))
	} else {
		pkt = appendIPv6(nil, f.Src.Addr(), f.Dst.Addr(), len(sctp))
	}
	pkt = append(pkt, sctp...)
	w.buf = sctp[:0]

	var rec [16]byte
	ts := f.Time
	if ts.IsZero() {
		ts = time.Unix(0, 0)
	}
	binary.LittleEndian.PutUint32(rec[0:], uint32(ts.Unix()))
	binary.LittleEndian.PutUint32(rec[4:], uint32(ts.Nanosecond()/1000))
	binary.LittleEndian.PutUint32(rec[8:], uint32(len(pkt)))
	binary.LittleEndian.PutUint32(rec[12:], uint32(len(pkt)))
	if _, err := w.w.Write(rec[:]); err != nil {
		w.err = fmt.Errorf("sctppcap: write record header: %w", err)
		return w.err
	}
	if _, err := w.w.Write(pkt); err != nil {
		w.err = fmt.Errorf("sctppcap: write frame: %w", err)
		return w.err
	}
	return nil
}

// Flush writes buffered frames to the underlying writer.
func (w *Writer) Flush() error {
	if w.err != nil {
		return w.err
	}
	if err := w.w.Flush(); err != nil {
		w.err = fmt.Errorf("sctppcap: flush: %w", err)
	}
	return w.err
}

func (w *Writer) appendSCTP(b []byte, f Frame, st *flowState) []byte {
	start := len(b)
	b = binary.BigEndian.AppendUint16(b, f.Src.Port())
	b = binary.BigEndian.AppendUint16(b, f.Dst.Port())
	b = binary.BigEndian.AppendUint32(b, st.vtag)
	b = binary.BigEndian.AppendUint32(b, 0) // checksum, filled in below
	// DATA chunk, unfragmented (B and E set).
	b = append(b, 0, 0x03)
	b = binary.BigEndian.AppendUint16(b, uint16(dataChunkHeader+len(f.Data)))
	b = binary.BigEndian.AppendUint32(b, st.tsn)
	b = binary.BigEndian.AppendUint16(b, f.Stream)
	b = binary.BigEndian.AppendUint16(b, st.streamSeq[f.Stream])
	b = binary.BigEndian.AppendUint32(b, f.PPID)
	b = append(b, f.Data...)
	for (len(b)-start)%4 != 0 {
		b = append(b, 0)
	}
	st.tsn++
	st.streamSeq[f.Stream]++
	// RFC 4960 appendix B: CRC32c over the whole packet, stored little-endian.
	binary.LittleEndian.PutUint32(b[start+8:], crc32.Checksum(b[start:], castagnoli))
	return b
}

func appendIPv4(b []byte, src, dst netip.Addr, payload int) []byte {
	start := len(b)
	b = append(b, 0x45, 0)
	b = binary.BigEndian.AppendUint16(b, uint16(ipv4HeaderLen+payload))
	b = append(b, 0, 0, 0x40, 0) // id 0, don't fragment
	b = append(b, 64, protoSCTP, 0, 0)
	s, d := src.As4(), dst.As4()
	b = append(b, s[:]...)
	b = append(b, d[:]...)
	binary.BigEndian.PutUint16(b[start+10:], ipChecksum(b[start:start+ipv4HeaderLen]))
	return b
}

func appendIPv6(b []byte, src, dst netip.Addr, payload int) []byte {
	b = append(b, 0x60, 0, 0, 0)
	b = binary.BigEndian.AppendUint16(b, uint16(payload))
	b = append(b, protoSCTP, 64)
	s, d := src.As16(), dst.As16()
	b = append(b, s[:]...)
	return append(b, d[:]...)
}

func ipChecksum(h []byte) uint16 {
	var sum uint32
	for i := 0; i+1 < len(h); i += 2 {
		sum += uint32(h[i])<<8 | uint32(h[i+1])
	}
	for sum > 0xffff {
		sum = sum>>16 + sum&0xffff
	}
	return ^uint16(sum)
}
