package sg

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/http"
	"slices"
	"sync"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/sigpool/sigpool/asap"
	"github.com/sigpool/sigpool/enrp"
	"github.com/sigpool/sigpool/internal/authz"
	"github.com/sigpool/sigpool/internal/logburst"
	"github.com/sigpool/sigpool/mxua"
	"github.com/sigpool/sigpool/policy"
	"github.com/sigpool/sigpool/transport"
	"github.com/sigpool/sigpool/wire"
)

// Driver defaults.
const (
	// DefaultUpstreamRoutingContext is the routing context of the AS the
	// upstream (SS7-side) ASPs go ACTIVE in.
	DefaultUpstreamRoutingContext = 1
	// DefaultResolveInterval is how often each pool is resolved (and the
	// pool user's cache TTL), so a GWC joining or leaving shows within it.
	DefaultResolveInterval = time.Second
	// DefaultEmbeddedRegistrar is where an embedded registrar takes
	// registrations when Config.ENRPListen is empty.
	DefaultEmbeddedRegistrar = "tcp://127.0.0.1:0"
	// slowQueue bounds the upstream work done outside the traffic path
	// (sends by routing key, destination announcements).
	slowQueue = 8192
	// batch is how many notifications one lock acquisition handles.
	batch = 64
)

// Config configures an SG.
type Config struct {
	// M3UAListen and SUAListen are the upstream listeners (SGP role) for
	// the SS7 side's ASPs, e.g. "tcp://127.0.0.1:2905"; empty: none. At
	// least one is needed, and one of each protocol a pool speaks.
	M3UAListen, SUAListen string
	// Uplinks are SS7-side SGPs (STPs) the SG dials as an ASP; a pool's
	// protocol needs a listener or an uplink.
	Uplinks []Uplink
	// Routes map SS7-side traffic to pools.
	Routes []Route
	// Pools configures pools; a pool a route names but Pools does not
	// gets the defaults (M3UA, routing context 1).
	Pools []PoolConfig
	// Registrars are remote registrars' ASAP addresses. Empty: an
	// embedded registrar runs in-process, taking registrations on
	// ENRPListen (RegistrarAddrs says where).
	Registrars []string
	ENRPListen string
	// Profile is the heartbeat profile of every association, M3UA BEAT
	// and ASAP timers (default carrier).
	Profile transport.Profile
	// PointCode is the SG's point code (announced for pools without one).
	PointCode uint32
	// UpstreamRoutingContext is the AS of the upstream ASPs (default 1);
	// they may also register routing keys (RKM), which then route the
	// pool's traffic to them.
	UpstreamRoutingContext uint32
	// ResolveInterval: see DefaultResolveInterval.
	ResolveInterval time.Duration
	// Core limits and timers (zero: defaults, see CoreConfig).
	MaxBindings, MaxBuffered, MaxBufferPerBinding int
	FailoverHold, BindingIdle                     time.Duration
	// Metrics, when set, serves Prometheus metrics at /metrics there
	// ("127.0.0.1:9102"; port 0: any, see MetricsAddr).
	Metrics string
	// Rand drives random policies (tests); nil: randomly seeded.
	Rand policy.Rand
	// TLSServer and TLSClient, when set, make every association toward
	// the pool mutually authenticated TLS: the pool user dials registrars
	// and GWCs with TLSClient, the embedded registrar listens with
	// TLSServer. UpstreamTLS, when set, also runs the M3UA/SUA listeners
	// over TLS (a server configuration; SS7-side peers then need
	// certificates). Nil: plain, said once at start.
	TLSServer, TLSClient, UpstreamTLS *tls.Config
	// Authorization is the embedded registrar's policy (see
	// enrp.Config.Authorization); nil: off.
	Authorization *authz.Policy
	// Capture, when set, records every association's messages (upstream,
	// GWCs, registrars) in a pcap file; the caller closes it after Close.
	Capture *transport.Capture
	// Logger; nil logs nothing.
	Logger *zap.Logger
}

// SG is a running signalling gateway: upstream M3UA/SUA listeners, a pool
// user (with an embedded registrar or remote ones), an association to
// every GWC of each pool and the core that shares the traffic.
type SG struct {
	cfg Config
	log *zap.Logger
	reg *enrp.Registrar
	pu  *asap.PoolUser
	up  map[mxua.Protocol]*mxua.SGPServer
	// uplinks are the STPs the SG dials as an ASP (fixed after Start).
	uplinks []*uplink
	down    map[mxua.Protocol]*mxua.SGPServer

	ctx    context.Context
	cancel context.CancelFunc
	wg     sync.WaitGroup // resolvers, ticker, slow worker, dials, control readers
	nwg    sync.WaitGroup // notification readers

	slow chan func()

	metricsLn  net.Listener
	metricsSrv *http.Server

	mu    sync.Mutex // serialises the core and the actions it returns
	core  *Core
	conns map[assocKey]*peConn
	// full: GWC associations a send found full during exec, marked
	// congested once its actions are done (the core's output is being
	// walked meanwhile).
	full    []assocKey
	changed chan struct{} // closed and replaced on PE state changes
	closed  bool
	dcnt    driverCounters
	hist    histogram
}

// driverCounters count what went wrong outside the core.
type driverCounters struct {
	SendFailures    uint64 // SendTo refused (association gone, queue full)
	SlowDropped     uint64 // upstream work dropped: its queue was full
	EchoFailures    uint64 // Cookie Echoes that could not be sent
	UpstreamDropped uint64 // by-key sends the upstream SGP refused
}

// peConn is one association to a GWC.
type peConn struct {
	key  assocKey
	pool string
	pe   wire.PEIdentifier
	ctl  *asap.ControlledAssociation
	// echoes wait here (under SG.mu) for the echo worker; wake tells it.
	echoes []echoJob
	// congested: what the core was last told of the association's send
	// queue (under SG.mu).
	congested bool
	wake      chan struct{}
	done      chan struct{}
}

type echoJob struct {
	ck  wire.Cookie
	key mxua.BindingKey
}

// Start starts an SG. It returns once listening; GWCs are found and
// dialed in the background (WaitActive waits for them).
func Start(ctx context.Context, cfg Config) (*SG, error) {
	log := cfg.Logger
	if log == nil {
		log = zap.NewNop()
	}
	if cfg.Profile == (transport.Profile{}) {
		p, err := transport.LookupProfile("carrier")
		if err != nil {
			return nil, err
		}
		cfg.Profile = p
	}
	if cfg.UpstreamRoutingContext == 0 {
		cfg.UpstreamRoutingContext = DefaultUpstreamRoutingContext
	}
	if cfg.ResolveInterval <= 0 {
		cfg.ResolveInterval = DefaultResolveInterval
	}
	if cfg.M3UAListen == "" && cfg.SUAListen == "" && len(cfg.Uplinks) == 0 {
		return nil, errors.New("sg: no upstream: an M3UA or SUA listener, or an uplink")
	}
	uplinks, err := checkUplinks(cfg.Uplinks, cfg.UpstreamRoutingContext)
	if err != nil {
		return nil, err
	}
	pools := slices.Clone(cfg.Pools)
	for _, r := range cfg.Routes {
		if !slices.ContainsFunc(pools, func(p PoolConfig) bool { return p.Handle == r.Pool }) {
			pools = append(pools, PoolConfig{Handle: r.Pool})
		}
	}
	core, err := NewCore(CoreConfig{Pools: pools, Routes: cfg.Routes, PointCode: cfg.PointCode,
		MaxBindings: cfg.MaxBindings, MaxBuffered: cfg.MaxBuffered, MaxBufferPerBinding: cfg.MaxBufferPerBinding,
		FailoverHold: cfg.FailoverHold, BindingIdle: cfg.BindingIdle, Rand: cfg.Rand})
	if err != nil {
		return nil, err
	}
	listen := map[mxua.Protocol]string{mxua.M3UA: cfg.M3UAListen, mxua.SUA: cfg.SUAListen}
	for _, p := range core.Pools() {
		if listen[p.Protocol] == "" && !slices.ContainsFunc(uplinks, func(u Uplink) bool { return u.Protocol == p.Protocol }) {
			return nil, fmt.Errorf("sg: pool %q speaks %v but there is no %v listener or uplink", p.Handle, p.Protocol, p.Protocol)
		}
	}

	s := &SG{cfg: cfg, log: log, core: core, up: map[mxua.Protocol]*mxua.SGPServer{}, down: map[mxua.Protocol]*mxua.SGPServer{},
		conns: map[assocKey]*peConn{}, changed: make(chan struct{}), slow: make(chan func(), slowQueue), hist: newHistogram()}
	s.ctx, s.cancel = context.WithCancel(context.WithoutCancel(ctx))
	for i, u := range uplinks {
		s.uplinks = append(s.uplinks, &uplink{cfg: u, id: uplinkBase | mxua.AssocID(i)})
	}
	fail := func(err error) (*SG, error) {
		s.Close()
		return nil, err
	}

	registrars := cfg.Registrars
	if len(registrars) == 0 {
		if s.reg, err = startRegistrar(ctx, cfg, log); err != nil {
			return fail(err)
		}
		registrars = s.reg.Addrs(wire.ProtocolASAP)
	}
	s.pu, err = asap.NewPoolUser(ctx, asap.PUConfig{Registrars: registrars, Profile: cfg.Profile, Items: wire.AllItems,
		Timers: asap.Timers{CacheTTL: cfg.ResolveInterval}, TLS: cfg.TLSClient, Capture: cfg.Capture, Logger: log.Named("pu")})
	if err != nil {
		return fail(fmt.Errorf("sg: pool user: %w", err))
	}

	tcfg := transport.Config{Profile: cfg.Profile, Logger: quiet(log), Capture: cfg.Capture}
	upcfg := tcfg
	upcfg.TLS = cfg.UpstreamTLS
	for _, proto := range []mxua.Protocol{mxua.M3UA, mxua.SUA} {
		var ases []mxua.ASConfig
		for _, p := range core.Pools() {
			if p.Protocol == proto && !slices.ContainsFunc(ases, func(a mxua.ASConfig) bool { return a.RoutingContext == p.RoutingContext }) {
				ases = append(ases, mxua.ASConfig{RoutingContext: p.RoutingContext, Name: p.Handle})
			}
		}
		if len(ases) > 0 {
			srv, err := mxua.NewSGPServer(ctx, mxua.SGPServerConfig{Address: "pool " + proto.String(), Transport: tcfg,
				SGP: mxua.SGPConfig{Protocol: proto, ASes: ases, Profile: cfg.Profile}, Logger: log.Named("pool")})
			if err != nil {
				return fail(fmt.Errorf("sg: %v pool side: %w", proto, err))
			}
			s.down[proto] = srv
		}
		if listen[proto] == "" {
			continue
		}
		srv, err := mxua.ListenSGP(ctx, mxua.SGPServerConfig{Address: listen[proto], Transport: upcfg,
			SGP: mxua.SGPConfig{Protocol: proto, Profile: cfg.Profile, AllowDynamicRegistration: true,
				// The empty key matches everything: traffic from the pool
				// that has no dialogue to follow back goes here, unless an
				// upstream ASP registered a more specific key.
				ASes: []mxua.ASConfig{{RoutingContext: cfg.UpstreamRoutingContext, Name: "ss7", Keys: []mxua.RoutingKey{{}}}}},
			Logger: log.Named("ss7")})
		if err != nil {
			return fail(fmt.Errorf("sg: %v listener: %w", proto, err))
		}
		s.up[proto] = srv
	}
	if cfg.Metrics != "" {
		if err := s.serveMetrics(cfg.Metrics); err != nil {
			return fail(err)
		}
	}

	for proto, srv := range s.up {
		s.nwg.Add(1)
		go s.readUpstream(proto, srv)
	}
	for proto, srv := range s.down {
		s.nwg.Add(1)
		go s.readDownstream(proto, srv)
	}
	for _, u := range s.uplinks {
		s.nwg.Add(1)
		go s.runUplink(u)
	}
	s.step(func(now time.Time) []Action { return s.core.Start(now) })
	s.wg.Add(2)
	go s.slowWorker()
	go s.ticker()
	for _, p := range core.Pools() {
		s.wg.Add(1)
		go s.resolver(p.Handle)
	}
	log.Info("SG started", zap.String("m3ua", s.M3UAAddr()), zap.String("sua", s.SUAAddr()),
		zap.Strings("registrars", registrars), zap.Bool("embedded_registrar", s.reg != nil), zap.String("profile", cfg.Profile.Name),
		zap.Bool("tls", cfg.TLSClient != nil), zap.Bool("upstream_tls", cfg.UpstreamTLS != nil))
	if cfg.TLSClient == nil {
		log.Warn("SG is plain toward registrars and GWCs: associations are unauthenticated and unencrypted (set TLS certificates for mutual TLS)")
	}
	return s, nil
}

// quiet keeps per-association transport chatter at debug level.
func quiet(log *zap.Logger) *zap.Logger {
	if log.Core().Enabled(zapcore.DebugLevel) {
		return log
	}
	return log.WithOptions(zap.IncreaseLevel(zapcore.WarnLevel))
}

func startRegistrar(ctx context.Context, cfg Config, log *zap.Logger) (*enrp.Registrar, error) {
	addr := cfg.ENRPListen
	if addr == "" {
		addr = DefaultEmbeddedRegistrar
	}
	var b [4]byte
	var id uint32
	for id == 0 {
		if _, err := rand.Read(b[:]); err != nil {
			return nil, fmt.Errorf("sg: registrar server ID: %w", err)
		}
		id = binary.BigEndian.Uint32(b[:])
	}
	core := enrp.ConfigForProfile(cfg.Profile)
	core.ServerID = id
	core.Authorization = cfg.Authorization
	r, err := enrp.Start(ctx, enrp.Options{Core: core, Listen: []string{addr}, Profile: cfg.Profile, Logger: log.Named("enrp"),
		TLSServer: cfg.TLSServer, TLSClient: cfg.TLSClient, Capture: cfg.Capture})
	if err != nil {
		return nil, fmt.Errorf("sg: embedded registrar: %w", err)
	}
	return r, nil
}

// M3UAAddr is the upstream M3UA listener's address ("" if none), ready
// for mxua.DialASP.
func (s *SG) M3UAAddr() string { return s.upAddr(mxua.M3UA) }

// SUAAddr is the upstream SUA listener's address ("" if none).
func (s *SG) SUAAddr() string { return s.upAddr(mxua.SUA) }

func (s *SG) upAddr(p mxua.Protocol) string {
	if srv := s.up[p]; srv != nil {
		return srv.Addr()
	}
	return ""
}

// RegistrarAddrs are the embedded registrar's ASAP addresses, where GWCs
// register (nil with remote registrars).
func (s *SG) RegistrarAddrs() []string {
	if s.reg == nil {
		return nil
	}
	return s.reg.Addrs(wire.ProtocolASAP)
}

// MetricsAddr is the address metrics are served on ("" if not).
func (s *SG) MetricsAddr() string {
	if s.metricsLn == nil {
		return ""
	}
	return s.metricsLn.Addr().String()
}

// Stats returns a snapshot of the counters, pools, GWCs and upstream
// peers.
func (s *SG) Stats() Stats {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := s.core.Stats()
	st.SendFailures = s.dcnt.SendFailures
	st.SlowDropped = s.dcnt.SlowDropped
	st.EchoFailures = s.dcnt.EchoFailures
	st.UpstreamDropped = s.dcnt.UpstreamDropped
	for i := range st.Upstream {
		if u := s.uplinkOf(st.Upstream[i].Assoc); u != nil {
			st.Upstream[i].Uplink = u.cfg.Address
		}
	}
	return st
}

// WaitActive waits until pool handle has at least n ASP-ACTIVE GWCs.
func (s *SG) WaitActive(ctx context.Context, handle string, n int) error {
	for {
		s.mu.Lock()
		ch := s.changed
		st := s.core.Stats()
		s.mu.Unlock()
		for _, p := range st.Pools {
			if p.Handle == handle && p.Active >= n {
				return nil
			}
		}
		select {
		case <-ch:
		case <-ctx.Done():
			return fmt.Errorf("sg: waiting for %d active GWCs in pool %q: %w", n, handle, ctx.Err())
		}
	}
}

// Close stops the SG: listeners, GWC associations, pool user, registrar.
func (s *SG) Close() error {
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		return nil
	}
	s.closed = true
	s.mu.Unlock()
	s.cancel()
	if s.metricsSrv != nil {
		_ = s.metricsSrv.Close()
	}
	for _, srv := range s.up {
		_ = srv.Close()
	}
	for _, srv := range s.down {
		_ = srv.Close()
	}
	s.nwg.Wait()
	if s.pu != nil {
		_ = s.pu.Close()
	}
	s.wg.Wait()
	if s.reg != nil {
		_ = s.reg.Close()
	}
	return nil
}

// --- the core's loop -------------------------------------------------

// step runs f on the core under the lock and carries out its actions.
func (s *SG) step(f func(now time.Time) []Action) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return
	}
	s.exec(f(time.Now()))
}

// stateChanged wakes WaitActive (lock held).
func (s *SG) stateChanged() {
	close(s.changed)
	s.changed = make(chan struct{})
}

// exec carries out actions in order (lock held). Sends to the GWCs and
// back to an upstream ASP only queue (SendTo never waits); the rest goes
// to goroutines.
func (s *SG) exec(acts []Action) {
	for i := range acts {
		a := &acts[i]
		switch a.Kind {
		case ActSendPE:
			if err := s.down[a.Proto].SendTo(s.ctx, a.Assoc, a.Msg); err != nil {
				s.dcnt.SendFailures++
				s.log.Debug("send to GWC failed", zap.Uint64("assoc", uint64(a.Assoc)), zap.Error(err))
				if errors.Is(err, mxua.ErrSendQueueFull) {
					s.full = append(s.full, assocKey{a.Proto, a.Assoc})
				}
			}
		case ActSendUpstream:
			if u := s.uplinkOf(a.Assoc); u != nil {
				s.sendUplink(u, a.Msg)
				continue
			}
			srv := s.up[a.Proto]
			if srv == nil {
				// No listener: an uplink carries what has no origin.
				if u := s.activeUplink(a.Proto); u != nil {
					s.sendUplink(u, a.Msg)
				} else {
					s.dcnt.UpstreamDropped++
				}
				continue
			}
			if a.Assoc != 0 {
				err := srv.SendTo(s.ctx, a.Assoc, a.Msg)
				if err == nil {
					continue
				}
				s.log.Debug("send to upstream ASP failed; routing by key", zap.Error(err))
				a.Msg.RoutingContexts = nil // fall back to the routing key
			}
			m := a.Msg
			s.slowly(func() {
				if err := srv.Send(s.ctx, m); err != nil {
					s.mu.Lock()
					s.dcnt.UpstreamDropped++
					s.mu.Unlock()
				}
			})
		case ActCookieEcho:
			pc := s.conns[assocKey{a.Proto, a.Assoc}]
			if pc == nil {
				s.dcnt.EchoFailures++
				continue
			}
			pc.echoes = append(pc.echoes, echoJob{ck: a.Cookie, key: a.Key})
			select {
			case pc.wake <- struct{}{}:
			default:
			}
		case ActDialPE:
			el, pool := *a.Element, a.Pool
			s.wg.Add(1)
			go s.dial(pool, el)
		case ActClosePE:
			s.stateChanged()
			if pc := s.conns[assocKey{a.Proto, a.Assoc}]; pc != nil {
				s.log.Info("GWC left the pool; closing its association", zap.String("pool", a.Pool), zap.Stringer("pe", a.PE))
				go pc.ctl.Close()
			}
		case ActReportUnreachable:
			pool, id, reason := a.Pool, a.PE, a.Reason
			s.log.Warn("GWC unreachable", zap.String("pool", pool), zap.Stringer("pe", id), zap.String("reason", reason))
			s.slowly(func() {
				ctx, cancel := context.WithTimeout(s.ctx, 5*time.Second)
				defer cancel()
				if err := s.pu.ReportUnreachable(ctx, pool, id); err != nil && s.ctx.Err() == nil {
					s.log.Info("Endpoint Unreachable not sent", zap.Error(err))
				}
			})
		case ActSetDestination:
			d := a.Dest
			s.log.Info("pool availability", zap.String("pool", a.Pool), zap.Uint32("point_code", d.PointCode), zap.Stringer("state", d.State))
			for _, srv := range s.up {
				srv := srv
				s.slowly(func() { _ = srv.SetDestination(s.ctx, d) })
			}
		case ActFailover:
			s.stateChanged()
			if a.Lost > 0 {
				s.hist.observe(a.Duration)
			}
			s.log.Warn("GWC lost: bindings moved", zap.String("pool", a.Pool), zap.Stringer("pe", a.PE), zap.String("reason", a.Reason),
				zap.Int("bindings", a.Count), zap.Uint64("unanswered", a.Lost), zap.Uint64("resent", a.Resent), zap.Duration("failover_time", a.Duration))
		case ActDiscard:
			if s.log.Core().Enabled(zapcore.DebugLevel) {
				s.log.Debug("messages dropped", zap.Int("count", a.Count), zap.String("reason", a.Reason))
			}
		}
	}
	for len(s.full) > 0 {
		k := s.full[len(s.full)-1]
		s.full = s.full[:len(s.full)-1]
		if pc := s.conns[k]; pc != nil {
			s.setCongested(time.Now(), pc, true)
		}
	}
}

// slowly queues upstream work that may wait (lock held or not).
func (s *SG) slowly(f func()) {
	select {
	case s.slow <- f:
	default:
		s.dcnt.SlowDropped++
	}
}

func (s *SG) slowWorker() {
	defer s.wg.Done()
	for {
		select {
		case f := <-s.slow:
			f()
		case <-s.ctx.Done():
			return
		}
	}
}

func (s *SG) ticker() {
	defer s.wg.Done()
	period := 100 * time.Millisecond
	if h := s.cfg.FailoverHold; h > 0 && h/4 < period {
		period = max(h/4, 5*time.Millisecond)
	}
	t := time.NewTicker(period)
	defer t.Stop()
	for {
		select {
		case <-t.C:
			s.step(func(now time.Time) []Action {
				s.checkCongestion(now)
				return s.core.Tick(now)
			})
		case <-s.ctx.Done():
			return
		}
	}
}

// checkCongestion tells the core which GWC associations are congested
// (send queue over half full) and which no longer are (under a quarter:
// no flapping around one level), so that new bindings avoid the former
// (lock held).
func (s *SG) checkCongestion(now time.Time) {
	for k, pc := range s.conns {
		srv := s.down[k.proto]
		if srv == nil {
			continue
		}
		on := pc.congested
		switch n, c := srv.SendQueue(k.assoc); {
		case 2*n > c:
			on = true
		case 4*n < c:
			on = false
		}
		s.setCongested(now, pc, on)
	}
}

// setCongested records a GWC association's congestion and tells the core
// when it changed (lock held).
func (s *SG) setCongested(now time.Time, pc *peConn, on bool) {
	if pc.congested == on {
		if on { // again: the PE may have left ACTIVE and come back meanwhile
			s.exec(s.core.Congestion(now, pc.key.proto, pc.key.assoc, true))
		}
		return
	}
	pc.congested = on
	if on {
		s.log.Warn("GWC congested: new calls and dialogues go to the others", zap.String("pool", pc.pool), zap.Stringer("pe", pc.pe))
	} else {
		s.log.Info("GWC no longer congested", zap.String("pool", pc.pool), zap.Stringer("pe", pc.pe))
	}
	s.exec(s.core.Congestion(now, pc.key.proto, pc.key.assoc, on))
}

// resolver resolves a pool every ResolveInterval. A registrar's "unknown
// pool handle" is an empty pool; no answer at all changes nothing.
func (s *SG) resolver(handle string) {
	defer s.wg.Done()
	t := time.NewTicker(s.cfg.ResolveInterval)
	defer t.Stop()
	for {
		ctx, cancel := context.WithTimeout(s.ctx, 5*time.Second)
		res, err := s.pu.Resolve(ctx, handle)
		cancel()
		switch {
		case err == nil:
			s.step(func(now time.Time) []Action {
				return s.core.Resolved(now, handle, res.Elements, res.Policy, res.Stale)
			})
		case errors.Is(err, asap.ErrResolution):
			s.step(func(now time.Time) []Action { return s.core.Resolved(now, handle, nil, 0, false) })
		case s.ctx.Err() == nil:
			s.log.Debug("pool resolution failed", zap.String("pool", handle), zap.Error(err))
		}
		select {
		case <-t.C:
		case <-s.ctx.Done():
			return
		}
	}
}

// dial opens the association to a GWC, splits off ASAP control and hands
// the data side to the pool's SGP server.
func (s *SG) dial(handle string, el wire.PoolElement) {
	defer s.wg.Done()
	proto := s.poolProtocol(handle)
	ctx, cancel := context.WithTimeout(s.ctx, 5*time.Second)
	defer cancel()
	a, err := asap.DialPE(ctx, el, transport.Config{Profile: s.cfg.Profile, Framing: transport.FramingMux, PPID: proto.PPID(), Logger: quiet(s.log),
		TLS: s.cfg.TLSClient, Capture: s.cfg.Capture})
	if err != nil {
		if s.ctx.Err() == nil {
			s.log.Warn("cannot dial GWC", zap.String("pool", handle), zap.Stringer("pe", el.Identifier), zap.Error(err))
		}
		s.step(func(now time.Time) []Action { return s.core.DialFailed(now, handle, el.Identifier, err.Error()) })
		return
	}
	ctl := asap.SplitControl(a, asap.ControlLogger(s.log))
	// Attach under the lock: this association's notifications wait until
	// the core knows which PE it is.
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		_ = ctl.Abort()
		return
	}
	id, err := s.down[proto].Attach(ctx, ctl)
	if err != nil {
		s.mu.Unlock()
		_ = ctl.Abort()
		s.step(func(now time.Time) []Action { return s.core.DialFailed(now, handle, el.Identifier, err.Error()) })
		return
	}
	pc := &peConn{key: assocKey{proto, id}, pool: handle, pe: el.Identifier, ctl: ctl, wake: make(chan struct{}, 1), done: make(chan struct{})}
	s.conns[pc.key] = pc
	s.wg.Add(2)
	go s.readControl(pc)
	go s.echoWorker(pc)
	s.log.Info("GWC association up", zap.String("pool", handle), zap.Stringer("pe", el.Identifier), zap.Uint64("assoc", uint64(id)))
	s.stateChanged()
	s.exec(s.core.PEConnected(time.Now(), handle, el.Identifier, id))
	s.mu.Unlock()
}

func (s *SG) poolProtocol(handle string) mxua.Protocol {
	for _, p := range s.core.Pools() {
		if p.Handle == handle {
			return p.Protocol
		}
	}
	return mxua.M3UA
}

// readControl takes the GWC's ASAP Cookies; the channel's end is the
// association's.
func (s *SG) readControl(pc *peConn) {
	defer s.wg.Done()
	defer close(pc.done)
	for m := range pc.ctl.Control() {
		if ck, ok := m.(*wire.CookieMessage); ok {
			s.step(func(now time.Time) []Action { return s.core.Cookie(now, pc.key.proto, pc.key.assoc, ck.Cookie) })
		}
	}
	s.mu.Lock()
	delete(s.conns, pc.key)
	s.mu.Unlock()
	s.step(func(now time.Time) []Action {
		s.stateChanged()
		return s.core.Disconnected(now, pc.key.proto, pc.key.assoc, "association ended", true)
	})
}

// echoWorker sends a GWC its Cookie Echoes in order and tells the core
// each one went, so that the binding's held messages follow it.
func (s *SG) echoWorker(pc *peConn) {
	defer s.wg.Done()
	for {
		select {
		case <-pc.wake:
		case <-pc.done:
			return
		case <-s.ctx.Done():
			return
		}
		for {
			s.mu.Lock()
			if len(pc.echoes) == 0 {
				pc.echoes = nil
				s.mu.Unlock()
				break
			}
			j := pc.echoes[0]
			pc.echoes[0] = echoJob{}
			pc.echoes = pc.echoes[1:]
			s.mu.Unlock()
			ctx, cancel := context.WithTimeout(s.ctx, 2*time.Second)
			err := pc.ctl.SendCookieEcho(ctx, j.ck)
			if s.log.Core().Enabled(zapcore.DebugLevel) {
				s.log.Debug("cookie echo", zap.Stringer("pe", pc.pe), zap.Stringer("key", j.key), zap.Error(err))
			}
			cancel()
			s.step(func(now time.Time) []Action {
				if err != nil {
					s.dcnt.EchoFailures++
				}
				return s.core.EchoDone(now, pc.key.proto, pc.key.assoc, j.key, err)
			})
		}
	}
}

// readUpstream feeds the SS7 side's traffic and ASP states to the core,
// a batch per lock.
func (s *SG) readUpstream(proto mxua.Protocol, srv *mxua.SGPServer) {
	defer s.nwg.Done()
	var discards logburst.Counter // this reader's own
	s.readNotes(srv.Notifications(), func(now time.Time, n mxua.Notify) []Action {
		switch n.Kind {
		case mxua.NotifyDeliver:
			return s.core.FromSS7(now, proto, n.Assoc, n.RoutingContext, n.Msg)
		case mxua.NotifyASPState:
			s.log.Info("upstream ASP", zap.Stringer("protocol", proto), zap.Uint64("assoc", uint64(n.Assoc)), zap.Stringer("state", n.ASP), zap.String("reason", n.Reason))
			return s.core.UpstreamASP(now, proto, n.Assoc, n.ASP)
		case mxua.NotifyDiscarded:
			s.upstreamDiscarded(now, &discards, s.log, "upstream SGP discarded traffic", n)
		}
		return nil
	})
}

// upstreamDiscarded counts what an SS7-side endpoint dropped (n) and says
// so once a second at most through the reader's own counter (lock held).
func (s *SG) upstreamDiscarded(now time.Time, discards *logburst.Counter, log *zap.Logger, msg string, n mxua.Notify) {
	s.dcnt.UpstreamDropped += uint64(max(n.Count, 1))
	if c := discards.Add(now, max(n.Count, 1)); c > 0 {
		log.Warn(msg, zap.Int("count", c), zap.String("last_reason", n.Reason))
	}
}

// readDownstream feeds the GWCs' traffic and ASP states to the core.
func (s *SG) readDownstream(proto mxua.Protocol, srv *mxua.SGPServer) {
	defer s.nwg.Done()
	s.readNotes(srv.Notifications(), func(now time.Time, n mxua.Notify) []Action {
		switch n.Kind {
		case mxua.NotifyDeliver:
			return s.core.FromPool(now, proto, n.Assoc, n.Msg)
		case mxua.NotifyASPState:
			s.log.Info("GWC ASP", zap.Stringer("protocol", proto), zap.Uint64("assoc", uint64(n.Assoc)), zap.Stringer("state", n.ASP), zap.String("reason", n.Reason))
			s.stateChanged()
			return s.core.ASPState(now, proto, n.Assoc, n.ASP)
		case mxua.NotifyPeerLost:
			s.stateChanged()
			return s.core.Disconnected(now, proto, n.Assoc, "BEAT: "+n.Reason, true)
		case mxua.NotifyDiscarded:
			s.dcnt.SendFailures += uint64(max(n.Count, 1))
		}
		return nil
	})
}

// readNotes handles notifications until the channel closes: one blocking
// read, then whatever else is queued (up to a batch) under one lock.
func (s *SG) readNotes(ch <-chan mxua.Notify, handle func(now time.Time, n mxua.Notify) []Action) {
	for n := range ch {
		s.mu.Lock()
		now := time.Now()
		if !s.closed {
			s.exec(handle(now, n))
		}
	more:
		for i := 1; i < batch; i++ {
			select {
			case n2, ok := <-ch:
				if !ok {
					break more
				}
				if !s.closed {
					s.exec(handle(now, n2))
				}
			default:
				break more
			}
		}
		s.mu.Unlock()
	}
}
