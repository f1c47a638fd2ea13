package mxua

import (
	"context"
	"encoding/binary"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sigpool/sigpool/transport"
)

// Notifications come out in push order whether a push hands its
// notification straight to C (nothing queued) or queues it behind a
// backlog, with a reader that stalls now and then; close ends C.
func TestNotifyQueueOrder(t *testing.T) {
	n := newNotifyQueue()
	const total = 20000
	go func() {
		for i := range total {
			n.push(Notify{Count: i})
		}
		n.close()
	}()
	next := 0
	for x := range n.C {
		if x.Count != next {
			t.Fatalf("notification %d arrived as number %d", x.Count, next)
		}
		next++
		if next%1000 == 0 {
			pause() // a backlog builds up behind the pump
		}
	}
	// close drops what is still queued; nothing may come out of order or twice.
	if next > total {
		t.Fatalf("%d notifications out of %d pushed", next, total)
	}
}

// With a reader waiting, a push costs no allocation.
func TestNotifyQueueDirectAllocations(t *testing.T) {
	n := newNotifyQueue()
	defer n.close()
	got := make(chan struct{})
	go func() {
		for range n.C {
			got <- struct{}{}
		}
	}()
	m := &Message{}
	allocs := testing.AllocsPerRun(200, func() {
		n.push(Notify{Kind: NotifyDeliver, Msg: m})
		<-got
	})
	if allocs > 0 {
		t.Errorf("%.1f allocations per push", allocs)
	}
}

// stepStub is a core that answers every event with a notification.
type stepStub struct{}

func (stepStub) Step(time.Time, Event) []Action {
	return []Action{Notify{Kind: NotifyASPState, ASP: ASPActive}}
}

// A Step's notifications reach the user only after the state snapshots
// are published: one who acts on ASP-ACTIVE at once (SendTo) finds the
// state it announces.
func TestDriverNotifiesAfterSnapshots(t *testing.T) {
	d := newDriver(M3UA, stepStub{}, nil, 0)
	var early []string
	check := func(hook string) func() {
		return func() {
			select {
			case n := <-d.notes.C:
				early = append(early, fmt.Sprintf("%v before %s", n.Kind, hook))
			default:
			}
		}
	}
	d.after, d.afterControl = check("the snapshot"), check("the targets")
	d.step(time.Now(), AssocUp{Assoc: 1})
	if len(early) > 0 {
		t.Fatalf("notification delivered %v", early)
	}
	select {
	case n := <-d.notes.C:
		if n.Kind != NotifyASPState {
			t.Fatalf("got %+v", n)
		}
	case <-time.After(time.Second):
		t.Fatal("no notification after the step")
	}
}

// activeRawASP dials s as a hand-driven ASP and brings it to ASP-ACTIVE
// in routing context 1; the association ends with the test.
func activeRawASP(ctx context.Context, t *testing.T, s *SGPServer) (transport.Association, rawPeer) {
	t.Helper()
	a, err := transport.Dial(ctx, s.Addr(), transport.Config{Profile: carrier(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = a.Abort() })
	p := rawPeer{t, a}
	p.send(ctx, 0, &Message{Protocol: M3UA, Kind: KindASPUP})
	p.expect(ctx, KindASPUPAck)
	p.send(ctx, 0, &Message{Protocol: M3UA, Kind: KindASPAC, RoutingContexts: []uint32{1}})
	p.expect(ctx, KindASPACAck)
	return a, p
}

// onBEAT reads a's messages until it ends, handing each BEAT to f and
// ignoring the rest (the peer keeps its receive window open).
func onBEAT(ctx context.Context, a transport.Association, f func(*Message)) {
	go func() {
		for {
			tm, err := a.Recv(ctx)
			if err != nil {
				return
			}
			if m, err := Decode(M3UA, tm.Data); err == nil && m.Kind == KindBEAT {
				f(m)
			}
		}
	}()
}

// An ASP that sends DATA but never answers a BEAT is not declared lost:
// the driver delivers its DATA without the core (deliverFast) and tells
// the core the association was heard before each BEAT timer. Once it
// falls silent the SGP declares it lost within the carrier budget.
func TestDriverTrafficProvesPeerAlive(t *testing.T) {
	ctx := driverCtx(t, 10*time.Second)
	s := startSGP(t, transport.FramingMux, carrier(t))
	a, p := activeRawASP(ctx, t, s)
	// From here on the peer reads (so its window stays open) and answers
	// nothing: every BEAT of the SGP goes unanswered.
	beats := make(chan struct{}, 1024)
	onBEAT(ctx, a, func(*Message) { beats <- struct{}{} })
	var delivered, lostAt atomic.Int64
	start := time.Now()
	go func() {
		for n := range s.Notifications() {
			switch n.Kind {
			case NotifyDeliver:
				delivered.Add(1)
			case NotifyPeerLost:
				lostAt.CompareAndSwap(0, int64(time.Since(start)))
			}
		}
	}()
	const busy = 1500 * time.Millisecond
	b, _ := Encode(dataMsg(200, 100, 5, 1))
	for time.Since(start) < busy {
		p.sendRaw(ctx, StreamFor(5, transport.DefaultStreams), b)
		time.Sleep(20 * time.Millisecond)
	}
	silent := time.Since(start)
	if l := lostAt.Load(); l != 0 {
		t.Fatalf("a peer sending DATA every 20 ms declared lost after %v (%d DATA delivered)", time.Duration(l), delivered.Load())
	}
	// Four unanswered BEATs (AppHBMiss+1 periods) would have lost it.
	if n := len(beats); n < 5 || delivered.Load() < 20 {
		t.Fatalf("%d BEATs, %d DATA delivered in %v: the test proves nothing", n, delivered.Load(), busy)
	}
	deadline := time.Now().Add(2 * time.Second)
	for lostAt.Load() == 0 && time.Now().Before(deadline) {
		time.Sleep(5 * time.Millisecond)
	}
	l := time.Duration(lostAt.Load())
	if l == 0 {
		t.Fatal("silent peer not declared lost within 2 s")
	}
	// (AppHBMiss+1) x AppHBInterval = 400 ms, plus a margin for a loaded
	// test machine (the core tests check the figure exactly).
	if d := l - silent; d > time.Second {
		t.Fatalf("silent peer declared lost %v after its last DATA", d)
	} else {
		t.Logf("silent peer declared lost %v after its last DATA", d)
	}
}

// A user that stops reading notifications does not make the SGP queue
// without bound: its readers wait at maxNotifyBacklog and leave the rest to
// the transport's flow control. Throttled, the SGP does not take its own
// silence for the peer's (no peer lost although the peer's BEAT ACKs sit
// unread), and once the user reads again every DATA arrives, in order.
func TestDriverBoundsNotificationBacklog(t *testing.T) {
	ctx := driverCtx(t, 20*time.Second)
	s := startSGP(t, transport.FramingMux, carrier(t))
	a, _ := activeRawASP(ctx, t, s)
	// The peer answers every BEAT from here on, as a live one does.
	onBEAT(ctx, a, func(m *Message) {
		b, _ := Encode(&Message{Protocol: M3UA, Kind: KindBEATAck, HeartbeatData: m.HeartbeatData})
		_ = a.Send(ctx, transport.Message{Stream: 0, PPID: PPIDM3UA, Data: b})
	})
	const total = 3 * maxNotifyBacklog
	sent := make(chan error, 1)
	go func() {
		for i := range total {
			b, _ := Encode(dataMsg(200, 100, 5, i))
			if err := a.Send(ctx, transport.Message{Stream: StreamFor(5, transport.DefaultStreams), PPID: PPIDM3UA, Data: b}); err != nil {
				sent <- err
				return
			}
		}
		sent <- nil
	}()
	// Nobody reads the notifications: the backlog fills, then stays full
	// for 1.5 s, longer than the carrier profile takes to declare a silent
	// peer lost.
	var most int64
	for end := time.Now().Add(10 * time.Second); most < maxNotifyBacklog && time.Now().Before(end); time.Sleep(time.Millisecond) {
		most = max(most, s.d.notes.backlog.Load())
	}
	for end := time.Now().Add(1500 * time.Millisecond); time.Now().Before(end); time.Sleep(time.Millisecond) {
		most = max(most, s.d.notes.backlog.Load())
	}
	// The bound holds back traffic; the loop's own few notifications (ASP
	// and AS states) always go in.
	if most > maxNotifyBacklog+16 {
		t.Fatalf("backlog reached %d, bound %d", most, maxNotifyBacklog)
	}
	if most < maxNotifyBacklog {
		t.Fatalf("backlog only reached %d of %d: the test proves nothing", most, maxNotifyBacklog)
	}
	next := 0
	for next < total {
		select {
		case n := <-s.Notifications():
			switch n.Kind {
			case NotifyDeliver:
				if seq := binary.BigEndian.Uint32(n.Msg.ProtocolData.Payload); seq != uint32(next) {
					t.Fatalf("DATA %d arrived as number %d", next, seq)
				}
				next++
			case NotifyPeerLost, NotifyDiscarded:
				t.Fatalf("after %d DATA: %+v", next, n)
			}
		case <-ctx.Done():
			t.Fatalf("%d of %d DATA delivered", next, total)
		}
	}
	if err := <-sent; err != nil {
		t.Fatalf("peer's sends: %v", err)
	}
	t.Logf("backlog held at %d; %d DATA delivered in order", most, next)
}
