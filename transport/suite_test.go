package transport

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"
)

// The suite below runs against every backend of backends(): TCP with mux
// framing on the host, kernel SCTP in the VM (SIGPOOL_TEST_TRANSPORT=sctp).

func TestUpEventFirst(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := testCtx(t, 10*time.Second)
		c, s := pair(t, ctx, b, testConfig(b))
		for name, a := range map[string]Association{"client": c, "server": s} {
			select {
			case ev := <-a.Events():
				if ev.Kind != EventUp {
					t.Errorf("%s: first event %v, want up", name, ev)
				}
			case <-time.After(2 * time.Second):
				t.Errorf("%s: no up event", name)
			}
		}
		if got := c.RemoteAddrs(); len(got) != 1 || got[0] != s.LocalAddrs()[0] {
			t.Errorf("client remote %v, server local %v", got, s.LocalAddrs())
		}
		if got := s.RemoteAddrs(); len(got) != 1 || got[0] != c.LocalAddrs()[0] {
			t.Errorf("server remote %v, client local %v", got, c.LocalAddrs())
		}
	})
}

// Stream and PPID survive the trip: mux framing over TCP, real SCTP streams
// and sinfo_ppid over SCTP.
func TestStreamAndPPIDPreserved(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := testCtx(t, 10*time.Second)
		c, s := pair(t, ctx, b, testConfig(b))
		ppids := []uint32{3, 4, 11, 12, 0, 0xffffffff, 0x01020304}
		type key struct {
			stream uint16
			ppid   uint32
		}
		var sent []Message
		for stream := uint16(0); stream < 5; stream++ {
			for _, ppid := range ppids {
				m := Message{Stream: stream, PPID: ppid, Data: []byte(fmt.Sprintf("s%d p%d", stream, ppid))}
				if err := c.Send(ctx, m); err != nil {
					t.Fatalf("send %v: %v", m, err)
				}
				sent = append(sent, m)
			}
		}
		got := map[key][]string{}
		for range sent {
			m, err := s.Recv(ctx)
			if err != nil {
				t.Fatalf("recv: %v", err)
			}
			k := key{m.Stream, m.PPID}
			got[k] = append(got[k], string(m.Data))
		}
		for _, m := range sent {
			k := key{m.Stream, m.PPID}
			if len(got[k]) == 0 || got[k][0] != string(m.Data) {
				t.Fatalf("message %q sent on stream %d with PPID %d not received so (got %v)", m.Data, m.Stream, m.PPID, got)
			}
			got[k] = got[k][1:]
		}
	})
}

// Streams reports the stream counts in use: over SCTP what was negotiated
// (a peer that accepts fewer inbound streams caps the other side's
// outbound ones), over TCP the configured count (mux) or 1 (bare framing).
// Send takes the streams below the outbound count and refuses the next one
// without harming the association.
func TestStreamsNegotiated(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := testCtx(t, 10*time.Second)
		c, s := pair(t, ctx, b, testConfig(b))
		for name, a := range map[string]Association{"client": c, "server": s} {
			if out, in := a.Streams(); out != DefaultStreams || in != DefaultStreams {
				t.Errorf("%s: streams out %d in %d, want %d both", name, out, in, DefaultStreams)
			}
		}

		l, addr := listen(t, ctx, b, testConfig(b))
		small := testConfig(b)
		small.Streams = 8
		c, s = pairOn(t, ctx, l, addr, small)
		if out, in := c.Streams(); out != 8 || in != 8 {
			t.Errorf("client with 8 streams: out %d in %d", out, in)
		}
		sOut, sIn := s.Streams()
		want := uint16(DefaultStreams) // TCP negotiates nothing
		if b.sctp() {
			want = 8 // capped by the client's INIT
		}
		if sOut != want || sIn != want {
			t.Errorf("server facing a client with 8 streams: out %d in %d, want %d both", sOut, sIn, want)
		}
		cOut, _ := c.Streams()
		if err := c.Send(ctx, Message{Stream: cOut, PPID: 3, Data: []byte("too far")}); err == nil {
			t.Errorf("send on stream %d of %d: no error", cOut, cOut)
		}
		if err := c.Send(ctx, Message{Stream: cOut - 1, PPID: 3, Data: []byte("last")}); err != nil {
			t.Fatalf("send on stream %d: %v", cOut-1, err)
		}
		if m, err := s.Recv(ctx); err != nil || m.Stream != cOut-1 || string(m.Data) != "last" {
			t.Fatalf("recv %+v, %v; want %q on stream %d", m, err, "last", cOut-1)
		}

		if !b.sctp() {
			bare := testConfig(b)
			bare.Framing = FramingSIGTRAN
			l, addr := listen(t, ctx, b, bare)
			c, s := pairOn(t, ctx, l, addr, bare)
			for name, a := range map[string]Association{"client": c, "server": s} {
				if out, in := a.Streams(); out != 1 || in != 1 {
					t.Errorf("bare framing %s: streams out %d in %d, want 1 both", name, out, in)
				}
			}
		}
	})
}

// Order is kept within each stream while several streams are sent on
// concurrently.
func TestOrderPerStream(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := testCtx(t, 30*time.Second)
		c, s := pair(t, ctx, b, testConfig(b))
		const streams, perStream = 4, 500
		var wg sync.WaitGroup
		for st := range streams {
			wg.Go(func() {
				for i := range perStream {
					data := binary.BigEndian.AppendUint32(bytes.Repeat([]byte{byte(st)}, 60), uint32(i))
					if err := c.Send(ctx, Message{Stream: uint16(st), PPID: 3, Data: data}); err != nil {
						t.Errorf("send stream %d #%d: %v", st, i, err)
						return
					}
				}
			})
		}
		next := make([]uint32, streams)
		for range streams * perStream {
			m, err := s.Recv(ctx)
			if err != nil {
				t.Fatalf("recv: %v", err)
			}
			seq := binary.BigEndian.Uint32(m.Data[len(m.Data)-4:])
			if int(m.Stream) >= streams || m.Data[0] != byte(m.Stream) {
				t.Fatalf("message of stream %d arrived on stream %d", m.Data[0], m.Stream)
			}
			if seq != next[m.Stream] {
				t.Fatalf("stream %d: got #%d, want #%d", m.Stream, seq, next[m.Stream])
			}
			next[m.Stream]++
		}
		wg.Wait()
	})
}

// Messages up to the maximum size arrive whole and equal, in both
// directions; larger ones are refused by Send and by the receiver.
func TestLargeMessages(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := testCtx(t, 30*time.Second)
		cfg := testConfig(b)
		c, s := pair(t, ctx, b, cfg)
		go echo(ctx, s)
		rng := rand.New(rand.NewPCG(1, 2))
		for _, size := range []int{1, 100, 1500, 9000, 16384, 65535, 65536} {
			data := make([]byte, size)
			for i := range data {
				data[i] = byte(rng.Uint32())
			}
			if err := c.Send(ctx, Message{Stream: 1, PPID: 4, Data: data}); err != nil {
				t.Fatalf("send %d bytes: %v", size, err)
			}
			m, err := c.Recv(ctx)
			if err != nil {
				t.Fatalf("recv echo of %d bytes: %v", size, err)
			}
			if !bytes.Equal(m.Data, data) || m.Stream != 1 || m.PPID != 4 {
				t.Fatalf("%d bytes: echo differs (got %d bytes, stream %d, PPID %d)", size, len(m.Data), m.Stream, m.PPID)
			}
		}
		err := c.Send(ctx, Message{Data: make([]byte, DefaultMaxMessageSize+1)})
		if !errors.Is(err, ErrMessageSize) {
			t.Fatalf("send of max+1 bytes: %v, want ErrMessageSize", err)
		}
		if err := c.Send(ctx, Message{Data: nil}); !errors.Is(err, ErrMessageSize) {
			t.Fatalf("send of 0 bytes: %v, want ErrMessageSize", err)
		}
		if err := c.Send(ctx, Message{Stream: DefaultStreams, Data: []byte("x")}); err == nil || !strings.Contains(err.Error(), "stream") {
			t.Fatalf("send on stream %d: %v, want out of range", DefaultStreams, err)
		}
		// Still usable after refused sends.
		if err := c.Send(ctx, Message{Data: []byte("after")}); err != nil {
			t.Fatal(err)
		}
		if m, err := c.Recv(ctx); err != nil || string(m.Data) != "after" {
			t.Fatalf("after refused sends: %q, %v", m.Data, err)
		}
	})
}

// Messages larger than the read buffer (64 KiB) are assembled from pieces
// (SCTP partial delivery, several TCP reads); a receiver with a smaller
// maximum refuses them and ends the association instead of truncating.
func TestMessagesBeyondReadBuffer(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := testCtx(t, 30*time.Second)
		cfg := testConfig(b)
		cfg.MaxMessageSize = 256 << 10
		c, s := pair(t, ctx, b, cfg)
		data := bytes.Repeat([]byte("0123456789abcdef"), 150000/16)
		if err := c.Send(ctx, Message{PPID: 3, Data: data}); err != nil {
			t.Fatal(err)
		}
		m, err := s.Recv(ctx)
		if err != nil || !bytes.Equal(m.Data, data) {
			t.Fatalf("150000-byte message: got %d bytes, %v", len(m.Data), err)
		}

		small := testConfig(b)
		small.MaxMessageSize = 1000
		l, addr := listen(t, ctx, b, small)
		c2, s2 := pairOn(t, ctx, l, addr, cfg)
		if err := c2.Send(ctx, Message{PPID: 3, Data: make([]byte, 5000)}); err != nil {
			t.Fatal(err)
		}
		_, err = s2.Recv(ctx)
		if !errors.Is(err, ErrMessageSize) {
			t.Fatalf("receiver with 1000-byte maximum got 5000 bytes: %v, want ErrMessageSize", err)
		}
		if ev := finalEvent(t, s2, 5*time.Second); ev.Kind != EventDown {
			t.Fatalf("final event %v, want down", ev)
		}
		if _, err := c2.Recv(ctx); err == nil {
			t.Fatal("sender's association survived the receiver's refusal")
		}
	})
}

// Many associations at once on one listener.
func TestManyAssociations(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		const n, msgs = 200, 5
		ctx := testCtx(t, 60*time.Second)
		cfg := testConfig(b)
		l, addr := listen(t, ctx, b, cfg)
		go func() {
			for {
				a, err := l.Accept(ctx)
				if err != nil {
					return
				}
				go echo(ctx, a)
			}
		}()
		var wg sync.WaitGroup
		errs := make(chan error, n)
		for i := range n {
			wg.Go(func() {
				a, err := Dial(ctx, addr, cfg)
				if err != nil {
					errs <- fmt.Errorf("dial #%d: %w", i, err)
					return
				}
				defer a.Abort()
				for j := range msgs {
					want := fmt.Sprintf("assoc %d msg %d", i, j)
					if err := a.Send(ctx, Message{Stream: uint16(j), PPID: 11, Data: []byte(want)}); err != nil {
						errs <- fmt.Errorf("#%d send: %w", i, err)
						return
					}
					m, err := a.Recv(ctx)
					if err != nil || string(m.Data) != want {
						errs <- fmt.Errorf("#%d: echo %q, %v; want %q", i, m.Data, err, want)
						return
					}
				}
				if err := a.Close(); err != nil {
					errs <- fmt.Errorf("#%d close: %w", i, err)
				}
			})
		}
		wg.Wait()
		close(errs)
		for err := range errs {
			t.Error(err)
		}
	})
}

// Close delivers everything sent before it; the peer then sees the end
// (Recv: io.EOF, event Down) and cannot send any more.
func TestGracefulClose(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := testCtx(t, 20*time.Second)
		c, s := pair(t, ctx, b, testConfig(b))
		const n = 2000
		payload := bytes.Repeat([]byte{0xab}, 200)
		received := make(chan error, 1)
		go func() {
			for i := range n {
				m, err := s.Recv(ctx)
				if err != nil {
					received <- fmt.Errorf("message %d of %d: %w", i, n, err)
					return
				}
				if got := binary.BigEndian.Uint32(m.Data); got != uint32(i) {
					received <- fmt.Errorf("message %d arrived as %d", i, got)
					return
				}
			}
			_, err := s.Recv(ctx)
			received <- err
		}()
		for i := range n {
			binary.BigEndian.PutUint32(payload, uint32(i))
			if err := c.Send(ctx, Message{Stream: 2, PPID: 3, Data: payload}); err != nil {
				t.Fatalf("send %d: %v", i, err)
			}
		}
		start := time.Now()
		if err := c.Close(); err != nil {
			t.Fatalf("close: %v", err)
		}
		t.Logf("close took %v", time.Since(start))
		select {
		case err := <-received:
			if !errors.Is(err, io.EOF) {
				t.Fatalf("server after all messages: %v, want io.EOF", err)
			}
		case <-ctx.Done():
			t.Fatal("server did not see the end")
		}
		if ev := finalEvent(t, s, 5*time.Second); ev.Kind != EventDown {
			t.Errorf("server final event %v, want down", ev)
		}
		if ev := finalEvent(t, c, 5*time.Second); ev.Kind != EventDown {
			t.Errorf("client final event %v, want down", ev)
		}
		if err := c.Send(ctx, Message{Data: []byte("late")}); !errors.Is(err, ErrClosed) {
			t.Errorf("send after close: %v, want ErrClosed", err)
		}
		if _, err := c.Recv(ctx); !errors.Is(err, ErrClosed) {
			t.Errorf("recv after close: %v, want ErrClosed", err)
		}
		if err := s.Send(ctx, Message{Data: []byte("late")}); err == nil {
			t.Error("peer could still send after the shutdown")
		}
		if err := c.Close(); err != nil {
			t.Errorf("second close: %v", err)
		}
		if err := s.Close(); err != nil {
			t.Errorf("close after the peer's close: %v", err)
		}
	})
}

// Abort ends the association at once; the peer sees ErrAborted and Down.
func TestAbort(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := testCtx(t, 10*time.Second)
		c, s := pair(t, ctx, b, testConfig(b))
		if err := c.Send(ctx, Message{Data: []byte("before abort")}); err != nil {
			t.Fatal(err)
		}
		if m, err := s.Recv(ctx); err != nil || string(m.Data) != "before abort" {
			t.Fatalf("recv: %q %v", m.Data, err)
		}
		start := time.Now()
		if err := c.Abort(); err != nil {
			t.Fatal(err)
		}
		_, err := s.Recv(ctx)
		if !errors.Is(err, ErrAborted) {
			t.Fatalf("peer's recv after abort: %v, want ErrAborted", err)
		}
		t.Logf("abort seen after %v: %v", time.Since(start), err)
		if ev := finalEvent(t, s, 5*time.Second); ev.Kind != EventDown || !strings.Contains(ev.Reason, "abort") {
			t.Errorf("peer's final event %v, want down (aborted)", ev)
		}
		if _, err := c.Recv(ctx); !errors.Is(err, ErrClosed) {
			t.Errorf("recv after own abort: %v, want ErrClosed", err)
		}
	})
}

// Recv and Accept honour their contexts and leave the association usable.
func TestContextCancel(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := testCtx(t, 10*time.Second)
		l, addr := listen(t, ctx, b, testConfig(b))
		short, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
		defer cancel()
		if _, err := l.Accept(short); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("accept: %v, want deadline exceeded", err)
		}
		c, s := pairOn(t, ctx, l, addr, testConfig(b))
		short, cancel = context.WithTimeout(ctx, 50*time.Millisecond)
		defer cancel()
		if _, err := s.Recv(short); !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("recv: %v, want deadline exceeded", err)
		}
		sendCtx, cancelSend := context.WithTimeout(ctx, time.Second)
		defer cancelSend()
		if err := c.Send(sendCtx, Message{Data: []byte("still there")}); err != nil {
			t.Fatal(err)
		}
		if m, err := s.Recv(ctx); err != nil || string(m.Data) != "still there" {
			t.Fatalf("after cancelled recv: %q %v", m.Data, err)
		}
	})
}

// Closing a listener while Accept waits returns Accept at once and frees
// the port: listening on it again works and accepts.
func TestListenerCloseWhileAccepting(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := testCtx(t, 10*time.Second)
		cfg := testConfig(b)
		l, addr := listen(t, ctx, b, cfg)
		acceptErr := make(chan error, 1)
		go func() {
			_, err := l.Accept(ctx)
			acceptErr <- err
		}()
		time.Sleep(50 * time.Millisecond) // let Accept block
		if err := l.Close(); err != nil {
			t.Fatalf("close: %v", err)
		}
		select {
		case err := <-acceptErr:
			if !errors.Is(err, ErrClosed) {
				t.Fatalf("accept after close: %v, want ErrClosed", err)
			}
		case <-time.After(2 * time.Second):
			t.Fatal("Accept still blocked after Close")
		}
		l2, err := Listen(ctx, addr, cfg)
		if err != nil {
			t.Fatalf("listen again on %s: %v", addr, err)
		}
		t.Cleanup(func() { _ = l2.Close() })
		c, s := pairOn(t, ctx, l2, addr, cfg)
		if err := c.Send(ctx, Message{Data: []byte("again")}); err != nil {
			t.Fatal(err)
		}
		if m, err := s.Recv(ctx); err != nil || string(m.Data) != "again" {
			t.Fatalf("%q %v", m.Data, err)
		}
	})
}

// Dialing a port nobody listens on fails promptly with an error.
func TestDialRefused(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := testCtx(t, 10*time.Second)
		l, addr := listen(t, ctx, b, testConfig(b))
		_ = l.Close()
		start := time.Now()
		if _, err := Dial(ctx, addr, testConfig(b)); err == nil {
			t.Fatal("dial to a closed port succeeded")
		} else {
			t.Logf("dial refused after %v: %v", time.Since(start), err)
		}
		if time.Since(start) > 3*time.Second {
			t.Errorf("refusal took %v", time.Since(start))
		}
	})
}

// Several goroutines sending and receiving at once (the race detector's
// case) lose and duplicate nothing.
func TestConcurrentSendRecv(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := testCtx(t, 30*time.Second)
		c, s := pair(t, ctx, b, testConfig(b))
		go echo(ctx, s)
		const senders, each = 8, 300
		var wg sync.WaitGroup
		for g := range senders {
			wg.Go(func() {
				for i := range each {
					sctx, cancel := context.WithTimeout(ctx, 5*time.Second)
					err := c.Send(sctx, Message{Stream: uint16(g), PPID: 3, Data: []byte(fmt.Sprintf("%d/%d", g, i))})
					cancel()
					if err != nil {
						t.Errorf("send: %v", err)
						return
					}
				}
			})
		}
		seen := make(map[string]bool)
		var mu sync.Mutex
		var rwg sync.WaitGroup
		for range 3 {
			rwg.Go(func() {
				for {
					mu.Lock()
					if len(seen) == senders*each {
						mu.Unlock()
						return
					}
					mu.Unlock()
					rctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
					m, err := c.Recv(rctx)
					cancel()
					if errors.Is(err, context.DeadlineExceeded) {
						continue
					}
					if err != nil {
						t.Errorf("recv: %v", err)
						return
					}
					mu.Lock()
					if seen[string(m.Data)] {
						t.Errorf("duplicate %q", m.Data)
					}
					seen[string(m.Data)] = true
					mu.Unlock()
				}
			})
		}
		wg.Wait()
		rwg.Wait()
		if len(seen) != senders*each {
			t.Fatalf("received %d distinct messages, want %d", len(seen), senders*each)
		}
	})
}

// auto:// and bare host:port pick kernel SCTP when the kernel has it, else
// TCP, saying so in exactly one log line per Listen or Dial.
func TestAutoScheme(t *testing.T) {
	ctx := testCtx(t, 10*time.Second)
	core, logs := observer.New(zap.InfoLevel)
	cfg := Config{Logger: zap.New(core)}
	l, err := Listen(ctx, "127.0.0.1:0", cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	a, err := Dial(ctx, "auto://"+l.Addrs()[0].String(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Abort()
	fallbacks := logs.FilterMessageSnippet("kernel SCTP unavailable").All()
	_, overTCP := a.(*tcpAssoc)
	if KernelSCTP() == nil {
		if overTCP || len(fallbacks) != 0 {
			t.Fatalf("kernel SCTP available, but auto chose TCP (%d fallback log lines)", len(fallbacks))
		}
		return
	}
	if !overTCP {
		t.Fatalf("auto gave %T without kernel SCTP", a)
	}
	if len(fallbacks) != 2 {
		t.Fatalf("%d fallback log lines for one Listen and one Dial, want 2: %v", len(fallbacks), fallbacks)
	}
	t.Logf("fallback logged: %s %v", fallbacks[0].Message, fallbacks[0].ContextMap())
	if _, err := Listen(ctx, "sctp://127.0.0.1:0", cfg); !errors.Is(err, ErrUnsupported) {
		t.Fatalf("explicit sctp:// without kernel SCTP: %v, want ErrUnsupported", err)
	}
}

// Several addresses: one port on each (TCP: a socket per address; SCTP:
// one multi-homed socket), reachable through any of them.
func TestListenSeveralAddresses(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := testCtx(t, 10*time.Second)
		cfg := testConfig(b)
		l, err := Listen(ctx, b.scheme+"://127.0.0.1,127.0.0.3:0", cfg)
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		addrs := l.Addrs()
		if len(addrs) != 2 || addrs[0].Port() != addrs[1].Port() || addrs[0].Port() == 0 {
			t.Fatalf("bound to %v, want 127.0.0.1 and 127.0.0.3 on one port", addrs)
		}
		for _, ap := range addrs {
			c, s := pairOn(t, ctx, l, b.scheme+"://"+ap.String(), cfg)
			if err := c.Send(ctx, Message{Data: []byte(ap.String())}); err != nil {
				t.Fatal(err)
			}
			if m, err := s.Recv(ctx); err != nil || string(m.Data) != ap.String() {
				t.Fatalf("via %s: %q %v", ap, m.Data, err)
			}
		}
	})
}

// Events report the end also when nobody is in Recv: before the first
// Recv, and after Recv calls stopped.
func TestEventsWithoutRecv(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := testCtx(t, 10*time.Second)
		cfg := testConfig(b)
		c, s := pair(t, ctx, b, cfg)
		_ = s.Abort()
		if ev := finalEvent(t, c, 2*time.Second); ev.Kind != EventDown {
			t.Fatalf("never received on: final event %v, want down", ev)
		}
		c, s = pair(t, ctx, b, cfg)
		for i := range 3 {
			if err := s.Send(ctx, Message{Data: []byte{byte(i)}}); err != nil {
				t.Fatal(err)
			}
			if _, err := c.Recv(ctx); err != nil {
				t.Fatal(err)
			}
		}
		time.Sleep(50 * time.Millisecond)
		_ = s.Send(ctx, Message{Data: []byte("unread")})
		_ = s.Abort()
		if ev := finalEvent(t, c, 2*time.Second); ev.Kind != EventDown {
			t.Fatalf("after Recv stopped: final event %v, want down", ev)
		}
	})
}
