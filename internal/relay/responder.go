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

// ResponderConfig configures a Responder.
type ResponderConfig struct {
	// Listen is the address to accept the relay on, e.g.
	// "tcp://127.0.0.1:0": bare SIGTRAN framing unless a prefix names
	// another ("mux+tcp://...").
	Listen string
	// Transport configures the associations (its Framing is ignored: the
	// address says it); PPID defaults to the protocol's.
	Transport transport.Config
	// Protocol is mxua.M3UA (default) or mxua.SUA.
	Protocol mxua.Protocol
	Logger   *zap.Logger
}

// Responder is the baseline's downstream: it answers every request on
// every association it accepts with Answer, keeping no state.
type Responder struct {
	l     transport.Listener
	proto mxua.Protocol
	log   *zap.Logger

	answered, received, failed atomic.Uint64

	cancel context.CancelFunc
	wg     sync.WaitGroup
	mu     sync.Mutex
	assocs map[transport.Association]bool
}

// StartResponder listens and answers.
func StartResponder(ctx context.Context, cfg ResponderConfig) (*Responder, error) {
	if cfg.Protocol == 0 {
		cfg.Protocol = mxua.M3UA
	}
	if cfg.Logger == nil {
		cfg.Logger = zap.NewNop()
	}
	addr, tcfg, err := sigtranConfig(cfg.Listen, cfg.Transport, cfg.Protocol)
	if err != nil {
		return nil, fmt.Errorf("relay: responder: %w", err)
	}
	l, err := transport.Listen(ctx, addr, tcfg)
	if err != nil {
		return nil, fmt.Errorf("relay: responder: %w", err)
	}
	actx, cancel := context.WithCancel(context.Background())
	r := &Responder{l: l, proto: cfg.Protocol, log: cfg.Logger, cancel: cancel, assocs: map[transport.Association]bool{}}
	r.wg.Add(1)
	go r.accept(actx)
	return r, nil
}

// sigtranConfig reads an address whose framing defaults to bare SIGTRAN
// and sets the protocol's PPID unless one is given.
func sigtranConfig(address string, c transport.Config, p mxua.Protocol) (string, transport.Config, error) {
	addr, framing, err := transport.ParseFramedAddress(address, transport.FramingSIGTRAN)
	if err != nil {
		return "", c, err
	}
	c.Framing = framing
	if c.PPID == 0 {
		c.PPID = p.PPID()
	}
	return addr, c, nil
}

// Addr returns the listening address with its scheme.
func (r *Responder) Addr() string { return "tcp://" + r.l.Addrs()[0].String() }

// Counts returns the messages received, answers sent, and messages that
// could not be answered (undecodable, or a send failed).
func (r *Responder) Counts() (received, answered, failed uint64) {
	return r.received.Load(), r.answered.Load(), r.failed.Load()
}

// Close stops listening and ends every association.
func (r *Responder) Close() error {
	r.cancel()
	err := r.l.Close()
	r.mu.Lock()
	for a := range r.assocs {
		_ = a.Abort()
	}
	r.mu.Unlock()
	r.wg.Wait()
	return err
}

func (r *Responder) accept(ctx context.Context) {
	defer r.wg.Done()
	for {
		a, err := r.l.Accept(ctx)
		if err != nil {
			return
		}
		r.mu.Lock()
		if ctx.Err() != nil {
			r.mu.Unlock()
			_ = a.Abort()
			return
		}
		r.assocs[a] = true
		r.wg.Add(1)
		r.mu.Unlock()
		go r.serve(ctx, a)
	}
}

func (r *Responder) serve(ctx context.Context, a transport.Association) {
	defer r.wg.Done()
	defer func() {
		r.mu.Lock()
		delete(r.assocs, a)
		r.mu.Unlock()
		_ = a.Abort()
	}()
	for {
		tm, err := a.Recv(ctx)
		if err != nil {
			if ctx.Err() == nil && !errors.Is(err, transport.ErrClosed) {
				r.log.Debug("relay: responder association ended", zap.Error(err))
			}
			return
		}
		r.received.Add(1)
		m, err := mxua.Decode(r.proto, tm.Data)
		if err != nil {
			r.failed.Add(1)
			continue
		}
		answers, err := Answer(m)
		if err != nil {
			r.failed.Add(1)
			continue
		}
		for _, ans := range answers {
			b, err := mxua.Encode(ans)
			if err == nil {
				err = a.Send(ctx, transport.Message{Stream: tm.Stream, PPID: tm.PPID, Data: b})
			}
			if err != nil {
				r.failed.Add(1)
				if ctx.Err() != nil {
					return
				}
				continue
			}
			r.answered.Add(1)
		}
	}
}
