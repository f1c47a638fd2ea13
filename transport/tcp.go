package transport

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"go.uber.org/zap"
)

// idleTakeover is how long Recv may stay away before a background reader
// takes over the socket.
const idleTakeover = 10 * time.Millisecond

// flushBatch bounds how many bytes a sender leaves queued for the sender
// waiting behind it to write; beyond it the sender writes itself.
const flushBatch = 64 << 10

// tcpAssoc is an association over one TCP connection.
//
// Receiving: whoever holds the read turn (rsem) reads the socket. A Recv
// that finds nothing queued takes the turn and reads the next frame
// itself, so a busy association costs no goroutine hand-over per message.
// When no Recv has run for idleTakeover, a background goroutine takes the
// turn and reads into the queue (core), so that the end of the association
// is noticed, and its events sent, also while nobody receives; it hands the
// turn back as soon as a Recv waits.
//
// Sending: no goroutine. Senders take turns through wsem; each appends its
// frame to wbuf and the last one in line writes the whole batch with one
// write(2), so concurrent senders share system calls and a lone sender
// pays no extra latency.
type tcpAssoc struct {
	*core
	conn          *net.TCPConn
	tls           *tls.Conn // nil without TLS
	rw            net.Conn  // what frames are read from and written to: tls, else conn
	rc            syscall.RawConn
	cfg           Config
	local, remote netip.AddrPort

	wsem    chan struct{} // held while appending to or writing wbuf
	waiters atomic.Int32  // senders waiting for wsem
	wbuf    []byte        // frames not yet written; owned by the wsem holder
	werr    error         // sticky write error; owned by the wsem holder
	kicking atomic.Bool   // a background flush is starting
	// wtry and wtryFn are write's non-blocking attempt, made once so that
	// a send allocates no closure; owned by the wsem holder.
	wtry   writeAttempt
	wtryFn func(fd uintptr) bool

	rsem         chan struct{} // the read turn: its holder reads the socket
	fr           *frameReader  // owned by the rsem holder
	rcancel      *readCancel   // owned by the rsem holder
	recvActive   atomic.Int32  // Recv calls in progress
	recvCount    atomic.Uint64 // Recv calls finished
	idleSeen     atomic.Uint64 // recvCount when the idle timer last looked
	idle         *time.Timer   // starts the background reader when Recv is idle
	idleArmed    atomic.Bool
	bgReading    atomic.Bool // the background reader holds rsem
	closeOnce    sync.Once
	closeErr     error
	closeTimeout time.Duration
}

// closeTimeoutFor bounds how long Close waits for the peer to acknowledge
// the end: the profile's dead-peer time, within 1 to 5 seconds.
func closeTimeoutFor(p Profile) time.Duration {
	return min(max(p.WorstCaseDetection().SCTPData, time.Second), 5*time.Second)
}

// newTCPAssoc starts an association on conn; tc, when not nil, is the TLS
// session over conn, its handshake done.
func newTCPAssoc(conn *net.TCPConn, tc *tls.Conn, cfg Config) (*tcpAssoc, error) {
	opts, err := cfg.Profile.tcpOptions()
	if err != nil {
		return nil, err
	}
	if err := setTCPOptions(conn, opts); err != nil {
		return nil, fmt.Errorf("transport: tcp %s->%s: %w", conn.LocalAddr(), conn.RemoteAddr(), err)
	}
	rc, err := conn.SyscallConn()
	if err != nil {
		return nil, fmt.Errorf("transport: tcp %s->%s: %w", conn.LocalAddr(), conn.RemoteAddr(), err)
	}
	local, remote := tcpAddrPort(conn.LocalAddr()), tcpAddrPort(conn.RemoteAddr())
	name := "tcp"
	var rw net.Conn = conn
	if tc != nil {
		name, rw = "tcp+tls", tc
	}
	log := cfg.Logger.With(zap.String("transport", name), zap.Stringer("local", local),
		zap.Stringer("remote", remote), zap.Stringer("framing", cfg.Framing))
	a := &tcpAssoc{
		core:         newCore(log),
		conn:         conn,
		tls:          tc,
		rw:           rw,
		rc:           rc,
		cfg:          cfg,
		local:        local,
		remote:       remote,
		wsem:         make(chan struct{}, 1),
		closeTimeout: closeTimeoutFor(cfg.Profile),
		rsem:         make(chan struct{}, 1),
		fr:           newFrameReader(rw, cfg),
	}
	a.wtryFn = func(fd uintptr) bool {
		a.wtry.n, a.wtry.err = rawWrite(fd, a.wtry.b)
		return true
	}
	a.idle = time.AfterFunc(time.Hour, a.idleCheck)
	a.idle.Stop()
	a.rsem <- struct{}{}
	a.bgReading.Store(true)
	go a.background()
	return a, nil
}

func tcpAddrPort(a net.Addr) netip.AddrPort {
	if ta, ok := a.(*net.TCPAddr); ok {
		ap := ta.AddrPort()
		return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
	}
	return netip.AddrPort{}
}

// Streams implements Association: TCP negotiates nothing, so the mux
// framing has the configured count both ways and a bare framing, which
// carries no stream number, has one.
func (a *tcpAssoc) Streams() (out, in uint16) {
	if a.cfg.Framing != FramingMux {
		return 1, 1
	}
	return uint16(a.cfg.Streams), uint16(a.cfg.Streams)
}

func (a *tcpAssoc) LocalAddrs() []netip.AddrPort  { return []netip.AddrPort{a.local} }
func (a *tcpAssoc) RemoteAddrs() []netip.AddrPort { return []netip.AddrPort{a.remote} }

// checkSend rejects messages the peer could not delimit or label.
func checkSend(cfg Config, m Message) error {
	if len(m.Data) == 0 || len(m.Data) > cfg.MaxMessageSize {
		return fmt.Errorf("%w: %d bytes (want 1..%d)", ErrMessageSize, len(m.Data), cfg.MaxMessageSize)
	}
	if int(m.Stream) >= cfg.Streams {
		return fmt.Errorf("stream %d out of range: the association has %d outbound streams", m.Stream, cfg.Streams)
	}
	return nil
}

// Send implements Association.
func (a *tcpAssoc) Send(ctx context.Context, m Message) error {
	if err := a.checkFrame(m); err != nil {
		return fmt.Errorf("transport: send to %s: %w", a.remote, err)
	}
	return a.send(ctx, []Message{m})
}

// SendBatch implements Batcher: every frame of msgs is appended to the
// send buffer under one send turn and written with one write(2) (fewer
// when the batch exceeds the socket buffer). msgs are checked first; when
// one cannot be sent, none is.
func (a *tcpAssoc) SendBatch(ctx context.Context, msgs []Message) error {
	for i, m := range msgs {
		if err := a.checkFrame(m); err != nil {
			return fmt.Errorf("transport: send to %s: message %d of %d: %w", a.remote, i+1, len(msgs), err)
		}
	}
	return a.send(ctx, msgs)
}

// checkFrame rejects a message the peer could not delimit or label.
func (a *tcpAssoc) checkFrame(m Message) error {
	if err := checkSend(a.cfg, m); err != nil {
		return err
	}
	if a.cfg.Framing == FramingMux {
		return nil
	}
	if m.PPID != 0 && m.PPID != a.cfg.PPID {
		return fmt.Errorf("PPID %d cannot be carried: %s framing labels every message with PPID %d", m.PPID, a.cfg.Framing, a.cfg.PPID)
	}
	return a.cfg.Framing.checkBare(m.Data)
}

// send appends the frames of msgs, checked, under one send turn.
func (a *tcpAssoc) send(ctx context.Context, msgs []Message) error {
	if err := a.acquire(ctx, true); err != nil {
		return err
	}
	if ended, err := a.isEnded(); ended {
		a.release()
		return fmt.Errorf("transport: send to %s: association ended: %w", a.remote, err)
	}
	if a.werr != nil {
		err := a.werr
		a.release()
		return err
	}
	for _, m := range msgs {
		if a.cfg.Framing == FramingMux {
			a.wbuf = appendMuxHeader(a.wbuf, m)
		}
		a.wbuf = append(a.wbuf, m.Data...)
	}
	if a.waiters.Load() > 0 && len(a.wbuf) < flushBatch {
		// The sender next in line writes these frames together with its own.
		a.release()
		return nil
	}
	err := a.flush(ctx)
	a.release()
	return err
}

// acquire takes the send turn. With untilEnd it gives up when the
// association ends.
func (a *tcpAssoc) acquire(ctx context.Context, untilEnd bool) error {
	select {
	case a.wsem <- struct{}{}:
		return nil
	default:
	}
	a.waiters.Add(1)
	defer a.waiters.Add(-1)
	var done <-chan struct{}
	if untilEnd {
		done = a.done
	}
	select {
	case a.wsem <- struct{}{}:
		return nil
	case <-done:
		_, err := a.isEnded()
		return fmt.Errorf("transport: send to %s: association ended: %w", a.remote, err)
	case <-ctx.Done():
		// A sender ahead may have left its frame for this one to write.
		a.kick()
		return fmt.Errorf("transport: send to %s: %w", a.remote, ctx.Err())
	}
}

func (a *tcpAssoc) release() { <-a.wsem }

// kick writes whatever is queued from a background goroutine, for frames
// whose sender left them to a waiter that gave up, or whose write was cut
// short by a cancelled context: queued bytes are part of the stream and
// must go out, or every later frame would be misread.
func (a *tcpAssoc) kick() {
	if !a.kicking.CompareAndSwap(false, true) {
		return
	}
	go func() {
		select {
		case a.wsem <- struct{}{}:
		case <-a.done:
			a.kicking.Store(false)
			return
		}
		a.kicking.Store(false)
		if len(a.wbuf) > 0 && a.werr == nil {
			_ = a.flush(context.Background())
		}
		a.release()
	}()
}

// flush writes wbuf; the caller holds wsem.
func (a *tcpAssoc) flush(ctx context.Context) error {
	n, err := a.write(ctx, a.wbuf)
	if err == nil && n == len(a.wbuf) {
		if cap(a.wbuf) > 4*flushBatch {
			a.wbuf = nil // let one burst's buffer go
		} else {
			a.wbuf = a.wbuf[:0]
		}
		return nil
	}
	a.wbuf = a.wbuf[:copy(a.wbuf, a.wbuf[n:])]
	if errors.Is(err, errTLSWriteCut) {
		a.werr = fmt.Errorf("transport: send to %s: %w", a.remote, err)
		return a.werr
	}
	if ctx.Err() != nil && (errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)) {
		a.kick()
		return fmt.Errorf("transport: send to %s: %w (the message may still be delivered)", a.remote, err)
	}
	a.werr = fmt.Errorf("transport: send to %s: %w", a.remote, err)
	return a.werr
}

// write writes b, giving up when ctx ends. Without a ctx that can end it
// is a plain write; otherwise one non-blocking attempt first, so that the
// common case pays for no timer.
func (a *tcpAssoc) write(ctx context.Context, b []byte) (int, error) {
	if a.tls != nil {
		return a.writeTLS(ctx, b)
	}
	if ctx.Done() == nil {
		return a.conn.Write(b)
	}
	a.wtry.b = b
	err := a.rc.Write(a.wtryFn)
	n, werr := max(a.wtry.n, 0), a.wtry.err
	a.wtry = writeAttempt{}
	if err != nil {
		return 0, err
	}
	if werr == nil && n == len(b) {
		return n, nil
	}
	if werr != nil && werr != syscall.EAGAIN && werr != syscall.EINTR {
		return n, os.NewSyscallError("write", werr)
	}
	if err := ctx.Err(); err != nil {
		return n, err
	}
	fired := make(chan struct{})
	stop := context.AfterFunc(ctx, func() {
		_ = a.conn.SetWriteDeadline(time.Unix(1, 0)) // in the past: wakes the write
		close(fired)
	})
	m, err := a.conn.Write(b[n:])
	if !stop() {
		<-fired
		_ = a.conn.SetWriteDeadline(time.Time{})
		if err != nil && errors.Is(err, os.ErrDeadlineExceeded) {
			err = ctx.Err()
		}
	}
	return n + m, err
}

// writeAttempt is one non-blocking write(2): its input and outcome.
type writeAttempt struct {
	b   []byte
	n   int
	err error
}

// writeTLS writes b through TLS. A write cut short by ctx leaves the TLS
// record stream broken (crypto/tls refuses further writes), so it ends the
// association rather than resuming it.
func (a *tcpAssoc) writeTLS(ctx context.Context, b []byte) (int, error) {
	if ctx.Done() == nil {
		return a.tls.Write(b)
	}
	if err := ctx.Err(); err != nil {
		return 0, err
	}
	fired := make(chan struct{})
	stop := context.AfterFunc(ctx, func() {
		_ = a.conn.SetWriteDeadline(time.Unix(1, 0))
		close(fired)
	})
	n, err := a.tls.Write(b)
	if !stop() {
		<-fired
		if err != nil && errors.Is(err, os.ErrDeadlineExceeded) {
			a.end(EventDown, "send cancelled in the middle of a TLS record",
				fmt.Errorf("transport: send to %s: %w (TLS record cut short)", a.remote, ctx.Err()), true)
			a.abortConn()
			return n, fmt.Errorf("%w: %w", errTLSWriteCut, ctx.Err())
		}
	}
	return n, err
}

// Recv implements Association.
func (a *tcpAssoc) Recv(ctx context.Context) (Message, error) {
	a.recvActive.Add(1)
	defer a.recvDone()
	for {
		if m, ok, err := a.pop(); ok || err != nil {
			return m, err
		}
		select {
		case a.rsem <- struct{}{}:
			// The background reader may have queued something just before
			// handing over the turn.
			if m, ok, err := a.pop(); ok || err != nil {
				<-a.rsem
				return m, err
			}
			m, err := a.recvDirect(ctx)
			<-a.rsem
			return m, err
		case <-a.ready:
		case <-a.done:
		case <-ctx.Done():
			return Message{}, fmt.Errorf("transport: recv from %s: %w", a.remote, ctx.Err())
		}
	}
}

// recvDone arms the idle timer on the way out of Recv.
func (a *tcpAssoc) recvDone() {
	a.recvCount.Add(1)
	a.recvActive.Add(-1)
	a.armIdle()
}

func (a *tcpAssoc) armIdle() {
	if a.idleArmed.CompareAndSwap(false, true) {
		a.idle.Reset(idleTakeover)
	}
}

// idleCheck runs idleTakeover after a Recv returned: if no Recv is running
// and none ran since the last look, the background reader takes over.
func (a *tcpAssoc) idleCheck() {
	a.idleArmed.Store(false)
	if ended, _ := a.isEnded(); ended || a.bgReading.Load() || a.recvActive.Load() > 0 {
		return // a running Recv re-arms the timer when it returns
	}
	if n := a.recvCount.Load(); a.idleSeen.Swap(n) != n {
		a.armIdle()
		return
	}
	select {
	case a.rsem <- struct{}{}:
		a.bgReading.Store(true)
		go a.background()
	default:
		a.armIdle()
	}
}

// readCancel makes a context's end interrupt the socket read: once the
// context is done, the read deadline is set in the past. One registration
// serves every Recv made with the same context (a reader goroutine's
// long-lived one), so that receiving costs no registration per message.
type readCancel struct {
	done  <-chan struct{} // the context's Done: the registration's identity
	stop  func() bool
	fired chan struct{} // closed once the deadline is set
}

// watchRead makes sure ctx's end interrupts reads (rsem held).
func (a *tcpAssoc) watchRead(ctx context.Context) {
	done := ctx.Done()
	if done == nil || a.rcancel != nil && a.rcancel.done == done {
		return
	}
	a.unwatchRead()
	rc := &readCancel{done: done, fired: make(chan struct{})}
	rc.stop = context.AfterFunc(ctx, func() {
		_ = a.conn.SetReadDeadline(time.Unix(1, 0)) // in the past: wakes the read
		close(rc.fired)
	})
	a.rcancel = rc
}

// unwatchRead drops the registration of watchRead; if its context already
// ended, the read deadline it set is cleared again (rsem held). It
// reports whether that context had ended.
func (a *tcpAssoc) unwatchRead() bool {
	rc := a.rcancel
	if rc == nil {
		return false
	}
	a.rcancel = nil
	if rc.stop() {
		return false
	}
	<-rc.fired
	_ = a.conn.SetReadDeadline(time.Time{})
	return true
}

// recvDirect reads one message in the caller's goroutine; the caller holds
// the read turn.
func (a *tcpAssoc) recvDirect(ctx context.Context) (Message, error) {
	if ended, err := a.isEnded(); ended {
		a.unwatchRead()
		return Message{}, err
	}
	if !a.fr.buffered() {
		a.watchRead(ctx)
	}
	m, readErr, frameErr := a.fr.next(false)
	if readErr != nil && errors.Is(readErr, os.ErrDeadlineExceeded) && a.unwatchRead() {
		// The frame read so far stays in fr for the next Recv.
		return Message{}, fmt.Errorf("transport: recv from %s: %w", a.remote, ctx.Err())
	}
	switch {
	case frameErr != nil:
		a.framingEnded(frameErr)
	case readErr != nil:
		a.readEnded(readErr)
	}
	if ended, err := a.isEnded(); ended {
		a.unwatchRead()
		return Message{}, err
	}
	return m, nil
}

// background reads into the queue while nobody is in Recv, until a Recv
// waits for a message (then it hands the read turn over) or the
// association ends. Frames already buffered are queued together, so a
// burst costs the waiting Recv one wake-up.
func (a *tcpAssoc) background() {
	defer func() {
		a.bgReading.Store(false)
		<-a.rsem
	}()
	// No Recv's context may interrupt the background reader's reads.
	a.unwatchRead()
	batch := make([]Message, 0, 64)
	discard := false
	for {
		batch = batch[:0]
		for {
			m, readErr, frameErr := a.fr.next(discard)
			if readErr != nil || frameErr != nil {
				if len(batch) > 0 {
					a.deliver(batch...)
				}
				if frameErr != nil {
					a.framingEnded(frameErr)
				} else {
					a.readEnded(readErr)
				}
				return
			}
			if !discard {
				batch = append(batch, m)
			}
			if len(batch) == cap(batch) || !a.fr.buffered() {
				break
			}
		}
		if len(batch) > 0 && !a.deliver(batch...) {
			// Closed here: read on, unseen, until the peer's FIN.
			discard = true
		}
		if !discard && a.recvActive.Load() > 0 {
			return
		}
	}
}

// readEnded classifies the error that ended reading.
func (a *tcpAssoc) readEnded(err error) {
	switch {
	case errors.Is(err, io.EOF):
		if a.end(EventDown, "peer shut down", fmt.Errorf("transport: association with %s: %w", a.remote, io.EOF), false) {
			go a.finish()
		}
		return
	case errors.Is(err, net.ErrClosed):
		a.end(EventDown, "closed locally", a.closedErr(), true)
		return
	case errors.Is(err, io.ErrUnexpectedEOF):
		a.end(EventDown, "peer closed in the middle of a message",
			fmt.Errorf("transport: association with %s: %w: connection closed in the middle of a frame: %w", a.remote, ErrFraming, err), false)
	case errors.Is(err, syscall.ECONNRESET):
		a.end(EventDown, "peer aborted (TCP RST)", fmt.Errorf("transport: association with %s: %w (TCP RST)", a.remote, ErrAborted), false)
	case errors.Is(err, syscall.ETIMEDOUT):
		opts, _ := a.cfg.Profile.tcpOptions()
		reason := fmt.Sprintf("data or keepalive probes unacknowledged: TCP gave up %v after its first retransmission (TCP_USER_TIMEOUT, profile %s)", opts.userTimeout, a.cfg.Profile)
		a.end(EventPeerDead, reason, fmt.Errorf("transport: association with %s: %w", a.remote, &PeerDeadError{Reason: reason}), false)
	case errors.Is(err, syscall.EHOSTUNREACH), errors.Is(err, syscall.ENETUNREACH):
		reason := "peer unreachable: " + err.Error()
		a.end(EventPeerDead, reason, fmt.Errorf("transport: association with %s: %w", a.remote, &PeerDeadError{Reason: reason}), false)
	default:
		a.end(EventDown, "receive failed: "+err.Error(), fmt.Errorf("transport: recv from %s: %w", a.remote, err), false)
	}
	_ = a.conn.Close()
}

// framingEnded aborts the connection: after an impossible frame the byte
// stream cannot be resynchronised.
func (a *tcpAssoc) framingEnded(err error) {
	a.end(EventDown, err.Error(), fmt.Errorf("transport: recv from %s: %w", a.remote, err), false)
	a.abortConn()
}

// finish completes a shutdown the peer started, as SCTP does: frames
// already queued go out, then our FIN.
func (a *tcpAssoc) finish() {
	ctx, cancel := context.WithTimeout(context.Background(), a.closeTimeout)
	defer cancel()
	if err := a.acquire(ctx, false); err == nil {
		if len(a.wbuf) > 0 && a.werr == nil {
			_ = a.flush(ctx)
		}
		a.release()
	}
	a.closeWrite()
	_ = a.conn.Close()
}

// closeWrite ends our half of the stream: TLS close_notify first, then FIN.
func (a *tcpAssoc) closeWrite() {
	if a.tls != nil {
		_ = a.tls.CloseWrite()
	}
	_ = a.conn.CloseWrite()
}

func (a *tcpAssoc) closedErr() error {
	return fmt.Errorf("transport: association %s->%s: %w", a.local, a.remote, ErrClosed)
}

// Close implements Association: queued frames are written, then FIN; it
// waits for the peer's FIN (all our data delivered and the peer done).
func (a *tcpAssoc) Close() error {
	a.closeOnce.Do(func() {
		a.end(EventDown, "closed locally", a.closedErr(), true)
		ctx, cancel := context.WithTimeout(context.Background(), a.closeTimeout)
		defer cancel()
		err := a.acquire(ctx, false)
		if err == nil {
			if len(a.wbuf) > 0 && a.werr == nil {
				err = a.flush(ctx)
			}
			a.release()
		}
		if err != nil {
			a.abortConn()
			a.closeErr = fmt.Errorf("transport: close %s->%s: queued messages not written, aborted: %w", a.local, a.remote, err)
			return
		}
		a.closeWrite()
		// Read, unseen, until the peer's FIN; whoever reads now (a Recv,
		// the background reader) stops at the deadline at the latest.
		deadline, _ := ctx.Deadline()
		_ = a.conn.SetReadDeadline(deadline)
		select {
		case a.rsem <- struct{}{}:
			a.unwatchRead()
			_ = a.conn.SetReadDeadline(deadline)
			for {
				if _, readErr, frameErr := a.fr.next(true); readErr != nil || frameErr != nil {
					if errors.Is(readErr, os.ErrDeadlineExceeded) {
						a.log.Warn("peer did not finish the shutdown in time; closing anyway", zap.Duration("waited", a.closeTimeout))
					}
					break
				}
			}
			<-a.rsem
		case <-ctx.Done():
			a.log.Warn("peer did not finish the shutdown in time; closing anyway", zap.Duration("waited", a.closeTimeout))
		}
		_ = a.conn.Close()
	})
	return a.closeErr
}

// Abort implements Association: RST, queued frames dropped.
func (a *tcpAssoc) Abort() error {
	a.end(EventDown, "aborted locally", a.closedErr(), true)
	a.abortConn()
	// Drop a Recv context's registration unless a reader is at it (it
	// does so itself on seeing the end).
	select {
	case a.rsem <- struct{}{}:
		a.unwatchRead()
		<-a.rsem
	default:
	}
	return nil
}

func (a *tcpAssoc) abortConn() {
	_ = a.conn.SetLinger(0)
	_ = a.conn.Close()
}

// tcpListener accepts TCP connections on one or more addresses.
type tcpListener struct {
	cfg   Config
	lns   []*net.TCPListener
	addrs []netip.AddrPort
	conns chan acceptedConn
	done  chan struct{}
	// ctx ends when the listener closes: it cuts TLS handshakes short.
	ctx    context.Context
	cancel context.CancelFunc
	once   sync.Once
	wg     sync.WaitGroup
}

func listenTCP(ctx context.Context, addrs []netip.AddrPort, port uint16, cfg Config) (Listener, error) {
	// Keepalive is set per connection from the profile instead.
	lc := net.ListenConfig{KeepAlive: -1}
	l := &tcpListener{cfg: cfg, conns: make(chan acceptedConn), done: make(chan struct{})}
	l.ctx, l.cancel = context.WithCancel(context.Background())
	targets := []string{fmt.Sprintf(":%d", port)} // every local address
	for i, ap := range addrs {
		if i == 0 {
			targets = targets[:0]
		}
		targets = append(targets, ap.String())
	}
	for _, address := range targets {
		if len(l.addrs) > 0 {
			// Every address gets the port the first one got.
			ap, _ := netip.ParseAddrPort(address)
			address = netip.AddrPortFrom(ap.Addr(), l.addrs[0].Port()).String()
		}
		ln, err := lc.Listen(ctx, "tcp", address)
		if err != nil {
			for _, ln := range l.lns {
				_ = ln.Close()
			}
			l.cancel()
			return nil, fmt.Errorf("transport: listen tcp %s: %w", address, err)
		}
		l.lns = append(l.lns, ln.(*net.TCPListener))
		l.addrs = append(l.addrs, tcpAddrPort(ln.Addr()))
	}
	for _, ln := range l.lns {
		l.wg.Add(1)
		go l.acceptLoop(ln)
	}
	cfg.Logger.Info("listening", zap.String("transport", tcpName(cfg)), zap.String("addrs", addrsString(l.addrs)), zap.Stringer("framing", cfg.Framing))
	return l, nil
}

func (l *tcpListener) acceptLoop(ln *net.TCPListener) {
	defer l.wg.Done()
	backoff := 5 * time.Millisecond
	for {
		conn, err := ln.AcceptTCP()
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			// Out of file descriptors and the like: wait, do not spin.
			l.cfg.Logger.Warn("accept failed", zap.Error(err), zap.Duration("retry_in", backoff))
			select {
			case <-time.After(backoff):
			case <-l.done:
				return
			}
			backoff = min(2*backoff, time.Second)
			continue
		}
		backoff = 5 * time.Millisecond
		if l.cfg.TLS != nil {
			// The handshake runs beside the accept loop, so that a slow or
			// silent client holds up nobody else.
			l.wg.Add(1)
			go l.handshake(conn)
			continue
		}
		l.hand(acceptedConn{tcp: conn})
	}
}

// acceptedConn is a connection ready for Accept: TCP, and TLS over it when
// the listener has a TLS configuration.
type acceptedConn struct {
	tcp *net.TCPConn
	tls *tls.Conn
}

// hand passes c to Accept, or closes it when the listener closes first.
func (l *tcpListener) hand(c acceptedConn) {
	select {
	case l.conns <- c:
	case <-l.done:
		_ = c.tcp.Close()
	}
}

// handshake runs the server side of the TLS handshake on conn within the
// profile's close timeout (at most 5 s) and hands the session to Accept;
// a failed handshake is logged and the connection dropped.
func (l *tcpListener) handshake(conn *net.TCPConn) {
	defer l.wg.Done()
	ctx, cancel := context.WithTimeout(l.ctx, tlsHandshakeTimeout(l.cfg.Profile))
	defer cancel()
	tc := tls.Server(conn, l.cfg.TLS)
	if err := tc.HandshakeContext(ctx); err != nil {
		l.cfg.Logger.Warn("TLS handshake failed; connection dropped",
			zap.Stringer("remote", tcpAddrPort(conn.RemoteAddr())), zap.Error(err))
		_ = conn.Close()
		return
	}
	l.hand(acceptedConn{tcp: conn, tls: tc})
}

// Accept implements Listener.
func (l *tcpListener) Accept(ctx context.Context) (Association, error) {
	for {
		select {
		case c := <-l.conns:
			a, err := newTCPAssoc(c.tcp, c.tls, l.cfg)
			if err != nil {
				l.cfg.Logger.Warn("accepted connection dropped", zap.Error(err))
				_ = c.tcp.Close()
				continue
			}
			return a, nil
		case <-l.done:
			return nil, fmt.Errorf("transport: accept on tcp %s: %w", addrsString(l.addrs), ErrClosed)
		case <-ctx.Done():
			return nil, fmt.Errorf("transport: accept on tcp %s: %w", addrsString(l.addrs), ctx.Err())
		}
	}
}

func (l *tcpListener) Addrs() []netip.AddrPort { return append([]netip.AddrPort(nil), l.addrs...) }

// Close implements Listener.
func (l *tcpListener) Close() error {
	var err error
	l.once.Do(func() {
		close(l.done)
		l.cancel()
		for _, ln := range l.lns {
			if e := ln.Close(); e != nil && err == nil {
				err = fmt.Errorf("transport: close listener %s: %w", ln.Addr(), e)
			}
		}
		l.wg.Wait()
	})
	return err
}

// dialTCP connects to the first of addrs that answers; serverName is the
// host as the address named it, which a TLS client verifies the server's
// certificate against unless the configuration names another.
func dialTCP(ctx context.Context, addrs []netip.AddrPort, serverName string, cfg Config) (Association, error) {
	var errs []error
	for _, ap := range addrs {
		d := net.Dialer{KeepAlive: -1}
		if len(cfg.LocalAddrs) > 0 {
			la, ok := localFor(cfg.LocalAddrs, ap.Addr())
			if !ok {
				errs = append(errs, fmt.Errorf("%s: no local address of its family in %v", ap, cfg.LocalAddrs))
				continue
			}
			d.LocalAddr = net.TCPAddrFromAddrPort(netip.AddrPortFrom(la, 0))
		}
		conn, err := d.DialContext(ctx, "tcp", ap.String())
		if err != nil {
			errs = append(errs, err)
			if ctx.Err() != nil {
				break
			}
			continue
		}
		tcp := conn.(*net.TCPConn)
		var tc *tls.Conn
		if cfg.TLS != nil {
			if tc, err = clientHandshake(ctx, tcp, serverName, cfg); err != nil {
				_ = conn.Close()
				return nil, fmt.Errorf("transport: dial tcp+tls %s: %w", ap, err)
			}
		}
		a, err := newTCPAssoc(tcp, tc, cfg)
		if err != nil {
			_ = conn.Close()
			return nil, err
		}
		return a, nil
	}
	return nil, fmt.Errorf("transport: dial tcp %s: %w", addrsString(addrs), errors.Join(errs...))
}

// localFor picks the first local address of the remote address's family.
func localFor(locals []netip.Addr, remote netip.Addr) (netip.Addr, bool) {
	for _, la := range locals {
		if la.Unmap().Is4() == remote.Unmap().Is4() {
			return la.Unmap(), true
		}
	}
	return netip.Addr{}, false
}
