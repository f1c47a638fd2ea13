package enrp

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/sigpool/sigpool/transport"
	"github.com/sigpool/sigpool/wire"
)

// startRegistrarOn runs a registrar with one ASAP and one ENRP listener on
// loopback over scheme (bare framing over TCP), stopped at the end of the test.
func startRegistrarOn(t testing.TB, scheme string, cfg Config, profile transport.Profile) *Registrar {
	t.Helper()
	if cfg.ServerID == 0 {
		cfg.ServerID = 0xabcd
	}
	r, err := Start(context.Background(), Options{Core: cfg, Profile: profile,
		Listen: []string{scheme + "://127.0.0.1:0"}, ENRPListen: []string{scheme + "://127.0.0.1:0"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

// assocConn is a peer on a transport association (SCTP: one message per
// SCTP message, with its PPID).
type assocConn struct {
	t testing.TB
	a transport.Association
}

func dialAssoc(t testing.TB, addr string, cfg transport.Config) *assocConn {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	a, err := transport.Dial(ctx, addr, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Abort() })
	return &assocConn{t: t, a: a}
}

func (c *assocConn) sendRaw(ppid uint32, b []byte) {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if err := c.a.Send(ctx, transport.Message{PPID: ppid, Data: b}); err != nil {
		c.t.Fatal(err)
	}
}

func (c *assocConn) send(ppid uint32, m wire.Message) {
	c.t.Helper()
	b, err := wire.Marshal(m)
	if err != nil {
		c.t.Fatal(err)
	}
	c.sendRaw(ppid, b)
}

// recv returns the next message with its PPID, decoded by the PPID.
func (c *assocConn) recv(timeout time.Duration) (uint32, wire.Message, error) {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	m, err := c.a.Recv(ctx)
	if err != nil {
		return 0, nil, err
	}
	var msg wire.Message
	if m.PPID == wire.PPIDENRP {
		msg, _, err = wire.DecodeENRP(m.Data)
	} else {
		msg, _, err = wire.DecodeASAP(m.Data)
	}
	return m.PPID, msg, err
}

// ended reports whether the registrar ended the association within timeout.
func (c *assocConn) ended(timeout time.Duration) bool {
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	for {
		if _, err := c.a.Recv(ctx); err != nil {
			return !errors.Is(err, context.DeadlineExceeded)
		}
	}
}
