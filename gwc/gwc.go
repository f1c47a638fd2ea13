package gwc

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"math"
	"net"
	"net/http"
	"sort"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/sigpool/sigpool/asap"
	"github.com/sigpool/sigpool/internal/authz"
	"github.com/sigpool/sigpool/internal/logburst"
	"github.com/sigpool/sigpool/mxua"
	"github.com/sigpool/sigpool/transport"
	"github.com/sigpool/sigpool/wire"
)

// Defaults of Config.
const (
	DefaultPool         = "gwc"
	DefaultListen       = "tcp://127.0.0.1:0"
	DefaultCapacity     = 1000
	DefaultLoadInterval = time.Second
	// peerQueue bounds the messages and cookies waiting per SG association.
	peerQueue = 4096
)

// Config configures a GWC.
type Config struct {
	// Pool is the pool handle to register under (DefaultPool when empty).
	Pool string
	// Registrars are the ENRP registrars' ASAP addresses, in failover order.
	Registrars []string
	// Listen is the user transport the SG dials (DefaultListen when empty):
	// tcp:// (mux framing: M3UA or SUA and ASAP share the association by
	// PPID), sctp:// or auto://.
	Listen string
	// Advertise, when set, is registered as the user transport instead of
	// the listener's address (a proxy or NAT in front of the GWC).
	Advertise string
	// Policy is the PE's selection policy; zero is Least Used, whose load
	// the GWC keeps current.
	Policy wire.Policy
	// Identifier is the PE ID (zero: random); it is also the ASP
	// Identifier sent in ASP Up.
	Identifier wire.PEIdentifier
	// Profile is the heartbeat profile of every association (zero:
	// carrier).
	Profile transport.Profile
	// Protocol is M3UA (zero) or SUA.
	Protocol mxua.Protocol
	// RoutingContext, when non-zero, is sent in ASP Active and on answers
	// that came without one.
	RoutingContext uint32
	// Agent configures the call agent.
	Agent AgentConfig
	// Capacity is the number of calls and dialogues at load 1.0
	// (DefaultCapacity when zero).
	Capacity int
	// LoadInterval is the shortest time between two load updates to the
	// registrar (DefaultLoadInterval when zero).
	LoadInterval time.Duration
	// Metrics, when set, is a TCP address to serve /metrics on (port 0:
	// any; see MetricsAddr).
	Metrics string
	// TLSServer, when set, runs the user transport (where SGs dial in)
	// over TLS and requires their certificates; TLSClient is used toward
	// registrars. Nil: plain, said once at start.
	TLSServer, TLSClient *tls.Config
	// Authorization, when set, decides which peers the user transport
	// serves, by the names in their TLS certificates: an SG whose identity
	// may resolve Pool (a pool user of it), or a registrar (peer), which
	// calls in there for keep-alives. Others are aborted at once. Nil:
	// every peer TLS lets in (any certificate of the CA).
	Authorization *authz.Policy
	// Capture, when set, records every association's messages (SGs and
	// registrars) in a pcap file; the caller closes it after Close.
	Capture *transport.Capture
	// Logger; nil logs nothing.
	Logger *zap.Logger
}

func (c *Config) setDefaults() error {
	if c.Pool == "" {
		c.Pool = DefaultPool
	}
	if c.Listen == "" {
		c.Listen = DefaultListen
	}
	if c.Policy.Type == 0 {
		c.Policy.Type = wire.PolicyLeastUsed
	}
	if c.Profile == (transport.Profile{}) {
		p, err := transport.LookupProfile("carrier")
		if err != nil {
			return fmt.Errorf("gwc: %w", err)
		}
		c.Profile = p
	}
	if c.Protocol == 0 {
		c.Protocol = mxua.M3UA
	}
	if c.Protocol != mxua.M3UA && c.Protocol != mxua.SUA {
		return fmt.Errorf("gwc: protocol %v: want M3UA or SUA", c.Protocol)
	}
	if c.Capacity < 0 || c.LoadInterval < 0 {
		return fmt.Errorf("gwc: capacity %d and load interval %v must not be negative", c.Capacity, c.LoadInterval)
	}
	if c.Capacity == 0 {
		c.Capacity = DefaultCapacity
	}
	if c.LoadInterval == 0 {
		c.LoadInterval = DefaultLoadInterval
	}
	if c.Logger == nil {
		c.Logger = zap.NewNop()
	}
	return c.Agent.validate()
}

// Stats is what a GWC has done.
type Stats struct {
	AgentStats
	// Load is the last load computed (registered at most LoadInterval later).
	Load float64
	// CookiesSent: Cookies handed to the SG; CookieEchoes: Cookie Echoes
	// received; SendFailures: answers or Cookies that could not be sent
	// (no SG association, queue full, ASP not active).
	CookiesSent, CookieEchoes, SendFailures uint64
	// Refused counts associations the authorization policy turned away.
	Refused uint64
	// MessagesIn and MessagesOut count transfer messages over all SG
	// associations, past ones included.
	MessagesIn, MessagesOut uint64
	// Peers are the SG associations being served.
	Peers []PeerStats
}

// PeerStats describes one SG association.
type PeerStats struct {
	ID                                   Peer
	Remote                               string
	ASP                                  mxua.ASPState
	MessagesIn, MessagesOut, CookiesSent uint64
}

// GWC is a running gateway controller: an ASAP pool element whose SG
// associations each carry an ASP, feeding one call agent.
type GWC struct {
	cfg         Config
	log         *zap.Logger
	pe          *asap.PoolElement
	carriesLoad bool

	ctx      context.Context
	cancel   context.CancelFunc
	wg       sync.WaitGroup
	inbox    chan func(now time.Time)
	loopDone chan struct{}
	loads    chan float64

	// loop-owned
	agent    *CallAgent
	lastLoad float64

	mu       sync.Mutex
	peers    map[Peer]*peer
	nextPeer Peer
	final    AgentStats // the agent's counters once the loop has ended

	load                              atomic.Uint64 // float64 bits
	cookiesSent, echoes, sendFailures atomic.Uint64
	refused                           atomic.Uint64
	messagesIn, messagesOut           atomic.Uint64
	httpSrv                           *http.Server
	metricsAddr                       string
	closeOnce                         sync.Once
}

// peer is one SG association.
type peer struct {
	id     Peer
	remote string
	pa     *asap.PEAssociation
	ep     *mxua.ASPEndpoint
	out    chan outbound
	quit   chan struct{}
	asp    atomic.Uint32
	in     atomic.Uint64
	sent   atomic.Uint64
	cookie atomic.Uint64
	// discards: messages the ASP dropped, between warnings (owned by the
	// goroutine reading the ASP's notifications); queueDrops: messages out
	// refused by a full out queue, between warnings (loop only).
	discards, queueDrops logburst.Counter
}

// outbound is a message or a Cookie for the SG.
type outbound struct {
	msg    *mxua.Message
	cookie []byte
}

// Start registers the GWC's pool element and serves the SGs that connect.
// It returns once listening; Registered waits for the registrar.
func Start(ctx context.Context, cfg Config) (*GWC, error) {
	if err := cfg.setDefaults(); err != nil {
		return nil, err
	}
	agent, err := NewCallAgent(cfg.Agent)
	if err != nil {
		return nil, err
	}
	gctx, cancel := context.WithCancel(context.WithoutCancel(ctx))
	g := &GWC{
		cfg: cfg, agent: agent, carriesLoad: cfg.Policy.Type.CarriesLoad(),
		ctx: gctx, cancel: cancel,
		inbox: make(chan func(time.Time), 1024), loopDone: make(chan struct{}), loads: make(chan float64, 1),
		peers: map[Peer]*peer{},
	}
	pol := cfg.Policy
	if g.carriesLoad {
		pol.Load = 0
	}
	g.pe, err = asap.StartPoolElement(ctx, asap.PEConfig{
		PoolHandle: cfg.Pool, Registrars: cfg.Registrars, Listen: cfg.Listen, Advertise: cfg.Advertise, Policy: pol,
		Identifier: cfg.Identifier, Profile: cfg.Profile, Logger: cfg.Logger,
		TLSServer: cfg.TLSServer, TLSClient: cfg.TLSClient, Capture: cfg.Capture,
	})
	if err != nil {
		cancel()
		return nil, fmt.Errorf("gwc: %w", err)
	}
	g.cfg.Identifier = g.pe.Identifier()
	g.log = cfg.Logger.With(zap.Stringer("pe", g.pe.Identifier()))
	if cfg.Metrics != "" {
		ln, err := net.Listen("tcp", cfg.Metrics)
		if err != nil {
			cancel()
			_ = g.pe.Close(context.Background())
			return nil, fmt.Errorf("gwc: metrics listener on %s: %w", cfg.Metrics, err)
		}
		mux := http.NewServeMux()
		mux.Handle("/metrics", g.MetricsHandler())
		g.httpSrv = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
		g.metricsAddr = ln.Addr().String()
		g.wg.Add(1)
		go func() {
			defer g.wg.Done()
			if err := g.httpSrv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
				g.log.Error("metrics server stopped", zap.Error(err))
			}
		}()
	}
	g.wg.Add(3)
	go func() {
		defer g.wg.Done()
		g.run()
	}()
	go func() {
		defer g.wg.Done()
		g.acceptLoop()
	}()
	go func() {
		defer g.wg.Done()
		g.loadLoop()
	}()
	g.log.Info("GWC started", zap.String("pool", cfg.Pool), zap.Stringer("user_transport", g.pe.UserTransport()),
		zap.Stringer("protocol", cfg.Protocol), zap.Stringer("policy", cfg.Policy.Type), zap.String("metrics", g.metricsAddr),
		zap.Bool("tls", cfg.TLSServer != nil))
	if cfg.TLSServer == nil || cfg.TLSClient == nil {
		g.log.Warn("GWC is plain: its SG and registrar associations are unauthenticated and unencrypted (set TLS certificates for mutual TLS)")
	}
	return g, nil
}

// Registered waits for the registrar to accept the pool element (see
// asap.PoolElement.Registered).
func (g *GWC) Registered(ctx context.Context) error { return g.pe.Registered(ctx) }

// Identifier returns the PE ID.
func (g *GWC) Identifier() wire.PEIdentifier { return g.pe.Identifier() }

// UserTransport returns the transport the SG dials.
func (g *GWC) UserTransport() wire.Transport { return g.pe.UserTransport() }

// MetricsAddr returns the address /metrics is served on ("" for none).
func (g *GWC) MetricsAddr() string { return g.metricsAddr }

// Stats returns the GWC's counters.
func (g *GWC) Stats() Stats {
	var s Stats
	if err := g.do(context.Background(), func(time.Time) { s.AgentStats = g.agent.Stats() }); err != nil {
		g.mu.Lock()
		s.AgentStats = g.final
		g.mu.Unlock()
	}
	s.Load = math.Float64frombits(g.load.Load())
	s.CookiesSent, s.CookieEchoes, s.SendFailures = g.cookiesSent.Load(), g.echoes.Load(), g.sendFailures.Load()
	s.Refused = g.refused.Load()
	s.MessagesIn, s.MessagesOut = g.messagesIn.Load(), g.messagesOut.Load()
	g.mu.Lock()
	for _, p := range g.peers {
		s.Peers = append(s.Peers, PeerStats{ID: p.id, Remote: p.remote, ASP: mxua.ASPState(p.asp.Load()),
			MessagesIn: p.in.Load(), MessagesOut: p.sent.Load(), CookiesSent: p.cookie.Load()})
	}
	g.mu.Unlock()
	sort.Slice(s.Peers, func(i, j int) bool { return s.Peers[i].ID < s.Peers[j].ID })
	return s
}

// Close deregisters the pool element, ends every SG association and waits
// for the GWC's goroutines. Calls in progress are left to the SG to move
// to another GWC with their Cookies.
func (g *GWC) Close() error {
	var err error
	g.closeOnce.Do(func() {
		cctx, cancel := context.WithTimeout(context.Background(), g.pe.Timers().DeregistrationTimeout+time.Second)
		defer cancel()
		err = g.pe.Close(cctx)
		g.cancel()
		if g.httpSrv != nil {
			_ = g.httpSrv.Close()
		}
		g.wg.Wait()
	})
	return err
}

var errClosed = errors.New("gwc: closed")

// do runs f in the loop goroutine and waits for it.
func (g *GWC) do(ctx context.Context, f func(now time.Time)) error {
	done := make(chan struct{})
	select {
	case g.inbox <- func(now time.Time) { f(now); close(done) }:
	case <-g.loopDone:
		return errClosed
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case <-done:
		return nil
	case <-g.loopDone:
		select {
		case <-done:
			return nil
		default:
			return errClosed
		}
	case <-ctx.Done():
		return ctx.Err()
	}
}

// post hands f to the loop without waiting for it; false once closing.
func (g *GWC) post(f func(now time.Time)) bool {
	select {
	case g.inbox <- f:
		return true
	case <-g.loopDone:
		return false
	case <-g.ctx.Done():
		return false
	}
}

// run is the loop goroutine: it owns the call agent and its deadlines.
func (g *GWC) run() {
	defer close(g.loopDone)
	defer func() {
		g.mu.Lock()
		g.final = g.agent.Stats()
		g.mu.Unlock()
	}()
	timer := time.NewTimer(time.Hour)
	timer.Stop()
	defer timer.Stop()
	for {
		select {
		case <-g.ctx.Done():
			return
		case f := <-g.inbox:
			f(time.Now())
		case <-timer.C:
			g.exec(g.agent.Tick(time.Now()))
		}
		if d := g.agent.NextDeadline(); !d.IsZero() {
			timer.Reset(time.Until(d))
		} else {
			timer.Stop()
		}
		g.updateLoad()
	}
}

// exec carries out the agent's actions (loop only).
func (g *GWC) exec(acts []Action) {
	for _, a := range acts {
		switch a := a.(type) {
		case Send:
			g.enqueue(a.Peer, outbound{msg: a.Msg})
		case SendCookie:
			g.enqueue(a.Peer, outbound{cookie: a.Cookie.Marshal()})
		case Note:
			g.logNote(a)
		}
	}
}

func (g *GWC) logNote(n Note) {
	level := zapcore.DebugLevel
	switch n.Kind {
	case NoteMalformed:
		level = zapcore.WarnLevel
	case NoteUnexpected, NoteRestored:
		level = zapcore.InfoLevel
	}
	// Every call and dialogue step makes a note: build the fields only
	// when the entry will be written.
	ce := g.log.Check(level, n.Kind.String())
	if ce == nil {
		return
	}
	fields := []zap.Field{zap.Stringer("binding", n.Key)}
	if n.Detail != "" {
		fields = append(fields, zap.String("detail", n.Detail))
	}
	ce.Write(fields...)
}

// enqueue queues o for the SG association id, or for another one when
// that has gone (the SG forwards by binding whichever association it
// comes on). It never blocks the loop.
func (g *GWC) enqueue(id Peer, o outbound) {
	g.mu.Lock()
	p := g.peers[id]
	if p == nil {
		for _, q := range g.peers {
			if p == nil || q.id < p.id {
				p = q
			}
		}
	}
	g.mu.Unlock()
	if p == nil {
		g.sendFailures.Add(1)
		g.log.Debug("no SG association to send on")
		return
	}
	select {
	case p.out <- o:
	default:
		g.sendFailures.Add(1)
		if n := p.queueDrops.Add(time.Now(), 1); n > 0 {
			g.log.Warn("SG association send queue full: dropped", zap.String("sg", p.remote), zap.Int("count", n))
		}
	}
}

// updateLoad recomputes the load and hands it to loadLoop (loop only).
func (g *GWC) updateLoad() {
	l := min(float64(g.agent.Active())/float64(g.cfg.Capacity), 1)
	if l == g.lastLoad {
		return
	}
	g.lastLoad = l
	g.load.Store(math.Float64bits(l))
	if !g.carriesLoad {
		return
	}
	select { // keep only the latest value
	case <-g.loads:
	default:
	}
	select {
	case g.loads <- l:
	default:
	}
}

// loadLoop registers the load at most once per LoadInterval.
func (g *GWC) loadLoop() {
	for {
		select {
		case <-g.ctx.Done():
			return
		case l := <-g.loads:
			if err := g.pe.SetLoad(g.ctx, l); err != nil && g.ctx.Err() == nil {
				g.log.Warn("load update to the registrar failed", zap.Float64("load", l), zap.Error(err))
			}
		}
		select {
		case <-g.ctx.Done():
			return
		case <-time.After(g.cfg.LoadInterval):
		}
	}
}

func (g *GWC) acceptLoop() {
	for {
		pa, err := g.pe.Accept(g.ctx)
		if err != nil {
			return
		}
		g.wg.Add(1)
		go func() {
			defer g.wg.Done()
			g.serve(pa)
		}()
	}
}

// authorized applies the authorization policy to a peer that opened an
// association to the user transport: an SG allowed to resolve the pool,
// or a registrar.
func (g *GWC) authorized(a transport.Association, log *zap.Logger) bool {
	pol := g.cfg.Authorization
	if pol == nil {
		return true
	}
	var names []string
	if st, ok := transport.TLSState(a); ok {
		names = authz.Names(st)
	}
	if pol.Allows(names, authz.Resolve, g.cfg.Pool) || pol.Allows(names, authz.Peer, "") {
		return true
	}
	g.refused.Add(1)
	log.Warn("association refused by the authorization policy", zap.Strings("identity", names), zap.String("pool", g.cfg.Pool))
	return false
}

// serve runs one SG association: an ASP on its data side, Cookie Echoes
// from its control side, both into the loop in the order they arrived.
func (g *GWC) serve(pa *asap.PEAssociation) {
	remote := "unknown"
	if rs := pa.Association().RemoteAddrs(); len(rs) > 0 {
		remote = rs[0].String()
	}
	log := g.log.With(zap.String("sg", remote))
	if !g.authorized(pa.Association(), log) {
		_ = pa.Association().Abort()
		return
	}
	data, ctl := pa.Split()
	aspID := uint32(g.cfg.Identifier)
	acfg := mxua.ASPEndpointConfig{
		ASP: mxua.ASPConfig{Protocol: g.cfg.Protocol, ASPIdentifier: &aspID, TrafficMode: mxua.TrafficModeLoadshare,
			Profile: g.cfg.Profile},
		Transport: transport.Config{Profile: g.cfg.Profile},
		Logger:    g.cfg.Logger,
	}
	if g.cfg.RoutingContext != 0 {
		acfg.ASP.RoutingContexts = []uint32{g.cfg.RoutingContext}
	}
	ep, err := mxua.AttachASP(g.ctx, data, acfg)
	if err != nil {
		if g.ctx.Err() == nil {
			log.Error("cannot serve SG association", zap.Error(err))
		}
		_ = pa.Association().Abort()
		return
	}
	g.mu.Lock()
	g.nextPeer++
	p := &peer{id: g.nextPeer, remote: remote, pa: pa, ep: ep, out: make(chan outbound, peerQueue), quit: make(chan struct{})}
	g.peers[p.id] = p
	g.mu.Unlock()
	log.Info("SG connected", zap.Uint64("peer", uint64(p.id)))
	g.wg.Add(1)
	go func() {
		defer g.wg.Done()
		g.write(p)
	}()

	notes, done, stop := ep.Notifications(), ep.Done(), g.ctx.Done()
	for notes != nil {
		select {
		case m, ok := <-ctl:
			if !ok {
				ctl = nil
				continue
			}
			g.control(p, log, m)
		case n, ok := <-notes:
			if !ok {
				notes = nil
				continue
			}
			if n.Kind == mxua.NotifyDeliver {
				// A Cookie Echo the SG sent ahead of this message is
				// already on the control channel: restore first.
				for drained := false; !drained && ctl != nil; {
					select {
					case m, ok := <-ctl:
						if !ok {
							ctl = nil
						} else {
							g.control(p, log, m)
						}
					default:
						drained = true
					}
				}
			}
			g.notify(p, log, n)
		case <-done:
			done = nil
			_ = ep.Close() // closes notes once drained
		case <-stop:
			stop = nil
			_ = ep.Close()
		}
	}
	g.mu.Lock()
	delete(g.peers, p.id)
	g.mu.Unlock()
	close(p.quit)
	log.Info("SG association ended", zap.Uint64("peer", uint64(p.id)), zap.Uint64("messages_in", p.in.Load()), zap.Uint64("messages_out", p.sent.Load()))
}

// notify handles one notification of a peer's ASP.
func (g *GWC) notify(p *peer, log *zap.Logger, n mxua.Notify) {
	switch n.Kind {
	case mxua.NotifyDeliver:
		p.in.Add(1)
		g.messagesIn.Add(1)
		msg, id := n.Msg, p.id
		g.post(func(now time.Time) { g.exec(g.agent.Receive(now, id, msg)) })
	case mxua.NotifyASPState:
		p.asp.Store(uint32(n.ASP))
		log.Info("ASP state", zap.Stringer("from", n.From), zap.Stringer("to", n.ASP))
	case mxua.NotifyDiscarded:
		g.sendFailures.Add(uint64(n.Count))
		if c := p.discards.Add(time.Now(), max(n.Count, 1)); c > 0 {
			log.Warn("ASP discarded messages", zap.Int("count", c), zap.String("last_reason", n.Reason))
		}
	case mxua.NotifyPeerLost, mxua.NotifyError, mxua.NotifyRequestFailed:
		log.Warn("ASP: "+n.Kind.String(), zap.String("reason", n.Reason), zap.Stringer("request", n.Request))
	default:
		log.Debug("ASP: "+n.Kind.String(), zap.Uint32("rc", n.RoutingContext), zap.Stringer("as", n.AS))
	}
}

// control handles an ASAP control message from the SG.
func (g *GWC) control(p *peer, log *zap.Logger, m wire.Message) {
	switch c := m.(type) {
	case *wire.CookieEcho:
		g.echoes.Add(1)
		ck, err := mxua.ParseBindingCookie(c.Cookie)
		if err != nil {
			log.Warn("Cookie Echo is not a binding cookie", zap.Error(err))
			return
		}
		id := p.id
		g.post(func(now time.Time) {
			acts, err := g.agent.Restore(now, id, ck)
			if err != nil {
				log.Warn("Cookie Echo not restored", zap.Error(err))
				return
			}
			g.exec(acts)
		})
	default:
		log.Debug("ASAP control from SG", zap.Stringer("type", m.Type()))
	}
}

// write sends a peer's answers and Cookies in order.
func (g *GWC) write(p *peer) {
	for {
		select {
		case o := <-p.out:
			// The ASP endpoint's Send queues without waiting; only a
			// Cookie may wait for room on the association.
			ctx := g.ctx
			var err error
			if o.msg != nil {
				if o.msg.Protocol != g.cfg.Protocol {
					err = fmt.Errorf("%v answer on a %v association", o.msg.Protocol, g.cfg.Protocol)
				} else if err = p.ep.Send(ctx, o.msg); err == nil {
					p.sent.Add(1)
					g.messagesOut.Add(1)
				}
			} else {
				cctx, cancel := context.WithTimeout(g.ctx, 5*time.Second)
				if err = p.pa.SendCookie(cctx, wire.Cookie(o.cookie)); err == nil {
					p.cookie.Add(1)
					g.cookiesSent.Add(1)
				}
				cancel()
			}
			if err != nil {
				g.sendFailures.Add(1)
				if g.ctx.Err() == nil {
					g.log.Debug("send to SG failed", zap.String("sg", p.remote), zap.Error(err))
				}
			}
		case <-p.quit:
			return
		case <-g.ctx.Done():
			return
		}
	}
}
