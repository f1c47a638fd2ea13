package mxua

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/netip"
	"sync"
	"testing"
	"time"

	"github.com/sigpool/sigpool/internal/transporttest"
	"github.com/sigpool/sigpool/transport"
	"go.uber.org/zap/zaptest"
)

// The attach API: an SGP with no listener serves an ASP on an association
// the SG side dialed (as an SG dials each pool element), and the far side
// runs an ASP on the association it accepted (as a GWC does on its pool
// element's user transport).

// delivery returns a function that waits for the next NotifyDeliver (from
// association assoc unless 0), failing on a discard or an error.
func (n notes) delivery(what string, assoc AssocID) func() Notify {
	return func() Notify {
		return n.wait(what, 5*time.Second, func(x Notify) bool {
			if x.Kind == NotifyDiscarded || x.Kind == NotifyError {
				n.t.Fatalf("%s: %+v", what, x)
			}
			return x.Kind == NotifyDeliver && (assoc == 0 || x.Assoc == assoc)
		})
	}
}

func newAttachSGP(t testing.TB) *SGPServer {
	t.Helper()
	s, err := NewSGPServer(driverCtx(t, 10*time.Second), SGPServerConfig{
		Address: "pool",
		Logger:  zaptest.NewLogger(t),
		SGP: SGPConfig{Protocol: M3UA, ASes: []ASConfig{
			{RoutingContext: 1, TrafficMode: TrafficModeLoadshare, Keys: []RoutingKey{{DPC: ptr(uint32(200))}}},
			{RoutingContext: 2, TrafficMode: TrafficModeLoadshare, Keys: []RoutingKey{{DPC: ptr(uint32(300))}}},
		}},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

var attachASPConfig = ASPEndpointConfig{
	ASP: ASPConfig{Protocol: M3UA, RoutingContexts: []uint32{1}, TrafficMode: TrafficModeLoadshare, ASPIdentifier: ptr(uint32(9))},
}

// dialPair returns both ends of one association: the SG side dialed, the
// ASP side accepted.
func dialPair(t testing.TB, scheme string) (sgSide, aspSide transport.Association) {
	t.Helper()
	ctx := driverCtx(t, 10*time.Second)
	cfg := transport.Config{Profile: carrier(t), Framing: transport.FramingMux}
	l, err := transport.Listen(ctx, scheme+"://127.0.0.1:0", cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	type res struct {
		a   transport.Association
		err error
	}
	acc := make(chan res, 1)
	go func() {
		a, err := l.Accept(ctx)
		acc <- res{a, err}
	}()
	d, err := transport.Dial(ctx, fmt.Sprintf("%s://%s", scheme, l.Addrs()[0]), cfg)
	if err != nil {
		t.Fatal(err)
	}
	r := <-acc
	if r.err != nil {
		t.Fatal(r.err)
	}
	return d, r.a
}

func TestAttachASPToAttachedSGP(t *testing.T) {
	transporttest.ForEach(t, func(t *testing.T, scheme string) {
		ctx := driverCtx(t, 15*time.Second)
		s := newAttachSGP(t)
		sn := notes{t, s.Notifications()}
		sgSide, aspSide := dialPair(t, scheme)
		id, err := s.Attach(ctx, sgSide)
		if err != nil {
			t.Fatal(err)
		}
		e, err := AttachASP(ctx, aspSide, attachASPConfig)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = e.Close() })
		en := notes{t, e.Notifications()}
		if err := e.WaitState(ctx, ASPActive); err != nil {
			t.Fatal(err)
		}
		sn.wait("ASP-ACTIVE at the SGP", 5*time.Second, func(n Notify) bool {
			return n.Kind == NotifyASPState && n.Assoc == id && n.ASP == ASPActive
		})
		if s.Addr() != "" || s.Addrs() != nil {
			t.Fatalf("listener-less SGP has address %q %v", s.Addr(), s.Addrs())
		}

		// SG -> ASP by SendTo, with and without the routing context.
		const n = 300
		for i := range n {
			m := dataMsg(100, 200, uint8(i%16), i)
			if i%2 == 0 {
				m.RoutingContexts = []uint32{1}
			}
			if err := s.SendTo(ctx, id, m); err != nil {
				t.Fatalf("SendTo %d: %v", i, err)
			}
		}
		checkOrder(t, "SendTo->ASP", n, 1, en.delivery("DATA at the ASP", 0))
		// ASP -> SG.
		for i := range n {
			if err := e.Send(ctx, dataMsg(200, 100, uint8(i%16), i)); err != nil {
				t.Fatal(err)
			}
		}
		checkOrder(t, "ASP->SGP", n, 1, sn.delivery("DATA at the SGP", id))

		// Refusals, each with its reason.
		for _, c := range []struct {
			name  string
			assoc AssocID
			m     *Message
			want  error
		}{
			{"unknown association", id + 1, dataMsg(100, 200, 0, 0), ErrUnknownAssociation},
			{"routing context the ASP is not active in", id, &Message{Kind: KindDATA, RoutingContexts: []uint32{2}, ProtocolData: dataMsg(100, 300, 0, 0).ProtocolData}, ErrASPNotActive},
			{"unknown routing context", id, &Message{Kind: KindDATA, RoutingContexts: []uint32{7}, ProtocolData: dataMsg(100, 300, 0, 0).ProtocolData}, ErrASPNotActive},
		} {
			if err := s.SendTo(ctx, c.assoc, c.m); !errors.Is(err, c.want) {
				t.Errorf("%s: %v, want %v", c.name, err, c.want)
			}
		}
		for name, m := range map[string]*Message{
			"nil":                nil,
			"management message": {Kind: KindASPUP},
			"two routing contexts": {Kind: KindDATA, RoutingContexts: []uint32{1, 2},
				ProtocolData: dataMsg(100, 200, 0, 0).ProtocolData},
			"DATA without protocol data": {Kind: KindDATA},
		} {
			if err := s.SendTo(ctx, id, m); err == nil {
				t.Errorf("%s: SendTo accepted it", name)
			}
		}
		cctx, cancel := context.WithCancel(ctx)
		cancel()
		if err := s.SendTo(cctx, id, dataMsg(100, 200, 0, 0)); !errors.Is(err, context.Canceled) {
			t.Errorf("cancelled context: %v", err)
		}

		// The ASP side goes away: the SGP sees the ASP down, SendTo
		// refuses, and the attached endpoint is done for good.
		if err := aspSide.Abort(); err != nil {
			t.Fatal(err)
		}
		sn.wait("ASP-DOWN at the SGP", 10*time.Second, func(n Notify) bool {
			return n.Kind == NotifyASPState && n.Assoc == id && n.ASP == ASPDown
		})
		select {
		case <-e.Done():
		case <-ctx.Done():
			t.Fatal("attached endpoint not done after its association ended")
		}
		if err := e.WaitState(ctx, ASPDown); err != nil {
			t.Fatal(err)
		}
		deadline := time.Now().Add(5 * time.Second)
		for {
			err := s.SendTo(ctx, id, dataMsg(100, 200, 0, 0))
			if errors.Is(err, ErrUnknownAssociation) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("SendTo after the loss: %v", err)
			}
			pause()
		}
		if peers, err := s.Peers(ctx); err != nil || len(peers) != 0 {
			t.Fatalf("peers after the loss %+v, %v", peers, err)
		}
	})
}

// An SGP serving two attached ASPs: SendTo reaches the one named, whatever
// the AS's loadshare choice would be.
func TestSGPSendToChoosesTheASP(t *testing.T) {
	transporttest.TCPOnly(t, "two in-process TCP associations")
	ctx := driverCtx(t, 15*time.Second)
	s := newAttachSGP(t)
	var ids []AssocID
	var eps []*ASPEndpoint
	for i := range 2 {
		sgSide, aspSide := dialPair(t, "tcp")
		id, err := s.Attach(ctx, sgSide)
		if err != nil {
			t.Fatal(err)
		}
		cfg := attachASPConfig
		cfg.ASP.ASPIdentifier = ptr(uint32(20 + i))
		e, err := AttachASP(ctx, aspSide, cfg)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = e.Close() })
		if err := e.WaitState(ctx, ASPActive); err != nil {
			t.Fatal(err)
		}
		ids, eps = append(ids, id), append(eps, e)
	}
	// The SGP may publish ACTIVE a moment after the ASP hears the ack.
	for i, id := range ids {
		m := dataMsg(100, 200, 5, i)
		for {
			err := s.SendTo(ctx, id, m)
			if err == nil {
				break
			}
			if !errors.Is(err, ErrASPNotActive) && !errors.Is(err, ErrUnknownAssociation) || ctx.Err() != nil {
				t.Fatal(err)
			}
			pause()
		}
	}
	for i, e := range eps {
		x := notes{t, e.Notifications()}.wait("DATA", 5*time.Second, func(n Notify) bool { return n.Kind == NotifyDeliver })
		if got := int(x.Msg.ProtocolData.Payload[3]); got != i {
			t.Fatalf("ASP %d got message %d", i, got)
		}
	}
}

func TestAttachNilAssociation(t *testing.T) {
	ctx := driverCtx(t, 5*time.Second)
	s := newAttachSGP(t)
	if _, err := s.Attach(ctx, nil); err == nil {
		t.Fatal("Attach(nil) accepted")
	}
	if _, err := AttachASP(ctx, nil, attachASPConfig); err == nil {
		t.Fatal("AttachASP(nil) accepted")
	}
	if _, err := AttachASP(ctx, newMemPair(4)[0], ASPEndpointConfig{}); err == nil {
		t.Fatal("AttachASP without a protocol accepted")
	}
	_ = s.Close()
	if _, err := s.Attach(ctx, newMemPair(4)[0]); err == nil {
		t.Fatal("Attach after Close accepted")
	}
}

// pause lets another goroutine run before a state is looked at again.
func pause() { time.Sleep(time.Millisecond) }

// memAssoc is one end of an in-memory association: the driver's own cost,
// without a socket, for the benchmarks.
type memAssoc struct {
	in, out chan transport.Message
	events  chan transport.Event
	done    chan struct{}
	peer    *memAssoc
	once    sync.Once
	streams uint16
}

func newMemPair(streams uint16) [2]*memAssoc {
	ab, ba := make(chan transport.Message, 1024), make(chan transport.Message, 1024)
	a := &memAssoc{in: ba, out: ab, events: make(chan transport.Event, 1), done: make(chan struct{}), streams: streams}
	b := &memAssoc{in: ab, out: ba, events: make(chan transport.Event, 1), done: make(chan struct{}), streams: streams}
	a.peer, b.peer = b, a
	return [2]*memAssoc{a, b}
}

func (m *memAssoc) end() {
	m.once.Do(func() {
		close(m.done)
		m.events <- transport.Event{Kind: transport.EventDown}
		close(m.events)
	})
}

func (m *memAssoc) Send(ctx context.Context, tm transport.Message) error {
	select {
	case m.out <- tm:
		return nil
	case <-m.done:
		return transport.ErrClosed
	case <-m.peer.done:
		return transport.ErrAborted
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (m *memAssoc) Recv(ctx context.Context) (transport.Message, error) {
	select {
	case tm := <-m.in:
		return tm, nil
	case <-m.done:
		return transport.Message{}, transport.ErrClosed
	case <-m.peer.done:
		return transport.Message{}, io.EOF
	case <-ctx.Done():
		return transport.Message{}, ctx.Err()
	}
}

func (m *memAssoc) Events() <-chan transport.Event { return m.events }
func (m *memAssoc) LocalAddrs() []netip.AddrPort   { return nil }
func (m *memAssoc) RemoteAddrs() []netip.AddrPort  { return nil }
func (m *memAssoc) Streams() (out, in uint16)      { return m.streams, m.streams }
func (m *memAssoc) Close() error                   { m.end(); return nil }
func (m *memAssoc) Abort() error                   { m.end(); return nil }

// benchPair is an attached SGP and ASP, ASP-ACTIVE, over assocs.
func benchPair(b *testing.B, sgSide, aspSide transport.Association) (*SGPServer, AssocID, *ASPEndpoint) {
	b.Helper()
	ctx := driverCtx(b, time.Minute)
	s, err := NewSGPServer(ctx, SGPServerConfig{SGP: SGPConfig{Protocol: M3UA, ASes: []ASConfig{
		{RoutingContext: 1, TrafficMode: TrafficModeLoadshare, Keys: []RoutingKey{{DPC: ptr(uint32(200))}}}}}})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = s.Close() })
	id, err := s.Attach(ctx, sgSide)
	if err != nil {
		b.Fatal(err)
	}
	e, err := AttachASP(ctx, aspSide, attachASPConfig)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = e.Close() })
	if err := e.WaitState(ctx, ASPActive); err != nil {
		b.Fatal(err)
	}
	for s.SendTo(ctx, id, dataMsg(100, 200, 0, 0)) != nil {
		pause()
	}
	for n := range e.Notifications() {
		if n.Kind == NotifyDeliver {
			break
		}
	}
	return s, id, e
}

// BenchmarkSGPSendTo is SendTo alone: the per-message cost on the SG's
// hot path. The ASP is played by hand and its side only drained, so the
// allocations counted are SendTo's (the encoded message) and the writer's.
func BenchmarkSGPSendTo(b *testing.B) {
	ctx := driverCtx(b, time.Minute)
	p := newMemPair(32)
	s, err := NewSGPServer(ctx, SGPServerConfig{SGP: SGPConfig{Protocol: M3UA, ASes: []ASConfig{
		{RoutingContext: 1, TrafficMode: TrafficModeLoadshare, Keys: []RoutingKey{{DPC: ptr(uint32(200))}}}}}})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { _ = s.Close() })
	id, err := s.Attach(ctx, p[0])
	if err != nil {
		b.Fatal(err)
	}
	asp := p[1]
	for _, m := range []*Message{{Protocol: M3UA, Kind: KindASPUP}, {Protocol: M3UA, Kind: KindASPAC, RoutingContexts: []uint32{1}}} {
		w, err := Encode(m)
		if err != nil {
			b.Fatal(err)
		}
		if err := asp.Send(ctx, transport.Message{PPID: PPIDM3UA, Data: w}); err != nil {
			b.Fatal(err)
		}
	}
	go func() {
		for {
			if _, err := asp.Recv(context.Background()); err != nil {
				return
			}
		}
	}()
	m := dataMsg(100, 200, 3, 1)
	m.ProtocolData.Payload = make([]byte, 60)
	for s.SendTo(ctx, id, m) != nil {
		pause()
	}
	b.ReportAllocs()
	for b.Loop() {
		for s.SendTo(ctx, id, m) != nil { // queue full: let the writer catch up
			pause()
		}
	}
}

// BenchmarkAttachedDelivery is one message through a driver to the
// application: SendTo at the SGP, memory association, the ASP driver's
// reader, loop and notification queue, NotifyDeliver read (SGP->ASP);
// and the reverse, ASP Send to the SGP's NotifyDeliver (ASP->SGP).
// msgs/s is the sustained rate with one producer and one consumer.
func BenchmarkAttachedDelivery(b *testing.B) {
	for _, dir := range []string{"SGP->ASP", "ASP->SGP"} {
		b.Run(dir, func(b *testing.B) {
			p := newMemPair(32)
			s, id, e := benchPair(b, p[0], p[1])
			benchDelivery(b, dir, s, id, e)
		})
	}
}

// BenchmarkAttachedDeliveryTCP is BenchmarkAttachedDelivery over a
// loopback TCP association with the mux framing.
func BenchmarkAttachedDeliveryTCP(b *testing.B) {
	for _, dir := range []string{"SGP->ASP", "ASP->SGP"} {
		b.Run(dir, func(b *testing.B) {
			sgSide, aspSide := dialPair(b, "tcp")
			s, id, e := benchPair(b, sgSide, aspSide)
			benchDelivery(b, dir, s, id, e)
		})
	}
}

func benchDelivery(b *testing.B, dir string, s *SGPServer, id AssocID, e *ASPEndpoint) {
	ctx := context.Background()
	m := dataMsg(100, 200, 3, 1)
	m.ProtocolData.Payload = make([]byte, 60)
	recv := e.Notifications()
	send := func() error { return s.SendTo(ctx, id, m) }
	if dir == "ASP->SGP" {
		recv = s.Notifications()
		m = dataMsg(200, 100, 3, 1)
		m.ProtocolData.Payload = make([]byte, 60)
		send = func() error { return e.Send(ctx, m) }
	}
	// At most window messages in flight, so no queue overflows.
	const window = 512
	credit := make(chan struct{}, window)
	for range window {
		credit <- struct{}{}
	}
	got := make(chan int, 1)
	b.ReportAllocs()
	b.ResetTimer()
	start := time.Now()
	go func() {
		n := 0
		for n < b.N {
			x, ok := <-recv
			if !ok {
				break
			}
			if x.Kind == NotifyDeliver {
				n++
				credit <- struct{}{}
			}
		}
		got <- n
	}()
	for range b.N {
		<-credit
		if err := send(); err != nil {
			b.Fatal(err)
		}
	}
	if n := <-got; n != b.N {
		b.Fatalf("%d of %d delivered", n, b.N)
	}
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "msgs/s")
}

// An ASP that sends DATA right behind its ASP Active, without waiting for
// the ack: the first messages reach the SGP core through the loop, the
// later ones are delivered by the reader once the loop has caught up, and
// the application sees them all, in order. DATA on stream 0 still goes to
// the core, which answers ERR.
func TestSGPDeliveryKeepsOrderAcrossTheLoop(t *testing.T) {
	ctx := driverCtx(t, 10*time.Second)
	s := newAttachSGP(t)
	sn := notes{t, s.Notifications()}
	p := newMemPair(8)
	id, err := s.Attach(ctx, p[0])
	if err != nil {
		t.Fatal(err)
	}
	asp := p[1]
	send := func(stream uint16, m *Message) {
		t.Helper()
		w, err := Encode(m)
		if err != nil {
			t.Fatal(err)
		}
		if err := asp.Send(ctx, transport.Message{Stream: stream, PPID: PPIDM3UA, Data: w}); err != nil {
			t.Fatal(err)
		}
	}
	send(0, &Message{Protocol: M3UA, Kind: KindASPUP})
	send(0, &Message{Protocol: M3UA, Kind: KindASPAC, RoutingContexts: []uint32{1}})
	const n = 500
	for i := range n {
		m := dataMsg(200, 100, uint8(i%16), i)
		m.RoutingContexts = []uint32{1}
		send(1+uint16(i%7), m)
	}
	next := 0
	for next < n {
		x := sn.wait("DATA", 5*time.Second, func(x Notify) bool { return x.Kind == NotifyDeliver || x.Kind == NotifyError })
		if x.Kind != NotifyDeliver || x.Assoc != id || x.RoutingContext != 1 {
			t.Fatalf("notification %+v", x)
		}
		if got := int(binaryU32(x.Msg.ProtocolData.Payload)); got != next {
			t.Fatalf("message %d delivered as number %d", got, next)
		}
		next++
	}
	send(0, dataMsg(200, 100, 0, 0))
	for {
		tm, err := asp.Recv(ctx)
		if err != nil {
			t.Fatal(err)
		}
		m, err := Decode(M3UA, tm.Data)
		if err != nil {
			t.Fatal(err)
		}
		if m.Kind == KindERR {
			if m.ErrorCode != ErrInvalidStreamIdentifier {
				t.Fatalf("ERR %v", m.ErrorCode)
			}
			break
		}
	}
}

func binaryU32(b []byte) uint32 {
	return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
}
