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

// PUConfig configures a PoolUser.
type PUConfig struct {
	// Registrars are the registrar addresses, tried in order.
	Registrars []string
	// Profile sets the transport timers (registrar and PE associations)
	// and the defaults of Timers.
	Profile transport.Profile
	// Timers override the protocol timers field by field (zero: default).
	Timers Timers
	// Items, when non-zero, asks registrars for that many PEs per
	// resolution (RSPLIB's Handle Resolution Option; wire.AllItems: all).
	Items uint32
	// TLS, when set, is the client TLS configuration toward registrars
	// (sessions to PEs take theirs from SessionConfig.Transport.TLS).
	TLS *tls.Config
	// Capture, when set, records the messages of the registrar
	// associations, and of sessions whose SessionConfig.Transport names
	// no capture of its own, in a pcap file; the caller closes it.
	Capture *transport.Capture
	// Rand drives random selection; nil: randomly seeded.
	Rand *rand.Rand
	// Logger; nil logs nothing.
	Logger *zap.Logger
}

// Resolution is the outcome of a handle resolution.
type Resolution struct {
	Elements []wire.PoolElement
	Policy   wire.PolicyType
	// Stale: no registrar answered; these are the last known PEs.
	Stale bool
}

// PoolUser resolves pool handles through registrars (with a cache),
// selects PEs and reports unreachable ones. It is safe for concurrent use;
// concurrent resolutions of one handle share one request.
type PoolUser struct {
	cfg   PUConfig
	log   *zap.Logger
	core  *PUCore
	lp    *loop
	links registrarLinks

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup

	nextReq ReqID
	waiters map[ReqID]chan Resolved // loop-owned
	closeMu sync.Mutex
	closed  bool
}

// NewPoolUser starts a pool user; registrars are contacted when first needed.
func NewPoolUser(ctx context.Context, cfg PUConfig) (*PoolUser, error) {
	if len(cfg.Registrars) == 0 {
		return nil, errors.New("asap: PU: no registrar address")
	}
	if err := ValidateRegistrars(cfg.Registrars); err != nil {
		return nil, fmt.Errorf("asap: PU: %w", err)
	}
	if err := cfg.Timers.Validate(); err != nil {
		return nil, err
	}
	cfg.Profile = profileOrDefault(cfg.Profile)
	cfg.Timers = cfg.Timers.withDefaults(cfg.Profile)
	core, err := NewPUCore(PUCoreConfig{Registrars: len(cfg.Registrars), Timers: cfg.Timers, Items: cfg.Items, Rand: cfg.Rand})
	if err != nil {
		return nil, err
	}
	pctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	pu := &PoolUser{cfg: cfg, log: nopIfNil(cfg.Logger), core: core, lp: newLoop(), ctx: pctx, cancel: cancel, waiters: map[ReqID]chan Resolved{}}
	pu.links = registrarLinks{ctx: pctx, wg: &pu.wg, lp: pu.lp, core: core, log: pu.log, addrs: cfg.Registrars,
		profile: cfg.Profile, tls: cfg.TLS, capture: cfg.Capture, timeout: cfg.Timers.ResponseTimeout, tlog: cfg.Logger,
		closeNote: "registrar does not answer; trying the next one"}
	pu.wg.Add(1)
	go func() {
		defer pu.wg.Done()
		pu.lp.run(pctx, core.Tick, core.NextDeadline, pu.exec, func() bool { return false })
	}()
	return pu, nil
}

// Timers returns the timers in effect.
func (pu *PoolUser) Timers() Timers { return pu.cfg.Timers }

// Resolve returns the PEs of pool handle: from the cache while fresh, else
// from a registrar, else (no registrar answering) the stale cache entry.
func (pu *PoolUser) Resolve(ctx context.Context, handle string) (Resolution, error) {
	ch := make(chan Resolved, 1)
	var id ReqID
	err := pu.lp.call(ctx, func(now time.Time) []Action {
		pu.nextReq++
		id = pu.nextReq
		pu.waiters[id] = ch
		return pu.core.Resolve(now, wire.PoolHandle(handle), id)
	})
	if err != nil {
		return Resolution{}, fmt.Errorf("asap: resolve pool %q: %w", handle, err)
	}
	select {
	case r := <-ch:
		if r.Err != nil {
			return Resolution{}, r.Err
		}
		if r.Stale {
			pu.log.Warn("no registrar answered; using stale PE list", zap.String("pool", handle), zap.Int("pes", len(r.Elements)))
		}
		return Resolution{Elements: r.Elements, Policy: r.Policy, Stale: r.Stale}, nil
	case <-ctx.Done():
		pu.lp.post(context.Background(), func(time.Time) []Action { delete(pu.waiters, id); return nil })
		return Resolution{}, fmt.Errorf("asap: resolve pool %q: %w", handle, ctx.Err())
	case <-pu.lp.done:
		return Resolution{}, ErrClosed
	}
}

// Select resolves handle (see Resolve) and picks one PE by the pool's
// policy, leaving out PEs recently reported unreachable and exclude.
func (pu *PoolUser) Select(ctx context.Context, handle string, exclude ...wire.PEIdentifier) (wire.PoolElement, error) {
	if _, err := pu.Resolve(ctx, handle); err != nil {
		return wire.PoolElement{}, err
	}
	var pe wire.PoolElement
	var serr error
	if err := pu.lp.call(ctx, func(now time.Time) []Action {
		pe, serr = pu.core.Select(now, wire.PoolHandle(handle), exclude...)
		return nil
	}); err != nil {
		return wire.PoolElement{}, err
	}
	return pe, serr
}

// ReportUnreachable tells the registrar that PE id of handle failed and
// keeps it out of local selection for a while; the next Resolve asks a
// registrar again.
func (pu *PoolUser) ReportUnreachable(ctx context.Context, handle string, id wire.PEIdentifier) error {
	pu.log.Info("reporting PE unreachable", zap.String("pool", handle), zap.Stringer("pe", id))
	return pu.lp.call(ctx, func(now time.Time) []Action {
		return pu.core.Unreachable(now, wire.PoolHandle(handle), id)
	})
}

// Close stops the pool user and aborts its registrar associations.
// Sessions opened by it should be closed first.
func (pu *PoolUser) Close() error {
	pu.closeMu.Lock()
	if pu.closed {
		pu.closeMu.Unlock()
		return nil
	}
	pu.closed = true
	pu.closeMu.Unlock()
	pu.cancel()
	pu.links.abortAll()
	pu.wg.Wait()
	return nil
}

func (pu *PoolUser) exec(acts []Action) {
	for _, act := range acts {
		if pu.links.exec(act) {
			continue
		}
		switch act := act.(type) {
		case Resolved:
			for _, id := range act.Reqs {
				if ch := pu.waiters[id]; ch != nil {
					delete(pu.waiters, id)
					ch <- act
				}
			}
		}
	}
}
