package mxua

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/sigpool/sigpool/transport"
	"go.uber.org/zap"
)

// IPSPEndpointConfig configures one end of an IPSP association.
type IPSPEndpointConfig struct {
	// Address to dial (DialIPSP) or listen on (ListenIPSP).
	Address string
	// Transport configures the association; PPID is set from the protocol.
	Transport transport.Config
	// IPSP configures the state machine; a zero IPSP.Profile takes
	// Transport.Profile.
	IPSP      IPSPConfig
	SendQueue int
	Logger    *zap.Logger
}

// IPSPEndpoint runs an IPSP over one association. There is no redial: when
// the association is lost the endpoint stays down (State ASP-DOWN); start a
// new one. Its methods are safe for concurrent use.
type IPSPEndpoint struct {
	d    *driver
	ipsp *IPSP
	l    transport.Listener // ListenIPSP only, closed with the endpoint

	state stateWatch
	once  sync.Once
}

const ipspAssoc AssocID = 1

// DialIPSP dials the peer IPSP and starts the endpoint once the
// association is up.
func DialIPSP(ctx context.Context, cfg IPSPEndpointConfig) (*IPSPEndpoint, error) {
	return startIPSP(ctx, cfg, func(tcfg transport.Config) (transport.Association, transport.Listener, error) {
		a, err := transport.Dial(ctx, cfg.Address, tcfg)
		if err != nil {
			return nil, nil, fmt.Errorf("dial %s: %w", cfg.Address, err)
		}
		return a, nil, nil
	})
}

// ListenIPSP listens on cfg.Address and starts the endpoint on the first
// association accepted (ctx bounds the wait); later ones are refused.
// ready, if not nil, is called with the listener once it listens (to learn
// a kernel-chosen port).
func ListenIPSP(ctx context.Context, cfg IPSPEndpointConfig, ready func(transport.Listener)) (*IPSPEndpoint, error) {
	return startIPSP(ctx, cfg, func(tcfg transport.Config) (transport.Association, transport.Listener, error) {
		l, err := transport.Listen(ctx, cfg.Address, tcfg)
		if err != nil {
			return nil, nil, fmt.Errorf("listen on %s: %w", cfg.Address, err)
		}
		if ready != nil {
			ready(l)
		}
		a, err := l.Accept(ctx)
		if err != nil {
			_ = l.Close()
			return nil, nil, fmt.Errorf("accept on %s: %w", cfg.Address, err)
		}
		return a, l, nil
	})
}

func startIPSP(ctx context.Context, cfg IPSPEndpointConfig,
	connect func(transport.Config) (transport.Association, transport.Listener, error)) (*IPSPEndpoint, error) {
	if cfg.IPSP.Profile == (transport.Profile{}) {
		cfg.IPSP.Profile = cfg.Transport.Profile
	}
	core, err := NewIPSP(ipspAssoc, cfg.IPSP)
	if err != nil {
		return nil, fmt.Errorf("mxua: IPSP endpoint %s: %w", cfg.Address, err)
	}
	tcfg := cfg.Transport
	tcfg.PPID = cfg.IPSP.Protocol.PPID()
	if tcfg.Logger == nil {
		tcfg.Logger = cfg.Logger
	}
	streams, err := coreStreams(cfg.Address, tcfg)
	if err != nil {
		return nil, fmt.Errorf("mxua: IPSP endpoint %s: %w", cfg.Address, err)
	}
	a, l, err := connect(tcfg)
	if err != nil {
		return nil, fmt.Errorf("mxua: IPSP endpoint: %w", err)
	}
	e := &IPSPEndpoint{ipsp: core, l: l}
	e.d = newDriver(cfg.IPSP.Protocol, core, cfg.Logger, cfg.SendQueue)
	e.d.after = e.snapshot
	e.d.afterControl = func() { e.state.noteFailures(e.d.pending) }
	go e.d.run()
	if l != nil {
		// Refuse further associations: one IPSP link per endpoint.
		e.d.conns.Add(1)
		go func() {
			defer e.d.conns.Done()
			for {
				extra, err := l.Accept(context.Background())
				if err != nil {
					return
				}
				e.d.log.Warn("mxua: IPSP endpoint refuses a second association", zap.Stringers("remote", extra.RemoteAddrs()))
				_ = extra.Abort()
			}
		}()
	}
	if err := e.d.do(ctx, func() { e.d.attach(&conn{id: ipspAssoc, assoc: a, streams: streams}) }); err != nil {
		_ = a.Abort()
		_ = e.Close()
		return nil, fmt.Errorf("mxua: IPSP endpoint %s: start: %w", cfg.Address, err)
	}
	return e, nil
}

func (e *IPSPEndpoint) snapshot() {
	e.state.set(e.ipsp.State())
}

// State returns the link state as IPSP.State defines it.
func (e *IPSPEndpoint) State() ASPState {
	return e.state.get()
}

// WaitState waits until State is want.
func (e *IPSPEndpoint) WaitState(ctx context.Context, want ASPState) error {
	return e.state.wait(ctx, want, e.d.stopped, "IPSP ")
}

// States returns this end's own ASP state and the peer's state as seen by
// this end's SGP half.
func (e *IPSPEndpoint) States(ctx context.Context) (own, peer ASPState, err error) {
	if err := e.d.do(ctx, func() { own, peer = e.ipsp.OwnState(), e.ipsp.PeerState() }); err != nil {
		return 0, 0, fmt.Errorf("mxua: IPSP states: %w", err)
	}
	return own, peer, nil
}

// Send hands user traffic to the IPSP.
func (e *IPSPEndpoint) Send(ctx context.Context, m *Message) error {
	if m == nil {
		return errors.New("mxua: IPSP endpoint: send nil message")
	}
	return e.Command(ctx, Transfer{Msg: m})
}

// Command feeds an event to the IPSP: a Transfer, an ASP request
// (ASPUpRequest, ...) or an SGP command (SetDestination, ...).
func (e *IPSPEndpoint) Command(ctx context.Context, ev Event) error {
	switch ev.(type) {
	case MessageIn, TimerFired, AssocUp, AssocDown:
		return fmt.Errorf("mxua: IPSP endpoint: %T is the driver's to feed", ev)
	}
	if err := e.d.do(ctx, func() { e.d.step(time.Now(), ev) }); err != nil {
		return fmt.Errorf("mxua: IPSP endpoint: %T: %w", ev, err)
	}
	return nil
}

// Notifications delivers both halves' notifications in order: NotifyASPState
// from the ASP half is this end's own state, from the SGP half the peer's
// (same Assoc; tell them apart with States). Read it continuously; it is
// closed by Close.
func (e *IPSPEndpoint) Notifications() <-chan Notify { return e.d.notes.C }

// Close closes the association gracefully and the listener, and returns
// once every goroutine has.
func (e *IPSPEndpoint) Close() error {
	e.once.Do(func() {
		if e.l != nil {
			_ = e.l.Close()
		}
		e.d.shutdown(true)
	})
	return nil
}
