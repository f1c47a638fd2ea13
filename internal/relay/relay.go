package relay

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"

	"github.com/sigpool/sigpool/mxua"
	"github.com/sigpool/sigpool/transport"
	"go.uber.org/zap"
)

// Config configures a Relay.
type Config struct {
	// Listen is the upstream address, e.g. "tcp://127.0.0.1:0": bare
	// SIGTRAN framing unless a prefix names another ("mux+tcp://...").
	Listen string
	// Downstream lists the N responders (or any SIGTRAN peers) to share
	// upstream traffic over; same framing rule as Listen.
	Downstream []string
	// Transport configures every association (Framing comes from the
	// addresses); PPID defaults to the protocol's.
	Transport transport.Config
	// Protocol is mxua.M3UA (default) or mxua.SUA; it only sets the PPID.
	Protocol mxua.Protocol
	Logger   *zap.Logger
}

// Relay forwards SIGTRAN messages without reading them: upstream traffic
// round robin over the downstream associations, downstream traffic back to
// the upstream it belongs to.
type Relay struct {
	cfg    Config
	l      transport.Listener
	log    *zap.Logger
	cancel context.CancelFunc
	wg     sync.WaitGroup

	forwarded, returned, dropped atomic.Uint64

	mu     sync.Mutex
	groups map[*group]bool
}

// group is one upstream association and the downstream ones dialed for it.
type group struct {
	up    transport.Association
	downs []transport.Association
	once  sync.Once
}

func (g *group) abort() {
	g.once.Do(func() {
		_ = g.up.Abort()
		for _, d := range g.downs {
			_ = d.Abort()
		}
	})
}

// Start listens for upstream associations.
func Start(ctx context.Context, cfg Config) (*Relay, error) {
	if len(cfg.Downstream) == 0 {
		return nil, errors.New("relay: no downstream address")
	}
	if cfg.Protocol == 0 {
		cfg.Protocol = mxua.M3UA
	}
	if cfg.Logger == nil {
		cfg.Logger = zap.NewNop()
	}
	addr, tcfg, err := sigtranConfig(cfg.Listen, cfg.Transport, cfg.Protocol)
	if err != nil {
		return nil, fmt.Errorf("relay: listen address: %w", err)
	}
	for _, d := range cfg.Downstream {
		if _, _, err := sigtranConfig(d, cfg.Transport, cfg.Protocol); err != nil {
			return nil, fmt.Errorf("relay: downstream address: %w", err)
		}
	}
	l, err := transport.Listen(ctx, addr, tcfg)
	if err != nil {
		return nil, fmt.Errorf("relay: %w", err)
	}
	actx, cancel := context.WithCancel(context.Background())
	r := &Relay{cfg: cfg, l: l, log: cfg.Logger, cancel: cancel, groups: map[*group]bool{}}
	r.wg.Add(1)
	go r.accept(actx)
	return r, nil
}

// Addr returns the upstream listening address with its scheme.
func (r *Relay) Addr() string { return "tcp://" + r.l.Addrs()[0].String() }

// Counts returns the messages forwarded downstream, returned upstream, and
// dropped because a send failed.
func (r *Relay) Counts() (forwarded, returned, dropped uint64) {
	return r.forwarded.Load(), r.returned.Load(), r.dropped.Load()
}

// Close stops listening and ends every association.
func (r *Relay) Close() error {
	r.cancel()
	err := r.l.Close()
	r.mu.Lock()
	for g := range r.groups {
		g.abort()
	}
	r.mu.Unlock()
	r.wg.Wait()
	return err
}

func (r *Relay) accept(ctx context.Context) {
	defer r.wg.Done()
	for {
		up, err := r.l.Accept(ctx)
		if err != nil {
			return
		}
		g, err := r.dial(ctx, up)
		if err != nil {
			r.log.Warn("relay: dropping upstream association", zap.Error(err))
			_ = up.Abort()
			continue
		}
		r.mu.Lock()
		if ctx.Err() != nil {
			r.mu.Unlock()
			g.abort()
			return
		}
		r.groups[g] = true
		r.wg.Add(1 + len(g.downs))
		r.mu.Unlock()
		go r.forward(ctx, g)
		for _, d := range g.downs {
			go r.back(ctx, g, d)
		}
	}
}

// dial opens one association to every downstream for the upstream up.
func (r *Relay) dial(ctx context.Context, up transport.Association) (*group, error) {
	g := &group{up: up}
	for _, d := range r.cfg.Downstream {
		addr, tcfg, _ := sigtranConfig(d, r.cfg.Transport, r.cfg.Protocol)
		a, err := transport.Dial(ctx, addr, tcfg)
		if err != nil {
			for _, x := range g.downs {
				_ = x.Abort()
			}
			return nil, fmt.Errorf("relay: dial downstream %s: %w", d, err)
		}
		g.downs = append(g.downs, a)
	}
	return g, nil
}

func (r *Relay) done(g *group) {
	g.abort()
	r.mu.Lock()
	delete(r.groups, g)
	r.mu.Unlock()
	r.wg.Done()
}

// forward sends upstream traffic to the downstreams in turn.
func (r *Relay) forward(ctx context.Context, g *group) {
	defer r.done(g)
	next := 0
	for {
		m, err := g.up.Recv(ctx)
		if err != nil {
			return
		}
		d := g.downs[next]
		next = (next + 1) % len(g.downs)
		// Counted before the send: once delivered, the far end may act
		// on it (and a caller read the counts) before Send returns.
		r.forwarded.Add(1)
		if err := d.Send(ctx, m); err != nil {
			r.forwarded.Add(^uint64(0))
			r.dropped.Add(1)
			return
		}
	}
}

// back returns one downstream's traffic to the upstream.
func (r *Relay) back(ctx context.Context, g *group, d transport.Association) {
	defer r.done(g)
	for {
		m, err := d.Recv(ctx)
		if err != nil {
			return
		}
		r.returned.Add(1)
		if err := g.up.Send(ctx, m); err != nil {
			r.returned.Add(^uint64(0))
			r.dropped.Add(1)
			return
		}
	}
}
