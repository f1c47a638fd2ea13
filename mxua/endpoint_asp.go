package mxua

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sigpool/sigpool/transport"
	"go.uber.org/zap"
)

// ASPEndpointConfig configures the client side of M3UA or SUA: a GWC or a SEP
// simulator that dials an SGP and serves routing contexts as an ASP.
type ASPEndpointConfig struct {
	// Address of the SGP, e.g. "tcp://127.0.0.1:2905" or "sctp://10.0.0.1:2905".
	Address string
	// Transport configures the association; PPID is set from the protocol.
	// Use transport.FramingSIGTRAN for a foreign SGP over TCP.
	Transport transport.Config
	// ASP configures the state machine. Target zero (ASPDown) is taken as
	// ASPActive: an endpoint is started to carry traffic. A zero
	// ASP.Profile takes Transport.Profile, so BEAT follows the same
	// heartbeat profile as the association.
	ASP ASPConfig
	// Redial is how long to wait before dialing again once the association
	// is lost (default 1 s); negative means never: the endpoint then stays
	// down until closed.
	Redial time.Duration
	// SendQueue bounds the messages waiting for the transport
	// (DefaultSendQueue when zero).
	SendQueue int
	// Logger; nil logs nothing.
	Logger *zap.Logger
}

// ASPEndpoint runs an ASP state machine over one association to an SGP,
// re-establishing it after a loss, and brings itself to the configured
// target state (ASP-ACTIVE by default) whenever the association is up.
// Its methods are safe for concurrent use.
type ASPEndpoint struct {
	d    *driver
	cfg  ASPEndpointConfig
	asp  *ASP
	tcfg transport.Config

	state stateWatch

	redialCtx    context.Context
	redialCancel context.CancelFunc
	redialWG     sync.WaitGroup
	closeOnce    sync.Once

	ended   chan struct{} // closed when an attached association has ended
	endOnce sync.Once

	fast atomic.Pointer[aspTarget] // set while ACTIVE: Send's path around the loop
}

// DefaultRetryRefused is how long a dialing ASP endpoint waits before it
// asks again for an ASP Up or ASP Active the SGP refused.
const DefaultRetryRefused = 10 * time.Second

// aspAssoc is the AssocID of the endpoint's association: there is only ever
// one at a time, and the core keeps its target across redials.
const aspAssoc AssocID = 1

// DialASP dials the SGP and starts the endpoint. It returns once the
// association is up (not yet ASP-ACTIVE: see WaitState); a failed first
// dial is returned rather than retried, so misconfiguration shows at once.
func DialASP(ctx context.Context, cfg ASPEndpointConfig) (*ASPEndpoint, error) {
	if cfg.Redial == 0 {
		cfg.Redial = time.Second
	}
	// An SGP that answers neither ASP Up nor ASP Active gets a new
	// association rather than silence for good.
	cfg.ASP.AbortUnanswered = cfg.ASP.AbortUnanswered || cfg.Redial > 0
	// One that refuses them (management blocking) is asked again now and
	// then, as it may unblock the ASP without telling it.
	if cfg.ASP.RetryRefused == 0 && cfg.Redial > 0 {
		cfg.ASP.RetryRefused = DefaultRetryRefused
	}
	e, err := newASPEndpoint(cfg)
	if err != nil {
		return nil, err
	}
	streams, err := coreStreams(cfg.Address, e.tcfg)
	if err != nil {
		e.redialCancel()
		return nil, fmt.Errorf("mxua: ASP endpoint for %s: %w", cfg.Address, err)
	}
	a, err := transport.Dial(ctx, cfg.Address, e.tcfg)
	if err != nil {
		e.redialCancel()
		return nil, fmt.Errorf("mxua: ASP endpoint: dial SGP %s: %w", cfg.Address, err)
	}
	e.d.log = e.d.log.With(zap.String("sgp", cfg.Address))
	e.d.onEnded = func(*conn, string) { e.redial(streams) }
	if err := e.start(ctx, a, streams); err != nil {
		return nil, fmt.Errorf("mxua: ASP endpoint for %s: start: %w", cfg.Address, err)
	}
	return e, nil
}

// AttachASP runs an ASP over an association opened elsewhere: a GWC's
// ASAP pool element hands it the data side of an association an SG (the
// pool user) dialed. There is no redial: when the association ends the
// endpoint goes down for good (ASP-DOWN; Done is closed), and Close
// remains to be called. cfg.Address, cfg.Transport and cfg.Redial are not
// used, but a zero cfg.ASP.Profile still takes cfg.Transport.Profile. The
// stream count is what the association says it carries. The endpoint
// owns the association from now on and closes it at Close.
func AttachASP(ctx context.Context, assoc transport.Association, cfg ASPEndpointConfig) (*ASPEndpoint, error) {
	if assoc == nil {
		return nil, errors.New("mxua: ASP endpoint: attach nil association")
	}
	cfg.Redial = -1
	e, err := newASPEndpoint(cfg)
	if err != nil {
		return nil, err
	}
	if rs := assoc.RemoteAddrs(); len(rs) > 0 {
		e.d.log = e.d.log.With(zap.Stringer("sgp", rs[0]))
	}
	e.d.onEnded = func(*conn, string) { e.endOnce.Do(func() { close(e.ended) }) }
	out, _ := assoc.Streams()
	if err := e.start(ctx, assoc, max(out, 1)); err != nil {
		return nil, fmt.Errorf("mxua: ASP endpoint: attach: %w", err)
	}
	return e, nil
}

// newASPEndpoint builds an endpoint and its core, not yet running.
func newASPEndpoint(cfg ASPEndpointConfig) (*ASPEndpoint, error) {
	if cfg.ASP.Target == ASPDown {
		cfg.ASP.Target = ASPActive
	}
	if cfg.ASP.Profile == (transport.Profile{}) {
		cfg.ASP.Profile = cfg.Transport.Profile
	}
	asp, err := NewASP(aspAssoc, cfg.ASP)
	if err != nil {
		return nil, fmt.Errorf("mxua: ASP endpoint for %s: %w", cfg.Address, err)
	}
	tcfg := cfg.Transport
	tcfg.PPID = cfg.ASP.Protocol.PPID()
	if tcfg.Logger == nil {
		tcfg.Logger = cfg.Logger
	}
	e := &ASPEndpoint{cfg: cfg, asp: asp, tcfg: tcfg, ended: make(chan struct{})}
	e.d = newDriver(cfg.ASP.Protocol, asp, cfg.Logger, cfg.SendQueue)
	e.d.after = e.snapshot
	// Requests fail on timers and ERRs only: traffic steps need no look.
	e.d.afterControl = func() { e.state.noteFailures(e.d.pending) }
	e.d.deliverFast = e.deliverFast
	e.redialCtx, e.redialCancel = context.WithCancel(context.Background())
	return e, nil
}

// start runs the loop and attaches the first association; on failure the
// association is aborted and the endpoint closed.
func (e *ASPEndpoint) start(ctx context.Context, a transport.Association, streams uint16) error {
	go e.d.run()
	if err := e.d.do(ctx, func() { e.d.attach(&conn{id: aspAssoc, assoc: a, streams: streams}) }); err != nil {
		_ = a.Abort()
		e.Close()
		return err
	}
	return nil
}

// Done is closed when an attached endpoint's association has ended, and
// at Close (only then for a dialed endpoint, which redials).
func (e *ASPEndpoint) Done() <-chan struct{} { return e.ended }

// snapshot publishes the core's state for State and WaitState (loop only).
func (e *ASPEndpoint) snapshot() {
	st := e.asp.State()
	e.state.set(st)
	var c *conn
	if st == ASPActive {
		c = e.d.assocs[aspAssoc]
	}
	deliver := e.asp.deliversAll()
	if cur := e.fast.Load(); cur == nil && c == nil || cur != nil && cur.c == c && cur.deliver == deliver {
		return
	}
	if c == nil {
		e.fast.Store(nil)
		return
	}
	t := &aspTarget{c: c, deliver: deliver}
	if rcs := e.cfg.ASP.RoutingContexts; len(rcs) == 1 {
		t.rc = rcs[:1:1]
	}
	e.fast.Store(t)
}

// aspTarget is what Send needs to send user traffic itself while the ASP
// is ACTIVE (published by the loop; nil otherwise).
type aspTarget struct {
	c  *conn
	rc []uint32 // routing context for traffic without one (ASP.transfer's default)
	// deliver: received traffic changes no ASP state (see
	// ASP.deliversAll), so the reader may deliver it without the loop.
	deliver bool
}

// deliverFast is ASP.message for user traffic done in the reader
// goroutine while the ASP is ACTIVE and receiving it changes nothing in
// the core: the notification the core would give, without the hand-over
// to the loop and back.
func (e *ASPEndpoint) deliverFast(c *conn, _ uint16, m *Message) bool {
	t := e.fast.Load()
	if t == nil || t.c != c || !t.deliver || fsmCheckKind(e.cfg.ASP.Protocol, m.Kind) != 0 {
		return false
	}
	var rc uint32
	if len(m.RoutingContexts) > 0 {
		rc = m.RoutingContexts[0]
	}
	e.d.notes.push(Notify{Kind: NotifyDeliver, Assoc: c.id, RoutingContext: rc, Msg: m})
	return true
}

// sendFast is ASP.transfer done in the caller's goroutine: encode and
// queue for the writer. False with no error leaves the message to the
// loop, which sends it or says why not; ErrSendQueueFull means it was
// dropped.
func (e *ASPEndpoint) sendFast(m *Message) (bool, error) {
	t := e.fast.Load()
	if t == nil || !fsmIsTransfer(m.Kind) {
		return false, nil
	}
	msg := *m
	msg.Protocol = e.cfg.ASP.Protocol
	if len(msg.RoutingContexts) == 0 && t.rc != nil {
		msg.RoutingContexts = t.rc
	}
	b, err := Encode(&msg)
	if err != nil {
		return false, nil
	}
	select {
	case <-t.c.done: // gone, or the endpoint closed: the loop says so
		return false, nil
	default:
	}
	select {
	case t.c.out <- transport.Message{Stream: StreamFor(Selector(m), t.c.streams), PPID: msg.Protocol.PPID(), Data: b}:
		return true, nil
	default:
		// The peer has not been taking our traffic for a while: say so
		// now rather than through the loop and a notification per
		// message, which an overloaded sender could not afford.
		return false, ErrSendQueueFull
	}
}

// redial dials again in the background after a loss (called in the loop).
func (e *ASPEndpoint) redial(streams uint16) {
	if e.cfg.Redial < 0 || e.redialCtx.Err() != nil {
		return
	}
	e.redialWG.Add(1)
	go func() {
		defer e.redialWG.Done()
		for wait := e.cfg.Redial; ; wait = min(2*wait, 30*time.Second) {
			select {
			case <-time.After(wait):
			case <-e.redialCtx.Done():
				return
			}
			ctx, cancel := context.WithTimeout(e.redialCtx, 10*time.Second)
			a, err := transport.Dial(ctx, e.cfg.Address, e.tcfg)
			cancel()
			if err != nil {
				e.d.log.Info("mxua: redial failed", zap.Error(err), zap.Duration("next", min(2*wait, 30*time.Second)))
				continue
			}
			if err := e.d.do(e.redialCtx, func() { e.d.attach(&conn{id: aspAssoc, assoc: a, streams: streams}) }); err != nil {
				_ = a.Abort()
			}
			return
		}
	}()
}

// State returns the ASP state (ASP-DOWN, -INACTIVE, -ACTIVE).
func (e *ASPEndpoint) State() ASPState {
	return e.state.get()
}

// WaitState waits until the ASP is in state want.
func (e *ASPEndpoint) WaitState(ctx context.Context, want ASPState) error {
	return e.state.wait(ctx, want, e.d.stopped, "")
}

// Send hands user traffic (M3UA DATA, SUA CLDT/CLDR/CO) to the ASP, which
// sends it on the stream of its SLS when ASP-ACTIVE; otherwise a
// NotifyDiscarded says it was dropped. While the ASP is ACTIVE the message
// is encoded and queued in the caller's goroutine, with no round trip
// through the endpoint's loop, and a full send queue is an error
// (ErrSendQueueFull) rather than a notification; m is not retained either
// way.
func (e *ASPEndpoint) Send(ctx context.Context, m *Message) error {
	if m == nil {
		return errors.New("mxua: ASP endpoint: send nil message")
	}
	if ok, err := e.sendFast(m); ok {
		return nil
	} else if err != nil {
		return fmt.Errorf("mxua: ASP endpoint: send %v: %w", m.Kind, err)
	}
	if err := e.d.do(ctx, func() { e.d.step(time.Now(), Transfer{Msg: m}) }); err != nil {
		return fmt.Errorf("mxua: ASP endpoint: send %v: %w", m.Kind, err)
	}
	return nil
}

// Congested reports whether the association's send queue is more than half
// full: the peer (or the path) is not taking our traffic as fast as we
// offer it, as MTP's congestion indication would tell a user part. A
// traffic source that backs off now sees no ErrSendQueueFull later.
func (e *ASPEndpoint) Congested() bool {
	t := e.fast.Load()
	return t != nil && 2*len(t.c.out) > cap(t.c.out)
}

// Request feeds a user request to the ASP: ASPUpRequest, ASPActiveRequest,
// ASPInactiveRequest, ASPDownRequest or AuditRequest.
func (e *ASPEndpoint) Request(ctx context.Context, ev Event) error {
	switch ev.(type) {
	case ASPUpRequest, ASPActiveRequest, ASPInactiveRequest, ASPDownRequest, AuditRequest:
	default:
		return fmt.Errorf("mxua: ASP endpoint: %T is not an ASP request", ev)
	}
	if err := e.d.do(ctx, func() { e.d.step(time.Now(), ev) }); err != nil {
		return fmt.Errorf("mxua: ASP endpoint: request %T: %w", ev, err)
	}
	return nil
}

// Notifications delivers state changes, errors and received traffic
// (NotifyDeliver) in order. The endpoint never blocks on it (it queues), so
// read it continuously. It is closed by Close.
func (e *ASPEndpoint) Notifications() <-chan Notify { return e.d.notes.C }

// Destinations returns the destination availability learned from the SGP.
func (e *ASPEndpoint) Destinations(ctx context.Context) ([]Destination, error) {
	var ds []Destination
	if err := e.d.do(ctx, func() { ds = e.asp.Destinations() }); err != nil {
		return nil, fmt.Errorf("mxua: ASP endpoint: destinations: %w", err)
	}
	return ds, nil
}

// ASState returns the state of an AS as the SGP last notified it.
func (e *ASPEndpoint) ASState(ctx context.Context, rc uint32) (ASState, error) {
	var st ASState
	if err := e.d.do(ctx, func() { st = e.asp.ASState(rc) }); err != nil {
		return 0, fmt.Errorf("mxua: ASP endpoint: AS state: %w", err)
	}
	return st, nil
}

// Close stops the endpoint: the association is closed gracefully (queued
// messages first) and every goroutine has returned when Close does. It does
// not send ASP Down first; use Request(ASPDownRequest{}) and WaitState for
// an orderly goodbye.
func (e *ASPEndpoint) Close() error {
	e.closeOnce.Do(func() {
		e.fast.Store(nil)
		e.redialCancel()
		e.d.shutdown(true)
		e.redialWG.Wait()
		e.endOnce.Do(func() { close(e.ended) })
	})
	return nil
}
