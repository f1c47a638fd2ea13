package enrp

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/sigpool/sigpool/internal/authz"
	"github.com/sigpool/sigpool/transport"
	"github.com/sigpool/sigpool/wire"
)

// Options configure a Registrar (the driver around Core).
type Options struct {
	// Core is the protocol configuration.
	Core Config
	// Listen are the ASAP addresses ("tcp://127.0.0.1:3863", "sctp://...",
	// "auto://..."). Over TCP the framing is bare ASAP (FramingRSerPool),
	// so plain peers interoperate; a "mux+" prefix ("mux+tcp://...")
	// selects sigpool's mux framing, where the PPID of each message says
	// ASAP or ENRP.
	Listen []string
	// ENRPListen are the ENRP addresses (RFC 5353 port 9901): peers and
	// Handle Table Requests (`sigpool pool ls`). Same syntax as Listen.
	// The first one that is not on the unspecified address and not mux
	// framed is announced to peers in Server Information.
	ENRPListen []string
	// Peers are ENRP addresses of other registrars ("tcp://host:9901"),
	// dialled and redialled with back-off. Peers they know are learnt
	// from them (List Request) and dialled too; a registrar that dials in
	// is added, so a new registrar needs one reachable peer.
	Peers []string
	// DialTimeout bounds each dial (peers, taken-over PEs); default 2 s.
	DialTimeout time.Duration
	// Profile sets the transport timers of every association.
	Profile transport.Profile
	// Announce, when set, is the UDP address Server Announce messages go
	// to every AnnounceInterval (x[0.875, 1.125] jitter as RSPLIB):
	// DefaultAnnounceAddress for RFC 5352 multicast. Empty: off.
	Announce         string
	AnnounceInterval time.Duration
	// SendTimeout bounds a keep-alive's Send to a PE that stopped reading.
	SendTimeout time.Duration
	Logger      *zap.Logger
	// TLSServer, when set, runs every TCP listener over TLS and requires a
	// client certificate; TLSClient is used to dial peers and PEs. The
	// peer's certificate names are its identity for Core.Authorization.
	// Without them the registrar runs plain and says so at start (warn).
	TLSServer, TLSClient *tls.Config
	// Capture, when set, records every association's messages (see
	// transport.Capture); the caller closes it after Close.
	Capture *transport.Capture
	// MaxMessageSize bounds every message received and sent (0: the
	// transport's 64 KiB; bare ASAP/ENRP over TCP cannot exceed 65535
	// anyway). A peer that sends a larger one loses its association.
	MaxMessageSize int
}

// ParseListenAddress splits a listen or dial address into the transport
// address and the TCP framing: a "mux+" prefix means FramingMux, none
// FramingRSerPool (bare ASAP/ENRP).
func ParseListenAddress(s string) (string, transport.Framing, error) {
	return transport.ParseFramedAddress(s, transport.FramingRSerPool)
}

type listenerInfo struct {
	ln      transport.Listener
	proto   wire.Protocol
	framing transport.Framing
	kind    wire.TransportKind
	addr    string // as given
}

type assocEntry struct {
	a     transport.Association
	sends atomic.Int64
	// q, on peer and dialled associations, is the send queue: messages
	// enter it under the core's mutex, so they leave in the core's order
	// whichever goroutine produced them (a Handle Update add never
	// overtakes its delete).
	q chan outMsg
}

type outMsg struct {
	ppid uint32
	data []byte
}

// Registrar is a running registrar: listeners, one reader goroutine per
// association and a timer goroutine around one Core.
//
// Hot path: the reader goroutine of an association decodes each message
// itself, takes the core's mutex only for the handlespace work (about a
// microsecond for a resolution), encodes the reply into its own reused
// buffer and sends it itself. So there is no goroutine hand-over per
// message, sixteen PUs use both cores for decoding and system calls, and
// the core stays single-threaded (the mutex serialises it, as a loop
// goroutine would, without the channel hop).
type Registrar struct {
	opts Options
	log  *zap.Logger

	mu    sync.Mutex // serialises core
	core  *Core
	armed time.Time // deadline the timer goroutine waits for (under mu)
	wake  chan struct{}

	amu    sync.Mutex
	assocs map[AssocID]*assocEntry
	nextID AssocID
	queued atomic.Int64 // entries with a send queue

	listeners []listenerInfo
	ctx       context.Context
	cancel    context.CancelFunc
	wg        sync.WaitGroup
	closeOnce sync.Once
}

// Start listens on every address and serves until ctx ends or Close.
func Start(ctx context.Context, opts Options) (*Registrar, error) {
	if opts.Core.Rand == nil {
		// Registrars started together must not send Presence in lockstep.
		opts.Core.Rand = rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), uint64(opts.Core.ServerID)))
	}
	core, err := NewCore(opts.Core)
	if err != nil {
		return nil, err
	}
	if len(opts.Listen) == 0 {
		return nil, errors.New("enrp: no ASAP listen address")
	}
	if opts.SendTimeout <= 0 {
		opts.SendTimeout = time.Second
	}
	if opts.AnnounceInterval <= 0 {
		opts.AnnounceInterval = DefaultAnnounceInterval
	}
	if opts.DialTimeout <= 0 {
		opts.DialTimeout = 2 * time.Second
	}
	for _, p := range opts.Peers {
		if _, _, err := ParseListenAddress(p); err != nil {
			return nil, fmt.Errorf("enrp: peer address %q: %w", p, err)
		}
	}
	log := opts.Logger
	if log == nil {
		log = zap.NewNop()
	}
	tlog := log
	if !log.Core().Enabled(zapcore.DebugLevel) {
		// association up/down per PU is debug detail for a registrar
		tlog = log.WithOptions(zap.IncreaseLevel(zapcore.WarnLevel))
	}
	r := &Registrar{opts: opts, log: log, core: core, wake: make(chan struct{}, 1), assocs: make(map[AssocID]*assocEntry)}
	r.ctx, r.cancel = context.WithCancel(ctx)
	open := func(addrs []string, proto wire.Protocol) error {
		for _, s := range addrs {
			addr, framing, err := ParseListenAddress(s)
			if err != nil {
				return fmt.Errorf("enrp: %s listen address %q: %w", proto, s, err)
			}
			ln, err := transport.Listen(r.ctx, addr, r.transportConfig(framing, proto.PPID(), opts.TLSServer, tlog))
			if err != nil {
				return fmt.Errorf("enrp: listening for %s on %q: %w", proto, s, err)
			}
			r.listeners = append(r.listeners, listenerInfo{ln: ln, proto: proto, framing: framing, kind: kindOf(addr), addr: s})
		}
		return nil
	}
	if err := open(opts.Listen, wire.ProtocolASAP); err == nil {
		err = open(opts.ENRPListen, wire.ProtocolENRP)
		if err != nil {
			r.Close()
			return nil, err
		}
	} else {
		r.Close()
		return nil, err
	}
	r.mu.Lock()
	r.core.SetServerTransport(r.serverTransport())
	r.core.Start(time.Now(), &Actions{})
	r.mu.Unlock()
	for _, l := range r.listeners {
		r.wg.Add(1)
		go r.accept(l)
	}
	r.wg.Add(1)
	go r.timerLoop()
	for _, p := range opts.Peers {
		r.wg.Add(1)
		go r.peerLoop(p)
	}
	if opts.Announce != "" {
		if err := r.startAnnounce(); err != nil {
			r.Close()
			return nil, err
		}
	}
	log.Info("registrar started", zap.String("server_id", fmt.Sprintf("0x%08x", core.cfg.ServerID)),
		zap.Strings("asap", r.Addrs(wire.ProtocolASAP)), zap.Strings("enrp", r.Addrs(wire.ProtocolENRP)),
		zap.Duration("keepalive_interval", core.cfg.KeepAliveInterval), zap.Duration("keepalive_timeout", core.cfg.KeepAliveTimeout),
		zap.Strings("peers", opts.Peers), zap.Duration("peer_heartbeat_cycle", core.cfg.PeerHeartbeatCycle))
	if opts.TLSServer == nil {
		log.Warn("registrar is plain: associations are unauthenticated and unencrypted (set TLS certificates to require mutual TLS)")
	}
	return r, nil
}

// transportConfig is the configuration of every association the
// registrar listens for or dials.
func (r *Registrar) transportConfig(framing transport.Framing, ppid uint32, tc *tls.Config, log *zap.Logger) transport.Config {
	return transport.Config{Profile: r.opts.Profile, Framing: framing, PPID: ppid, Logger: log, TLS: tc,
		Capture: r.opts.Capture, MaxMessageSize: r.opts.MaxMessageSize}
}

// serverTransport is the ENRP transport announced to peers.
func (r *Registrar) serverTransport() wire.Transport {
	for _, l := range r.listeners {
		if l.proto != wire.ProtocolENRP || l.framing == transport.FramingMux {
			continue
		}
		for _, ap := range l.ln.Addrs() {
			if ap.Addr().IsUnspecified() {
				continue
			}
			return wire.Transport{Kind: l.kind, Port: ap.Port(), Addresses: []netip.Addr{ap.Addr().Unmap()}}
		}
	}
	return wire.Transport{}
}

func kindOf(addr string) wire.TransportKind {
	a, err := transport.ParseAddress(addr)
	if err == nil && (a.Scheme == transport.SchemeSCTP || (a.Scheme == transport.SchemeAuto && transport.KernelSCTP() == nil)) {
		return wire.TransportSCTP
	}
	return wire.TransportTCP
}

// Addrs returns the bound addresses of the listeners of proto, with scheme
// (and "mux+" prefix) so that they can be dialled as they are.
func (r *Registrar) Addrs(proto wire.Protocol) []string {
	var out []string
	for _, l := range r.listeners {
		if l.proto != proto {
			continue
		}
		scheme := "tcp://"
		if l.kind == wire.TransportSCTP {
			scheme = "sctp://"
		}
		if l.framing == transport.FramingMux {
			scheme = "mux+" + scheme
		}
		for _, ap := range l.ln.Addrs() {
			out = append(out, scheme+ap.String())
		}
	}
	return out
}

// Do runs fn with exclusive access to the core (status, tests).
func (r *Registrar) Do(fn func(c *Core)) {
	r.mu.Lock()
	defer r.mu.Unlock()
	fn(r.core)
}

// Close stops the registrar: listeners, associations, goroutines.
func (r *Registrar) Close() error {
	r.closeOnce.Do(func() {
		r.cancel()
		for _, l := range r.listeners {
			l.ln.Close()
		}
		r.amu.Lock()
		for _, e := range r.assocs {
			e.a.Abort()
		}
		r.amu.Unlock()
	})
	r.wg.Wait()
	return nil
}

// Wait blocks until the registrar has stopped.
func (r *Registrar) Wait() { r.wg.Wait() }

func (r *Registrar) accept(l listenerInfo) {
	defer r.wg.Done()
	for {
		a, err := l.ln.Accept(r.ctx)
		if err != nil {
			if r.ctx.Err() == nil {
				r.log.Warn("accept failed; listener stopped", zap.String("listen", l.addr), zap.Error(err))
			}
			return
		}
		e := r.newEntry(a, l.proto == wire.ProtocolENRP)
		id := r.add(0, e)
		r.wg.Add(1)
		go r.serve(id, a, l, e, func(now time.Time, _ *Actions) {
			r.core.AssociationUp(id, peerTransport(a, l.kind))
			r.core.SetIdentity(id, identity(a))
			r.core.Accepted(now, id)
		})
	}
}

func (r *Registrar) newEntry(a transport.Association, queued bool) *assocEntry {
	e := &assocEntry{a: a}
	if queued {
		e.q = make(chan outMsg, 4096)
	}
	return e
}

// add enters e under id, or under a new ID when id is 0.
func (r *Registrar) add(id AssocID, e *assocEntry) AssocID {
	r.amu.Lock()
	defer r.amu.Unlock()
	if id == 0 {
		r.nextID++
		id = r.nextID
	}
	r.assocs[id] = e
	if e.q != nil {
		r.queued.Add(1)
	}
	return id
}

func (r *Registrar) del(id AssocID) {
	r.amu.Lock()
	defer r.amu.Unlock()
	if e := r.assocs[id]; e != nil {
		delete(r.assocs, id)
		if e.q != nil {
			r.queued.Add(-1)
		}
	}
}

// writer sends what the core queued for one association, in order.
func (r *Registrar) writer(e *assocEntry, stop <-chan struct{}) {
	for {
		select {
		case m := <-e.q:
			ctx, cancel := context.WithTimeout(r.ctx, r.opts.SendTimeout)
			err := e.a.Send(ctx, transport.Message{PPID: m.ppid, Data: m.data})
			cancel()
			if err != nil {
				r.log.Debug("queued message not sent; ending the association", zap.Error(err))
				e.a.Abort()
			}
		case <-stop:
			return
		case <-r.ctx.Done():
			return
		}
	}
}

// route moves the messages for associations with a send queue into their
// queues. Called under mu, so queues keep the core's order.
func (r *Registrar) route(self AssocID, selfQueued bool, acts *Actions) {
	if r.queued.Load() == 0 || acts.Len() == 0 {
		return
	}
	if !selfQueued {
		// The hot path: a reply to the PU or PE being served.
		only := true
		for i := 0; i < acts.Len() && only; i++ {
			id, _, _ := acts.Message(i)
			only = id == self
		}
		if only {
			return
		}
	}
	acts.queued = acts.queued[:0]
	r.amu.Lock()
	defer r.amu.Unlock()
	for i := 0; i < acts.Len(); i++ {
		id, ppid, data := acts.Message(i)
		var e *assocEntry
		if id != self || selfQueued {
			e = r.assocs[id]
		}
		if e == nil || e.q == nil {
			acts.queued = append(acts.queued, false)
			continue
		}
		acts.queued = append(acts.queued, true)
		select {
		case e.q <- outMsg{ppid: ppid, data: append([]byte(nil), data...)}:
		default:
			// A peer that reads nothing for 4096 messages: the audit
			// repairs what it missed.
			r.log.Debug("send queue full; message dropped", zap.Uint64("assoc", uint64(id)))
		}
	}
}

// peerLoop keeps an association to a configured peer, redialling with
// back-off while it is down.
func (r *Registrar) peerLoop(address string) {
	defer r.wg.Done()
	const minBackoff = 50 * time.Millisecond
	maxBackoff := max(2*time.Second, r.core.cfg.PeerHeartbeatCycle)
	backoff := minBackoff
	for r.ctx.Err() == nil {
		addr, framing, _ := ParseListenAddress(address)
		dctx, cancel := context.WithTimeout(r.ctx, r.opts.DialTimeout)
		a, err := transport.Dial(dctx, addr, r.transportConfig(framing, wire.PPIDENRP, r.opts.TLSClient, nil))
		cancel()
		if err == nil {
			backoff = minBackoff
			kind := kindOf(addr)
			e := r.newEntry(a, true)
			id := r.add(0, e)
			r.log.Debug("peer association up", zap.String("peer", address), zap.Uint64("assoc", uint64(id)))
			r.wg.Add(1)
			r.serve(id, a, listenerInfo{proto: wire.ProtocolENRP, framing: framing, kind: kind, addr: address}, e,
				func(now time.Time, acts *Actions) {
					r.core.PeerAssociationUp(now, id, peerTransport(a, kind), acts)
					r.core.SetIdentity(id, identity(a))
				})
		} else if r.ctx.Err() == nil {
			r.log.Debug("peer not reachable", zap.String("peer", address), zap.Error(err))
		}
		select {
		case <-r.ctx.Done():
			return
		case <-time.After(backoff):
		}
		backoff = min(2*backoff, maxBackoff)
	}
}

// dial opens an association the core asked for.
func (r *Registrar) dial(d Dial) {
	defer r.wg.Done()
	addr, framing, kind := dialAddress(d)
	var a transport.Association
	err := errors.New("no address")
	if addr != "" {
		dctx, cancel := context.WithTimeout(r.ctx, r.opts.DialTimeout)
		a, err = transport.Dial(dctx, addr, r.transportConfig(framing, d.Protocol.PPID(), r.opts.TLSClient, nil))
		cancel()
	}
	if err != nil {
		r.log.Debug("dial failed", zap.String("address", addr), zap.Stringer("protocol", d.Protocol), zap.Error(err))
		var acts Actions
		r.mu.Lock()
		r.core.AssociationDown(time.Now(), d.Assoc, &acts)
		r.route(0, false, &acts)
		r.poke()
		r.mu.Unlock()
		r.dispatch(0, nil, false, &acts)
		return
	}
	e := r.newEntry(a, true)
	r.add(d.Assoc, e)
	r.wg.Add(1)
	r.serve(d.Assoc, a, listenerInfo{proto: d.Protocol, framing: framing, kind: kind, addr: addr}, e,
		func(now time.Time, acts *Actions) {
			r.core.DialUp(now, d.Assoc, peerTransport(a, kind), acts)
			r.core.SetIdentity(d.Assoc, identity(a))
		})
}

// identity is what the association's TLS certificate proves its peer to
// be; nothing over plain TCP or SCTP.
func identity(a transport.Association) []string {
	st, ok := transport.TLSState(a)
	if !ok {
		return nil
	}
	return authz.Names(st)
}

// dialAddress turns a Dial into a transport address: peers get bare ENRP
// over TCP (what a plain registrar listens with), PEs the mux framing of
// their user transport (which carries their ASAP control messages).
func dialAddress(d Dial) (string, transport.Framing, wire.TransportKind) {
	t := d.Transport
	if len(t.Addresses) == 0 || t.Port == 0 {
		return "", 0, 0
	}
	ap := netip.AddrPortFrom(t.Addresses[0], t.Port)
	switch t.Kind {
	case wire.TransportSCTP:
		return "sctp://" + ap.String(), transport.FramingMux, wire.TransportSCTP
	case wire.TransportTCP:
		if d.Protocol == wire.ProtocolASAP {
			return "tcp://" + ap.String(), transport.FramingMux, wire.TransportTCP
		}
		return "tcp://" + ap.String(), transport.FramingRSerPool, wire.TransportTCP
	}
	return "", 0, 0
}

func peerTransport(a transport.Association, kind wire.TransportKind) wire.Transport {
	// Data only: RSPLIB refuses a PE whose ASAP transport (as handed to
	// peers in ENRP) claims control use ("invalid registrator").
	t := wire.Transport{Kind: kind, Use: wire.TransportUseDataOnly}
	for _, ap := range a.RemoteAddrs() {
		t.Port = ap.Port()
		t.Addresses = append(t.Addresses, ap.Addr().Unmap())
		if kind != wire.TransportSCTP {
			break
		}
	}
	return t
}

// serve reads one association until it ends; up announces it to the core.
func (r *Registrar) serve(id AssocID, a transport.Association, l listenerInfo, e *assocEntry, up func(now time.Time, acts *Actions)) {
	defer r.wg.Done()
	queued := e.q != nil
	stop := make(chan struct{})
	if queued {
		r.wg.Add(1)
		go func() {
			defer r.wg.Done()
			r.writer(e, stop)
		}()
	}
	var acts Actions
	r.mu.Lock()
	up(time.Now(), &acts)
	r.route(id, queued, &acts)
	r.poke()
	r.mu.Unlock()
	r.dispatch(id, a, queued, &acts)
	defer func() {
		acts.Reset()
		r.mu.Lock()
		r.core.AssociationDown(time.Now(), id, &acts)
		r.route(id, queued, &acts)
		r.poke()
		r.mu.Unlock()
		r.del(id)
		close(stop)
		r.dispatch(id, a, queued, &acts)
		a.Abort()
	}()
	for {
		m, err := a.Recv(r.ctx)
		if err != nil {
			if r.ctx.Err() == nil {
				r.log.Debug("association ended", zap.Uint64("assoc", uint64(id)), zap.Error(err))
			}
			return
		}
		proto := l.proto
		if l.framing == transport.FramingMux || l.kind == wire.TransportSCTP {
			// The PPID says ASAP or ENRP; 0 (unspecified) is the
			// listener's protocol; any other PPID is another protocol
			// and gets no ASAP or ENRP answer.
			switch m.PPID {
			case wire.PPIDENRP:
				proto = wire.ProtocolENRP
			case wire.PPIDASAP:
				proto = wire.ProtocolASAP
			case 0:
			default:
				if ce := r.log.Check(zap.DebugLevel, "message with a foreign PPID dropped"); ce != nil {
					ce.Write(zap.Uint64("assoc", uint64(id)), zap.Uint32("ppid", m.PPID), zap.Int("len", len(m.Data)))
				}
				continue
			}
		}
		acts.Reset()
		now := time.Now()
		var pause time.Duration
		if proto == wire.ProtocolENRP {
			r.mu.Lock()
			r.core.HandleENRP(now, id, m.Data, &acts)
			r.route(id, queued, &acts)
			r.poke()
			r.mu.Unlock()
		} else {
			msg, reports, derr := wire.DecodeASAP(m.Data)
			r.mu.Lock()
			if derr != nil {
				r.core.HandleASAPDecodeError(now, id, m.Data, derr, &acts)
			} else {
				r.core.HandleASAP(now, id, m.Data, msg, reports, &acts)
			}
			pause = r.core.ReadPause(now, id)
			r.route(id, queued, &acts)
			r.poke()
			r.mu.Unlock()
		}
		r.dispatch(id, a, queued, &acts)
		if pause > 0 && !r.pace(pause) {
			return
		}
	}
}

// pace leaves the calling association unread for d (at most a second at
// a time; the core asks again after the next message): what its peer
// sends meanwhile waits in the socket, and once the buffers fill the
// peer's writes block. False when the registrar is stopping.
func (r *Registrar) pace(d time.Duration) bool {
	t := time.NewTimer(min(d, time.Second))
	defer t.Stop()
	select {
	case <-t.C:
		return true
	case <-r.ctx.Done():
		return false
	}
}

// poke wakes the timer goroutine when the core's next deadline moved
// earlier than the one it waits for. Called under mu.
func (r *Registrar) poke() {
	if d, ok := r.core.NextDeadline(); ok && (r.armed.IsZero() || d.Before(r.armed)) {
		r.armed = d
		select {
		case r.wake <- struct{}{}:
		default:
		}
	}
}

// dispatch carries out acts; self is the association the caller serves
// (its replies need no map lookup unless it has a send queue). Messages
// route already queued are skipped.
func (r *Registrar) dispatch(self AssocID, selfA transport.Association, selfQueued bool, acts *Actions) {
	for _, n := range acts.Notes {
		r.logNote(n)
	}
	for i := 0; i < acts.Len(); i++ {
		if i < len(acts.queued) && acts.queued[i] {
			continue
		}
		id, ppid, data := acts.Message(i)
		if id == self && selfA != nil && !selfQueued {
			if err := selfA.Send(r.ctx, transport.Message{PPID: ppid, Data: data}); err != nil {
				r.log.Debug("reply not sent", zap.Uint64("assoc", uint64(id)), zap.Error(err))
			}
			continue
		}
		r.amu.Lock()
		e := r.assocs[id]
		r.amu.Unlock()
		if e == nil {
			continue // gone; its PEs will time out or are already removed
		}
		ctx, cancel := context.WithTimeout(r.ctx, r.opts.SendTimeout)
		err := e.a.Send(ctx, transport.Message{PPID: ppid, Data: data})
		cancel()
		if err != nil {
			r.log.Debug("message not sent", zap.Uint64("assoc", uint64(id)), zap.Error(err))
		}
	}
	for _, id := range acts.Aborts {
		r.amu.Lock()
		e := r.assocs[id]
		r.amu.Unlock()
		if e != nil {
			e.a.Abort()
		}
	}
	for _, d := range acts.Dials {
		if r.ctx.Err() != nil {
			break
		}
		r.wg.Add(1)
		go r.dial(d)
	}
}

func (r *Registrar) logNote(n Note) {
	switch n.Kind {
	case NoteRegistered, NoteDeregistered, NoteReregistered:
		if ce := r.log.Check(zap.DebugLevel, "pool element "+n.Kind.String()); ce != nil {
			ce.Write(zap.Stringer("pool_handle", n.PoolHandle), zap.Stringer("pe", n.PE), zap.Uint64("assoc", uint64(n.Assoc)))
		}
	case NoteRemoved:
		r.log.Info("pool element removed", zap.Stringer("pool_handle", n.PoolHandle), zap.Stringer("pe", n.PE), zap.String("reason", n.Reason))
	case NoteClosed:
		if ce := r.log.Check(zap.DebugLevel, "association closed"); ce != nil {
			ce.Write(zap.Uint64("assoc", uint64(n.Assoc)), zap.String("reason", n.Reason))
		}
	case NotePeer, NoteTakeover:
		r.log.Info("enrp "+n.Kind.String(), zap.String("server", fmt.Sprintf("0x%08x", n.Server)), zap.String("what", n.Reason))
	default:
		if ce := r.log.Check(zap.DebugLevel, "message "+n.Kind.String()); ce != nil {
			ce.Write(zap.Uint64("assoc", uint64(n.Assoc)), zap.String("reason", n.Reason))
		}
	}
}

func (r *Registrar) timerLoop() {
	defer r.wg.Done()
	t := time.NewTimer(time.Hour)
	defer t.Stop()
	var acts Actions
	for {
		r.mu.Lock()
		d, ok := r.core.NextDeadline()
		if ok {
			r.armed = d
		} else {
			r.armed = time.Time{}
		}
		r.mu.Unlock()
		wait := time.Hour
		if ok {
			wait = max(time.Until(d), 0)
		}
		t.Reset(wait)
		select {
		case <-r.ctx.Done():
			return
		case <-r.wake:
			if !t.Stop() {
				select {
				case <-t.C:
				default:
				}
			}
			continue
		case <-t.C:
		}
		acts.Reset()
		r.mu.Lock()
		r.core.Tick(time.Now(), &acts)
		r.route(0, false, &acts)
		r.mu.Unlock()
		r.dispatch(0, nil, false, &acts)
	}
}

// startAnnounce sends Server Announce messages (RFC 5352 section 3.6) over
// UDP to opts.Announce, multicast or unicast.
func (r *Registrar) startAnnounce() error {
	ua, err := net.ResolveUDPAddr("udp", r.opts.Announce)
	if err != nil {
		return fmt.Errorf("enrp: announce address %q: %w", r.opts.Announce, err)
	}
	conn, err := net.DialUDP("udp", nil, ua)
	if err != nil {
		return fmt.Errorf("enrp: announce socket to %q: %w", r.opts.Announce, err)
	}
	msg := &wire.ServerAnnounce{ServerID: r.core.cfg.ServerID}
	for _, l := range r.listeners {
		if l.proto != wire.ProtocolASAP || l.framing == transport.FramingMux {
			continue // only what plain ASAP peers can use
		}
		for _, ap := range l.ln.Addrs() {
			if ap.Addr().IsUnspecified() {
				continue
			}
			msg.Transports = append(msg.Transports, wire.Transport{Kind: l.kind, Port: ap.Port(),
				Use: wire.TransportUseDataPlusControl, Addresses: []netip.Addr{ap.Addr().Unmap()}})
		}
	}
	b, err := wire.Marshal(msg)
	if err != nil {
		conn.Close()
		return fmt.Errorf("enrp: encoding Server Announce: %w", err)
	}
	r.wg.Add(1)
	go func() {
		defer r.wg.Done()
		defer conn.Close()
		rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), uint64(r.core.cfg.ServerID)))
		t := time.NewTimer(0)
		defer t.Stop()
		for {
			select {
			case <-r.ctx.Done():
				return
			case <-t.C:
			}
			if _, err := conn.Write(b); err != nil {
				r.log.Debug("server announce not sent", zap.Error(err))
			}
			jitter := 0.875 + 0.25*rng.Float64()
			t.Reset(time.Duration(float64(r.opts.AnnounceInterval) * jitter))
		}
	}()
	return nil
}
