package asap

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"testing"
	"time"

	"github.com/sigpool/sigpool/internal/transporttest"
	"github.com/sigpool/sigpool/transport"
	"github.com/sigpool/sigpool/wire"
)

// splitPair is a PE with one association a PU dialed by DialPE, split on
// both sides.
type splitPair struct {
	pe   *PoolElement
	pa   *PEAssociation
	pu   *ControlledAssociation
	data transport.Association // PE side
	ctl  <-chan wire.Message   // PE side
}

func newSplitPair(t *testing.T, splitLate bool) splitPair {
	t.Helper()
	ctx := testCtx(t)
	reg := newFakeRegistrar(t, 1)
	pe := startPE(t, reg.addr)
	if err := pe.Registered(ctx); err != nil {
		t.Fatal(err)
	}
	a, err := DialPE(ctx, wire.PoolElement{Identifier: pe.Identifier(), UserTransport: pe.UserTransport()}, transport.Config{Profile: carrier(t)})
	if err != nil {
		t.Fatal(err)
	}
	pu := SplitControl(a, ControlLogger(testLogger(t)))
	t.Cleanup(func() { _ = pu.Abort() })
	pa, err := pe.Accept(ctx)
	if err != nil {
		t.Fatal(err)
	}
	p := splitPair{pe: pe, pa: pa, pu: pu}
	if splitLate {
		// A Cookie Echo and data that arrive before the PE side splits:
		// the Cookie Echo still comes out on the control channel.
		if err := pu.SendCookieEcho(ctx, wire.Cookie("early")); err != nil {
			t.Fatal(err)
		}
		if err := pu.Send(ctx, transport.Message{PPID: 3, Data: []byte("after-early")}); err != nil {
			t.Fatal(err)
		}
		time.Sleep(10 * time.Millisecond) // let the PE queue both (the test passes without it too)
	}
	p.data, p.ctl = pa.Split()
	if d2, c2 := pa.Split(); d2 != p.data || c2 != p.ctl {
		t.Fatal("second Split returned another pair")
	}
	return p
}

func recvData(ctx context.Context, t *testing.T, a transport.Association) transport.Message {
	t.Helper()
	m, err := a.Recv(ctx)
	if err != nil {
		t.Fatalf("Recv: %v", err)
	}
	return m
}

func recvControl(ctx context.Context, t *testing.T, ch <-chan wire.Message) wire.Message {
	t.Helper()
	select {
	case m, ok := <-ch:
		if !ok {
			t.Fatal("control channel closed")
		}
		return m
	case <-ctx.Done():
		t.Fatal("no control message")
	}
	return nil
}

// Data both ways on the data sides, Cookies PE->PU and Cookie Echoes
// PU->PE on the control channels, on one association; the Cookie Echo is
// on the PE's control channel before the data the PU sent behind it
// reaches the data side.
func TestSplitAssociation(t *testing.T) {
	transporttest.TCPOnly(t, "scripted registrar over TCP")
	noLeaks(t)
	ctx := testCtx(t)
	p := newSplitPair(t, false)

	for i := range 20 {
		if err := p.pu.Send(ctx, transport.Message{Stream: uint16(i % 4), PPID: 3, Data: []byte(fmt.Sprint("up", i))}); err != nil {
			t.Fatal(err)
		}
		if err := p.pa.SendCookie(ctx, wire.Cookie(fmt.Sprint("cookie", i))); err != nil {
			t.Fatal(err)
		}
		if err := p.data.Send(ctx, transport.Message{Stream: uint16(i % 4), PPID: 3, Data: []byte(fmt.Sprint("down", i))}); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 20 {
		if m := recvData(ctx, t, p.data); string(m.Data) != fmt.Sprint("up", i) || m.PPID != 3 || m.Stream != uint16(i%4) {
			t.Fatalf("PE got %+v", m)
		}
		if m := recvData(ctx, t, p.pu); string(m.Data) != fmt.Sprint("down", i) || m.PPID != 3 {
			t.Fatalf("PU got %+v", m)
		}
	}
	// The PU's Recv has read past every Cookie: all are on Control, in order.
	for i := range 20 {
		c, ok := recvControl(ctx, t, p.pu.Control()).(*wire.CookieMessage)
		if !ok || string(c.Cookie) != fmt.Sprint("cookie", i) {
			t.Fatalf("PU control %d: %v", i, c)
		}
	}

	// Cookie Echo, then data: draining control without blocking once the
	// data is there finds the echo.
	for i := range 10 {
		if err := p.pu.SendCookieEcho(ctx, wire.Cookie(fmt.Sprint("echo", i))); err != nil {
			t.Fatal(err)
		}
		if err := p.pu.Send(ctx, transport.Message{PPID: 3, Data: []byte(fmt.Sprint("behind", i))}); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 10 {
		m := recvData(ctx, t, p.data)
		if string(m.Data) != fmt.Sprint("behind", i) {
			t.Fatalf("PE got %q", m.Data)
		}
		select {
		case c := <-p.ctl:
			if ce, ok := c.(*wire.CookieEcho); !ok || string(ce.Cookie) != fmt.Sprint("echo", i) {
				t.Fatalf("PE control %v", c)
			}
		default:
			t.Fatalf("data %d arrived before its Cookie Echo", i)
		}
	}

	// Business Cards go on control too.
	bc := &wire.BusinessCard{PoolHandle: wire.PoolHandle("gwc"), Policy: &wire.Policy{Type: wire.PolicyRoundRobin}}
	if err := p.pu.SendBusinessCard(ctx, bc); err != nil {
		t.Fatal(err)
	}
	if _, ok := recvControl(ctx, t, p.ctl).(*wire.BusinessCard); !ok {
		t.Fatal("no Business Card on the PE's control channel")
	}

	// ASAP is not data.
	for name, a := range map[string]transport.Association{"PE": p.data, "PU": p.pu} {
		if err := a.Send(ctx, transport.Message{PPID: wire.PPIDASAP, Data: []byte{1}}); err == nil {
			t.Errorf("%s data side sent PPID 11", name)
		}
	}
	if err := p.pu.SendCookieEcho(ctx, nil); err == nil {
		t.Error("empty Cookie Echo sent")
	}
	if out, _ := p.data.Streams(); out != transport.DefaultStreams {
		t.Errorf("PE data side streams %d", out)
	}
	if len(p.data.RemoteAddrs()) != 1 || len(p.pu.LocalAddrs()) != 1 {
		t.Errorf("addresses %v %v", p.data.RemoteAddrs(), p.pu.LocalAddrs())
	}

	// Loss: the PU side aborts; the PE side's data Recv ends and its
	// control channel closes; the PU's control channel is closed too.
	if err := p.pu.Abort(); err != nil {
		t.Fatal(err)
	}
	if _, err := p.data.Recv(ctx); err == nil {
		t.Fatal("PE data side still receiving after the PU aborted")
	}
	for name, ch := range map[string]<-chan wire.Message{"PE": p.ctl, "PU": p.pu.Control()} {
		select {
		case _, ok := <-ch:
			if ok {
				t.Fatalf("%s control channel delivered after the end", name)
			}
		case <-ctx.Done():
			t.Fatalf("%s control channel not closed", name)
		}
	}
}

func TestSplitAfterControlArrived(t *testing.T) {
	transporttest.TCPOnly(t, "scripted registrar over TCP")
	noLeaks(t)
	ctx := testCtx(t)
	p := newSplitPair(t, true)
	if m := recvData(ctx, t, p.data); string(m.Data) != "after-early" {
		t.Fatalf("PE got %q", m.Data)
	}
	select {
	case c := <-p.ctl:
		if ce, ok := c.(*wire.CookieEcho); !ok || string(ce.Cookie) != "early" {
			t.Fatalf("PE control %v", c)
		}
	default:
		t.Fatal("early Cookie Echo not on the control channel")
	}
	// The PE side closes: the PU's Recv returns the end, Control closes.
	if err := p.data.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := p.pu.Recv(ctx); err == nil {
		t.Fatal("PU still receiving after the PE closed")
	}
	if _, ok := <-p.pu.Control(); ok {
		t.Fatal("PU control channel open after the end")
	}
}

// The PU side's Recv reading past an undecodable ASAP message: dropped.
func TestControlledAssociationDropsBadASAP(t *testing.T) {
	ctx := testCtx(t)
	a, b := memPipe()
	c := SplitControl(a, ControlQueue(1))
	_ = b.Send(ctx, transport.Message{PPID: wire.PPIDASAP, Data: []byte{0x0b, 0, 0, 9}})
	ck, _ := wire.Marshal(&wire.CookieMessage{Cookie: wire.Cookie("x")})
	_ = b.Send(ctx, transport.Message{PPID: wire.PPIDASAP, Data: ck})
	_ = b.Send(ctx, transport.Message{PPID: 3, Data: []byte("data")})
	if m := recvData(ctx, t, c); string(m.Data) != "data" {
		t.Fatalf("got %q", m.Data)
	}
	if ckm, ok := recvControl(ctx, t, c.Control()).(*wire.CookieMessage); !ok || string(ckm.Cookie) != "x" {
		t.Fatalf("control %v", ckm)
	}
	// A full control queue holds Recv back until ctx ends.
	_ = b.Send(ctx, transport.Message{PPID: wire.PPIDASAP, Data: ck})
	_ = b.Send(ctx, transport.Message{PPID: wire.PPIDASAP, Data: ck})
	short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	defer cancel()
	if _, err := c.Recv(short); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Recv with a full control queue: %v", err)
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	for range c.Control() {
	}
}

func TestDialPERefusals(t *testing.T) {
	ctx := testCtx(t)
	for name, ut := range map[string]wire.Transport{
		"UDP":        {Kind: wire.TransportUDP, Port: 1, Addresses: []netip.Addr{netip.MustParseAddr("127.0.0.1")}},
		"no address": {Kind: wire.TransportTCP, Port: 1},
	} {
		if _, err := DialPE(ctx, wire.PoolElement{Identifier: 1, UserTransport: ut}, transport.Config{}); !errors.Is(err, ErrUserTransport) {
			t.Errorf("%s: %v", name, err)
		}
	}
	tcp := wire.Transport{Kind: wire.TransportTCP, Port: 1, Addresses: []netip.Addr{netip.MustParseAddr("127.0.0.1")}}
	if _, err := DialPE(ctx, wire.PoolElement{Identifier: 1, UserTransport: tcp}, transport.Config{Framing: transport.FramingSIGTRAN}); err == nil || errors.Is(err, ErrUserTransport) {
		t.Errorf("bare framing: %v", err)
	}
	if _, err := DialPE(ctx, wire.PoolElement{Identifier: 1, UserTransport: tcp}, transport.Config{}); err == nil || errors.Is(err, ErrUserTransport) {
		t.Errorf("nobody listening: %v", err)
	}
}

// memPipe is an in-memory association pair for the PU-side unit tests.
func memPipe() (transport.Association, transport.Association) {
	ab, ba := make(chan transport.Message, 16), make(chan transport.Message, 16)
	done := make(chan struct{})
	a := &memEnd{in: ba, out: ab, done: done}
	b := &memEnd{in: ab, out: ba, done: done}
	return a, b
}

type memEnd struct {
	in, out chan transport.Message
	done    chan struct{}
	closed  bool
}

func (m *memEnd) Send(ctx context.Context, tm transport.Message) error {
	select {
	case m.out <- tm:
		return nil
	case <-m.done:
		return transport.ErrClosed
	}
}

func (m *memEnd) Recv(ctx context.Context) (transport.Message, error) {
	select {
	case tm := <-m.in:
		return tm, nil
	case <-m.done:
		return transport.Message{}, transport.ErrClosed
	case <-ctx.Done():
		return transport.Message{}, ctx.Err()
	}
}

func (m *memEnd) Events() <-chan transport.Event { return nil }
func (m *memEnd) LocalAddrs() []netip.AddrPort   { return nil }
func (m *memEnd) RemoteAddrs() []netip.AddrPort  { return nil }
func (m *memEnd) Streams() (out, in uint16)      { return 1, 1 }
func (m *memEnd) Close() error {
	if !m.closed {
		m.closed = true
		close(m.done)
	}
	return nil
}
func (m *memEnd) Abort() error { return m.Close() }
