package asap

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"math/rand/v2"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/sigpool/sigpool/transport"
	"github.com/sigpool/sigpool/wire"
)

// PEConfig configures a PoolElement.
type PEConfig struct {
	// PoolHandle is the pool to join.
	PoolHandle string
	// Registrars are the registrar addresses ("tcp://127.0.0.1:3863"),
	// tried in order; the PE fails over along the list. Over TCP the link
	// is bare ASAP; a "mux+" prefix asks for the mux framing.
	Registrars []string
	// Listen is the PE's user transport, where pool users connect
	// ("tcp://127.0.0.1:0"; port 0 picks one).
	Listen string
	// Policy is the PE's selection policy with its load or weight; the zero
	// value is Round Robin.
	Policy wire.Policy
	// Identifier is the PE ID; zero picks a random non-zero one.
	Identifier wire.PEIdentifier
	// Profile sets the transport timers of every association and the
	// defaults of Timers.
	Profile transport.Profile
	// Timers override the protocol timers field by field (zero: default).
	Timers Timers
	// UserTransport, when set, is registered instead of the listener's
	// address (for a listener on the unspecified address, or NAT).
	UserTransport *wire.Transport
	// Advertise, when set, is the address registered as the user transport
	// instead of the listener's: a proxy or NAT in front of the PE, e.g.
	// "tcp://192.0.2.7:2905" (IP literals only). UserTransport wins.
	Advertise string
	// TLSServer, when set, runs the user transport's TCP listener over
	// TLS, requiring pool users to present a certificate; TLSClient is
	// used toward registrars. Nil: plain.
	TLSServer, TLSClient *tls.Config
	// Capture, when set, records the messages of every association (user
	// transport and registrars) in a pcap file; the caller closes it.
	Capture *transport.Capture
	// Logger receives registration events; nil logs nothing.
	Logger *zap.Logger
}

// Message is what a PE association delivers: application data, or an ASAP
// control message from the PU (Control non-nil: Cookie Echo, Business Card).
type Message struct {
	transport.Message
	Control wire.Message
}

// PoolElement is a running PE: it listens on its user transport, registers
// with a registrar and keeps the registration alive, and hands the
// associations pool users open to the application (Accept). The registrar
// side (keep-alives, re-registration, failover) runs in its own goroutines
// and never waits for the application.
type PoolElement struct {
	cfg   PEConfig
	ut    wire.Transport
	log   *zap.Logger
	core  *PECore
	ln    transport.Listener
	lp    *loop
	links registrarLinks

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	events   chan PEEvent
	accepted chan *PEAssociation

	first     chan struct{} // closed at the first registration outcome
	firstOnce sync.Once
	firstErr  error

	mu      sync.Mutex
	appAsoc map[*PEAssociation]struct{}
	closed  bool
}

// StartPoolElement listens on cfg.Listen and starts registering. It returns
// once listening; Registered waits for the registrar's answer.
func StartPoolElement(ctx context.Context, cfg PEConfig) (*PoolElement, error) {
	if cfg.PoolHandle == "" {
		return nil, errors.New("asap: PE: no pool handle")
	}
	if len(cfg.Registrars) == 0 {
		return nil, errors.New("asap: PE: no registrar address")
	}
	if err := ValidateRegistrars(cfg.Registrars); err != nil {
		return nil, fmt.Errorf("asap: PE: %w", err)
	}
	if cfg.Listen == "" {
		return nil, errors.New("asap: PE: no listen address")
	}
	if err := cfg.Timers.Validate(); err != nil {
		return nil, err
	}
	cfg.Profile = profileOrDefault(cfg.Profile)
	cfg.Timers = cfg.Timers.withDefaults(cfg.Profile)
	if cfg.Policy.Type == 0 {
		cfg.Policy.Type = wire.PolicyRoundRobin
	}
	for cfg.Identifier == 0 {
		cfg.Identifier = wire.PEIdentifier(rand.Uint32())
	}
	log := nopIfNil(cfg.Logger).With(zap.String("pool", cfg.PoolHandle), zap.Stringer("pe", cfg.Identifier))

	ln, err := transport.Listen(ctx, cfg.Listen, transport.Config{Profile: cfg.Profile, Logger: cfg.Logger, TLS: cfg.TLSServer, Capture: cfg.Capture})
	if err != nil {
		return nil, fmt.Errorf("asap: PE: listen on user transport: %w", err)
	}
	var ut wire.Transport
	if cfg.UserTransport != nil {
		ut = *cfg.UserTransport
	} else if cfg.Advertise != "" {
		if ut, err = advertised(cfg.Advertise); err != nil {
			ln.Close()
			return nil, err
		}
	} else if ut, err = userTransport(cfg.Listen, ln.Addrs()); err != nil {
		ln.Close()
		return nil, err
	}
	if len(ut.Addresses) > 0 && ut.Addresses[0].IsUnspecified() {
		log.Warn("PE user transport is the unspecified address; pool users may not reach it (set UserTransport)", zap.Stringer("transport", ut))
	}
	core, err := NewPECore(PECoreConfig{
		PoolHandle: wire.PoolHandle(cfg.PoolHandle),
		Element:    wire.PoolElement{Identifier: cfg.Identifier, UserTransport: ut, Policy: cfg.Policy},
		Registrars: len(cfg.Registrars),
		Timers:     cfg.Timers,
	})
	if err != nil {
		ln.Close()
		return nil, err
	}
	pctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	pe := &PoolElement{
		cfg: cfg, ut: ut, log: log, core: core, ln: ln, lp: newLoop(),
		ctx: pctx, cancel: cancel,
		events:   make(chan PEEvent, 64),
		accepted: make(chan *PEAssociation, 16),
		first:    make(chan struct{}),
		appAsoc:  map[*PEAssociation]struct{}{},
	}
	pe.links = registrarLinks{ctx: pctx, wg: &pe.wg, lp: pe.lp, core: core, log: log, addrs: cfg.Registrars,
		profile: cfg.Profile, tls: cfg.TLSClient, capture: cfg.Capture, timeout: cfg.Timers.ResponseTimeout, tlog: cfg.Logger}
	log.Info("PE listening", zap.Stringer("user_transport", ut), zap.Strings("registrars", cfg.Registrars))
	pe.wg.Add(2)
	go func() {
		defer pe.wg.Done()
		pe.lp.run(pctx, core.Tick, core.NextDeadline, pe.exec, core.Stopped)
	}()
	go func() {
		defer pe.wg.Done()
		pe.acceptLoop()
	}()
	pe.lp.post(pctx, core.Start)
	return pe, nil
}

// Identifier returns the PE ID.
func (pe *PoolElement) Identifier() wire.PEIdentifier { return pe.cfg.Identifier }

// UserTransport returns the transport the PE registers.
func (pe *PoolElement) UserTransport() wire.Transport { return pe.ut }

// Timers returns the timers in effect.
func (pe *PoolElement) Timers() Timers { return pe.cfg.Timers }

// Events delivers registration events (also logged). Events are dropped
// when nobody reads them.
func (pe *PoolElement) Events() <-chan PEEvent { return pe.events }

// Registered waits for the first registration outcome: nil once a
// registrar accepted the PE, a *RejectedError if one rejected it, or ctx's
// error. The PE keeps trying after a rejection.
func (pe *PoolElement) Registered(ctx context.Context) error {
	select {
	case <-pe.first:
		return pe.firstErr
	case <-ctx.Done():
		return fmt.Errorf("asap: PE %v: waiting for registration: %w", pe.cfg.Identifier, ctx.Err())
	case <-pe.lp.done:
		return ErrClosed
	}
}

// SetLoad sets the load (0..1) of a load-based policy (the Least Used
// family) and re-registers at once.
func (pe *PoolElement) SetLoad(ctx context.Context, load float64) error {
	var perr error
	err := pe.lp.call(ctx, func(now time.Time) []Action {
		p := pe.core.Element().Policy
		if !p.Type.CarriesLoad() {
			perr = fmt.Errorf("asap: PE %v: policy %v carries no load", pe.cfg.Identifier, p.Type)
			return nil
		}
		p.Load = wire.FractionOf(load)
		return pe.core.SetPolicy(now, p)
	})
	if err != nil {
		return err
	}
	return perr
}

// SetPolicy replaces the PE's policy and re-registers at once.
func (pe *PoolElement) SetPolicy(ctx context.Context, p wire.Policy) error {
	return pe.lp.call(ctx, func(now time.Time) []Action { return pe.core.SetPolicy(now, p) })
}

// Accept returns the next association a pool user opened.
func (pe *PoolElement) Accept(ctx context.Context) (*PEAssociation, error) {
	select {
	case a := <-pe.accepted:
		return a, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-pe.ctx.Done():
		return nil, ErrClosed
	}
}

// Close deregisters (waiting at most the deregistration timeout, or until
// ctx ends), then closes the listener and every association and waits for
// the PE's goroutines.
func (pe *PoolElement) Close(ctx context.Context) error {
	pe.mu.Lock()
	if pe.closed {
		pe.mu.Unlock()
		return nil
	}
	pe.closed = true
	pe.mu.Unlock()

	var derr error
	if pe.lp.post(ctx, pe.core.Deregister) {
		select {
		case <-pe.lp.done:
		case <-ctx.Done():
			derr = fmt.Errorf("asap: PE %v: deregistration: %w", pe.cfg.Identifier, ctx.Err())
		}
	}
	pe.mu.Lock()
	apps := make([]*PEAssociation, 0, len(pe.appAsoc))
	for a := range pe.appAsoc {
		apps = append(apps, a)
	}
	pe.mu.Unlock()
	pe.cancel()
	pe.ln.Close()
	pe.links.abortAll()
	for _, a := range apps {
		a.assoc.Abort()
	}
	pe.wg.Wait()
	return derr
}

func (pe *PoolElement) exec(acts []Action) {
	for _, act := range acts {
		if pe.links.exec(act) {
			continue
		}
		switch act := act.(type) {
		case PEEvent:
			pe.report(act)
		}
	}
}

func (pe *PoolElement) report(ev PEEvent) {
	fields := []zap.Field{zap.Int("registrar", ev.Registrar), zap.Uint32("server_id", ev.ServerID)}
	if ev.Registrar >= 0 && ev.Registrar < len(pe.cfg.Registrars) {
		fields = append(fields, zap.String("address", pe.cfg.Registrars[ev.Registrar]))
	}
	switch ev.Kind {
	case PERegistered:
		if ev.First {
			pe.log.Info("registered", fields...)
		} else {
			pe.log.Debug("re-registered", fields...)
		}
		pe.firstOnce.Do(func() { close(pe.first) })
	case PERejected:
		pe.log.Error("registration rejected", append(fields, zap.Error(ev.Err))...)
		pe.firstOnce.Do(func() { pe.firstErr = ev.Err; close(pe.first) })
	case PEDeregistered:
		if ev.Err != nil {
			pe.log.Warn("deregistration incomplete", append(fields, zap.Error(ev.Err))...)
		} else {
			pe.log.Info("deregistered", fields...)
		}
	case PERegistrarLost, PEError:
		pe.log.Warn(ev.Kind.String(), append(fields, zap.Error(ev.Err))...)
	default:
		pe.log.Info(ev.Kind.String(), fields...)
	}
	select {
	case pe.events <- ev:
	default:
	}
}

func (pe *PoolElement) acceptLoop() {
	for {
		a, err := pe.ln.Accept(pe.ctx)
		if err != nil {
			if pe.ctx.Err() == nil {
				pe.log.Error("accept on user transport failed", zap.Error(err))
			}
			return
		}
		pa := &PEAssociation{pe: pe, assoc: a, in: make(chan Message, 64), done: make(chan struct{})}
		pe.mu.Lock()
		if pe.closed {
			pe.mu.Unlock()
			a.Abort()
			return
		}
		pe.appAsoc[pa] = struct{}{}
		pe.mu.Unlock()
		pe.wg.Add(2)
		go func() {
			defer pe.wg.Done()
			pa.read()
		}()
		go func() {
			defer pe.wg.Done()
			select {
			case pe.accepted <- pa:
			case <-pe.ctx.Done():
			case <-pa.done:
			}
		}()
	}
}

// PEAssociation is an association a pool user opened to the PE. Recv
// returns application data and the PU's ASAP control messages in order;
// an Endpoint Keep-Alive from a registrar arriving here (a registrar that
// took the PE over calls in on the data-plus-control user transport) is
// answered by the PE itself.
type PEAssociation struct {
	pe    *PoolElement
	assoc transport.Association
	in    chan Message
	done  chan struct{}
	err   error
	id    AssocID // set when a registrar used this association

	splitMu sync.Mutex
	split   *split // set by Split
}

// Recv returns the next message: data, or Control set for Cookie Echo and
// Business Card.
func (a *PEAssociation) Recv(ctx context.Context) (Message, error) {
	select {
	case m, ok := <-a.in:
		if ok {
			return m, nil
		}
		return Message{}, a.err
	case <-ctx.Done():
		return Message{}, ctx.Err()
	}
}

// Send sends application data.
func (a *PEAssociation) Send(ctx context.Context, m transport.Message) error {
	return a.assoc.Send(ctx, m)
}

// SendCookie hands the PU state to echo to another PE after a failover.
func (a *PEAssociation) SendCookie(ctx context.Context, c wire.Cookie) error {
	return sendASAP(ctx, a.assoc, &wire.CookieMessage{Cookie: c})
}

// SendBusinessCard tells the PU which pool this PE serves and which PEs
// to fail over to.
func (a *PEAssociation) SendBusinessCard(ctx context.Context, bc *wire.BusinessCard) error {
	return sendASAP(ctx, a.assoc, bc)
}

// Association returns the underlying association (addresses, events).
func (a *PEAssociation) Association() transport.Association { return a.assoc }

// Close ends the association gracefully.
func (a *PEAssociation) Close() error { return a.assoc.Close() }

func (a *PEAssociation) read() {
	pe := a.pe
	defer func() {
		pe.mu.Lock()
		delete(pe.appAsoc, a)
		pe.mu.Unlock()
		if pe.ctx.Err() != nil {
			a.assoc.Abort() // the PE is closing
		}
		if a.id != 0 {
			pe.links.regs.remove(a.id)
			id := a.id
			pe.lp.post(pe.ctx, func(now time.Time) []Action { return pe.core.AssocDown(now, id) })
		}
		close(a.done)
		a.endSplit()
		close(a.in)
	}()
	for {
		m, err := a.assoc.Recv(pe.ctx)
		if err != nil {
			a.err = err
			return
		}
		var ctl wire.Message
		if m.PPID == wire.PPIDASAP {
			msg, _, err := wire.DecodeASAP(m.Data)
			if err != nil {
				pe.log.Warn("undecodable ASAP message on user association", zap.Error(err))
				continue
			}
			switch msg.(type) {
			case *wire.EndpointKeepAlive, *wire.RegistrationResponse, *wire.DeregistrationResponse:
				// A registrar calling in: the PE core answers, at once.
				if a.id == 0 {
					a.id = pe.links.regs.add(a.assoc)
				}
				id := a.id
				pe.lp.post(pe.ctx, func(now time.Time) []Action { return pe.core.Message(now, id, msg) })
				continue
			}
			if q := a.control(); q != nil {
				// Split: control goes its own way, still ahead of the
				// data that follows it.
				if !q.push(pe.ctx, msg) && pe.ctx.Err() != nil {
					a.err = ErrClosed
					return
				}
				continue
			}
			ctl = msg
		}
		select {
		case a.in <- Message{Message: m, Control: ctl}:
		case <-pe.ctx.Done():
			a.err = ErrClosed
			return
		}
	}
}
