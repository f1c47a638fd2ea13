package sepsim

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/sigpool/sigpool/internal/logburst"
	"github.com/sigpool/sigpool/mxua"
	"github.com/sigpool/sigpool/transport"
	"go.uber.org/zap"
)

// Config configures a simulator run against an SG.
type Config struct {
	// Address is the SG's M3UA or SUA listener. A framing prefix
	// ("sigtran+tcp://127.0.0.1:2905") picks the TCP framing; otherwise
	// Transport.Framing does.
	Address   string
	Transport transport.Config
	// ASP tunes the simulator's ASP (routing contexts, ASP identifier,
	// traffic mode); Protocol is taken from Core.Protocol.
	ASP  mxua.ASPConfig
	Core CoreConfig
	// CallRate and DialogueRate are new ISUP calls and TCAP dialogues per
	// second; Calls and Dialogues bound how many are started (0: until
	// Stop).
	CallRate, DialogueRate float64
	Calls, Dialogues       int
	// Burst bounds how many starts may catch up at once after a stall
	// (default: 10 ms worth of the rate).
	Burst int
	// RawWindow > 0 runs the raw load mode closed-loop: that many TCAP
	// Begins are kept in flight, each answer letting the next one go, until
	// RawCount were sent (0: until Stop). RawRate > 0 runs it open-loop
	// instead: Begins at that rate whatever the answers do, RawWindow (if
	// set) still bounding those in flight; latency at a given load is
	// measured that way.
	RawWindow, RawCount int
	RawRate             float64
	Logger              *zap.Logger
}

// Sim runs a Core over an ASP association to the SG: a loop goroutine owns
// the core, paces new calls and dialogues with token buckets, fires the
// core's timers and feeds it what the SG delivers.
type Sim struct {
	cfg  Config
	asp  *mxua.ASPEndpoint
	log  *zap.Logger
	stop chan struct{}
	done chan struct{} // closed when the run is finished
	exit chan struct{} // closed when the loop has returned
	// closing is closed by Close: the loop stops answering.
	closing chan struct{}

	stopOnce, closeOnce, doneOnce sync.Once

	mu         sync.Mutex // guards core and the fields below
	core       *Core
	replies    []*mxua.Message  // handleNotes' batch (loop goroutine only)
	discards   logburst.Counter // messages the ASP dropped, between warnings (loop goroutine only)
	heldBack   int              // requests not started on a congested association (under mu)
	finishedAt time.Time
	sendErrs   int
	lastErr    error
}

// Start dials the SG, waits until the ASP is ACTIVE and starts playing the
// configured traffic.
func Start(ctx context.Context, cfg Config) (*Sim, error) {
	if cfg.CallRate < 0 || cfg.DialogueRate < 0 || cfg.RawRate < 0 || cfg.Calls < 0 || cfg.Dialogues < 0 || cfg.RawWindow < 0 || cfg.RawCount < 0 {
		return nil, errors.New("sepsim: negative rate, count or window")
	}
	if cfg.CallRate > 0 && cfg.Core.Protocol == mxua.SUA {
		return nil, ErrNoISUPOverSUA
	}
	log := cfg.Logger
	if log == nil {
		log = zap.NewNop()
	}
	addr, framing, err := transport.ParseFramedAddress(cfg.Address, cfg.Transport.Framing)
	if err != nil {
		return nil, fmt.Errorf("sepsim: SG address: %w", err)
	}
	core, err := NewCore(cfg.Core, time.Now())
	if err != nil {
		return nil, err
	}
	tcfg := cfg.Transport
	tcfg.Framing = framing
	acfg := cfg.ASP
	acfg.Protocol = core.cfg.Protocol
	if len(acfg.RoutingContexts) == 0 && core.cfg.RoutingContext != 0 {
		acfg.RoutingContexts = []uint32{core.cfg.RoutingContext}
	}
	asp, err := mxua.DialASP(ctx, mxua.ASPEndpointConfig{Address: addr, Transport: tcfg, ASP: acfg, Logger: log})
	if err != nil {
		return nil, fmt.Errorf("sepsim: %w", err)
	}
	if err := asp.WaitState(ctx, mxua.ASPActive); err != nil {
		_ = asp.Close()
		return nil, fmt.Errorf("sepsim: ASP to %s not ACTIVE: %w", addr, err)
	}
	s := &Sim{cfg: cfg, asp: asp, log: log, core: core,
		stop: make(chan struct{}), done: make(chan struct{}), exit: make(chan struct{}), closing: make(chan struct{})}
	s.core.started = time.Now() // count from ACTIVE, not from the dial
	go s.run()
	return s, nil
}

// Stop stops starting calls, dialogues and raw requests; those in
// progress go on until they end (Done).
func (s *Sim) Stop() { s.stopOnce.Do(func() { close(s.stop) }) }

// Done is closed once everything the configuration asked for was started
// and has ended, or after Stop once nothing is left in progress.
func (s *Sim) Done() <-chan struct{} { return s.done }

// Wait waits for Done and returns the final report.
func (s *Sim) Wait(ctx context.Context) (Report, error) {
	select {
	case <-s.done:
		return s.Report(), nil
	case <-ctx.Done():
		return s.Report(), fmt.Errorf("sepsim: waiting for the run to end: %w", ctx.Err())
	}
}

// Report returns what was observed so far (until Done, once done).
func (s *Sim) Report() Report {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now()
	if !s.finishedAt.IsZero() {
		now = s.finishedAt
	}
	r := s.core.Report(now)
	r.HeldBack = s.heldBack
	return r
}

// SendErrors returns how many messages the ASP endpoint refused, and the
// last refusal.
func (s *Sim) SendErrors() (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.sendErrs, s.lastErr
}

// Close stops the run and the ASP association.
func (s *Sim) Close() error {
	s.closeOnce.Do(func() {
		s.Stop()
		close(s.closing)
		<-s.exit
		_ = s.asp.Close()
	})
	return nil
}

// Mark notes now as the moment Report's after-mark figures count from,
// and returns it.
func (s *Sim) Mark() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	now := time.Now()
	s.core.Mark(now)
	return now
}

// TakeInterval returns the answers and their latencies since the previous
// call: one sample of a timeline.
func (s *Sim) TakeInterval() (answered int, latency LatencySummary) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.core.TakeInterval()
}

// Active returns the calls, dialogues and raw requests in progress.
func (s *Sim) Active() (calls, dialogues, raw int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.core.Active()
}

// run is the loop goroutine.
func (s *Sim) run() {
	defer close(s.exit)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	now := time.Now()
	calls := newTokenBucket(s.cfg.CallRate, s.cfg.Burst, now)
	dlgs := newTokenBucket(s.cfg.DialogueRate, s.cfg.Burst, now)
	raws := newTokenBucket(s.cfg.RawRate, s.cfg.Burst, now)
	rawMode := s.cfg.RawWindow > 0 || s.cfg.RawRate > 0
	window := s.cfg.RawWindow
	if window == 0 {
		window = 1 << 30
	}
	var startedCalls, startedDlgs, startedRaw int
	remaining := func(limit, started int) int {
		if limit == 0 {
			return 1 << 30
		}
		return limit - started
	}
	stopped := false
	stopCh := s.stop // nil once seen, so a closed channel does not spin the loop
	notes := s.asp.Notifications()
	wake := time.NewTimer(time.Hour)
	defer wake.Stop()
	var out []*mxua.Message
	for {
		now = time.Now()
		select {
		case <-s.closing:
			s.finish(now)
			return
		case <-stopCh:
			stopped, stopCh = true, nil
		default:
		}
		s.mu.Lock()
		s.core.Recycle() // what the last pass returned is sent
		out = append(out[:0], s.core.Fire(now)...)
		circuitsFull := false
		// On a congested association the rates' tokens are dropped, not
		// saved (an open loop does not catch up), and counted.
		congested := s.asp.Congested()
		if !stopped && congested {
			n := calls.take(now, remaining(s.cfg.Calls, startedCalls)) + dlgs.take(now, remaining(s.cfg.Dialogues, startedDlgs))
			if s.cfg.RawRate > 0 {
				n += raws.take(now, remaining(s.cfg.RawCount, startedRaw))
			}
			s.heldBack += n
		}
		if !stopped && !congested {
			if n := calls.take(now, remaining(s.cfg.Calls, startedCalls)); n > 0 {
				for i := range n {
					m, err := s.core.StartCall(now)
					if err != nil {
						calls.giveBack(n - i)
						circuitsFull = true
						break
					}
					startedCalls++
					out = append(out, m)
				}
			}
			for range dlgs.take(now, remaining(s.cfg.Dialogues, startedDlgs)) {
				startedDlgs++
				out = append(out, s.core.StartDialogue(now))
			}
			if rawMode {
				_, _, inFlight := s.core.Active()
				n := min(window-inFlight, remaining(s.cfg.RawCount, startedRaw))
				if s.cfg.RawRate > 0 {
					// Tokens that find the window full are dropped, not
					// saved: an open loop does not catch up.
					n = min(n, raws.take(now, remaining(s.cfg.RawCount, startedRaw)))
				}
				for ; n > 0; n-- {
					startedRaw++
					out = append(out, s.core.StartRaw(now))
				}
			}
		}
		callsLeft := s.cfg.CallRate > 0 && remaining(s.cfg.Calls, startedCalls) > 0
		dlgsLeft := s.cfg.DialogueRate > 0 && remaining(s.cfg.Dialogues, startedDlgs) > 0
		rawLeft := rawMode && remaining(s.cfg.RawCount, startedRaw) > 0
		ac, ad, ar := s.core.Active()
		finished := ac+ad+ar == 0 && (stopped || !callsLeft && !dlgsLeft && !rawLeft)
		next, hasNext := s.core.NextTimer()
		s.mu.Unlock()

		s.send(ctx, out)
		if finished {
			s.finish(now)
			s.drainUntilClosed(ctx, notes)
			return
		}
		if !stopped {
			for _, b := range []struct {
				b    *tokenBucket
				left bool
			}{{calls, callsLeft && !circuitsFull}, {dlgs, dlgsLeft}, {raws, rawLeft}} {
				if at, ok := b.b.next(now); ok && b.left && (!hasNext || at.Before(next)) {
					next, hasNext = at, true
				}
			}
		}
		// Answers before new requests: a simulator that outran its own
		// reading would count as late or lost what the SG answered in
		// time, and its queue would grow without bound.
		select {
		case n, ok := <-notes:
			if !s.handleNotes(ctx, n, ok, notes) {
				return
			}
			continue
		default:
		}
		wait := time.Hour
		if hasNext {
			wait = max(time.Until(next), 0)
		}
		wake.Reset(wait)
		select {
		case n, ok := <-notes:
			if !s.handleNotes(ctx, n, ok, notes) {
				return
			}
		case <-wake.C:
		case <-stopCh:
		case <-s.closing:
		}
	}
}

// finish marks the run ended at now.
func (s *Sim) finish(now time.Time) {
	s.mu.Lock()
	if s.finishedAt.IsZero() {
		s.finishedAt = now
	}
	s.mu.Unlock()
	s.doneOnce.Do(func() { close(s.done) })
}

// handleNotes handles a notification and whatever else is already
// queued, so that a burst of answers costs one pass of the loop; false
// (the run is over) when the notifications ended (!ok).
func (s *Sim) handleNotes(ctx context.Context, n mxua.Notify, ok bool, notes <-chan mxua.Notify) bool {
	if !ok {
		s.log.Warn("sepsim: ASP endpoint closed")
		s.finish(time.Now())
		return false
	}
	s.mu.Lock()
	s.core.Recycle() // the loop's messages are sent
	s.mu.Unlock()
	out := s.replies[:0]
	for i := 0; ; i++ {
		switch n.Kind {
		case mxua.NotifyDeliver:
			s.mu.Lock()
			replies, err := s.core.Receive(time.Now(), n.Msg)
			s.mu.Unlock()
			if err != nil {
				s.log.Debug("sepsim: unreadable message from the SG", zap.Error(err))
			}
			out = append(out, replies...)
		case mxua.NotifyASPState:
			s.log.Info("sepsim: ASP state", zap.Stringer("from", n.From), zap.Stringer("to", n.ASP))
		case mxua.NotifyDiscarded:
			if c := s.discards.Add(time.Now(), max(n.Count, 1)); c > 0 {
				s.log.Warn("sepsim: ASP discarded traffic", zap.Int("count", c), zap.String("last_reason", n.Reason))
			}
		}
		if i >= 255 || !s.nextNote(&n, notes) {
			break
		}
	}
	s.send(ctx, out)
	clear(out)
	s.replies = out[:0]
	return true
}

// nextNote takes a queued notification without waiting.
func (s *Sim) nextNote(n *mxua.Notify, notes <-chan mxua.Notify) bool {
	select {
	case x, ok := <-notes:
		if ok {
			*n = x
		}
		return ok
	default:
		return false
	}
}

func (s *Sim) send(ctx context.Context, out []*mxua.Message) {
	for _, m := range out {
		if err := s.asp.Send(ctx, m); err != nil {
			s.mu.Lock()
			s.sendErrs++
			s.lastErr = err
			s.mu.Unlock()
		}
	}
}

// drainUntilClosed keeps reading notifications after the run so the
// endpoint's queue does not grow until Close.
func (s *Sim) drainUntilClosed(ctx context.Context, notes <-chan mxua.Notify) {
	for {
		select {
		case n, ok := <-notes:
			if !ok {
				return
			}
			if n.Kind == mxua.NotifyDeliver {
				s.mu.Lock()
				s.core.Recycle()
				replies, _ := s.core.Receive(time.Now(), n.Msg)
				s.mu.Unlock()
				s.send(ctx, replies)
			}
		case <-s.closing:
			return
		}
	}
}
