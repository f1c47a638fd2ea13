package mxua

import (
	"context"
	"encoding/binary"
	"errors"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/sigpool/sigpool/internal/transporttest"
	"github.com/sigpool/sigpool/transport"
	"go.uber.org/zap/zaptest"
)

// The drivers over real associations on loopback: TCP on the host, kernel
// SCTP in the VM (see testScheme in endpoint_transport_test.go).

func carrier(t testing.TB) transport.Profile {
	t.Helper()
	p, err := transport.LookupProfile("carrier")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func driverCtx(t testing.TB, d time.Duration) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), d)
	t.Cleanup(cancel)
	return ctx
}

// notes collects an endpoint's notifications so tests can wait for one.
type notes struct {
	t  testing.TB
	ch <-chan Notify
}

// wait returns the first notification matching ok, skipping the others.
func (n notes) wait(what string, within time.Duration, ok func(Notify) bool) Notify {
	n.t.Helper()
	timer := time.NewTimer(within)
	defer timer.Stop()
	for {
		select {
		case x, open := <-n.ch:
			if !open {
				n.t.Fatalf("notifications closed while waiting for %s", what)
			}
			if ok(x) {
				return x
			}
		case <-timer.C:
			n.t.Fatalf("no %s within %v", what, within)
		}
	}
}

func startSGP(t testing.TB, framing transport.Framing, prof transport.Profile) *SGPServer {
	t.Helper()
	s, err := ListenSGP(driverCtx(t, 10*time.Second), SGPServerConfig{
		Address:   transporttest.Scheme(t) + "://127.0.0.1:0",
		Transport: transport.Config{Profile: prof, Framing: framing},
		Logger:    zaptest.NewLogger(t),
		SGP: SGPConfig{Protocol: M3UA, ASes: []ASConfig{{
			RoutingContext: 1, TrafficMode: TrafficModeLoadshare,
			Keys: []RoutingKey{{DPC: ptr(uint32(200))}},
		}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	return s
}

func startASP(t testing.TB, addr string, framing transport.Framing, prof transport.Profile) *ASPEndpoint {
	t.Helper()
	e, err := DialASP(driverCtx(t, 10*time.Second), ASPEndpointConfig{
		Address:   addr,
		Transport: transport.Config{Profile: prof, Framing: framing},
		ASP:       ASPConfig{Protocol: M3UA, RoutingContexts: []uint32{1}, TrafficMode: TrafficModeLoadshare, ASPIdentifier: ptr(uint32(7))},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = e.Close() })
	return e
}

func ptr[T any](v T) *T { return &v }

func dataMsg(opc, dpc uint32, sls uint8, seq int) *Message {
	return &Message{Protocol: M3UA, Kind: KindDATA, ProtocolData: &ProtocolData{
		OPC: opc, DPC: dpc, SI: 3, NI: 2, SLS: sls,
		Payload: binary.BigEndian.AppendUint32(nil, uint32(seq)),
	}}
}

var framings = []struct {
	name string
	f    transport.Framing
}{{"mux", transport.FramingMux}, {"sigtran", transport.FramingSIGTRAN}}

// An ASP endpoint reaches ASP-ACTIVE at the SGP server, and DATA flows both
// ways in order per SLS, over the mux framing (32 streams) and the bare
// SIGTRAN framing (one stream); in the VM the "mux" case runs over kernel
// SCTP (32 real streams) and the bare framing, TCP only, is skipped.
func TestEndpointHandshakeAndData(t *testing.T) {
	for _, fr := range framings {
		t.Run(fr.name, func(t *testing.T) {
			if fr.f != transport.FramingMux {
				transporttest.TCPOnly(t, "bare SIGTRAN framing over TCP")
			}
			ctx := driverCtx(t, 10*time.Second)
			s := startSGP(t, fr.f, carrier(t))
			sn := notes{t, s.Notifications()}
			e := startASP(t, s.Addr(), fr.f, carrier(t))
			en := notes{t, e.Notifications()}
			if err := e.WaitState(ctx, ASPActive); err != nil {
				t.Fatal(err)
			}
			sn.wait("AS-ACTIVE at the SGP", 2*time.Second, func(n Notify) bool {
				return n.Kind == NotifyASState && n.RoutingContext == 1 && n.AS == ASActive
			})
			if st, err := s.ASState(ctx, 1); err != nil || st != ASActive {
				t.Fatalf("SGP AS state %v, %v", st, err)
			}
			peers, err := s.Peers(ctx)
			if err != nil || len(peers) != 1 || peers[0].State != ASPActive {
				t.Fatalf("peers %+v, %v", peers, err)
			}

			const n = 400
			// ASP -> SGP.
			for i := range n {
				if err := e.Send(ctx, dataMsg(200, 100, uint8(i%16), i)); err != nil {
					t.Fatal(err)
				}
			}
			checkOrder(t, "ASP->SGP", n, 1, sn.delivery("DATA at the SGP", 0))
			// SGP -> ASP, routed by the routing key (DPC 200).
			for i := range n {
				if err := s.Send(ctx, dataMsg(100, 200, uint8(i%16), i)); err != nil {
					t.Fatal(err)
				}
			}
			checkOrder(t, "SGP->ASP", n, 1, en.delivery("DATA at the ASP", 0))
		})
	}
}

// checkOrder reads n deliveries and checks that each SLS sees its sequence
// numbers in increasing order.
func checkOrder(t *testing.T, dir string, n int, rc uint32, next func() Notify) {
	t.Helper()
	last := map[uint8]int{}
	for range n {
		x := next()
		pd := x.Msg.ProtocolData
		if pd == nil || len(pd.Payload) != 4 {
			t.Fatalf("%s: delivered %+v", dir, x.Msg)
		}
		seq := int(binary.BigEndian.Uint32(pd.Payload))
		if prev, ok := last[pd.SLS]; ok && seq <= prev {
			t.Fatalf("%s: SLS %d: %d after %d", dir, pd.SLS, seq, prev)
		}
		last[pd.SLS] = seq
		if x.RoutingContext != 0 && x.RoutingContext != rc {
			t.Fatalf("%s: routing context %d", dir, x.RoutingContext)
		}
	}
}

// rawPeer is a hand-driven M3UA peer on a mux-framed TCP association or an
// SCTP association, to see the streams, PPIDs and bytes the drivers put on
// the wire.
// silentPeerProfile is for tests whose peer reads nothing: no BEAT (its
// ACKs would go unread) and the wan profile's TCP user timeout (13.5 s),
// so that the shut receive window does not end the association either.
func silentPeerProfile(t testing.TB) transport.Profile {
	t.Helper()
	p, err := transport.LookupProfile("wan")
	if err != nil {
		t.Fatal(err)
	}
	p.AppHBInterval = 0
	return p
}

// fillUntilStuck sends 4 KB DATA until the send queue refuses, again and
// again: the writer drains it into the kernel's buffers until those are
// full too (the peer reads nothing), and then stuck (the queue seen full
// or congested) must hold.
func fillUntilStuck(t *testing.T, send func(*Message) error, stuck func() bool) {
	t.Helper()
	big := dataMsg(100, 200, 5, 0)
	big.ProtocolData.Payload = make([]byte, 4096)
	deadline := time.Now().Add(10 * time.Second)
	for i := 0; ; {
		var err error
		for ; err == nil; i++ {
			err = send(big)
		}
		if !errors.Is(err, ErrSendQueueFull) {
			t.Fatalf("send after %d messages: %v, want ErrSendQueueFull", i, err)
		}
		time.Sleep(5 * time.Millisecond)
		if stuck() {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("queue not seen full after %d messages to a peer that reads nothing", i)
		}
	}
}

// rawSGPListener listens on a loopback port for a hand-driven SGP and
// returns the listener (closed when the test ends) and its address.
func rawSGPListener(ctx context.Context, t testing.TB, prof transport.Profile) (transport.Listener, string) {
	t.Helper()
	l, err := transport.Listen(ctx, transporttest.Scheme(t)+"://127.0.0.1:0", transport.Config{Profile: prof})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = l.Close() })
	return l, transporttest.Scheme(t) + "://" + l.Addrs()[0].String()
}

// acceptRawPeer takes the next association on l as a hand-driven peer;
// it is aborted when the test ends.
func acceptRawPeer(ctx context.Context, t testing.TB, l transport.Listener) (transport.Association, rawPeer) {
	t.Helper()
	a, err := l.Accept(ctx)
	if err != nil {
		t.Fatalf("accept: %v", err)
	}
	t.Cleanup(func() { _ = a.Abort() })
	return a, rawPeer{t, a}
}

type rawPeer struct {
	t testing.TB
	a transport.Association
}

func (p rawPeer) send(ctx context.Context, stream uint16, m *Message) {
	p.t.Helper()
	b, err := Encode(m)
	if err != nil {
		p.t.Fatal(err)
	}
	p.sendRaw(ctx, stream, b)
}

func (p rawPeer) sendRaw(ctx context.Context, stream uint16, b []byte) {
	p.t.Helper()
	if err := p.a.Send(ctx, transport.Message{Stream: stream, PPID: PPIDM3UA, Data: b}); err != nil {
		p.t.Fatal(err)
	}
}

// recv returns the next message other than BEAT, answering BEATs.
func (p rawPeer) recv(ctx context.Context) (uint16, *Message) {
	p.t.Helper()
	rctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	for {
		tm, err := p.a.Recv(rctx)
		if err != nil {
			p.t.Fatalf("raw peer recv: %v", err)
		}
		if tm.PPID != PPIDM3UA {
			p.t.Fatalf("raw peer: PPID %d on stream %d, want %d (M3UA)", tm.PPID, tm.Stream, PPIDM3UA)
		}
		m, err := Decode(M3UA, tm.Data)
		if err != nil {
			p.t.Fatalf("raw peer: decode: %v", err)
		}
		if m.Kind == KindBEAT {
			p.send(ctx, 0, &Message{Protocol: M3UA, Kind: KindBEATAck, HeartbeatData: m.HeartbeatData})
			continue
		}
		return tm.Stream, m
	}
}

// acknowledgeASP plays the SGP's part in bringing an ASP up and active in
// routing context 1 with mode.
func (p rawPeer) acknowledgeASP(ctx context.Context, mode TrafficMode) {
	p.t.Helper()
	p.expect(ctx, KindASPUP)
	p.send(ctx, 0, &Message{Protocol: M3UA, Kind: KindASPUPAck})
	p.expect(ctx, KindASPAC)
	p.send(ctx, 0, &Message{Protocol: M3UA, Kind: KindASPACAck, TrafficMode: mode, RoutingContexts: []uint32{1}})
}

// expect returns the next message of kind k, skipping NTFY (AS state
// changes the SGP announces along the way).
func (p rawPeer) expect(ctx context.Context, k Kind) (uint16, *Message) {
	p.t.Helper()
	st, m := p.recv(ctx)
	for m.Kind == KindNTFY && k != KindNTFY {
		st, m = p.recv(ctx)
	}
	if m.Kind != k {
		p.t.Fatalf("raw peer: got %v (%+v), want %v", m.Kind, m, k)
	}
	return st, m
}

// An ASP endpoint against a hand-driven SGP: DATA goes out on the stream of
// its SLS (never stream 0), a malformed message is answered with ERR and
// the association lives on, and BEATs are both sent and answered.
func TestEndpointASPWire(t *testing.T) {
	ctx := driverCtx(t, 10*time.Second)
	prof := carrier(t)
	l, addr := rawSGPListener(ctx, t, prof)
	e := startASP(t, addr, transport.FramingMux, prof)
	en := notes{t, e.Notifications()}
	a, p := acceptRawPeer(ctx, t, l)

	st, m := p.expect(ctx, KindASPUP)
	if st != 0 || m.ASPIdentifier == nil || *m.ASPIdentifier != 7 {
		t.Fatalf("ASPUP on stream %d: %+v", st, m)
	}
	p.send(ctx, 0, &Message{Protocol: M3UA, Kind: KindASPUPAck})
	_, m = p.expect(ctx, KindASPAC)
	if len(m.RoutingContexts) != 1 || m.RoutingContexts[0] != 1 {
		t.Fatalf("ASPAC %+v", m)
	}
	p.send(ctx, 0, &Message{Protocol: M3UA, Kind: KindASPACAck, TrafficMode: TrafficModeLoadshare, RoutingContexts: []uint32{1}})
	if err := e.WaitState(ctx, ASPActive); err != nil {
		t.Fatal(err)
	}

	// Per-SLS streams: the stream the raw peer reads is the one the kernel
	// (SCTP) or the mux frame (TCP) carried, so this also checks that the
	// stream id survives the trip.
	for sls := range 40 {
		if err := e.Send(ctx, dataMsg(200, 100, uint8(sls), sls)); err != nil {
			t.Fatal(err)
		}
		st, m := p.expect(ctx, KindDATA)
		if want := StreamFor(uint32(sls), transport.DefaultStreams); st != want || st == 0 {
			t.Fatalf("SLS %d on stream %d, want %d", sls, st, want)
		}
		if m.ProtocolData.SLS != uint8(sls) {
			t.Fatalf("SLS %d arrived as %d", sls, m.ProtocolData.SLS)
		}
	}

	// Malformed messages: ERR back, association intact.
	for _, c := range []struct {
		name string
		raw  []byte
		code ErrorCode
	}{
		{"unknown class", []byte{1, 0, 99, 1, 0, 0, 0, 8}, ErrUnsupportedMessageClass},
		{"version 2", []byte{2, 0, 3, 3, 0, 0, 0, 8}, ErrInvalidVersion},
		{"unknown ASPSM type", []byte{1, 0, 3, 99, 0, 0, 0, 8}, ErrUnsupportedMessageType},
	} {
		p.sendRaw(ctx, 0, c.raw)
		_, m := p.expect(ctx, KindERR)
		if m.ErrorCode != c.code {
			t.Errorf("%s: ERR code %#x, want %#x", c.name, m.ErrorCode, c.code)
		}
	}
	// A malformed ERR is not answered (no ERR ping-pong): the next thing
	// back is the answer to the BEAT that follows it.
	p.sendRaw(ctx, 0, []byte{1, 0, 0, 0, 0, 0, 0, 12, 0xff, 0xff, 0, 4})
	p.send(ctx, 0, &Message{Protocol: M3UA, Kind: KindBEAT, HeartbeatData: []byte("ping")})
	_, m = p.expect(ctx, KindBEATAck)
	if string(m.HeartbeatData) != "ping" {
		t.Fatalf("BEAT ACK data %q", m.HeartbeatData)
	}

	// The endpoint beats on its own (carrier: every 100 ms); recv answers
	// them, so the ASP must still be active after several periods.
	beats := 0
	deadline := time.Now().Add(500 * time.Millisecond)
	for time.Now().Before(deadline) {
		rctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
		tm, err := a.Recv(rctx)
		cancel()
		if err != nil {
			t.Fatalf("recv: %v", err)
		}
		m, err := Decode(M3UA, tm.Data)
		if err != nil {
			t.Fatal(err)
		}
		if m.Kind == KindBEAT {
			beats++
			p.send(ctx, 0, &Message{Protocol: M3UA, Kind: KindBEATAck, HeartbeatData: m.HeartbeatData})
		}
	}
	if beats < 3 {
		t.Errorf("%d BEATs in 500 ms with a 100 ms interval", beats)
	}
	if st := e.State(); st != ASPActive {
		t.Fatalf("ASP %v after the malformed messages and BEATs", st)
	}
	for drained := false; !drained; {
		select {
		case x := <-en.ch:
			if x.Kind == NotifyPeerLost || x.Kind == NotifyASPState && x.ASP == ASPDown {
				t.Fatalf("unexpected %+v", x)
			}
		default:
			drained = true
		}
	}

	// Stop answering BEATs: the endpoint declares the SGP lost and aborts.
	start := time.Now()
	x := en.wait("peer lost", 2*time.Second, func(n Notify) bool { return n.Kind == NotifyPeerLost })
	t.Logf("unanswered BEATs: SGP declared lost after %v (%s)", time.Since(start), x.Reason)
	rctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	for {
		if _, err := a.Recv(rctx); err != nil {
			if !errors.Is(err, transport.ErrAborted) && !errors.Is(err, context.DeadlineExceeded) {
				t.Logf("raw SGP side ended with %v", err)
			}
			break
		}
	}
}

// The SGP server answers garbage from an ASP with ERR and keeps serving it,
// answers the ASP's BEATs, sends DATA on the stream of its SLS (never
// stream 0) and refuses DATA on stream 0.
func TestEndpointSGPWire(t *testing.T) {
	ctx := driverCtx(t, 10*time.Second)
	s := startSGP(t, transport.FramingMux, carrier(t))
	sn := notes{t, s.Notifications()}
	a, err := transport.Dial(ctx, s.Addr(), transport.Config{Profile: carrier(t)})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Abort()
	p := rawPeer{t, a}
	p.sendRaw(ctx, 0, []byte{1, 0, 99, 1, 0, 0, 0, 8})
	if _, m := p.expect(ctx, KindERR); m.ErrorCode != ErrUnsupportedMessageClass {
		t.Fatalf("ERR code %#x", m.ErrorCode)
	}
	// A parameter with a bad length inside an otherwise fine ASPUP.
	p.sendRaw(ctx, 0, []byte{1, 0, 3, 1, 0, 0, 0, 16, 0, 0x11, 0, 99, 0, 0, 0, 1})
	if _, m := p.expect(ctx, KindERR); m.ErrorCode == 0 {
		t.Fatalf("ERR without code: %+v", m)
	}
	p.send(ctx, 0, &Message{Protocol: M3UA, Kind: KindASPUP})
	p.expect(ctx, KindASPUPAck)
	p.send(ctx, 0, &Message{Protocol: M3UA, Kind: KindBEAT, HeartbeatData: []byte{1, 2, 3}})
	if _, m := p.expect(ctx, KindBEATAck); string(m.HeartbeatData) != "\x01\x02\x03" {
		t.Fatalf("BEAT ACK data %x", m.HeartbeatData)
	}
	p.send(ctx, 0, &Message{Protocol: M3UA, Kind: KindASPAC, RoutingContexts: []uint32{1}})
	p.expect(ctx, KindASPACAck)
	if st, err := s.ASState(ctx, 1); err != nil || st != ASActive {
		t.Fatalf("AS %v, %v", st, err)
	}
	// SGP -> ASP DATA goes out on the stream of its SLS, never stream 0.
	for sls := range 40 {
		if err := s.Send(ctx, dataMsg(100, 200, uint8(sls), sls)); err != nil {
			t.Fatal(err)
		}
		st, m := p.expect(ctx, KindDATA)
		if want := StreamFor(uint32(sls), transport.DefaultStreams); st != want || st == 0 {
			t.Fatalf("SGP DATA for SLS %d on stream %d, want %d", sls, st, want)
		}
		if m.ProtocolData == nil || m.ProtocolData.SLS != uint8(sls) {
			t.Fatalf("SGP DATA for SLS %d arrived as %+v", sls, m.ProtocolData)
		}
	}
	// ASP -> SGP DATA on a data stream is delivered.
	b, _ := Encode(dataMsg(200, 100, 5, 77))
	p.sendRaw(ctx, StreamFor(5, transport.DefaultStreams), b)
	sn.wait("DATA at the SGP", 2*time.Second, func(x Notify) bool {
		if x.Kind == NotifyError || x.Kind == NotifyDiscarded {
			t.Fatalf("SGP: %+v", x)
		}
		return x.Kind == NotifyDeliver && x.Msg.ProtocolData != nil && x.Msg.ProtocolData.SLS == 5
	})
	// DATA on stream 0 is refused by the SGP core (management stream).
	b, _ = Encode(dataMsg(200, 100, 3, 0))
	p.sendRaw(ctx, 0, b)
	if _, m := p.expect(ctx, KindERR); m.ErrorCode != ErrInvalidStreamIdentifier {
		t.Fatalf("ERR code %#x", m.ErrorCode)
	}
}

// The SGP server announces destination availability (DUNA/DAVA) to an
// active ASP endpoint, which records it.
func TestEndpointDestinations(t *testing.T) {
	ctx := driverCtx(t, 10*time.Second)
	s := startSGP(t, transport.FramingMux, carrier(t))
	e := startASP(t, s.Addr(), transport.FramingMux, carrier(t))
	en := notes{t, e.Notifications()}
	if err := e.WaitState(ctx, ASPActive); err != nil {
		t.Fatal(err)
	}
	if err := s.SetDestination(ctx, Destination{PointCode: 300, State: DestUnavailable}); err != nil {
		t.Fatal(err)
	}
	en.wait("DUNA", 2*time.Second, func(n Notify) bool {
		return n.Kind == NotifyDestination && n.Destination == 300 && n.DestState == DestUnavailable
	})
	if err := s.SetDestination(ctx, Destination{PointCode: 300, State: DestAvailable}); err != nil {
		t.Fatal(err)
	}
	en.wait("DAVA", 2*time.Second, func(n Notify) bool {
		return n.Kind == NotifyDestination && n.Destination == 300 && n.DestState == DestAvailable
	})
}

// An ASP endpoint whose association is lost comes back to ASP-ACTIVE by
// itself on a new association.
func TestEndpointRedial(t *testing.T) {
	ctx := driverCtx(t, 10*time.Second)
	s := startSGP(t, transport.FramingMux, carrier(t))
	sn := notes{t, s.Notifications()}
	e, err := DialASP(ctx, ASPEndpointConfig{
		Address:   s.Addr(),
		Transport: transport.Config{Profile: carrier(t)},
		ASP:       ASPConfig{Protocol: M3UA, RoutingContexts: []uint32{1}},
		Redial:    50 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	go func() {
		for range e.Notifications() {
		}
	}()
	if err := e.WaitState(ctx, ASPActive); err != nil {
		t.Fatal(err)
	}
	first := sn.wait("ASP active", 2*time.Second, func(n Notify) bool { return n.Kind == NotifyASPState && n.ASP == ASPActive })
	if err := s.Command(ctx, ForceASPDown{Assoc: first.Assoc}); err != nil {
		t.Fatal(err)
	}
	// ForceASPDown is management's call, not a loss: no redial (the
	// endpoint brings its ASP up again on the same association, which may
	// show below before the abort). Kill the association instead, from the
	// SGP side.
	var peers []Peer
	if peers, err = s.Peers(ctx); err != nil || len(peers) != 1 {
		t.Fatalf("peers %v %v", peers, err)
	}
	if err := s.d.do(ctx, func() { _ = s.d.assocs[peers[0].Assoc].assoc.Abort() }); err != nil {
		t.Fatal(err)
	}
	sn.wait("ASP active again on a new association", 3*time.Second, func(n Notify) bool {
		return n.Kind == NotifyASPState && n.ASP == ASPActive && n.Assoc != first.Assoc
	})
}

// Close returns promptly and twice is fine; calls after it fail cleanly.
func TestEndpointClose(t *testing.T) {
	ctx := driverCtx(t, 10*time.Second)
	before := runtime.NumGoroutine()
	s := startSGP(t, transport.FramingMux, carrier(t))
	e := startASP(t, s.Addr(), transport.FramingMux, carrier(t))
	if err := e.WaitState(ctx, ASPActive); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	_ = e.Close()
	_ = e.Close()
	_ = s.Close()
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("close took %v", d)
	}
	if err := e.Send(ctx, dataMsg(1, 2, 3, 4)); err == nil || !strings.Contains(err.Error(), "closed") {
		t.Errorf("send after close: %v", err)
	}
	if _, err := s.ASState(ctx, 1); err == nil {
		t.Error("ASState after close: no error")
	}
	for range e.Notifications() { // closed
	}
	// Every reader, writer, watcher, pump and timer goroutine is gone (the
	// transport's own may take a moment).
	deadline := time.Now().Add(2 * time.Second)
	for runtime.NumGoroutine() > before && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if n := runtime.NumGoroutine(); n > before {
		buf := make([]byte, 1<<16)
		t.Errorf("%d goroutines after close, %d before:\n%s", n, before, buf[:runtime.Stack(buf, true)])
	}
}

// Over SCTP the kernel may grant fewer outbound streams than configured:
// the peer's INIT caps them with its inbound stream count. An ASP that
// accepts only 8 streams still gets every SLS, on streams 1..7 (what the
// SGP negotiated, not its configured 32), and the association survives.
func TestEndpointSCTPFewerStreams(t *testing.T) {
	transporttest.SCTPOnly(t)
	ctx := driverCtx(t, 10*time.Second)
	s := startSGP(t, transport.FramingMux, carrier(t))
	const granted = 8
	a, err := transport.Dial(ctx, s.Addr(), transport.Config{Profile: carrier(t), Streams: granted})
	if err != nil {
		t.Fatal(err)
	}
	defer a.Abort()
	if out, in := a.Streams(); out != granted || in != granted {
		t.Fatalf("raw ASP streams out %d in %d, want %d both", out, in, granted)
	}
	p := rawPeer{t, a}
	p.send(ctx, 0, &Message{Protocol: M3UA, Kind: KindASPUP})
	p.expect(ctx, KindASPUPAck)
	p.send(ctx, 0, &Message{Protocol: M3UA, Kind: KindASPAC, RoutingContexts: []uint32{1}})
	p.expect(ctx, KindASPACAck)
	for sls := range 32 {
		if err := s.Send(ctx, dataMsg(100, 200, uint8(sls), sls)); err != nil {
			t.Fatal(err)
		}
		st, m := p.expect(ctx, KindDATA)
		if want := StreamFor(uint32(sls), granted); st != want || st == 0 {
			t.Fatalf("SLS %d on stream %d, want %d (of %d granted)", sls, st, want, granted)
		}
		if m.ProtocolData.SLS != uint8(sls) {
			t.Fatalf("SLS %d arrived as %d", sls, m.ProtocolData.SLS)
		}
	}
	peers, err := s.Peers(ctx)
	if err != nil || len(peers) != 1 || peers[0].State != ASPActive {
		t.Fatalf("peers %+v, %v", peers, err)
	}
}

// An ASP endpoint whose SGP stops reading says so: Congested once its
// send queue is half full, then Send fails with ErrSendQueueFull at once
// (no round trip through the loop, no notification per dropped message).
func TestEndpointASPSendQueueFull(t *testing.T) {
	ctx := driverCtx(t, 20*time.Second)
	prof := silentPeerProfile(t) // the SGP below reads nothing
	l, addr := rawSGPListener(ctx, t, prof)
	e, err := DialASP(ctx, ASPEndpointConfig{
		Address:   addr,
		Transport: transport.Config{Profile: prof},
		ASP:       ASPConfig{Protocol: M3UA, RoutingContexts: []uint32{1}},
		SendQueue: 64,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	a, p := acceptRawPeer(ctx, t, l)
	p.acknowledgeASP(ctx, TrafficModeOverride)
	if err := e.WaitState(ctx, ASPActive); err != nil {
		t.Fatal(err)
	}
	if e.Congested() {
		t.Fatal("congested before sending anything")
	}
	// Sends add one message at a time, so the queue is over half full at
	// some send before the one it refuses.
	congested := false
	var sendErr error
	for i := 0; sendErr == nil; i++ {
		if ctx.Err() != nil {
			t.Fatalf("after %d messages the queue never filled", i)
		}
		congested = congested || e.Congested()
		sendErr = e.Send(ctx, dataMsg(100, 200, uint8(i), i))
	}
	if !errors.Is(sendErr, ErrSendQueueFull) {
		t.Fatalf("Send: %v, want ErrSendQueueFull", sendErr)
	}
	if !congested {
		t.Fatal("Congested never true before the queue filled")
	}
	fillUntilStuck(t, func(m *Message) error { return e.Send(ctx, m) }, e.Congested)
	for drained := false; !drained; {
		select {
		case n := <-e.Notifications():
			if n.Kind == NotifyDiscarded {
				t.Fatalf("a refused Send was also notified: %+v", n)
			}
		default:
			drained = true
		}
	}
	// Ended here, the association does not make Close wait for a
	// graceful shutdown the silent peer would never finish.
	_ = a.Abort()
}

// The SGP server tells how full each association's send queue is: SendTo
// toward an ASP that stops reading fills it, and SendQueue shows it at
// capacity when ErrSendQueueFull comes. Unknown associations have none.
func TestEndpointSGPSendQueue(t *testing.T) {
	ctx := driverCtx(t, 20*time.Second)
	prof := silentPeerProfile(t) // the ASP below reads nothing
	s, err := ListenSGP(ctx, SGPServerConfig{
		Address:   transporttest.Scheme(t) + "://127.0.0.1:0",
		Transport: transport.Config{Profile: prof},
		SendQueue: 64,
		SGP: SGPConfig{Protocol: M3UA, ASes: []ASConfig{{RoutingContext: 1, TrafficMode: TrafficModeLoadshare,
			Keys: []RoutingKey{{DPC: ptr(uint32(200))}}}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = s.Close() })
	activeRawASP(ctx, t, s) // and then it reads nothing
	sn := notes{t, s.Notifications()}
	assoc := sn.wait("the ASP active", 2*time.Second, func(n Notify) bool {
		return n.Kind == NotifyASPState && n.ASP == ASPActive
	}).Assoc
	if n, c := s.SendQueue(assoc); n != 0 || c != 64 {
		t.Fatalf("send queue %d of %d before sending anything", n, c)
	}
	if n, c := s.SendQueue(assoc + 100); n != 0 || c != 0 {
		t.Fatalf("unknown association: send queue %d of %d", n, c)
	}
	fillUntilStuck(t, func(m *Message) error { return s.SendTo(ctx, assoc, m) }, func() bool {
		n, c := s.SendQueue(assoc)
		return c > 0 && n == c
	})
}

// An ASP endpoint whose SGP leaves ASP Up unanswered gives the
// association up after its attempts and dials a new one, where it starts
// over (and here reaches ASP-ACTIVE).
func TestEndpointRedialsWhenUnanswered(t *testing.T) {
	ctx := driverCtx(t, 20*time.Second)
	prof := carrier(t)
	l, addr := rawSGPListener(ctx, t, prof)
	e, err := DialASP(ctx, ASPEndpointConfig{
		Address:   addr,
		Transport: transport.Config{Profile: prof},
		ASP:       ASPConfig{Protocol: M3UA, RoutingContexts: []uint32{1}, TAck: 50 * time.Millisecond, MaxAttempts: 2},
		Redial:    50 * time.Millisecond,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer e.Close()
	// The first association: ASP Up twice, no answer (BEATs are answered,
	// so only the silence about ASP Up ends it).
	a1, _ := acceptRawPeer(ctx, t, l)
	ups := 0
	rctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	defer cancel()
	for {
		tm, err := a1.Recv(rctx)
		if err != nil {
			if rctx.Err() != nil {
				t.Fatalf("first association still up after %d ASP Ups", ups)
			}
			break // aborted by the endpoint
		}
		m, err := Decode(M3UA, tm.Data)
		if err != nil {
			t.Fatal(err)
		}
		switch m.Kind {
		case KindASPUP:
			ups++
		case KindBEAT:
			// The endpoint may abort meanwhile: a failed answer is fine.
			b, _ := Encode(&Message{Protocol: M3UA, Kind: KindBEATAck, HeartbeatData: m.HeartbeatData})
			_ = a1.Send(ctx, transport.Message{Stream: 0, PPID: PPIDM3UA, Data: b})
		}
	}
	if ups != 2 {
		t.Fatalf("%d ASP Ups on the first association, want 2 (MaxAttempts)", ups)
	}
	// The second one answers: the endpoint comes up there.
	_, p2 := acceptRawPeer(ctx, t, l)
	p2.acknowledgeASP(ctx, TrafficModeLoadshare)
	if err := e.WaitState(ctx, ASPActive); err != nil {
		t.Fatal(err)
	}
}

// An SGP that still had the ASP ACTIVE on an association it has not yet
// seen end (osmo-stp after an ASP restart) answers the new ASP Up with
// ERR(Unexpected Message) and ASP Up Ack (RFC 4666 4.3.4.1): the endpoint
// comes up ACTIVE. One refusing ASP Up outright leaves it down, and the
// wait for ACTIVE says why.
func TestEndpointASPUpAnsweredWithUnexpectedMessage(t *testing.T) {
	ctx := driverCtx(t, 10*time.Second)
	prof := carrier(t)
	l, addr := rawSGPListener(ctx, t, prof)
	e := startASP(t, addr, transport.FramingMux, prof)
	_, p := acceptRawPeer(ctx, t, l)
	p.expect(ctx, KindASPUP)
	p.send(ctx, 0, &Message{Protocol: M3UA, Kind: KindERR, ErrorCode: ErrUnexpectedMessage})
	p.send(ctx, 0, &Message{Protocol: M3UA, Kind: KindASPUPAck})
	p.expect(ctx, KindASPAC)
	p.send(ctx, 0, &Message{Protocol: M3UA, Kind: KindASPACAck, TrafficMode: TrafficModeLoadshare, RoutingContexts: []uint32{1}})
	if err := e.WaitState(ctx, ASPActive); err != nil {
		t.Fatal(err)
	}

	l2, addr2 := rawSGPListener(ctx, t, prof)
	e2 := startASP(t, addr2, transport.FramingMux, prof)
	_, p2 := acceptRawPeer(ctx, t, l2)
	p2.expect(ctx, KindASPUP)
	p2.send(ctx, 0, &Message{Protocol: M3UA, Kind: KindERR, ErrorCode: ErrRefusedManagementBlocking})
	wctx, cancel := context.WithTimeout(ctx, 300*time.Millisecond)
	defer cancel()
	err := e2.WaitState(wctx, ASPActive)
	if err == nil || !strings.Contains(err.Error(), "last failure: ASPUP: ERR 0xd") {
		t.Fatalf("wait for ACTIVE after a refused ASP Up: %v; want the refusal named", err)
	}
}
