package asap

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"sync"

	"go.uber.org/zap"

	"github.com/sigpool/sigpool/transport"
	"github.com/sigpool/sigpool/wire"
)

// An association between a pool user and a pool element carries the
// application's own protocol and ASAP (PPID 11) side by side: the PE's
// Cookies and Business Cards, the PU's Cookie Echoes (RFC 5352 section
// 2.2.11-2.2.13). Split (PE side) and SplitControl (PU side) separate the
// two, so that an application protocol driver (an M3UA SGP or ASP) owns
// a plain transport.Association while the application handles ASAP
// control on a channel.

// DefaultControlQueue is how many ASAP control messages may wait on a
// control channel before the association's reading waits for the reader.
const DefaultControlQueue = 256

// errASAPOnData: the data side of a split association does not send ASAP.
var errASAPOnData = fmt.Errorf("asap: PPID %d is reserved for ASAP control on a split association", wire.PPIDASAP)

// controlQueue is a control channel that is closed exactly once, when the
// association ends, while senders may be waiting on it.
type controlQueue struct {
	ch   chan wire.Message
	stop chan struct{}
	mu   sync.RWMutex // push holds it shared, close exclusively
	once sync.Once
}

func newControlQueue(n int) *controlQueue {
	if n <= 0 {
		n = DefaultControlQueue
	}
	return &controlQueue{ch: make(chan wire.Message, n), stop: make(chan struct{})}
}

// push waits for room; false when ctx ended or the queue was closed.
func (q *controlQueue) push(ctx context.Context, m wire.Message) bool {
	q.mu.RLock()
	defer q.mu.RUnlock()
	select {
	case <-q.stop:
		return false
	default:
	}
	select {
	case q.ch <- m:
		return true
	case <-ctx.Done():
	case <-q.stop:
	}
	return false
}

func (q *controlQueue) close() {
	q.once.Do(func() {
		close(q.stop)
		q.mu.Lock()
		close(q.ch)
		q.mu.Unlock()
	})
}

// split is PEAssociation's state once Split was called.
type split struct {
	ctl  *controlQueue
	data *peData
}

// Split separates the association into its data side, for an application
// protocol driver, and its ASAP control messages from the PU (Cookie Echo,
// Business Card). The data side's Recv returns non-ASAP messages only and
// its Send refuses PPID 11 (send Cookies with SendCookie); its Close and
// Abort end the whole association. Registrar messages arriving here are
// still answered by the PE. A control message is on the channel before
// any data that followed it on the association reaches the data side, so
// a consumer that drains the channel (without blocking) before handling
// each data message sees a Cookie Echo before the data sent behind it.
// Read the channel continuously: while it is full the association is not
// read. It is closed when the association ends. After Split, use the data
// side rather than Recv; calling Split again returns the same pair.
func (a *PEAssociation) Split() (data transport.Association, control <-chan wire.Message) {
	a.splitMu.Lock()
	defer a.splitMu.Unlock()
	if a.split == nil {
		a.split = &split{ctl: newControlQueue(0)}
		a.split.data = &peData{a: a, ctl: a.split.ctl}
		select {
		case <-a.done: // ended before Split: the control side is over too
			a.split.ctl.close()
		default:
		}
	}
	return a.split.data, a.split.ctl.ch
}

// control returns the control queue once Split was called, else nil.
func (a *PEAssociation) control() *controlQueue {
	a.splitMu.Lock()
	defer a.splitMu.Unlock()
	if a.split == nil {
		return nil
	}
	return a.split.ctl
}

// endSplit closes the control channel when the association ends.
func (a *PEAssociation) endSplit() {
	a.splitMu.Lock()
	defer a.splitMu.Unlock()
	if a.split != nil {
		a.split.ctl.close()
	}
}

// peData is the data side of a split PEAssociation.
type peData struct {
	a   *PEAssociation
	ctl *controlQueue
}

var _ transport.Association = (*peData)(nil)

func (d *peData) Send(ctx context.Context, m transport.Message) error {
	if m.PPID == wire.PPIDASAP {
		return errASAPOnData
	}
	return d.a.assoc.Send(ctx, m)
}

// SendBatch implements transport.Batcher; PPID 11 is refused.
func (d *peData) SendBatch(ctx context.Context, msgs []transport.Message) error {
	if err := noASAP(msgs); err != nil {
		return err
	}
	return transport.SendBatch(ctx, d.a.assoc, msgs)
}

func noASAP(msgs []transport.Message) error {
	for _, m := range msgs {
		if m.PPID == wire.PPIDASAP {
			return errASAPOnData
		}
	}
	return nil
}

// Recv returns the next data message. Control messages queued before
// Split are moved to the control channel on the way.
func (d *peData) Recv(ctx context.Context) (transport.Message, error) {
	for {
		m, err := d.a.Recv(ctx)
		if err != nil {
			return transport.Message{}, err
		}
		if m.Control == nil {
			return m.Message, nil
		}
		if !d.ctl.push(ctx, m.Control) && ctx.Err() != nil {
			return transport.Message{}, ctx.Err()
		}
	}
}

func (d *peData) Events() <-chan transport.Event { return d.a.assoc.Events() }
func (d *peData) LocalAddrs() []netip.AddrPort   { return d.a.assoc.LocalAddrs() }
func (d *peData) RemoteAddrs() []netip.AddrPort  { return d.a.assoc.RemoteAddrs() }
func (d *peData) Streams() (out, in uint16)      { return d.a.assoc.Streams() }
func (d *peData) Close() error                   { return d.a.assoc.Close() }
func (d *peData) Abort() error                   { return d.a.assoc.Abort() }

// ControlledAssociation is the pool user's side of an association to a
// PE, split as PEAssociation.Split splits the PE's: as a
// transport.Association it carries data only, and the PE's ASAP messages
// (Cookie, Business Card) come on Control. There is no goroutine of its
// own: ASAP messages are taken out while Recv reads, so whoever owns the
// data side (an SGP driver) must keep calling Recv, and the application
// must keep reading Control (while it is full, Recv waits).
type ControlledAssociation struct {
	assoc transport.Association
	ctl   *controlQueue
	log   *zap.Logger
}

var _ transport.Association = (*ControlledAssociation)(nil)

// ControlOption tunes SplitControl.
type ControlOption func(*ControlledAssociation)

// ControlLogger logs undecodable ASAP messages (nil: not logged).
func ControlLogger(l *zap.Logger) ControlOption {
	return func(c *ControlledAssociation) { c.log = nopIfNil(l) }
}

// ControlQueue sets the control channel's capacity (default
// DefaultControlQueue).
func ControlQueue(n int) ControlOption {
	return func(c *ControlledAssociation) { c.ctl = newControlQueue(n) }
}

// SplitControl wraps an association this side dialed to a PE (DialPE)
// into its data side and its control channel. The wrapper owns assoc.
func SplitControl(assoc transport.Association, opts ...ControlOption) *ControlledAssociation {
	c := &ControlledAssociation{assoc: assoc, log: zap.NewNop()}
	for _, o := range opts {
		o(c)
	}
	if c.ctl == nil {
		c.ctl = newControlQueue(0)
	}
	return c
}

// Control delivers the PE's ASAP messages (Cookie, Business Card, ...) in
// order; it is closed once Recv has returned the association's end, or at
// Close or Abort.
func (c *ControlledAssociation) Control() <-chan wire.Message { return c.ctl.ch }

// SendCookieEcho sends the PE a Cookie Echo: the cookie another PE handed
// out, so that this one can take over its state (RFC 5352 section 2.2.12).
func (c *ControlledAssociation) SendCookieEcho(ctx context.Context, ck wire.Cookie) error {
	if len(ck) == 0 {
		return errors.New("asap: Cookie Echo without a cookie")
	}
	return sendASAP(ctx, c.assoc, &wire.CookieEcho{Cookie: ck})
}

// SendBusinessCard sends the PE a Business Card.
func (c *ControlledAssociation) SendBusinessCard(ctx context.Context, bc *wire.BusinessCard) error {
	return sendASAP(ctx, c.assoc, bc)
}

// Send sends data; PPID 11 is refused (use SendCookieEcho).
func (c *ControlledAssociation) Send(ctx context.Context, m transport.Message) error {
	if m.PPID == wire.PPIDASAP {
		return errASAPOnData
	}
	return c.assoc.Send(ctx, m)
}

// SendBatch implements transport.Batcher; PPID 11 is refused.
func (c *ControlledAssociation) SendBatch(ctx context.Context, msgs []transport.Message) error {
	if err := noASAP(msgs); err != nil {
		return err
	}
	return transport.SendBatch(ctx, c.assoc, msgs)
}

// Recv returns the next data message, putting ASAP messages met on the way
// on Control (an undecodable one is logged and dropped). When the
// association has ended it returns the end and closes Control.
func (c *ControlledAssociation) Recv(ctx context.Context) (transport.Message, error) {
	for {
		m, err := c.assoc.Recv(ctx)
		if err != nil {
			if ctx.Err() == nil {
				c.ctl.close()
			}
			return transport.Message{}, err
		}
		if m.PPID != wire.PPIDASAP {
			return m, nil
		}
		msg, _, err := wire.DecodeASAP(m.Data)
		if err != nil {
			c.log.Warn("undecodable ASAP message from PE", zap.Error(err))
			continue
		}
		if !c.ctl.push(ctx, msg) && ctx.Err() != nil {
			return transport.Message{}, ctx.Err()
		}
	}
}

func (c *ControlledAssociation) Events() <-chan transport.Event { return c.assoc.Events() }
func (c *ControlledAssociation) LocalAddrs() []netip.AddrPort   { return c.assoc.LocalAddrs() }
func (c *ControlledAssociation) RemoteAddrs() []netip.AddrPort  { return c.assoc.RemoteAddrs() }
func (c *ControlledAssociation) Streams() (out, in uint16)      { return c.assoc.Streams() }

// Close ends the association gracefully and closes Control.
func (c *ControlledAssociation) Close() error {
	defer c.ctl.close()
	return c.assoc.Close()
}

// Abort ends the association at once and closes Control.
func (c *ControlledAssociation) Abort() error {
	defer c.ctl.close()
	return c.assoc.Abort()
}

// ErrUserTransport: a PE's user transport cannot be dialed (a kind other
// than TCP or SCTP, or no address).
var ErrUserTransport = errors.New("PE user transport not dialable")

// DialPE dials a PE's user transport. Over TCP the framing must be mux
// (cfg.Framing's zero value) so that ASAP and data share the association
// with their PPIDs, as over SCTP. A transport that cannot be dialed gives
// an error wrapping ErrUserTransport (the PE is not unreachable, its
// registration is unusable).
func DialPE(ctx context.Context, pe wire.PoolElement, cfg transport.Config) (transport.Association, error) {
	addr, err := dialAddress(pe.UserTransport)
	if err != nil {
		return nil, fmt.Errorf("asap: dial PE %v: %w: %w", pe.Identifier, ErrUserTransport, err)
	}
	if pe.UserTransport.Kind == wire.TransportTCP && cfg.Framing != transport.FramingMux {
		return nil, fmt.Errorf("asap: dial PE %v at %s: %v framing cannot carry ASAP beside data, want mux", pe.Identifier, addr, cfg.Framing)
	}
	a, err := transport.Dial(ctx, addr, cfg)
	if err != nil {
		return nil, fmt.Errorf("asap: dial PE %v at %s: %w", pe.Identifier, addr, err)
	}
	return a, nil
}
