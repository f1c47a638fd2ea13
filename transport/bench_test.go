package transport

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/binary"
	"io"
	"net"
	"slices"
	"testing"
	"time"
)

// Echo benchmarks: 200-byte messages to an echo server over loopback TCP,
// the association layer side by side with a bare TCP echo (net.Conn, 4-byte
// length prefix) in the same run. Each reports msgs/s and the p50/p99
// round-trip latency; the association runs also report their msgs/s as a
// fraction of the baseline's (x-baseline).
//
// BenchmarkEcho keeps 16 messages in flight (throughput under load);
// BenchmarkEchoPingPong keeps one (latency of a lone request).

const echoSize = 200

func BenchmarkEcho(b *testing.B)         { benchEcho(b, 16) }
func BenchmarkEchoPingPong(b *testing.B) { benchEcho(b, 1) }

func benchEcho(b *testing.B, window int) {
	var baseline float64
	b.Run("baseline-tcp", func(b *testing.B) {
		baseline = runEcho(b, newBaselineEcho(b), window)
	})
	for _, f := range []Framing{FramingMux, FramingSIGTRAN} {
		b.Run("assoc-tcp-"+map[Framing]string{FramingMux: "mux", FramingSIGTRAN: "m3ua"}[f], func(b *testing.B) {
			rate := runEcho(b, newAssocEcho(b, "tcp", f), window)
			if baseline > 0 {
				b.ReportMetric(rate/baseline, "x-baseline")
			}
		})
	}
	// The cost of TLS: the mux association with and without it.
	b.Run("assoc-tcp-mux-tls", func(b *testing.B) {
		srv, cli := memTLSConfigs(b)
		rate := runEcho(b, newAssocEchoTLS(b, "tcp", FramingMux, srv, cli), window)
		if baseline > 0 {
			b.ReportMetric(rate/baseline, "x-baseline")
		}
	})
	if KernelSCTP() == nil {
		b.Run("assoc-sctp", func(b *testing.B) { runEcho(b, newAssocEcho(b, "sctp", FramingMux), window) })
	}
}

// echoClient is the client side of one echo setup.
type echoClient interface {
	send(p []byte) error
	recv() ([]byte, error)
}

// runEcho sends b.N messages with at most window in flight and measures
// each round trip from a timestamp carried in the message itself.
func runEcho(b *testing.B, c echoClient, window int) float64 {
	start := time.Now()
	rtts := make([]time.Duration, 0, b.N)
	slots := make(chan struct{}, window)
	sendErr := make(chan error, 1)
	b.ResetTimer()
	go func() {
		p := make([]byte, echoSize)
		for range b.N {
			slots <- struct{}{}
			binary.BigEndian.PutUint64(p, uint64(time.Since(start)))
			if err := c.send(p); err != nil {
				sendErr <- err
				return
			}
		}
		sendErr <- nil
	}()
	for range b.N {
		p, err := c.recv()
		if err != nil {
			b.Fatalf("recv: %v", err)
		}
		rtts = append(rtts, time.Since(start)-time.Duration(binary.BigEndian.Uint64(p)))
		<-slots
	}
	elapsed := b.Elapsed()
	if err := <-sendErr; err != nil {
		b.Fatalf("send: %v", err)
	}
	b.StopTimer()
	rate := float64(b.N) / elapsed.Seconds()
	slices.Sort(rtts)
	b.ReportMetric(rate, "msgs/s")
	b.ReportMetric(float64(rtts[len(rtts)/2].Nanoseconds())/1e3, "p50-µs")
	b.ReportMetric(float64(rtts[len(rtts)*99/100].Nanoseconds())/1e3, "p99-µs")
	return rate
}

// baselineEcho: plain net.Conn, every message a 4-byte length and the
// payload in one write, reads through a bufio.Reader.
type baselineEcho struct {
	conn net.Conn
	br   *bufio.Reader
	wbuf []byte
}

func newBaselineEcho(b *testing.B) *baselineEcho {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { ln.Close() })
	go func() {
		conn, err := ln.Accept()
		if err != nil {
			return
		}
		defer conn.Close()
		br := bufio.NewReader(conn)
		buf := make([]byte, 4+65536)
		for {
			if _, err := io.ReadFull(br, buf[:4]); err != nil {
				return
			}
			n := int(binary.BigEndian.Uint32(buf))
			if n > 65536 {
				return
			}
			if _, err := io.ReadFull(br, buf[4:4+n]); err != nil {
				return
			}
			if _, err := conn.Write(buf[:4+n]); err != nil {
				return
			}
		}
	}()
	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { conn.Close() })
	return &baselineEcho{conn: conn, br: bufio.NewReader(conn), wbuf: make([]byte, 4+echoSize)}
}

func (e *baselineEcho) send(p []byte) error {
	binary.BigEndian.PutUint32(e.wbuf, uint32(len(p)))
	_, err := e.conn.Write(append(e.wbuf[:4], p...))
	return err
}

func (e *baselineEcho) recv() ([]byte, error) {
	var h [4]byte
	if _, err := io.ReadFull(e.br, h[:]); err != nil {
		return nil, err
	}
	p := make([]byte, binary.BigEndian.Uint32(h[:]))
	_, err := io.ReadFull(e.br, p)
	return p, err
}

// assocEcho: an Association to an echo server built on Recv and Send.
type assocEcho struct {
	ctx     context.Context
	a       Association
	framing Framing
}

func newAssocEcho(b *testing.B, scheme string, f Framing) *assocEcho {
	return newAssocEchoTLS(b, scheme, f, nil, nil)
}

// newAssocEchoTLS is newAssocEcho with TLS when srv and cli are set.
func newAssocEchoTLS(b *testing.B, scheme string, f Framing, srv, cli *tls.Config) *assocEcho {
	ctx, cancel := context.WithCancel(context.Background())
	b.Cleanup(cancel)
	cfg := Config{Framing: f, PPID: 3, Logger: testLogger(), TLS: srv}
	l, err := Listen(ctx, scheme+"://127.0.0.1:0", cfg)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { l.Close() })
	go func() {
		a, err := l.Accept(ctx)
		if err != nil {
			return
		}
		defer a.Abort()
		echo(context.Background(), a)
	}()
	cfg.TLS = cli
	a, err := Dial(ctx, scheme+"://"+l.Addrs()[0].String(), cfg)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { a.Abort() })
	return &assocEcho{ctx: context.Background(), a: a, framing: f}
}

func (e *assocEcho) send(p []byte) error {
	if e.framing == FramingSIGTRAN {
		// A well-formed M3UA common header: length at bytes 4-7.
		p = append([]byte{1, 0, 1, 1, 0, 0, 0, 0}, p[:echoSize-8]...)
		binary.BigEndian.PutUint32(p[4:], uint32(len(p)))
	}
	return e.a.Send(e.ctx, Message{PPID: 3, Data: p})
}

func (e *assocEcho) recv() ([]byte, error) {
	m, err := e.a.Recv(e.ctx)
	if e.framing == FramingSIGTRAN && err == nil {
		return m.Data[8:], nil
	}
	return m.Data, err
}
