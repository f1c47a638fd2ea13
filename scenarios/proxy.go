package scenarios

import (
	"errors"
	"fmt"
	"io"
	"net"
	"sync"
	"sync/atomic"
)

// Proxy forwards TCP connections to one target and can black-hole them:
// while black-holed it keeps every connection open and reads both sides
// but forwards nothing, as a path that silently drops packets does. The
// peers then notice only by their heartbeats (M3UA BEAT, ASAP
// keep-alives), which is the failure a black hole tests; no root or
// firewall is needed.
type Proxy struct {
	ln     net.Listener
	target string
	holed  atomic.Bool
	mu     sync.Mutex
	conns  map[net.Conn]struct{}
	wg     sync.WaitGroup
	closed atomic.Bool
}

// NewProxy listens on listen (e.g. "127.0.0.1:0") and forwards to target.
func NewProxy(listen, target string) (*Proxy, error) {
	ln, err := net.Listen("tcp", listen)
	if err != nil {
		return nil, fmt.Errorf("proxy to %s: %w", target, err)
	}
	p := &Proxy{ln: ln, target: target, conns: map[net.Conn]struct{}{}}
	p.wg.Add(1)
	go p.accept()
	return p, nil
}

// retarget makes new connections go to target (a component started again
// on another port).
func (p *Proxy) retarget(target string) {
	p.mu.Lock()
	p.target = target
	p.mu.Unlock()
}

// Addr is where the proxy listens.
func (p *Proxy) Addr() string { return p.ln.Addr().String() }

// Blackhole starts dropping everything in both directions.
func (p *Proxy) Blackhole() { p.holed.Store(true) }

// Heal forwards again. Bytes dropped meanwhile stay lost: over TCP the
// endpoints' framing is then broken and they end the association, as SCTP
// endpoints would after a long enough outage.
func (p *Proxy) Heal() { p.holed.Store(false) }

func (p *Proxy) track(c net.Conn, add bool) bool {
	p.mu.Lock()
	defer p.mu.Unlock()
	if add {
		if p.closed.Load() {
			return false
		}
		p.conns[c] = struct{}{}
	} else {
		delete(p.conns, c)
	}
	return true
}

func (p *Proxy) accept() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.wg.Add(1)
		go p.serve(c)
	}
}

func (p *Proxy) serve(c net.Conn) {
	defer p.wg.Done()
	p.mu.Lock()
	target := p.target
	p.mu.Unlock()
	t, err := net.Dial("tcp", target)
	if err != nil {
		_ = c.Close()
		return
	}
	if !p.track(c, true) || !p.track(t, true) {
		_ = c.Close()
		_ = t.Close()
		return
	}
	var once sync.Once
	end := func() {
		once.Do(func() {
			_ = c.Close()
			_ = t.Close()
			p.track(c, false)
			p.track(t, false)
		})
	}
	p.wg.Add(2)
	go func() { defer p.wg.Done(); p.pipe(t, c); end() }()
	go func() { defer p.wg.Done(); p.pipe(c, t); end() }()
}

// pipe copies src to dst unless black-holed.
func (p *Proxy) pipe(dst, src net.Conn) {
	buf := make([]byte, 32<<10)
	for {
		n, err := src.Read(buf)
		if n > 0 && !p.holed.Load() {
			if _, werr := dst.Write(buf[:n]); werr != nil {
				return
			}
		}
		if err != nil {
			if !errors.Is(err, io.EOF) {
				return
			}
			if tc, ok := dst.(*net.TCPConn); ok {
				_ = tc.CloseWrite()
			}
			return
		}
	}
}

// Close stops the proxy and every connection through it.
func (p *Proxy) Close() error {
	p.closed.Store(true)
	err := p.ln.Close()
	p.mu.Lock()
	for c := range p.conns {
		_ = c.Close()
	}
	p.mu.Unlock()
	p.wg.Wait()
	return err
}
