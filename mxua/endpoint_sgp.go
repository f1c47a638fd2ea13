package mxua

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sigpool/sigpool/transport"
	"go.uber.org/zap"
)

// SGPServerConfig configures the SG side of M3UA or SUA: it listens for ASPs
// (GWCs, SEPs) and serves the provisioned ASes to them.
type SGPServerConfig struct {
	// Address to listen on, e.g. "tcp://127.0.0.1:2905" (port 0: any).
	Address string
	// Transport configures the associations; PPID is set from the protocol.
	Transport transport.Config
	// SGP configures the state machine; a zero SGP.Profile takes
	// Transport.Profile, so BEAT follows the association's profile.
	SGP SGPConfig
	// SendQueue bounds the messages waiting per association
	// (DefaultSendQueue when zero).
	SendQueue int
	// Logger; nil logs nothing.
	Logger *zap.Logger
}

// SGPServer runs one SGP state machine over every ASP association it
// accepts (ListenSGP) or is given (Attach). Its methods are safe for
// concurrent use.
type SGPServer struct {
	d        *driver
	sgp      *SGP
	proto    Protocol
	l        transport.Listener // nil without a listener (NewSGPServer)
	scheme   string
	acceptWG sync.WaitGroup
	stopOnce sync.Once
	cancel   context.CancelFunc

	// targets is what SendTo needs of every association, published by the
	// loop after each step that may have changed an ASP's state.
	targets atomic.Pointer[map[AssocID]*sendTarget]

	// loop-owned
	next AssocID
}

// sendTarget is an association as SendTo sees it: immutable once published.
type sendTarget struct {
	c      *conn
	active []uint32 // routing contexts the ASP is ACTIVE in, sorted
}

// Errors of SGPServer.SendTo (and ErrSendQueueFull of ASPEndpoint.Send);
// match them with errors.Is.
var (
	// ErrUnknownAssociation: no association with that ID is up.
	ErrUnknownAssociation = errors.New("no such association")
	// ErrASPNotActive: the ASP is not ASP-ACTIVE for the routing context.
	ErrASPNotActive = errors.New("ASP not active for the routing context")
	// ErrSendQueueFull: the association's send queue is full (the peer
	// has not been reading); the message was not queued.
	ErrSendQueueFull = errors.New("send queue full")
)

// NewSGPServer starts an SGP with no listener: associations come from
// Attach (e.g. ones this side dialed to ASAP pool elements).
// cfg.Address is only used in messages.
func NewSGPServer(ctx context.Context, cfg SGPServerConfig) (*SGPServer, error) {
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("mxua: SGP server: %w", err)
	}
	if cfg.SGP.Profile == (transport.Profile{}) {
		cfg.SGP.Profile = cfg.Transport.Profile
	}
	sgp, err := NewSGP(cfg.SGP)
	if err != nil {
		return nil, fmt.Errorf("mxua: SGP server %s: %w", cfg.Address, err)
	}
	s := &SGPServer{sgp: sgp, proto: cfg.SGP.Protocol, cancel: func() {}}
	s.targets.Store(&map[AssocID]*sendTarget{})
	s.d = newDriver(cfg.SGP.Protocol, sgp, cfg.Logger, cfg.SendQueue)
	s.d.afterControl = s.publishTargets
	s.d.deliverFast = s.deliverFast
	go s.d.run()
	return s, nil
}

// ListenSGP starts listening and serving ASPs: NewSGPServer and a
// listener whose associations are attached as they come.
func ListenSGP(ctx context.Context, cfg SGPServerConfig) (*SGPServer, error) {
	tcfg := cfg.Transport
	tcfg.PPID = cfg.SGP.Protocol.PPID()
	if tcfg.Logger == nil {
		tcfg.Logger = cfg.Logger
	}
	streams, err := coreStreams(cfg.Address, tcfg)
	if err != nil {
		return nil, fmt.Errorf("mxua: SGP server on %s: %w", cfg.Address, err)
	}
	s, err := NewSGPServer(ctx, cfg)
	if err != nil {
		return nil, err
	}
	l, err := transport.Listen(ctx, cfg.Address, tcfg)
	if err != nil {
		s.d.shutdown(false)
		return nil, fmt.Errorf("mxua: SGP server: listen on %s: %w", cfg.Address, err)
	}
	scheme, _, ok := strings.Cut(cfg.Address, "://")
	if !ok {
		scheme = "auto"
	}
	s.l, s.scheme = l, scheme
	actx, cancel := context.WithCancel(context.Background())
	s.cancel = cancel
	s.acceptWG.Add(1)
	go s.accept(actx, streams)
	return s, nil
}

func (s *SGPServer) accept(ctx context.Context, streams uint16) {
	defer s.acceptWG.Done()
	for {
		a, err := s.l.Accept(ctx)
		if err != nil {
			if ctx.Err() == nil {
				s.d.log.Error("mxua: SGP server stops accepting", zap.Error(err))
			}
			return
		}
		if _, err := s.attach(ctx, a, streams); err != nil {
			_ = a.Abort()
			return
		}
	}
}

// Attach serves an ASP on an association opened elsewhere (typically
// dialed by this side to an ASAP pool element, whose ASP then sends ASP
// Up). The server owns the association from now on: it closes it at
// Close, and the association's end is the ASP's loss (NotifyASPState to
// ASP-DOWN when it was up). The stream count is what the association
// says it carries (1 for a bare TCP framing).
func (s *SGPServer) Attach(ctx context.Context, assoc transport.Association) (AssocID, error) {
	if assoc == nil {
		return 0, errors.New("mxua: SGP server: attach nil association")
	}
	out, _ := assoc.Streams()
	id, err := s.attach(ctx, assoc, max(out, 1))
	if err != nil {
		return 0, fmt.Errorf("mxua: SGP server: attach: %w", err)
	}
	return id, nil
}

func (s *SGPServer) attach(ctx context.Context, a transport.Association, streams uint16) (AssocID, error) {
	var id AssocID
	err := s.d.do(ctx, func() {
		s.next++
		id = s.next
		s.d.attach(&conn{id: id, assoc: a, streams: streams})
	})
	return id, err
}

// publishTargets rebuilds SendTo's view of the associations (loop only;
// after every step but those of user traffic, which change no ASP state).
func (s *SGPServer) publishTargets() {
	m := make(map[AssocID]*sendTarget, len(s.d.assocs))
	for id, c := range s.d.assocs {
		m[id] = &sendTarget{c: c, active: s.sgp.activeRCs(id)}
	}
	s.targets.Store(&m)
}

// deliverFast delivers user traffic from an ASP without the loop when the
// published state says the SGP core would (see SGP.dataIn): the ASP is
// ACTIVE for the message's routing context, the message has its content
// and is off stream 0. Anything else goes to the core, which answers it.
func (s *SGPServer) deliverFast(c *conn, stream uint16, m *Message) bool {
	t := (*s.targets.Load())[c.id]
	if t == nil || t.c != c || len(t.active) == 0 {
		return false
	}
	if m.Kind == KindDATA && m.ProtocolData == nil || m.Kind != KindDATA && m.SUA == nil {
		return false
	}
	if stream == 0 && c.streams > 1 {
		return false
	}
	var rc uint32
	switch len(m.RoutingContexts) {
	case 0:
		rc = t.active[0]
	case 1:
		if rc = m.RoutingContexts[0]; !slices.Contains(t.active, rc) {
			return false
		}
	default:
		return false
	}
	s.d.notes.push(Notify{Kind: NotifyDeliver, Assoc: c.id, RoutingContext: rc, Msg: m})
	return true
}

// SendTo sends user traffic (M3UA DATA, SUA CL/CO) to the ASP on one
// association, bypassing the AS's traffic-mode choice: the caller (an SG
// balancing over a pool) has chosen the ASP. The ASP must be ASP-ACTIVE
// for m's routing context; without one, m goes in the first context the
// ASP is active in. The message is encoded and queued for the
// association's writer at once, without a round trip through the
// server's loop, on the stream of its SLS; it is not retained. Errors
// wrap ErrUnknownAssociation, ErrASPNotActive or ErrSendQueueFull.
func (s *SGPServer) SendTo(ctx context.Context, assoc AssocID, m *Message) error {
	if m == nil {
		return errors.New("mxua: SGP server: send nil message")
	}
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("mxua: SGP server: send to %d: %w", assoc, err)
	}
	if !fsmIsTransfer(m.Kind) {
		return fmt.Errorf("mxua: SGP server: send to %d: %v is not user traffic", assoc, m.Kind)
	}
	t := (*s.targets.Load())[assoc]
	if t == nil {
		return fmt.Errorf("mxua: SGP server: send to %d: %w", assoc, ErrUnknownAssociation)
	}
	var rcs []uint32
	switch len(m.RoutingContexts) {
	case 0:
		if len(t.active) == 0 {
			return fmt.Errorf("mxua: SGP server: send to %d: %w", assoc, ErrASPNotActive)
		}
		rcs = t.active[:1:1]
	case 1:
		if !slices.Contains(t.active, m.RoutingContexts[0]) {
			return fmt.Errorf("mxua: SGP server: send to %d in routing context %d: %w", assoc, m.RoutingContexts[0], ErrASPNotActive)
		}
		rcs = m.RoutingContexts
	default:
		return fmt.Errorf("mxua: SGP server: send to %d: %d routing contexts, want at most 1", assoc, len(m.RoutingContexts))
	}
	msg := *m
	msg.Protocol, msg.RoutingContexts = s.proto, rcs
	b, err := Encode(&msg)
	if err != nil {
		return fmt.Errorf("mxua: SGP server: send to %d: %w", assoc, err)
	}
	tm := transport.Message{Stream: StreamFor(Selector(&msg), t.c.streams), PPID: s.proto.PPID(), Data: b}
	select {
	case <-t.c.done:
		return fmt.Errorf("mxua: SGP server: send to %d: %w", assoc, ErrUnknownAssociation)
	default:
	}
	select {
	case t.c.out <- tm:
		return nil
	default:
		return fmt.Errorf("mxua: SGP server: send to %d: %w", assoc, ErrSendQueueFull)
	}
}

// SendQueue returns how many messages wait in assoc's send queue and how
// many it holds: a queue that fills means its ASP is not taking traffic as
// fast as it is sent (the SG's congestion check; ASPEndpoint.Congested on
// the other side). An unknown association has none.
func (s *SGPServer) SendQueue(assoc AssocID) (queued, capacity int) {
	t := (*s.targets.Load())[assoc]
	if t == nil {
		return 0, 0
	}
	return len(t.c.out), cap(t.c.out)
}

// Addrs returns the addresses the server listens on (none without a
// listener).
func (s *SGPServer) Addrs() []netip.AddrPort {
	if s.l == nil {
		return nil
	}
	return s.l.Addrs()
}

// Addr returns the first listening address with the scheme, ready for
// DialASP ("tcp://127.0.0.1:40123"); "" without a listener.
func (s *SGPServer) Addr() string {
	if s.l == nil {
		return ""
	}
	return s.scheme + "://" + s.l.Addrs()[0].String()
}

// Notifications delivers ASP and AS state changes, peers lost, errors,
// discarded traffic and traffic from the ASPs (NotifyDeliver, with the
// routing context it belongs to) in order. The server never blocks on it
// (it queues), so read it continuously. It is closed by Close.
func (s *SGPServer) Notifications() <-chan Notify { return s.d.notes.C }

// Send routes SS7-side traffic to an AS (by its single routing context if
// set, else by routing key) and to the ASP(s) its traffic mode selects.
// Traffic that cannot go anywhere is reported as NotifyDiscarded; while the
// AS is PENDING it waits for T(r).
func (s *SGPServer) Send(ctx context.Context, m *Message) error {
	if m == nil {
		return errors.New("mxua: SGP server: send nil message")
	}
	return s.command(ctx, Transfer{Msg: m})
}

// SetDestination sets the availability of an SS7 destination; a change is
// announced to the active ASPs (DUNA, DAVA, DRST, SCON).
func (s *SGPServer) SetDestination(ctx context.Context, d Destination) error {
	return s.command(ctx, SetDestination{Destination: d})
}

// Command feeds a management event to the SGP: SetDestination,
// UserPartUnavailable, ForceASPInactive, ForceASPDown or Transfer.
func (s *SGPServer) Command(ctx context.Context, ev Event) error {
	switch ev.(type) {
	case SetDestination, UserPartUnavailable, ForceASPInactive, ForceASPDown, Transfer:
	default:
		return fmt.Errorf("mxua: SGP server: %T is not an SGP command", ev)
	}
	return s.command(ctx, ev)
}

func (s *SGPServer) command(ctx context.Context, ev Event) error {
	if err := s.d.do(ctx, func() { s.d.step(time.Now(), ev) }); err != nil {
		return fmt.Errorf("mxua: SGP server: %T: %w", ev, err)
	}
	return nil
}

// ASState returns the state of the AS of a routing context.
func (s *SGPServer) ASState(ctx context.Context, rc uint32) (ASState, error) {
	var st ASState
	if err := s.d.do(ctx, func() { st = s.sgp.ASState(rc) }); err != nil {
		return 0, fmt.Errorf("mxua: SGP server: AS state: %w", err)
	}
	return st, nil
}

// ASPState returns the state of the ASP on an association.
func (s *SGPServer) ASPState(ctx context.Context, assoc AssocID) (ASPState, error) {
	var st ASPState
	if err := s.d.do(ctx, func() { st = s.sgp.ASPState(assoc) }); err != nil {
		return 0, fmt.Errorf("mxua: SGP server: ASP state: %w", err)
	}
	return st, nil
}

// Peer describes one ASP association.
type Peer struct {
	Assoc  AssocID
	Remote []netip.AddrPort
	State  ASPState
}

// Peers lists the associations currently up.
func (s *SGPServer) Peers(ctx context.Context) ([]Peer, error) {
	var ps []Peer
	err := s.d.do(ctx, func() {
		for id, c := range s.d.assocs {
			ps = append(ps, Peer{Assoc: id, Remote: c.assoc.RemoteAddrs(), State: s.sgp.ASPState(id)})
		}
	})
	if err != nil {
		return nil, fmt.Errorf("mxua: SGP server: peers: %w", err)
	}
	sort.Slice(ps, func(i, j int) bool { return ps[i].Assoc < ps[j].Assoc })
	return ps, nil
}

// Close stops listening, closes every association gracefully and returns
// once every goroutine has.
func (s *SGPServer) Close() error {
	var err error
	s.stopOnce.Do(func() {
		s.cancel()
		if s.l != nil {
			err = s.l.Close()
		}
		s.acceptWG.Wait()
		s.targets.Store(&map[AssocID]*sendTarget{})
		s.d.shutdown(true)
	})
	if err != nil {
		return fmt.Errorf("mxua: SGP server: close listener: %w", err)
	}
	return nil
}
