package enrp

import (
	"context"
	"crypto/tls"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/gopacket"
	"github.com/google/gopacket/layers"
	"github.com/google/gopacket/pcapgo"

	"github.com/sigpool/sigpool/asap"
	"github.com/sigpool/sigpool/internal/tshark"
	"github.com/sigpool/sigpool/internal/tshark/tsharktest"
)

// tapProxy forwards one TCP connection and records every chunk of bytes
// with its direction: the wire as a capture would see it.
type tapProxy struct {
	ln     net.Listener
	target string
	mu     sync.Mutex
	chunks []tapChunk
}

type tapChunk struct {
	toServer bool
	data     []byte
}

func newTapProxy(t *testing.T, target string) *tapProxy {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &tapProxy{ln: ln, target: target}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s, err := net.Dial("tcp", target)
			if err != nil {
				c.Close()
				continue
			}
			go p.pipe(s, c, true)
			go p.pipe(c, s, false)
		}
	}()
	return p
}

func (p *tapProxy) pipe(dst, src net.Conn, toServer bool) {
	defer dst.Close()
	buf := make([]byte, 64<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 {
			p.mu.Lock()
			p.chunks = append(p.chunks, tapChunk{toServer, append([]byte(nil), buf[:n]...)})
			p.mu.Unlock()
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			return
		}
	}
}

// pcap writes the recorded stream as Ethernet/IPv4/TCP segments between
// client port 40000 and server port 3863 (ASAP's registered port).
func (p *tapProxy) pcap(t *testing.T, path string) {
	p.mu.Lock()
	defer p.mu.Unlock()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w := pcapgo.NewWriter(f)
	if err := w.WriteFileHeader(65536, layers.LinkTypeEthernet); err != nil {
		t.Fatal(err)
	}
	seq := map[bool]uint32{true: 1000, false: 5000}
	ts := time.Unix(1700000000, 0)
	for i, c := range p.chunks {
		for off := 0; off < len(c.data); off += 1400 {
			seg := c.data[off:min(off+1400, len(c.data))]
			src, dst := net.IPv4(10, 0, 0, 1), net.IPv4(10, 0, 0, 2)
			sp, dp := layers.TCPPort(40000), layers.TCPPort(3863)
			if !c.toServer {
				src, dst, sp, dp = dst, src, dp, sp
			}
			ip := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolTCP, SrcIP: src, DstIP: dst}
			tcp := &layers.TCP{SrcPort: sp, DstPort: dp, Seq: seq[c.toServer], Ack: seq[!c.toServer], ACK: true, PSH: true, Window: 65535}
			_ = tcp.SetNetworkLayerForChecksum(ip)
			buf := gopacket.NewSerializeBuffer()
			eth := &layers.Ethernet{SrcMAC: net.HardwareAddr{2, 0, 0, 0, 0, 1}, DstMAC: net.HardwareAddr{2, 0, 0, 0, 0, 2}, EthernetType: layers.EthernetTypeIPv4}
			if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, eth, ip, tcp, gopacket.Payload(seg)); err != nil {
				t.Fatal(err)
			}
			seq[c.toServer] += uint32(len(seg))
			ts = ts.Add(time.Millisecond)
			if err := w.WritePacket(gopacket.CaptureInfo{Timestamp: ts, CaptureLength: len(buf.Bytes()), Length: len(buf.Bytes())}, buf.Bytes()); err != nil {
				t.Fatalf("chunk %d: %v", i, err)
			}
		}
	}
}

// resolveThrough runs one handle resolution through a tapping proxy and
// returns tshark's view of the wire, decoding port 3863 as proto.
func resolveThrough(t *testing.T, registrar string, tc *tls.Config, proto string) []tshark.Packet {
	t.Helper()
	p := newTapProxy(t, strings.TrimPrefix(registrar, "tcp://"))
	pu, err := asap.NewPoolUser(t.Context(), asap.PUConfig{Registrars: []string{"tcp://" + p.ln.Addr().String()}, Profile: carrierProfile(t), TLS: tc})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	res, err := pu.Resolve(ctx, "gwc")
	pu.Close()
	if err != nil || len(res.Elements) != 1 {
		t.Fatalf("resolution: %+v, %v", res, err)
	}
	path := filepath.Join(t.TempDir(), proto+".pcap")
	p.pcap(t, path)
	dctx, dcancel := context.WithTimeout(context.Background(), time.Minute)
	defer dcancel()
	pkts, err := tshark.Decode(dctx, path, "-d", "tcp.port==3863,"+proto)
	if err != nil {
		t.Fatal(err)
	}
	return pkts
}

func count(pkts []tshark.Packet, proto string) int {
	n := 0
	for _, p := range pkts {
		if p.Protocol(proto) != nil {
			n++
		}
	}
	return n
}

// Resolution traffic over TLS is TLS on the wire, not ASAP; the same
// resolution without TLS decodes as ASAP (the check can tell them apart).
func TestSecurityResolutionOnTheWireIsTLS(t *testing.T) {
	tsharktest.Require(t)
	l := newLab(t)
	r := startSecureRegistrar(t, l, "registrar-1", 0x10)
	_, gwc := l.configs("gwc-1")
	startPE(t, asapAddr(r), "gwc", 1, gwc)
	waitResolvable := func(reg string, tc *tls.Config) {
		deadline := time.Now().Add(5 * time.Second)
		for {
			pu, err := asap.NewPoolUser(t.Context(), asap.PUConfig{Registrars: []string{reg}, TLS: tc})
			if err != nil {
				t.Fatal(err)
			}
			ctx, cancel := context.WithTimeout(t.Context(), time.Second)
			res, err := pu.Resolve(ctx, "gwc")
			cancel()
			pu.Close()
			if err == nil && len(res.Elements) > 0 {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("PE never resolvable at %s: %v", reg, err)
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	_, sg := l.configs("sg-1")
	waitResolvable(asapAddr(r), sg)

	pkts := resolveThrough(t, asapAddr(r), sg, "tls")
	var appData int
	for _, p := range pkts {
		// TLS 1.3 labels every encrypted record "opaque type" 23.
		for _, name := range []string{"tls.record.content_type", "tls.record.opaque_type"} {
			for _, f := range p.All(name) {
				if v, err := f.Uint(); err == nil && v == 23 {
					appData++
				}
			}
		}
	}
	if count(pkts, "tls") == 0 || appData == 0 {
		t.Fatalf("TLS resolution: %d TLS packets, %d application data records", count(pkts, "tls"), appData)
	}
	if n := count(pkts, "asap"); n != 0 {
		t.Fatalf("%d ASAP packets visible in the TLS capture", n)
	}
	// Contrast: plain registrar, plain resolution: ASAP on the wire.
	plain := startRegistrar(t, Config{ServerID: 0x20})
	startPE(t, asapAddr(plain), "gwc", 2, nil)
	waitResolvable(asapAddr(plain), nil)
	pkts = resolveThrough(t, asapAddr(plain), nil, "asap")
	if count(pkts, "asap") == 0 {
		t.Fatal("the plain capture shows no ASAP: the check above could not tell")
	}
	t.Logf("TLS capture: %d application data records, no ASAP; plain capture: %d ASAP packets", appData, count(pkts, "asap"))
}
