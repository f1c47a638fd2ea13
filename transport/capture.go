package transport

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"os"
	"sync"
	"time"

	"github.com/sigpool/sigpool/internal/sctppcap"
)

// Capture records every message its associations send and receive as a
// synthetic IP+SCTP frame in a pcap file (stream, PPID and the
// association's addresses kept), so that tshark decodes ASAP, ENRP, M3UA
// and SUA from any sigpool component, over TCP as over SCTP. TLS
// associations are recorded in the clear, as the application saw them.
// Safe for concurrent use; Close flushes.
type Capture struct {
	mu     sync.Mutex
	w      *sctppcap.Writer
	f      io.Closer
	err    error
	closed bool
	dirty  bool
	stop   chan struct{}
	done   chan struct{}
}

// captureFlushEvery bounds how much of a capture a killed process loses.
const captureFlushEvery = 200 * time.Millisecond

// CreateCapture creates (truncates) the pcap file at path.
func CreateCapture(path string) (*Capture, error) {
	f, err := os.Create(path)
	if err != nil {
		return nil, fmt.Errorf("transport: capture: %w", err)
	}
	c, err := NewCapture(f)
	if err != nil {
		_ = f.Close()
		return nil, err
	}
	c.f = f
	return c, nil
}

// NewCapture writes a capture to w.
func NewCapture(w io.Writer) (*Capture, error) {
	pw, err := sctppcap.NewWriter(w)
	if err != nil {
		return nil, fmt.Errorf("transport: capture: %w", err)
	}
	c := &Capture{w: pw, stop: make(chan struct{}), done: make(chan struct{})}
	go c.flusher()
	return c, nil
}

func (c *Capture) flusher() {
	defer close(c.done)
	t := time.NewTicker(captureFlushEvery)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			c.mu.Lock()
			if c.dirty && c.err == nil {
				c.err = c.w.Flush()
				c.dirty = false
			}
			c.mu.Unlock()
		case <-c.stop:
			return
		}
	}
}

func (c *Capture) record(src, dst []netip.AddrPort, m Message) {
	if len(src) == 0 || len(dst) == 0 {
		return
	}
	s, d := src[0], dst[0]
	if s.Addr().Is4() != d.Addr().Is4() {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.closed || c.err != nil {
		return
	}
	// A message too large for one frame is left out rather than ending
	// the capture.
	if err := c.w.WriteFrame(sctppcap.Frame{Time: time.Now(), Src: s, Dst: d, Stream: m.Stream, PPID: m.PPID, Data: m.Data}); err == nil {
		c.dirty = true
	}
}

// Err returns the first write error, which stopped the capture.
func (c *Capture) Err() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.err
}

// Close flushes the capture and closes its file.
func (c *Capture) Close() error {
	c.mu.Lock()
	if c.closed {
		c.mu.Unlock()
		return nil
	}
	c.closed = true
	c.mu.Unlock()
	close(c.stop)
	<-c.done
	c.mu.Lock()
	defer c.mu.Unlock()
	err := c.err
	if err == nil {
		err = c.w.Flush()
	}
	if c.f != nil {
		err = errors.Join(err, c.f.Close())
	}
	return err
}

// capturedAssoc records an association's traffic in a Capture.
type capturedAssoc struct {
	Association
	c *Capture
}

func (a *capturedAssoc) Send(ctx context.Context, m Message) error {
	err := a.Association.Send(ctx, m)
	if err == nil {
		a.c.record(a.LocalAddrs(), a.RemoteAddrs(), m)
	}
	return err
}

func (a *capturedAssoc) SendBatch(ctx context.Context, msgs []Message) error {
	err := SendBatch(ctx, a.Association, msgs)
	if err == nil {
		for _, m := range msgs {
			a.c.record(a.LocalAddrs(), a.RemoteAddrs(), m)
		}
	}
	return err
}

func (a *capturedAssoc) Recv(ctx context.Context) (Message, error) {
	m, err := a.Association.Recv(ctx)
	if err == nil {
		a.c.record(a.RemoteAddrs(), a.LocalAddrs(), m)
	}
	return m, err
}

// TLSConnectionState passes the TLS session through the recording.
func (a *capturedAssoc) TLSConnectionState() (tls.ConnectionState, bool) {
	return TLSState(a.Association)
}

type capturedListener struct {
	Listener
	c *Capture
}

func (l *capturedListener) Accept(ctx context.Context) (Association, error) {
	a, err := l.Listener.Accept(ctx)
	if err != nil {
		return nil, err
	}
	return &capturedAssoc{Association: a, c: l.c}, nil
}
