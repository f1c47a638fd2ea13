package e2e

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"testing"
	"time"

	"github.com/sigpool/sigpool/internal/sepsim"
)

// chainFrame is the size of one request (and its echo) on the chain: about
// an M3UA DATA with a small TCAP Begin.
const chainFrame = 64

// startChain starts the loopback chain that BenchmarkSGForwarding's
// "chain" measures: a proxy copying byte streams both ways (io.Copy) in
// front of an echo server, so that a request and its answer cross four
// connections (client -> proxy -> echo -> proxy -> client) as in SEP -> SG
// -> GWC -> SG -> SEP, with no protocol work at all. It returns the
// proxy's address.
func startChain(b *testing.B) string {
	echo := listenChain(b, func(c net.Conn) {
		buf := make([]byte, 64<<10)
		for { // one write per read: what arrived together goes back together
			n, err := c.Read(buf)
			if n > 0 {
				if _, werr := c.Write(buf[:n]); werr != nil {
					return
				}
			}
			if err != nil {
				return
			}
		}
	})
	return listenChain(b, func(c net.Conn) {
		s, err := net.Dial("tcp", echo)
		if err != nil {
			b.Error(err)
			return
		}
		defer s.Close()
		go func() { _, _ = io.Copy(s, c); _ = s.(*net.TCPConn).CloseWrite() }()
		_, _ = io.Copy(c, s)
	})
}

// measureChain runs the chain at rate requests per second (after a
// warm-up of a quarter of benchDuration) and returns the latencies.
func measureChain(b *testing.B, addr string, rate int) sepsim.LatencySummary {
	if _, err := runChain(addr, rate, benchDuration/4); err != nil {
		b.Fatal(err)
	}
	lat, err := runChain(addr, rate, benchDuration)
	if err != nil {
		b.Fatal(err)
	}
	return lat
}

// listenChain serves each connection accepted on a loopback port with
// serve until the benchmark ends, and returns the port's address.
func listenChain(b *testing.B, serve func(net.Conn)) string {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	var wg sync.WaitGroup
	b.Cleanup(func() { _ = ln.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				serve(c)
			}()
		}
	}()
	return ln.Addr().String()
}

// runChain sends rate requests per second to addr for d, each frame
// stamped with its send time and written on its own, as the SEP
// simulator's paced requests are, and returns the latencies of their
// echoes.
func runChain(addr string, rate int, d time.Duration) (sepsim.LatencySummary, error) {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return sepsim.LatencySummary{}, err
	}
	defer c.Close()
	start := time.Now()
	type result struct {
		h   sepsim.Histogram
		err error
	}
	done := make(chan *result, 1)
	go func() {
		r := &result{}
		defer func() { done <- r }()
		buf := make([]byte, chainFrame)
		for {
			if _, err := io.ReadFull(c, buf); err != nil {
				if !errors.Is(err, io.EOF) {
					r.err = fmt.Errorf("loopback chain: echo %d: %w", r.h.Count()+1, err)
				}
				return
			}
			r.h.Record(time.Since(start) - time.Duration(binary.LittleEndian.Uint64(buf)))
		}
	}()
	interval := time.Second / time.Duration(rate)
	next, end := start, start.Add(d)
	n := 0
	var werr error
	for now := time.Now(); now.Before(end) && werr == nil; now = time.Now() {
		for ; !next.After(now); next = next.Add(interval) {
			var f [chainFrame]byte
			binary.LittleEndian.PutUint64(f[:], uint64(time.Since(start)))
			if _, werr = c.Write(f[:]); werr != nil {
				break
			}
			n++
		}
		time.Sleep(time.Until(next))
	}
	if werr != nil {
		return sepsim.LatencySummary{}, fmt.Errorf("loopback chain: send: %w", werr)
	}
	// The end of the requests travels the chain behind them: every echo
	// is in once the chain closes back.
	if err := c.(*net.TCPConn).CloseWrite(); err != nil {
		return sepsim.LatencySummary{}, fmt.Errorf("loopback chain: %w", err)
	}
	select {
	case r := <-done:
		if r.err != nil {
			return sepsim.LatencySummary{}, r.err
		}
		if got := r.h.Count(); got != uint64(n) {
			return sepsim.LatencySummary{}, fmt.Errorf("loopback chain: %d echoes for %d requests", got, n)
		}
		return r.h.Summary(), nil
	case <-time.After(10 * time.Second):
		return sepsim.LatencySummary{}, errors.New("loopback chain: echoes missing after 10 s")
	}
}
