package scenarios

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"net/netip"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"

	"github.com/sigpool/sigpool/internal/sctppcap"
)

var (
	sepAddr = netip.MustParseAddrPort("10.0.0.1:2905")
	sgAddr  = netip.MustParseAddrPort("10.0.0.2:2905")
	t0      = time.Unix(1700000000, 0)
)

func m3uaData(n byte) []byte {
	return []byte{1, 0, 1, 1, 0, 0, 0, 16, 2, 0x10, 0, 8, n, n, n, n}
}

// The synthetic frames sigpool's own captures hold.
func TestReadSyntheticCapture(t *testing.T) {
	var buf bytes.Buffer
	w, err := sctppcap.NewWriter(&buf)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 5 {
		ppid := uint32(PPIDM3UA)
		if i == 2 {
			ppid = 11 // ASAP, filtered out
		}
		if err := w.WriteFrame(sctppcap.Frame{Time: t0.Add(time.Duration(i) * 10 * time.Millisecond), Src: sepAddr, Dst: sgAddr, Stream: uint16(i), PPID: ppid, Data: m3uaData(byte(i))}); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "s.pcap")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	msgs, st, err := ReadCapture(path, PPIDM3UA, PPIDSUA)
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 4 || st.Packets != 5 || st.SCTPPackets != 5 {
		t.Fatalf("%d messages, stats %+v", len(msgs), st)
	}
	if m := msgs[3]; m.Stream != 4 || !bytes.Equal(m.Data, m3uaData(4)) || m.Src != sepAddr || m.Dst != sgAddr || !m.Time.Equal(t0.Add(40*time.Millisecond)) {
		t.Errorf("message 3: %+v", m)
	}
}

// sctpPacket builds an SCTP packet (common header, then chunks).
func sctpPacket(sport, dport uint16, chunks ...[]byte) []byte {
	b := make([]byte, 12)
	binary.BigEndian.PutUint16(b[0:], sport)
	binary.BigEndian.PutUint16(b[2:], dport)
	for _, c := range chunks {
		b = append(b, c...)
		for len(b)%4 != 0 {
			b = append(b, 0)
		}
	}
	return b
}

func dataChunk(flags byte, stream uint16, ppid uint32, user []byte) []byte {
	c := make([]byte, 16, 16+len(user))
	c[0], c[1] = 0, flags
	binary.BigEndian.PutUint16(c[2:], uint16(16+len(user)))
	binary.BigEndian.PutUint16(c[8:], stream)
	binary.BigEndian.PutUint32(c[12:], ppid)
	return append(c, user...)
}

func ethFrame(t *testing.T, udp bool, payload []byte) []byte {
	t.Helper()
	eth := &layers.Ethernet{SrcMAC: []byte{0, 1, 2, 3, 4, 5}, DstMAC: []byte{0, 1, 2, 3, 4, 6}, EthernetType: layers.EthernetTypeIPv4}
	ip := &layers.IPv4{Version: 4, TTL: 64, SrcIP: sepAddr.Addr().AsSlice(), DstIP: sgAddr.Addr().AsSlice(), Protocol: layers.IPProtocolSCTP}
	ls := []gopacket.SerializableLayer{eth, ip}
	if udp {
		ip.Protocol = layers.IPProtocolUDP
		u := &layers.UDP{SrcPort: sctpUDPPort, DstPort: sctpUDPPort}
		_ = u.SetNetworkLayerForChecksum(ip)
		ls = append(ls, u)
	}
	ls = append(ls, gopacket.Payload(payload))
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, ls...); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// A pcapng capture from Ethernet with bundled chunks, a message in three
// fragments, SCTP over UDP, a fragment without its start and a packet that
// is not SCTP at all.
func TestReadPcapngBundlesFragmentsAndUDP(t *testing.T) {
	big := bytes.Repeat([]byte{0xab}, 3000)
	frames := [][]byte{
		ethFrame(t, false, sctpPacket(2905, 2905,
			dataChunk(0x03, 1, PPIDM3UA, m3uaData(1)),
			[]byte{4, 0, 0, 8, 0, 0, 0, 0}, // HEARTBEAT between DATA chunks
			dataChunk(0x03, 2, PPIDM3UA, m3uaData(2)))),
		ethFrame(t, false, sctpPacket(2905, 2905, dataChunk(0x02, 3, PPIDM3UA, big[:1000]))),
		ethFrame(t, false, sctpPacket(2905, 2905, dataChunk(0x00, 3, PPIDM3UA, big[1000:2000]))),
		ethFrame(t, false, sctpPacket(2905, 2905, dataChunk(0x01, 3, PPIDM3UA, big[2000:]))),
		ethFrame(t, true, sctpPacket(14001, 14001, dataChunk(0x03, 0, PPIDSUA, m3uaData(9)))),
		ethFrame(t, false, sctpPacket(2905, 2905, dataChunk(0x01, 7, PPIDM3UA, []byte{1, 2, 3, 4}))),
		ethFrame(t, true, []byte("not sctp")),
	}
	var buf bytes.Buffer
	w, err := pcapgo.NewNgWriter(&buf, layers.LinkTypeEthernet)
	if err != nil {
		t.Fatal(err)
	}
	for i, f := range frames {
		if err := w.WritePacket(gopacket.CaptureInfo{Timestamp: t0.Add(time.Duration(i) * time.Millisecond), CaptureLength: len(f), Length: len(f)}, f); err != nil {
			t.Fatal(err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "c.pcapng")
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	msgs, st, err := ReadCapture(path)
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != 4 {
		t.Fatalf("%d messages (%+v), want 4", len(msgs), st)
	}
	if !bytes.Equal(msgs[0].Data, m3uaData(1)) || !bytes.Equal(msgs[1].Data, m3uaData(2)) {
		t.Error("bundled chunks not both read")
	}
	if !bytes.Equal(msgs[2].Data, big) || msgs[2].Stream != 3 {
		t.Errorf("reassembled message: %d bytes on stream %d", len(msgs[2].Data), msgs[2].Stream)
	}
	if msgs[3].PPID != PPIDSUA || msgs[3].Src.Port() != 14001 {
		t.Errorf("SCTP over UDP: %+v", msgs[3])
	}
	if st.Incomplete != 1 || st.Skipped != 1 || st.Packets != 7 {
		t.Errorf("stats %+v, want 1 incomplete, 1 skipped of 7", st)
	}
}

func TestReadCaptureRefusesOtherFiles(t *testing.T) {
	dir := t.TempDir()
	for name, content := range map[string][]byte{"empty": nil, "text": []byte("hello, this is not a capture")} {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, content, 0o644); err != nil {
			t.Fatal(err)
		}
		if _, _, err := ReadCapture(p); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	// A truncated capture: the header and half a record.
	var buf bytes.Buffer
	w, _ := sctppcap.NewWriter(&buf)
	_ = w.WriteFrame(sctppcap.Frame{Src: sepAddr, Dst: sgAddr, PPID: 3, Data: m3uaData(1)})
	_ = w.Flush()
	p := filepath.Join(dir, "trunc.pcap")
	if err := os.WriteFile(p, buf.Bytes()[:buf.Len()-10], 0o644); err != nil {
		t.Fatal(err)
	}
	if _, _, err := ReadCapture(p); err == nil {
		t.Error("truncated capture accepted")
	}
}

func FuzzReadCapture(f *testing.F) {
	var buf bytes.Buffer
	w, _ := sctppcap.NewWriter(&buf)
	_ = w.WriteFrame(sctppcap.Frame{Src: sepAddr, Dst: sgAddr, PPID: 3, Data: m3uaData(1)})
	_ = w.Flush()
	f.Add(buf.Bytes())
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _, _ = readCapture(bufioReader(b), nil)
	})
}

func bufioReader(b []byte) *bufio.Reader { return bufio.NewReader(bytes.NewReader(b)) }
