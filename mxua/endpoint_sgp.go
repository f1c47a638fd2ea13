package mxua

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"sort"
	"strings"
	"sync"
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
// accepts. Its methods are safe for concurrent use.
type SGPServer struct {
	d        *driver
	sgp      *SGP
	l        transport.Listener
	scheme   string
	acceptWG sync.WaitGroup
	stopOnce sync.Once
	cancel   context.CancelFunc

	// loop-owned
	next AssocID
}

// ListenSGP starts listening and serving ASPs.
func ListenSGP(ctx context.Context, cfg SGPServerConfig) (*SGPServer, error) {
	if cfg.SGP.Profile == (transport.Profile{}) {
		cfg.SGP.Profile = cfg.Transport.Profile
	}
	sgp, err := NewSGP(cfg.SGP)
	if err != nil {
		return nil, fmt.Errorf("mxua: SGP server on %s: %w", cfg.Address, err)
	}
	tcfg := cfg.Transport
	tcfg.PPID = cfg.SGP.Protocol.PPID()
	if tcfg.Logger == nil {
		tcfg.Logger = cfg.Logger
	}
	streams, err := coreStreams(cfg.Address, tcfg)
	if err != nil {
		return nil, fmt.Errorf("mxua: SGP server on %s: %w", cfg.Address, err)
	}
	l, err := transport.Listen(ctx, cfg.Address, tcfg)
	if err != nil {
		return nil, fmt.Errorf("mxua: SGP server: listen on %s: %w", cfg.Address, err)
	}
	scheme, _, ok := strings.Cut(cfg.Address, "://")
	if !ok {
		scheme = "auto"
	}
	s := &SGPServer{sgp: sgp, l: l, scheme: scheme}
	s.d = newDriver(cfg.SGP.Protocol, sgp, cfg.Logger, cfg.SendQueue)
	go s.d.run()
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
		if err := s.d.do(ctx, func() {
			s.next++
			s.d.attach(&conn{id: s.next, assoc: a, streams: streams})
		}); err != nil {
			_ = a.Abort()
			return
		}
	}
}

// Addrs returns the addresses the server listens on.
func (s *SGPServer) Addrs() []netip.AddrPort { return s.l.Addrs() }

// Addr returns the first listening address with the scheme, ready for
// DialASP ("tcp://127.0.0.1:40123").
func (s *SGPServer) Addr() string {
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
		err = s.l.Close()
		s.acceptWG.Wait()
		s.d.shutdown(true)
	})
	if err != nil {
		return fmt.Errorf("mxua: SGP server: close listener: %w", err)
	}
	return nil
}
