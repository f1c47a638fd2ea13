package asap

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"go.uber.org/zap"

	"github.com/sigpool/sigpool/transport"
	"github.com/sigpool/sigpool/wire"
)

// SessionEventKind classifies a SessionEvent.
type SessionEventKind int

// Session event kinds.
const (
	// SessionConnected: an association to PE is up (the first, or a new
	// one after a failover; Failover tells).
	SessionConnected SessionEventKind = iota + 1
	// SessionPELost: the association to PE ended (Err says why); the
	// session reports it unreachable and fails over.
	SessionPELost
	// SessionConnectFailed: a PE could not be reached or none could be
	// selected (Err); the session keeps trying.
	SessionConnectFailed
)

func (k SessionEventKind) String() string {
	switch k {
	case SessionConnected:
		return "connected"
	case SessionPELost:
		return "PE lost"
	case SessionConnectFailed:
		return "connect failed"
	}
	return fmt.Sprintf("SessionEventKind(%d)", int(k))
}

// SessionEvent reports a session's life.
type SessionEvent struct {
	Kind     SessionEventKind
	PE       wire.PoolElement
	Failover bool // SessionConnected after a failover (a Cookie Echo was sent if a cookie was known)
	Err      error
	Time     time.Time
}

// SessionConfig tunes a Session.
type SessionConfig struct {
	// Transport configures associations to PEs; zero Profile takes the
	// pool user's. Over TCP the framing must keep PPIDs (mux, the default)
	// so ASAP control and data share the association.
	Transport transport.Config
	// RetryMin and RetryMax bound the back-off between failed attempts to
	// reach any PE (defaults: the pool user's ReconnectMin and ReconnectMax).
	RetryMin, RetryMax time.Duration
}

// Session is a PU's association to one PE of a pool that survives PE
// failures: when the association dies, the session reports the PE
// unreachable, selects another, dials it and, when the old PE had sent a
// Cookie, sends it a Cookie Echo of the last one before any data.
// Messages in flight when a PE fails are lost; the application resends
// from its cookie state. Send and Recv may be used concurrently.
type Session struct {
	pu     *PoolUser
	handle string
	cfg    SessionConfig
	log    *zap.Logger

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup
	events chan SessionEvent

	mu      sync.Mutex
	core    sessionCore
	cur     *sessionAssoc
	ready   chan struct{}       // closed while cur is usable
	backlog []transport.Message // data read from a lost association, not yet returned
}

type sessionAssoc struct {
	a        transport.Association
	pe       wire.PoolElement
	lost     chan struct{} // closed by fail
	replaced chan struct{} // closed once the supervisor has taken sa out
	once     sync.Once
	err      error
}

func (sa *sessionAssoc) fail(err error) {
	sa.once.Do(func() { sa.err = err; close(sa.lost) })
}

// Dial opens a session to a PE of pool handle. It returns once the first
// association is up, or with the error that kept every attempt from
// succeeding when ctx ends.
func (pu *PoolUser) Dial(ctx context.Context, handle string, cfg SessionConfig) (*Session, error) {
	if cfg.Transport.Profile.Name == "" && cfg.Transport.Profile.RTOInitial == 0 {
		cfg.Transport.Profile = pu.cfg.Profile
	}
	if cfg.Transport.Logger == nil {
		cfg.Transport.Logger = pu.cfg.Logger
	}
	if cfg.Transport.Capture == nil {
		cfg.Transport.Capture = pu.cfg.Capture
	}
	if cfg.RetryMin <= 0 {
		cfg.RetryMin = pu.cfg.Timers.ReconnectMin
	}
	if cfg.RetryMax < cfg.RetryMin {
		cfg.RetryMax = max(pu.cfg.Timers.ReconnectMax, cfg.RetryMin)
	}
	sctx, cancel := context.WithCancel(pu.ctx)
	s := &Session{
		pu: pu, handle: handle, cfg: cfg, log: pu.log.With(zap.String("pool", handle)),
		ctx: sctx, cancel: cancel, events: make(chan SessionEvent, 32),
		core: sessionCore{handle: wire.PoolHandle(handle)}, ready: make(chan struct{}),
	}
	// First association in the caller's context.
	var lastErr error
	backoff := cfg.RetryMin
	for {
		sa, err := s.connect(ctx, nil)
		if err == nil {
			s.install(sa, false)
			break
		}
		lastErr = err
		select {
		case <-ctx.Done():
			cancel()
			return nil, fmt.Errorf("asap: session to pool %q: %w (last error: %v)", handle, ctx.Err(), lastErr)
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, cfg.RetryMax)
	}
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		s.supervise()
	}()
	return s, nil
}

// Events delivers session events; dropped when nobody reads them.
func (s *Session) Events() <-chan SessionEvent { return s.events }

// PE returns the PE the session is connected to now (zero while failing over).
func (s *Session) PE() wire.PoolElement {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cur == nil {
		return wire.PoolElement{}
	}
	return s.cur.pe
}

// LastCookie returns the last Cookie the PE sent (nil: none).
func (s *Session) LastCookie() wire.Cookie {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.core.lastCookie
}

// Send sends application data (PPID chosen by the caller, not 11) to the
// current PE, waiting through a failover.
func (s *Session) Send(ctx context.Context, m transport.Message) error {
	if m.PPID == wire.PPIDASAP {
		return fmt.Errorf("asap: session send: PPID %d is reserved for ASAP control", m.PPID)
	}
	for {
		sa, err := s.current(ctx)
		if err != nil {
			return err
		}
		err = sa.a.Send(ctx, m)
		if err == nil {
			return nil
		}
		if ctx.Err() != nil || errors.Is(err, transport.ErrMessageSize) {
			return fmt.Errorf("asap: session send: %w", err)
		}
		sa.fail(err)
	}
}

// SendBusinessCard sends a Business Card to the current PE.
func (s *Session) SendBusinessCard(ctx context.Context, bc *wire.BusinessCard) error {
	sa, err := s.current(ctx)
	if err != nil {
		return err
	}
	return sendASAP(ctx, sa.a, bc)
}

// Recv returns the next application message from the current PE, waiting
// through a failover. Cookies and Business Cards are taken in on the way.
func (s *Session) Recv(ctx context.Context) (transport.Message, error) {
	for {
		s.mu.Lock()
		if len(s.backlog) > 0 {
			m := s.backlog[0]
			s.backlog = s.backlog[1:]
			s.mu.Unlock()
			return m, nil
		}
		s.mu.Unlock()
		sa, err := s.current(ctx)
		if err != nil {
			return transport.Message{}, err
		}
		m, err := sa.a.Recv(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return transport.Message{}, fmt.Errorf("asap: session recv: %w", ctx.Err())
			}
			sa.fail(err)
			continue
		}
		if m.PPID != wire.PPIDASAP {
			return m, nil
		}
		msg, _, err := wire.DecodeASAP(m.Data)
		if err != nil {
			s.log.Warn("undecodable ASAP message from PE", zap.Error(err))
			continue
		}
		s.mu.Lock()
		s.core.control(msg)
		s.mu.Unlock()
	}
}

// Close ends the session: the current association is closed gracefully.
func (s *Session) Close() error {
	s.cancel()
	s.wg.Wait()
	s.mu.Lock()
	sa := s.cur
	s.mu.Unlock()
	if sa != nil {
		return sa.a.Close()
	}
	return nil
}

func (s *Session) current(ctx context.Context) (*sessionAssoc, error) {
	for {
		s.mu.Lock()
		ready, sa := s.ready, s.cur
		s.mu.Unlock()
		select {
		case <-ready:
			if sa == nil {
				continue
			}
			select {
			case <-sa.lost:
				// Failing over: wait until the supervisor has taken it out.
				select {
				case <-sa.replaced:
				case <-ctx.Done():
					return nil, ctx.Err()
				case <-s.ctx.Done():
					return nil, ErrClosed
				}
				continue
			default:
			}
			return sa, nil
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-s.ctx.Done():
			return nil, ErrClosed
		}
	}
}

func (s *Session) install(sa *sessionAssoc, failover bool) {
	s.mu.Lock()
	s.cur = sa
	close(s.ready)
	s.mu.Unlock()
	s.log.Info("session connected", zap.Stringer("pe", sa.pe.Identifier), zap.Stringer("transport", sa.pe.UserTransport), zap.Bool("failover", failover))
	s.emit(SessionEvent{Kind: SessionConnected, PE: sa.pe, Failover: failover})
}

func (s *Session) emit(ev SessionEvent) {
	ev.Time = time.Now()
	select {
	case s.events <- ev:
	default:
	}
}

// supervise waits for the current association to end and fails over.
func (s *Session) supervise() {
	for {
		s.mu.Lock()
		sa := s.cur
		s.mu.Unlock()
		// The association's final event also ends it when nobody is in
		// Send or Recv.
		watchDone := make(chan struct{})
		go func() {
			defer close(watchDone)
			for {
				select {
				case ev, ok := <-sa.a.Events():
					if !ok {
						sa.fail(fmt.Errorf("association ended"))
						return
					}
					if ev.Kind == transport.EventDown || ev.Kind == transport.EventPeerDead {
						sa.fail(fmt.Errorf("association %v: %s", ev.Kind, ev.Reason))
						return
					}
				case <-sa.lost:
					return
				case <-s.ctx.Done():
					return
				}
			}
		}()
		select {
		case <-sa.lost:
		case <-s.ctx.Done():
			<-watchDone
			return
		}
		<-watchDone
		s.drain(sa)
		s.mu.Lock()
		s.ready = make(chan struct{})
		s.cur = nil
		failed := s.core.lost()
		s.mu.Unlock()
		close(sa.replaced)
		sa.a.Abort()
		s.log.Warn("PE lost; failing over", zap.Stringer("pe", sa.pe.Identifier), zap.Error(sa.err))
		s.emit(SessionEvent{Kind: SessionPELost, PE: sa.pe, Err: sa.err})
		if failed != nil {
			if err := s.pu.ReportUnreachable(s.ctx, s.handle, failed.Identifier); err != nil && s.ctx.Err() != nil {
				return
			}
		}
		exclude := []wire.PEIdentifier{sa.pe.Identifier}
		backoff := s.cfg.RetryMin
		for {
			next, err := s.connect(s.ctx, exclude)
			if err == nil {
				s.install(next, true)
				break
			}
			if s.ctx.Err() != nil {
				return
			}
			s.emit(SessionEvent{Kind: SessionConnectFailed, Err: err})
			s.log.Warn("failover attempt failed", zap.Error(err))
			select {
			case <-s.ctx.Done():
				return
			case <-time.After(backoff):
			}
			backoff = min(2*backoff, s.cfg.RetryMax)
			exclude = exclude[:1] // after a pause, give the others another chance
		}
	}
}

// drain takes in what the lost association still holds: the PE's last
// Cookie often travels right behind the data the application has read.
// Data is kept for Recv.
func (s *Session) drain(sa *sessionAssoc) {
	ctx, cancel := context.WithTimeout(s.ctx, 50*time.Millisecond)
	defer cancel()
	for {
		m, err := sa.a.Recv(ctx)
		if err != nil {
			return
		}
		if m.PPID != wire.PPIDASAP {
			s.mu.Lock()
			s.backlog = append(s.backlog, m)
			s.mu.Unlock()
			continue
		}
		if msg, _, err := wire.DecodeASAP(m.Data); err == nil {
			s.mu.Lock()
			s.core.control(msg)
			s.mu.Unlock()
		}
	}
}

// connect selects a PE (first from the last Business Card, then by the
// pool's policy), dials it and sends the Cookie Echo owed after a
// failover. PEs that fail are reported and skipped within this attempt.
func (s *Session) connect(ctx context.Context, exclude []wire.PEIdentifier) (*sessionAssoc, error) {
	var lastErr error
	for attempt := 0; attempt < 8; attempt++ {
		var pe wire.PoolElement
		s.mu.Lock()
		cands := s.core.candidates(exclude)
		s.mu.Unlock()
		if len(cands) > 0 {
			pe = cands[0]
		} else {
			var err error
			pe, err = s.pu.Select(ctx, s.handle, exclude...)
			if err != nil {
				if lastErr != nil {
					return nil, fmt.Errorf("%w (after: %v)", err, lastErr)
				}
				return nil, err
			}
		}
		addr, err := dialAddress(pe.UserTransport)
		if err != nil {
			lastErr = err
			exclude = append(exclude, pe.Identifier)
			continue
		}
		dctx, cancel := context.WithTimeout(ctx, s.pu.cfg.Timers.ResponseTimeout+s.cfg.Transport.Profile.WorstCaseDetection().SCTPData)
		a, err := transport.Dial(dctx, addr, s.cfg.Transport)
		cancel()
		if err != nil {
			lastErr = fmt.Errorf("asap: dial PE %v at %s: %w", pe.Identifier, addr, err)
			if ctx.Err() != nil {
				return nil, lastErr
			}
			s.emit(SessionEvent{Kind: SessionConnectFailed, PE: pe, Err: lastErr})
			_ = s.pu.ReportUnreachable(ctx, s.handle, pe.Identifier)
			exclude = append(exclude, pe.Identifier)
			continue
		}
		s.mu.Lock()
		first := s.core.connected(pe)
		s.mu.Unlock()
		var serr error
		for _, m := range first {
			if serr = sendASAP(ctx, a, m); serr != nil {
				break
			}
		}
		if serr != nil {
			a.Abort()
			lastErr = serr
			exclude = append(exclude, pe.Identifier)
			continue
		}
		return &sessionAssoc{a: a, pe: pe, lost: make(chan struct{}), replaced: make(chan struct{})}, nil
	}
	return nil, lastErr
}
