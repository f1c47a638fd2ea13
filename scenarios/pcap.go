package scenarios

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"
)

// PPIDs of the signalling a capture is replayed for.
const (
	PPIDM3UA = 3
	PPIDSUA  = 4
)

// sctpUDPPort is the SCTP-over-UDP encapsulation port (RFC 6951).
const sctpUDPPort = 9899

// CapturedMessage is one SCTP user message found in a capture, reassembled
// from its fragments.
type CapturedMessage struct {
	Time     time.Time
	Src, Dst netip.AddrPort
	Stream   uint16
	PPID     uint32
	Data     []byte
}

// CaptureStats says what reading a capture found and skipped.
type CaptureStats struct {
	Packets, SCTPPackets, Messages int
	Skipped                        int // packets neither SCTP nor SCTP over UDP, or undecodable
	Incomplete                     int // fragmented messages whose end was missing
}

// maxReassembly bounds one reassembled message: M3UA and SUA messages are
// far smaller, a capture that claims more is broken.
const maxReassembly = 1 << 20

// ReadCapture reads every SCTP user message of a pcap or pcapng file:
// SCTP over IPv4/IPv6 (Ethernet, Linux cooked, raw IP or loopback links),
// SCTP over UDP (port 9899), and the synthetic frames sigpool's --pcap
// writes. Only the PPIDs given are kept (none: all).
func ReadCapture(path string, ppids ...uint32) ([]CapturedMessage, CaptureStats, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, CaptureStats{}, fmt.Errorf("capture: %w", err)
	}
	defer f.Close()
	msgs, st, err := readCapture(bufio.NewReader(f), ppids)
	if err != nil {
		return nil, st, fmt.Errorf("capture %s: %w", path, err)
	}
	return msgs, st, nil
}

type packetSource interface {
	ReadPacketData() ([]byte, gopacket.CaptureInfo, error)
}

type flowStream struct {
	src, dst netip.AddrPort
	stream   uint16
}

func readCapture(r *bufio.Reader, ppids []uint32) ([]CapturedMessage, CaptureStats, error) {
	var st CaptureStats
	magic, err := r.Peek(4)
	if err != nil {
		return nil, st, fmt.Errorf("not a pcap or pcapng file: %w", err)
	}
	var src packetSource
	var link layers.LinkType
	if binary.BigEndian.Uint32(magic) == 0x0a0d0d0a {
		ng, err := pcapgo.NewNgReader(r, pcapgo.DefaultNgReaderOptions)
		if err != nil {
			return nil, st, fmt.Errorf("pcapng: %w", err)
		}
		src, link = ng, ng.LinkType()
	} else {
		pr, err := pcapgo.NewReader(r)
		if err != nil {
			return nil, st, fmt.Errorf("pcap: %w", err)
		}
		src, link = pr, pr.LinkType()
	}
	keep := func(p uint32) bool {
		if len(ppids) == 0 {
			return true
		}
		for _, w := range ppids {
			if w == p {
				return true
			}
		}
		return false
	}
	var out []CapturedMessage
	partial := map[flowStream]*bytes.Buffer{}
	for {
		data, ci, err := src.ReadPacketData()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, st, fmt.Errorf("packet %d: %w", st.Packets+1, err)
		}
		st.Packets++
		srcIP, dstIP, sctp, ok := sctpOf(data, link)
		if !ok {
			st.Skipped++
			continue
		}
		st.SCTPPackets++
		sport, dport := binary.BigEndian.Uint16(sctp[0:]), binary.BigEndian.Uint16(sctp[2:])
		from, to := netip.AddrPortFrom(srcIP, sport), netip.AddrPortFrom(dstIP, dport)
		for c := sctp[12:]; len(c) >= 4; {
			n := int(binary.BigEndian.Uint16(c[2:]))
			if n < 4 || n > len(c) {
				st.Skipped++
				break
			}
			chunk := c[:n]
			c = c[min(len(c), (n+3)&^3):]
			if chunk[0] != 0 || n < 16 { // DATA chunks only
				continue
			}
			flags := chunk[1]
			stream := binary.BigEndian.Uint16(chunk[8:])
			ppid := binary.BigEndian.Uint32(chunk[12:])
			user := chunk[16:]
			key := flowStream{from, to, stream}
			begin, end := flags&0x02 != 0, flags&0x01 != 0
			var msg []byte
			switch {
			case begin && end:
				msg = append([]byte(nil), user...)
			case begin:
				if partial[key] != nil {
					st.Incomplete++
				}
				partial[key] = bytes.NewBuffer(append([]byte(nil), user...))
				continue
			default:
				buf := partial[key]
				if buf == nil {
					st.Incomplete++
					continue
				}
				if buf.Len()+len(user) > maxReassembly {
					delete(partial, key)
					st.Incomplete++
					continue
				}
				buf.Write(user)
				if !end {
					continue
				}
				msg = buf.Bytes()
				delete(partial, key)
			}
			if !keep(ppid) {
				continue
			}
			st.Messages++
			out = append(out, CapturedMessage{Time: ci.Timestamp, Src: from, Dst: to, Stream: stream, PPID: ppid, Data: msg})
		}
	}
	st.Incomplete += len(partial)
	return out, st, nil
}

// sctpOf finds the SCTP packet in a frame, directly over IP or over UDP.
func sctpOf(frame []byte, link layers.LinkType) (src, dst netip.Addr, sctp []byte, ok bool) {
	p := gopacket.NewPacket(frame, link, gopacket.DecodeOptions{Lazy: true, NoCopy: true})
	switch ip := p.NetworkLayer().(type) {
	case *layers.IPv4:
		src, _ = netip.AddrFromSlice(ip.SrcIP.To4())
		dst, _ = netip.AddrFromSlice(ip.DstIP.To4())
		if ip.Protocol == layers.IPProtocolSCTP {
			sctp = ip.Payload
		}
	case *layers.IPv6:
		src, _ = netip.AddrFromSlice(ip.SrcIP)
		dst, _ = netip.AddrFromSlice(ip.DstIP)
		if ip.NextHeader == layers.IPProtocolSCTP {
			sctp = ip.Payload
		}
	default:
		return src, dst, nil, false
	}
	if sctp == nil {
		if u, isUDP := p.Layer(layers.LayerTypeUDP).(*layers.UDP); isUDP &&
			(u.SrcPort == sctpUDPPort || u.DstPort == sctpUDPPort) {
			sctp = u.Payload
		}
	}
	return src, dst, sctp, len(sctp) >= 12
}
