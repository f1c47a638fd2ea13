package asap

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/sigpool/sigpool/transport"
	"github.com/sigpool/sigpool/wire"
)

// loop is the event loop a driver runs around a core: inputs are closures
// run in the loop goroutine with the current time; their actions go to
// exec; tick and next give the core's deadline handling.
type loop struct {
	in   chan func(now time.Time) []Action
	done chan struct{}
}

func newLoop() *loop {
	return &loop{in: make(chan func(time.Time) []Action, 64), done: make(chan struct{})}
}

// post queues f for the loop; false once the loop has ended.
func (l *loop) post(ctx context.Context, f func(time.Time) []Action) bool {
	select {
	case l.in <- f:
		return true
	case <-l.done:
		return false
	case <-ctx.Done():
		return false
	}
}

// call runs f in the loop and waits until it has run.
func (l *loop) call(ctx context.Context, f func(time.Time) []Action) error {
	ran := make(chan struct{})
	if !l.post(ctx, func(now time.Time) []Action { defer close(ran); return f(now) }) {
		if ctx.Err() != nil {
			return ctx.Err()
		}
		return ErrClosed
	}
	select {
	case <-ran:
		return nil
	case <-l.done:
		return ErrClosed
	case <-ctx.Done():
		return ctx.Err()
	}
}

// run drives the loop until ctx ends or stop returns true.
func (l *loop) run(ctx context.Context, tick func(time.Time) []Action, next func() time.Time, exec func([]Action), stop func() bool) {
	defer close(l.done)
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		if stop() {
			return
		}
		var tc <-chan time.Time
		if d := next(); !d.IsZero() {
			timer.Reset(max(time.Until(d), 0))
			tc = timer.C
		}
		select {
		case f := <-l.in:
			exec(f(time.Now()))
		case <-tc:
			exec(tick(time.Now()))
		case <-ctx.Done():
			return
		}
	}
}

// assocSet holds a driver's registrar associations by AssocID.
type assocSet struct {
	mu   sync.Mutex
	next AssocID
	m    map[AssocID]transport.Association
}

func (s *assocSet) add(a transport.Association) AssocID {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.m == nil {
		s.m = map[AssocID]transport.Association{}
	}
	s.next++
	s.m[s.next] = a
	return s.next
}

func (s *assocSet) get(id AssocID) transport.Association {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.m[id]
}

func (s *assocSet) remove(id AssocID) transport.Association {
	s.mu.Lock()
	defer s.mu.Unlock()
	a := s.m[id]
	delete(s.m, id)
	return a
}

func (s *assocSet) all() []transport.Association {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]transport.Association, 0, len(s.m))
	for _, a := range s.m {
		out = append(out, a)
	}
	return out
}

// sendASAP marshals m and sends it on a with PPID 11.
func sendASAP(ctx context.Context, a transport.Association, m wire.Message) error {
	b, err := wire.Marshal(m)
	if err != nil {
		return fmt.Errorf("asap: encode %v: %w", m.Type(), err)
	}
	if err := a.Send(ctx, transport.Message{PPID: wire.PPIDASAP, Data: b}); err != nil {
		return fmt.Errorf("asap: send %v: %w", m.Type(), err)
	}
	return nil
}

// registrarAddress splits a registrar address into the transport address
// and the transport configuration towards it. A registrar link carries
// only ASAP, so over TCP it is bare ASAP unless the address asks for the
// mux framing ("mux+tcp://..."), as the registrar's own listen addresses do.
func registrarAddress(addr string, p transport.Profile, log *zap.Logger) (string, transport.Config, error) {
	a, f, err := transport.ParseFramedAddress(addr, transport.FramingRSerPool)
	if err != nil {
		return "", transport.Config{}, fmt.Errorf("asap: registrar address: %w", err)
	}
	if f == transport.FramingSIGTRAN {
		return "", transport.Config{}, fmt.Errorf("asap: registrar address %q: sigtran framing cannot carry ASAP", addr)
	}
	return a, transport.Config{Profile: p, Framing: f, PPID: wire.PPIDASAP, Logger: log}, nil
}

// dialRegistrar opens an association to the registrar at addr.
func dialRegistrar(ctx context.Context, addr string, p transport.Profile, tc *tls.Config, capture *transport.Capture, log *zap.Logger) (transport.Association, error) {
	a, cfg, err := registrarAddress(addr, p, log)
	if err != nil {
		return nil, err
	}
	cfg.TLS, cfg.Capture = tc, capture
	return transport.Dial(ctx, a, cfg)
}

// ValidateRegistrars checks registrar addresses as the PE and PU will dial
// them, so a command line can reject a bad one before anything starts.
func ValidateRegistrars(addrs []string) error {
	for _, a := range addrs {
		if _, _, err := registrarAddress(a, transport.Profile{}, nil); err != nil {
			return err
		}
	}
	return nil
}

// readASAP reads ASAP messages from a registrar association and hands them
// to onMsg until the association ends; then it calls onEnd with the reason.
func readASAP(ctx context.Context, a transport.Association, log *zap.Logger, onMsg func(wire.Message), onEnd func(error)) {
	for {
		m, err := a.Recv(ctx)
		if err != nil {
			onEnd(err)
			return
		}
		if m.PPID != wire.PPIDASAP {
			log.Debug("ignoring non-ASAP message from registrar", zap.Uint32("ppid", m.PPID))
			continue
		}
		msg, _, err := wire.DecodeASAP(m.Data)
		if err != nil {
			log.Warn("undecodable ASAP message from registrar", zap.Error(err))
			var de *wire.DecodeError
			if errors.As(err, &de) {
				if oe := de.OperationError(); oe != nil {
					_ = sendASAP(ctx, a, &wire.ASAPErrorMessage{Error: *oe})
				}
			}
			continue
		}
		onMsg(msg)
	}
}

// dialAddress turns a PE's user transport into a transport address.
func dialAddress(t wire.Transport) (string, error) {
	var scheme string
	switch t.Kind {
	case wire.TransportTCP:
		scheme = "tcp"
	case wire.TransportSCTP:
		scheme = "sctp"
	default:
		return "", fmt.Errorf("asap: PE user transport %v: only TCP and SCTP are supported", t.Kind)
	}
	if len(t.Addresses) == 0 {
		return "", fmt.Errorf("asap: PE user transport %v has no address", t)
	}
	hosts := make([]string, len(t.Addresses))
	for i, a := range t.Addresses {
		if a.Is6() && !a.Is4In6() {
			hosts[i] = "[" + a.String() + "]"
		} else {
			hosts[i] = a.Unmap().String()
		}
	}
	return fmt.Sprintf("%s://%s:%d", scheme, strings.Join(hosts, ","), t.Port), nil
}

// userTransport describes a listener as a PE user transport.
func userTransport(address string, addrs []netip.AddrPort) (wire.Transport, error) {
	a, err := transport.ParseAddress(address)
	if err != nil {
		return wire.Transport{}, fmt.Errorf("asap: listen address %q: %w", address, err)
	}
	if len(addrs) == 0 {
		return wire.Transport{}, fmt.Errorf("asap: listener on %q has no address", address)
	}
	kind := wire.TransportTCP
	if a.Scheme == transport.SchemeSCTP || (a.Scheme == transport.SchemeAuto && transport.KernelSCTP() == nil) {
		kind = wire.TransportSCTP
	}
	t := wire.Transport{Kind: kind, Port: addrs[0].Port(), Use: wire.TransportUseDataPlusControl}
	for _, ap := range addrs {
		t.Addresses = append(t.Addresses, ap.Addr().Unmap())
		if kind == wire.TransportTCP {
			break // TCP carries exactly one address
		}
	}
	return t, nil
}

// advertised is the user transport for an address given to register in
// place of the listener's.
func advertised(address string) (wire.Transport, error) {
	bare, _, err := transport.ParseFramedAddress(address, transport.FramingMux)
	if err != nil {
		return wire.Transport{}, fmt.Errorf("asap: advertised address %q: %w", address, err)
	}
	a, err := transport.ParseAddress(bare)
	if err != nil {
		return wire.Transport{}, fmt.Errorf("asap: advertised address %q: %w", address, err)
	}
	if a.Port == 0 || len(a.Hosts) == 0 {
		return wire.Transport{}, fmt.Errorf("asap: advertised address %q: want host and a non-zero port", address)
	}
	var addrs []netip.AddrPort
	for _, h := range a.Hosts {
		ip, err := netip.ParseAddr(h)
		if err != nil {
			return wire.Transport{}, fmt.Errorf("asap: advertised address %q: %q is not an IP address", address, h)
		}
		addrs = append(addrs, netip.AddrPortFrom(ip, a.Port))
	}
	return userTransport(bare, addrs)
}

func nopIfNil(l *zap.Logger) *zap.Logger {
	if l == nil {
		return zap.NewNop()
	}
	return l
}

// registrarCore is what the PE and PU cores share for their registrar links.
type registrarCore interface {
	DialFailed(now time.Time, index int) []Action
	AssocUp(now time.Time, id AssocID, index int) []Action
	Message(now time.Time, id AssocID, m wire.Message) []Action
	AssocDown(now time.Time, id AssocID) []Action
}

// registrarLinks are a PE's or PU's associations to registrars: they dial
// them for the core, carry out the core's sends and closes on them, and
// feed back what happens on them through the driver loop.
type registrarLinks struct {
	ctx     context.Context
	wg      *sync.WaitGroup
	lp      *loop
	core    registrarCore
	log     *zap.Logger
	addrs   []string
	profile transport.Profile
	tls     *tls.Config // client side toward registrars; nil: plain
	capture *transport.Capture
	// timeout is the response timeout: it bounds a send, and a dial
	// together with the profile's dead-peer time.
	timeout time.Duration
	// tlog is the transport's logger (the configured one, nil or not).
	tlog *zap.Logger
	// closeNote, when set, is logged as a warning when the core closes a
	// registrar association.
	closeNote string
	regs      assocSet
}

// exec carries out a registrar-link action and reports whether act was one.
func (l *registrarLinks) exec(act Action) bool {
	switch act := act.(type) {
	case DialRegistrar:
		l.dial(act.Index)
	case Send:
		a := l.regs.get(act.Assoc)
		if a == nil {
			return true
		}
		ctx, cancel := context.WithTimeout(l.ctx, l.timeout)
		if err := sendASAP(ctx, a, act.Msg); err != nil {
			l.log.Warn("send to registrar failed", zap.Error(err))
		}
		cancel()
	case CloseAssoc:
		if a := l.regs.remove(act.Assoc); a != nil {
			if l.closeNote != "" {
				l.log.Warn(l.closeNote)
			}
			a.Abort()
		}
	default:
		return false
	}
	return true
}

// abortAll ends every registrar association at once (shutdown).
func (l *registrarLinks) abortAll() {
	for _, a := range l.regs.all() {
		a.Abort()
	}
}

// dial opens an association to registrar index in the background and
// registers it in regs while it lives.
func (l *registrarLinks) dial(index int) {
	addr := l.addrs[index]
	l.wg.Add(1)
	go func() {
		defer l.wg.Done()
		dctx, cancel := context.WithTimeout(l.ctx, l.timeout+l.profile.WorstCaseDetection().SCTPData)
		a, err := dialRegistrar(dctx, addr, l.profile, l.tls, l.capture, l.tlog)
		cancel()
		if err != nil {
			l.log.Warn("registrar unreachable", zap.String("address", addr), zap.Error(err))
			l.lp.post(l.ctx, func(now time.Time) []Action { return l.core.DialFailed(now, index) })
			return
		}
		id := l.regs.add(a)
		if !l.lp.post(l.ctx, func(now time.Time) []Action { return l.core.AssocUp(now, id, index) }) {
			l.regs.remove(id)
			a.Abort()
			return
		}
		l.log.Debug("connected to registrar", zap.String("address", addr))
		readASAP(l.ctx, a, l.log, func(m wire.Message) {
			l.lp.post(l.ctx, func(now time.Time) []Action { return l.core.Message(now, id, m) })
		}, func(err error) {
			l.regs.remove(id)
			a.Abort()
			l.log.Debug("registrar association ended", zap.String("address", addr), zap.Error(err))
			l.lp.post(l.ctx, func(now time.Time) []Action { return l.core.AssocDown(now, id) })
		})
	}()
}
