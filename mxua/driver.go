package mxua

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sigpool/sigpool/internal/logburst"
	"github.com/sigpool/sigpool/transport"
	"go.uber.org/zap"
)

// This file holds what ASPEndpoint and SGPServer share: one loop goroutine
// that owns a sans-I/O core (ASP or SGP), its timers and its associations.
// Per association a reader goroutine decodes and posts MessageIn, a watcher
// turns transport events into AssocDown/AssocUp, and a writer goroutine sends
// in order, so a peer that stops reading never blocks the loop (and with it
// the BEAT that is meant to notice it).

// DefaultSendQueue is how many encoded messages may wait per association for
// the transport before further ones are dropped (and reported as
// NotifyDiscarded).
const DefaultSendQueue = 4096

// coreStepper is the part of ASP and SGP the driver needs.
type coreStepper interface {
	Step(now time.Time, ev Event) []Action
}

// driver runs one core. The fields under "loop-owned" are touched by the
// loop goroutine only; the API reaches them through do.
type driver struct {
	proto     Protocol
	log       *zap.Logger
	sendQueue int

	inbox   chan any      // events for the loop: loopEvent values and func()s
	stop    chan struct{} // closed by shutdown
	stopped chan struct{} // closed when the loop has returned
	conns   sync.WaitGroup
	notes   *notifyQueue

	// loop-owned
	core   coreStepper
	assocs map[AssocID]*conn
	timers *timerQueue
	after  func() // called after every Step (state snapshots)
	// afterControl, if set, is called after every Step of an event other
	// than user traffic: the only ones that change ASP or AS states.
	afterControl func()
	// deliverFast, if set, is offered user traffic in the reader goroutine
	// when nothing of the association waits in the loop; true means it
	// was delivered (what the core would do, from published state) and
	// the loop never sees it.
	deliverFast func(c *conn, stream uint16, m *Message) bool
	// onEnded, if set, learns of every association that ended (redial).
	onEnded func(c *conn, reason string)
	// aborted: associations the core asked to abort, reported to it as
	// AssocDown once the current Step's actions are done.
	aborted []abortedConn
	depth   int
	pending []Notify // the core's notifications of the Step in progress
}

type abortedConn struct {
	c      *conn
	reason string
}

// conn is one association as the driver runs it.
type conn struct {
	id      AssocID
	assoc   transport.Association
	streams uint16 // what the core is told: streams the far end can tell apart (capped at attach by what the association negotiated)
	out     chan transport.Message
	done    chan struct{} // closed when the association has ended (loop side)
	once    sync.Once
	// queued counts this association's messages posted to the loop and
	// not yet handled: the reader delivers by itself only at zero, so
	// nothing it delivers overtakes what the loop still has to do.
	queued atomic.Int32
	// received counts the messages the reader took off the association;
	// heardSeen (loop-owned) is the count at the last PeerHeard. While
	// throttled the reader waits for the user, not for the peer.
	received  atomic.Uint64
	heardSeen uint64
	throttled atomic.Bool
	// drops (loop-owned) counts messages dropped on a full send queue
	// between warnings: one line a second at most.
	drops logburst.Counter
}

func (c *conn) finish() { c.once.Do(func() { close(c.done) }) }

// Internal events posted to the loop.
type (
	connMessage struct {
		c   *conn
		msg MessageIn
	}
	// connBadMessage: the codec refused a message; the ERR goes out through
	// the writer so that it stays in order with what the core sends.
	connBadMessage struct {
		c   *conn
		err *DecodeError
		raw []byte
	}
	connEnded struct {
		c      *conn
		reason string
	}
	connRestarted struct{ c *conn }
)

func newDriver(proto Protocol, core coreStepper, log *zap.Logger, sendQueue int) *driver {
	if log == nil {
		log = zap.NewNop()
	}
	if sendQueue <= 0 {
		sendQueue = DefaultSendQueue
	}
	return &driver{
		proto: proto, log: log, sendQueue: sendQueue,
		inbox: make(chan any, 256), stop: make(chan struct{}), stopped: make(chan struct{}),
		notes: newNotifyQueue(),
		core:  core, assocs: map[AssocID]*conn{}, timers: newTimerQueue(),
	}
}

// post hands an event to the loop; false once the driver is shutting down.
func (d *driver) post(ev any) bool {
	select {
	case d.inbox <- ev:
		return true
	case <-d.stop:
		return false
	}
}

// do runs f in the loop goroutine and waits for it: the way the API reads
// or feeds the core without a lock.
func (d *driver) do(ctx context.Context, f func()) error {
	done := make(chan struct{})
	select {
	case d.inbox <- func() { f(); close(done) }:
	case <-d.stop:
		return errDriverClosed
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case <-done:
		return nil
	case <-d.stopped:
		// The loop may have exited before running f.
		select {
		case <-done:
			return nil
		default:
			return errDriverClosed
		}
	case <-ctx.Done():
		return ctx.Err()
	}
}

var errDriverClosed = errors.New("mxua: driver closed")

// run is the loop goroutine.
func (d *driver) run() {
	defer close(d.stopped)
	defer d.notes.close()
	defer d.timers.Stop()
	for {
		select {
		case <-d.stop:
			return
		case ev := <-d.inbox:
			d.handle(ev)
		case <-d.timers.C():
			now := time.Now()
			for _, id := range d.timers.Due(now) {
				if id.Kind == TimerBeat {
					d.heard(now, id.Assoc)
				}
				d.step(now, TimerFired{ID: id})
			}
		}
	}
}

// heard tells the core, before a BEAT timer of assoc fires, that the
// association carried messages from the peer since it last said so (user
// traffic the reader delivered by itself never reaches the core), or that
// its reader is throttled.
func (d *driver) heard(now time.Time, assoc AssocID) {
	c := d.assocs[assoc]
	if c == nil {
		return
	}
	// A throttled reader leaves the peer's messages unread, BEAT ACKs
	// among them: the silence is ours.
	if n := c.received.Load(); n != c.heardSeen || c.throttled.Load() {
		c.heardSeen = n
		d.step(now, PeerHeard{Assoc: assoc})
	}
}

func (d *driver) handle(ev any) {
	switch e := ev.(type) {
	case func():
		e()
	case connMessage:
		if d.assocs[e.c.id] == e.c { // not a leftover of an association already ended
			d.step(time.Now(), e.msg)
		}
		e.c.queued.Add(-1)
	case connBadMessage:
		if d.assocs[e.c.id] == e.c {
			d.badMessage(e.c, e.err, e.raw)
		}
	case connRestarted:
		// SCTP restart: the peer's protocol state is gone (RFC 4666 section
		// 4.3.4.1 treats it as a loss), so the core sees down and up again.
		if d.assocs[e.c.id] == e.c {
			now := time.Now()
			d.step(now, AssocDown{Assoc: e.c.id, Reason: "association restarted"})
			d.step(now, AssocUp{Assoc: e.c.id, Streams: e.c.streams})
		}
	case connEnded:
		d.ended(e.c, e.reason)
	case Event:
		d.step(time.Now(), e)
	default:
		d.log.DPanic("mxua driver: unknown loop event", zap.Any("event", ev))
	}
}

// badMessage answers a message the codec refused with the ERR it chose, on
// stream 0, unless the message was itself an ERR (no ERR about an ERR:
// that could ping-pong between two confused peers).
func (d *driver) badMessage(c *conn, de *DecodeError, raw []byte) {
	d.log.Info("mxua: undecodable message", zap.Uint64("assoc", uint64(c.id)), zap.Error(de))
	if de.HeaderRead && de.Kind == KindERR {
		return
	}
	d.enqueue(c, 0, de.ErrorMessage(raw))
}

// attach makes c the association with its ID, starts its goroutines and
// tells the core it is up.
func (d *driver) attach(c *conn) {
	// The configured count is what was asked for; SCTP may have granted
	// fewer outbound streams (the peer's INIT caps them), and a send on a
	// stream beyond them fails and would end the association.
	if out, _ := c.assoc.Streams(); out >= 1 && out < c.streams {
		d.log.Info("mxua: peer granted fewer outbound streams than configured", zap.Uint64("assoc", uint64(c.id)),
			zap.Uint16("configured", c.streams), zap.Uint16("granted", out))
		c.streams = out
	}
	c.out = make(chan transport.Message, d.sendQueue)
	c.done = make(chan struct{})
	d.assocs[c.id] = c
	d.conns.Add(3)
	go d.reader(c)
	go d.writer(c)
	go d.watcher(c)
	d.log.Debug("mxua: association up", zap.Uint64("assoc", uint64(c.id)),
		zap.Stringers("remote", c.assoc.RemoteAddrs()), zap.Uint16("streams", c.streams))
	d.step(time.Now(), AssocUp{Assoc: c.id, Streams: c.streams})
}

// ended forgets a finished association and tells the core. Reader and
// watcher may both report the end; the first report counts.
func (d *driver) ended(c *conn, reason string) {
	if d.assocs[c.id] != c {
		return
	}
	delete(d.assocs, c.id)
	c.finish()
	_ = c.assoc.Abort() // no-op when already ended; frees the socket otherwise
	d.log.Info("mxua: association down", zap.Uint64("assoc", uint64(c.id)), zap.String("reason", reason))
	d.step(time.Now(), AssocDown{Assoc: c.id, Reason: reason})
	if d.onEnded != nil {
		d.onEnded(c, reason)
	}
}

// step feeds the core and carries out its actions.
func (d *driver) step(now time.Time, ev Event) {
	d.depth++
	for _, a := range d.core.Step(now, ev) {
		d.act(a)
	}
	d.depth--
	for d.depth == 0 && len(d.aborted) > 0 {
		ab := d.aborted[0]
		d.aborted = d.aborted[1:]
		d.ended(ab.c, ab.reason)
	}
	if d.after != nil {
		d.after()
	}
	if d.afterControl != nil && !isTrafficEvent(ev) {
		d.afterControl()
	}
	// The core's notifications go out once the snapshots above are
	// published: a user that acts on one (SendTo right after ASP-ACTIVE)
	// finds the state it announces.
	if d.depth == 0 {
		for i, n := range d.pending {
			d.notes.push(n)
			d.pending[i] = Notify{}
		}
		d.pending = d.pending[:0]
	}
}

// isTrafficEvent reports whether ev is user traffic in or out, or
// PeerHeard: events that change no ASP or AS state.
func isTrafficEvent(ev Event) bool {
	switch e := ev.(type) {
	case MessageIn:
		return e.Msg != nil && fsmIsTransfer(e.Msg.Kind)
	case Transfer, PeerHeard:
		return true
	}
	return false
}

func (d *driver) act(a Action) {
	switch a := a.(type) {
	case SendMessage:
		c := d.assocs[a.Assoc]
		if c == nil {
			d.log.Debug("mxua: send on an association that is gone", zap.Uint64("assoc", uint64(a.Assoc)), zap.Stringer("kind", a.Msg.Kind))
			return
		}
		d.enqueue(c, a.Stream, a.Msg)
	case SetTimer:
		d.timers.Set(a.ID, a.At)
	case CancelTimer:
		d.timers.Cancel(a.ID)
	case AbortAssoc:
		if c := d.assocs[a.Assoc]; c != nil {
			d.log.Warn("mxua: aborting association", zap.Uint64("assoc", uint64(a.Assoc)), zap.String("reason", a.Reason))
			_ = c.assoc.Abort()
			// Report the end right after this Step rather than when the
			// reader notices, so the core hears AssocDown for the abort it
			// asked for before anything else happens.
			d.aborted = append(d.aborted, abortedConn{c, "aborted locally: " + a.Reason})
		}
	case Notify:
		d.pending = append(d.pending, a)
	default:
		d.log.DPanic("mxua driver: unknown action", zap.Any("action", a))
	}
}

// enqueue encodes m and queues it for c's writer. A full queue means the
// peer has not been reading for a long while; dropping (and saying so) keeps
// the loop, and so BEAT, running.
func (d *driver) enqueue(c *conn, stream uint16, m *Message) {
	if m.Protocol == 0 {
		m.Protocol = d.proto
	}
	b, err := Encode(m)
	if err != nil {
		d.log.Error("mxua: cannot encode outgoing message", zap.Uint64("assoc", uint64(c.id)), zap.Error(err), zap.Any("msg", m))
		d.notes.push(Notify{Kind: NotifyDiscarded, Assoc: c.id, Count: 1, Msg: m, Reason: "encode: " + err.Error()})
		return
	}
	if stream >= c.streams {
		stream = 0 // a bare-framed TCP association has one stream only
	}
	select {
	case c.out <- transport.Message{Stream: stream, PPID: d.proto.PPID(), Data: b}:
	default:
		d.dropped(c, m.Kind)
		d.notes.push(Notify{Kind: NotifyDiscarded, Assoc: c.id, Count: 1, Msg: m, Reason: "send queue full"})
	}
}

// dropped logs a message dropped on c's full send queue: the first at
// once, then one line a second with the count.
func (d *driver) dropped(c *conn, kind Kind) {
	if n := c.drops.Add(time.Now(), 1); n > 0 {
		d.log.Warn("mxua: send queue full, messages dropped", zap.Uint64("assoc", uint64(c.id)),
			zap.Int("count", n), zap.Stringer("last_kind", kind))
	}
}

// reader decodes what c receives and posts it to the loop.
func (d *driver) reader(c *conn) {
	defer d.conns.Done()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() { // Recv has no other way to be interrupted at shutdown
		select {
		case <-d.stop:
			cancel()
		case <-c.done:
		case <-ctx.Done():
		}
	}()
	for {
		if d.notes.full() && !d.throttle(ctx, c) {
			return
		}
		tm, err := c.assoc.Recv(ctx)
		if err != nil {
			if ctx.Err() == nil {
				d.post(connEnded{c: c, reason: endReason(err)})
			}
			return
		}
		if tm.PPID != d.proto.PPID() && tm.PPID != 0 {
			// Another protocol sharing a mux association, or a confused
			// peer: not ours to answer.
			d.log.Info("mxua: message with foreign PPID dropped", zap.Uint64("assoc", uint64(c.id)), zap.Uint32("ppid", tm.PPID))
			continue
		}
		c.received.Add(1)
		// Every transport hands over a buffer of its own per message, so
		// the decoded message may keep pointing into it.
		m, err := decodeOwned(d.proto, tm.Data)
		if err != nil {
			var de *DecodeError
			if !errors.As(err, &de) {
				de = &DecodeError{Protocol: d.proto, Code: ErrProtocolError, Reason: err}
			}
			if !d.post(connBadMessage{c: c, err: de, raw: tm.Data}) {
				return
			}
			continue
		}
		if d.deliverFast != nil && c.queued.Load() == 0 && fsmIsTransfer(m.Kind) && d.deliverFast(c, tm.Stream, m) {
			continue
		}
		c.queued.Add(1)
		if !d.post(connMessage{c: c, msg: MessageIn{Assoc: c.id, Stream: tm.Stream, Msg: m}}) {
			return
		}
	}
}

// throttle holds c's reader while the notification queue is full; false
// when the association or the driver ended meanwhile (the user may have
// stopped reading for good). The wait polls: it happens only in an
// overload, where a millisecond more costs nothing.
func (d *driver) throttle(ctx context.Context, c *conn) bool {
	c.throttled.Store(true)
	defer c.throttled.Store(false)
	t := time.NewTicker(time.Millisecond)
	defer t.Stop()
	for d.notes.full() {
		select {
		case <-t.C:
		case <-ctx.Done():
			return false
		case <-c.done:
			return false
		case <-d.stop:
			return false
		}
	}
	return true
}

// writer sends c's queue in order until the association ends.
func (d *driver) writer(c *conn) {
	defer d.conns.Done()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		select {
		case <-d.stop:
		case <-c.done:
		}
		cancel()
	}()
	// Messages queued together go out together: one write(2) over TCP for
	// the batch instead of one per message.
	batch := make([]transport.Message, 0, writeBatch)
	for {
		select {
		case m := <-c.out:
			batch = append(batch[:0], m)
		drain:
			for len(batch) < writeBatch {
				select {
				case m := <-c.out:
					batch = append(batch, m)
				default:
					break drain
				}
			}
			if err := transport.SendBatch(ctx, c.assoc, batch); err != nil {
				if errors.Is(err, transport.ErrMessageSize) {
					// Refused before sending anything; send one by one so
					// that only the oversized message is dropped.
					if !d.sendEach(ctx, c, batch) {
						return
					}
					continue
				}
				if ctx.Err() == nil {
					d.post(connEnded{c: c, reason: "send: " + endReason(err)})
				}
				return
			}
		case <-ctx.Done():
			return
		}
	}
}

// writeBatch bounds the messages one write carries.
const writeBatch = 64

// sendEach sends msgs one by one, dropping those too large for the
// association; false when the association failed.
func (d *driver) sendEach(ctx context.Context, c *conn, msgs []transport.Message) bool {
	for _, m := range msgs {
		if err := c.assoc.Send(ctx, m); err != nil {
			if errors.Is(err, transport.ErrMessageSize) {
				d.log.Warn("mxua: message too large for the association, dropped", zap.Uint64("assoc", uint64(c.id)), zap.Error(err))
				d.notes.push(Notify{Kind: NotifyDiscarded, Assoc: c.id, Count: 1, Reason: err.Error()})
				continue
			}
			if ctx.Err() == nil {
				d.post(connEnded{c: c, reason: "send: " + endReason(err)})
			}
			return false
		}
	}
	return true
}

// watcher turns transport events into restarts and ends.
func (d *driver) watcher(c *conn) {
	defer d.conns.Done()
	for {
		select {
		case ev, ok := <-c.assoc.Events():
			if !ok {
				return
			}
			switch ev.Kind {
			case transport.EventRestart:
				d.post(connRestarted{c: c})
			case transport.EventDown, transport.EventPeerDead:
				// The reader reports the end once it has handed over the
				// messages received before it; this is the fallback.
				d.log.Debug("mxua: association event", zap.Uint64("assoc", uint64(c.id)), zap.Stringer("event", ev))
			}
		case <-c.done:
			return
		case <-d.stop:
			return
		}
	}
}

// shutdown stops the loop, closes (gracefully: queued data first) or aborts
// every association and waits for all goroutines.
func (d *driver) shutdown(graceful bool) {
	select {
	case <-d.stop:
		<-d.stopped
		d.conns.Wait()
		return
	default:
	}
	// Take the associations from the loop before stopping it.
	var cs []*conn
	_ = d.do(context.Background(), func() {
		for _, c := range d.assocs {
			cs = append(cs, c)
		}
		d.assocs = map[AssocID]*conn{}
	})
	close(d.stop)
	<-d.stopped
	// Readers, writers and watchers return on stop; only then is the
	// association ours alone to flush and close.
	d.conns.Wait()
	for _, c := range cs {
		if graceful {
			flushQueue(c)
			_ = c.assoc.Close()
		} else {
			_ = c.assoc.Abort()
		}
		c.finish()
	}
	d.conns.Wait()
}

// flushQueue sends what the writer had not sent yet, briefly: Close must not
// hang on a peer that does not read.
func flushQueue(c *conn) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	for {
		select {
		case m := <-c.out:
			if c.assoc.Send(ctx, m) != nil {
				return
			}
		default:
			return
		}
	}
}

func endReason(err error) string {
	var pd *transport.PeerDeadError
	switch {
	case errors.As(err, &pd):
		return fmt.Sprintf("peer dead: %v", pd.Reason)
	case errors.Is(err, transport.ErrAborted):
		return "peer aborted"
	case errors.Is(err, io.EOF):
		return "peer shut down"
	default:
		return err.Error()
	}
}

// coreStreams is the stream count the core may spread DATA over: a bare
// SIGTRAN framing over TCP carries no stream number, so everything must use
// stream 0 there (the receiver would take DATA on stream 0 for a protocol
// error otherwise).
func coreStreams(address string, cfg transport.Config) (uint16, error) {
	n := cfg.Streams
	if n == 0 {
		n = transport.DefaultStreams
	}
	if n < 1 || n > 65535 {
		return 0, fmt.Errorf("streams=%d: must be from 1 to 65535", n)
	}
	a, err := transport.ParseAddress(address)
	if err != nil {
		return 0, err
	}
	tcp := a.Scheme == transport.SchemeTCP || a.Scheme != transport.SchemeSCTP && transport.KernelSCTP() != nil
	if tcp && cfg.Framing != transport.FramingMux {
		return 1, nil
	}
	return uint16(n), nil
}

// notifyQueue decouples the loop from the application: pushes never block
// (the loop must keep beating), and notifications come out in order on C.
// A push that finds nothing queued and room in C puts its notification on
// C itself; otherwise it queues, and a pump goroutine hands the queue out,
// so that the common case costs no hand-over between goroutines.
//
// Pushes never wait, so the queue alone would grow without bound when the
// user falls behind the traffic (an overload). Readers therefore wait while
// its backlog is at maxNotifyBacklog (full, throttle) and leave what
// follows in the transport: the kernel's buffers fill and flow control
// slows the peer, instead of memory and latency growing in here.
type notifyQueue struct {
	// backlog counts the notifications queued in q or held by the pump,
	// not yet on C.
	backlog atomic.Int64
	mu      sync.Mutex
	q       []Notify
	spare   []Notify // the pump's last batch, emptied: q's next backing array
	pumping bool     // the pump holds notifications not yet on C
	closed  bool
	wake    chan struct{}
	C       chan Notify
}

func newNotifyQueue() *notifyQueue {
	n := &notifyQueue{wake: make(chan struct{}, 1), C: make(chan Notify, 64)}
	go n.pump()
	return n
}

func (n *notifyQueue) push(x Notify) {
	n.mu.Lock()
	if len(n.q) == 0 && !n.pumping && !n.closed {
		select {
		case n.C <- x: // nothing ahead of it: in order
			n.mu.Unlock()
			return
		default:
		}
	}
	if n.q == nil && n.spare != nil {
		n.q, n.spare = n.spare, nil
	}
	n.q = append(n.q, x)
	n.backlog.Add(1)
	n.mu.Unlock()
	select {
	case n.wake <- struct{}{}:
	default:
	}
}

func (n *notifyQueue) close() {
	n.mu.Lock()
	n.closed = true
	n.mu.Unlock()
	select {
	case n.wake <- struct{}{}:
	default:
	}
}

// pump delivers until closed; what is still queued at close is dropped, as
// nobody may be reading any more. C is closed at the end.
func (n *notifyQueue) pump() {
	defer close(n.C)
	var q []Notify
	for {
		n.mu.Lock()
		if q != nil && n.spare == nil && cap(q) <= maxSpareNotes {
			clear(q) // drop the references to delivered messages
			n.spare = q[:0]
		}
		q, n.q = n.q, nil
		closed := n.closed
		n.pumping = len(q) > 0 && !closed
		n.mu.Unlock()
		if closed {
			return
		}
		if len(q) == 0 {
			<-n.wake
			continue
		}
		for i := 0; i < len(q); {
			select {
			case n.C <- q[i]:
				i++
				n.backlog.Add(-1)
			case <-n.wake:
				n.mu.Lock()
				closed := n.closed
				n.mu.Unlock()
				if closed {
					return
				}
			}
		}
	}
}

// maxNotifyBacklog is the backlog at which readers wait for the user: a
// few tens of milliseconds of traffic at the rates one SG carries, enough
// to ride out bursts.
const maxNotifyBacklog = 8192

// full reports whether readers should wait for the user to catch up.
func (n *notifyQueue) full() bool { return n.backlog.Load() >= maxNotifyBacklog }

// maxSpareNotes bounds the queue array kept for reuse, so one burst's
// backlog is not held for good.
const maxSpareNotes = 1024
