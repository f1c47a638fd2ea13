package transport

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"
	"testing"
	"time"
)

func muxFrame(stream uint16, ppid uint32, data []byte) []byte {
	return append(appendMuxHeader(nil, Message{Stream: stream, PPID: ppid, Data: data}), data...)
}

// m3ua builds an M3UA message (common header + body) of the given class and
// type whose Message Length is right.
func m3ua(class, typ byte, body []byte) []byte {
	b := []byte{1, 0, class, typ, 0, 0, 0, 0}
	binary.BigEndian.PutUint32(b[4:], uint32(8+len(body)))
	return append(b, body...)
}

// asap builds an ASAP message (type, flags, 16-bit length) with the right
// Message Length.
func asap(typ byte, body []byte) []byte {
	b := []byte{typ, 0, 0, 0}
	binary.BigEndian.PutUint16(b[2:], uint16(4+len(body)))
	return append(b, body...)
}

func TestMuxHeaderLayout(t *testing.T) {
	got := appendMuxHeader(nil, Message{Stream: 0x0102, PPID: 3, Data: make([]byte, 200)})
	want := []byte{'S', 'P', 1, 0, 0x01, 0x02, 0, 0, 0, 0, 0, 3, 0, 0, 0, 200}
	if !bytes.Equal(got, want) {
		t.Fatalf("mux header % x, want % x", got, want)
	}
}

func TestParseHeader(t *testing.T) {
	const max = 65536
	for _, tt := range []struct {
		name    string
		f       Framing
		hdr     []byte
		rest    int
		wantErr error
	}{
		{"mux ok", FramingMux, []byte{'S', 'P', 1, 0, 0, 7, 0, 0, 0, 0, 0, 11, 0, 0, 0, 4}, 4, nil},
		{"mux max", FramingMux, []byte{'S', 'P', 1, 0, 0, 0, 0, 0, 0, 0, 0, 3, 0, 1, 0, 0}, max, nil},
		{"mux bad magic", FramingMux, []byte{1, 0, 0, 1, 0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0, 4}, 0, ErrFraming},
		{"mux bad version", FramingMux, []byte{'S', 'P', 2, 0, 0, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 4}, 0, ErrFraming},
		{"mux flags", FramingMux, []byte{'S', 'P', 1, 1, 0, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 4}, 0, ErrFraming},
		{"mux reserved", FramingMux, []byte{'S', 'P', 1, 0, 0, 0, 0, 9, 0, 0, 0, 3, 0, 0, 0, 4}, 0, ErrFraming},
		{"mux zero length", FramingMux, []byte{'S', 'P', 1, 0, 0, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 0}, 0, ErrFraming},
		{"mux max+1", FramingMux, []byte{'S', 'P', 1, 0, 0, 0, 0, 0, 0, 0, 0, 3, 0, 1, 0, 1}, 0, ErrMessageSize},
		{"mux 4 GiB", FramingMux, []byte{'S', 'P', 1, 0, 0, 0, 0, 0, 0, 0, 0, 3, 0xff, 0xff, 0xff, 0xff}, 0, ErrMessageSize},
		{"asap ok", FramingRSerPool, []byte{0x0c, 0, 0, 8}, 4, nil},
		{"asap header only", FramingRSerPool, []byte{0x0c, 0, 0, 4}, 0, nil},
		{"asap length 3", FramingRSerPool, []byte{0x0c, 0, 0, 3}, 0, ErrFraming},
		{"asap length 0", FramingRSerPool, []byte{0x0c, 0, 0, 0}, 0, ErrFraming},
		{"m3ua ok", FramingSIGTRAN, []byte{1, 0, 3, 1, 0, 0, 0, 16}, 8, nil},
		{"m3ua length 7", FramingSIGTRAN, []byte{1, 0, 3, 1, 0, 0, 0, 7}, 0, ErrFraming},
		{"m3ua max+1", FramingSIGTRAN, []byte{1, 0, 3, 1, 0, 1, 0, 1}, 0, ErrMessageSize},
		{"m3ua 4 GiB", FramingSIGTRAN, []byte{1, 0, 3, 1, 0xff, 0xff, 0xff, 0xff}, 0, ErrMessageSize},
	} {
		spec, err := tt.f.parseHeader(tt.hdr, max, 99)
		if tt.wantErr != nil {
			if !errors.Is(err, tt.wantErr) || !errors.Is(err, ErrFraming) {
				t.Errorf("%s: %v, want %v (and ErrFraming)", tt.name, err, tt.wantErr)
			}
			continue
		}
		if err != nil || spec.rest != tt.rest {
			t.Errorf("%s: %+v, %v; want rest %d", tt.name, spec, err, tt.rest)
		}
		if tt.f != FramingMux && (spec.ppid != 99 || spec.stream != 0 || !spec.keepHeader) {
			t.Errorf("%s: bare framing gave %+v; want PPID from config, stream 0, header kept", tt.name, spec)
		}
	}
}

// FuzzParseHeader: no header panics or yields a length outside the limits.
func FuzzParseHeader(f *testing.F) {
	f.Add([]byte{'S', 'P', 1, 0, 0, 7, 0, 0, 0, 0, 0, 11, 0, 0, 0, 4}, uint8(0))
	f.Add([]byte{1, 0, 3, 1, 0, 0, 0, 16, 0, 0, 0, 0, 0, 0, 0, 0}, uint8(2))
	f.Add([]byte{0x0c, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}, uint8(1))
	f.Fuzz(func(t *testing.T, b []byte, which uint8) {
		fr := Framing(which % 3)
		if len(b) < fr.headerLen() {
			return
		}
		spec, err := fr.parseHeader(b[:fr.headerLen()], 1000, 3)
		if err != nil {
			if !errors.Is(err, ErrFraming) {
				t.Fatalf("error %v does not match ErrFraming", err)
			}
			return
		}
		total := spec.rest
		if spec.keepHeader {
			total += fr.headerLen()
		}
		if spec.rest < 0 || total > 1000 || total < 1 {
			t.Fatalf("accepted a frame of %d bytes (rest %d)", total, spec.rest)
		}
	})
}

// A peer that sends an impossible frame gets its connection closed, and
// the association ends with a clear framing error, without allocating
// what the length field claims.
func TestBadFramingClosesConnection(t *testing.T) {
	tcpOnly(t)
	valid := muxFrame(0, 3, []byte("fine"))
	for _, tt := range []struct {
		name    string
		framing Framing
		bytes   []byte
		wantErr error
		wantMsg string
	}{
		{"mux bad magic", FramingMux, append([]byte("GET / HTTP/1.1\r\n"), make([]byte, 16)...), ErrFraming, "not \"SP\""},
		{"mux length 4 GiB", FramingMux, []byte{'S', 'P', 1, 0, 0, 0, 0, 0, 0, 0, 0, 3, 0xff, 0xff, 0xff, 0xff}, ErrMessageSize, "4294967295"},
		{"mux length 0", FramingMux, []byte{'S', 'P', 1, 0, 0, 0, 0, 0, 0, 0, 0, 3, 0, 0, 0, 0}, ErrFraming, "below the minimum"},
		{"mux after a valid frame", FramingMux, append(append([]byte(nil), valid...), 'X', 'X', 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1), ErrFraming, "mux header"},
		{"mux truncated frame", FramingMux, muxFrame(0, 3, []byte("truncated"))[:20], ErrFraming, "middle of a frame"},
		{"asap length 2", FramingRSerPool, []byte{0x0c, 0, 0, 2}, ErrFraming, "ASAP/ENRP message length 2"},
		{"m3ua length 7", FramingSIGTRAN, []byte{1, 0, 3, 1, 0, 0, 0, 7}, ErrFraming, "M3UA/SUA message length 7"},
		{"m3ua length 1 GiB", FramingSIGTRAN, []byte{1, 0, 3, 1, 0x40, 0, 0, 0}, ErrMessageSize, "above the maximum 65536"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ctx := testCtx(t, 10*time.Second)
			cfg := Config{Framing: tt.framing, PPID: 3, Logger: testLogger()}
			l, err := Listen(ctx, "tcp://127.0.0.1:0", cfg)
			if err != nil {
				t.Fatal(err)
			}
			defer l.Close()
			raw, err := net.Dial("tcp", l.Addrs()[0].String())
			if err != nil {
				t.Fatal(err)
			}
			defer raw.Close()
			a, err := l.Accept(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer a.Abort()
			if _, err := raw.Write(tt.bytes); err != nil {
				t.Fatal(err)
			}
			if strings.Contains(tt.name, "truncated") {
				_ = raw.(*net.TCPConn).CloseWrite()
			}
			var recvErr error
			for {
				_, recvErr = a.Recv(ctx)
				if recvErr != nil {
					break
				}
			}
			if !errors.Is(recvErr, tt.wantErr) || !strings.Contains(recvErr.Error(), tt.wantMsg) {
				t.Fatalf("recv: %v; want %v mentioning %q", recvErr, tt.wantErr, tt.wantMsg)
			}
			if ev := finalEvent(t, a, 2*time.Second); ev.Kind != EventDown {
				t.Errorf("final event %v, want down", ev)
			}
			_ = raw.SetReadDeadline(time.Now().Add(2 * time.Second))
			if _, err := io.Copy(io.Discard, raw); err != nil && !errors.Is(err, syscall.ECONNRESET) {
				t.Errorf("peer's connection not closed: %v", err)
			}
		})
	}
}

// Bare framings carry ASAP or M3UA as a non-sigpool peer sends them: no
// extra header; received messages get the configured PPID and stream 0.
func TestBareFraming(t *testing.T) {
	tcpOnly(t)
	for _, tt := range []struct {
		name    string
		framing Framing
		ppid    uint32
		msgs    [][]byte
		bad     []byte
	}{
		{"sigtran", FramingSIGTRAN, 3, [][]byte{m3ua(3, 1, nil), m3ua(1, 1, bytes.Repeat([]byte{7}, 300)), m3ua(3, 4, []byte{0, 0, 0, 1})}, []byte{1, 0, 3, 1, 0, 0, 0, 99}},
		{"rserpool", FramingRSerPool, 11, [][]byte{asap(0x01, []byte("registration")), asap(0x0c, nil)}, []byte{1, 0, 0, 3}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ctx := testCtx(t, 10*time.Second)
			cfg := Config{Framing: tt.framing, PPID: tt.ppid, Logger: testLogger()}
			c, s := pair(t, ctx, backend{scheme: "tcp", framing: tt.framing}, cfg)
			for _, m := range tt.msgs {
				if err := c.Send(ctx, Message{Stream: 3, PPID: tt.ppid, Data: m}); err != nil {
					t.Fatal(err)
				}
			}
			for _, want := range tt.msgs {
				m, err := s.Recv(ctx)
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(m.Data, want) || m.PPID != tt.ppid || m.Stream != 0 {
					t.Fatalf("got stream %d PPID %d % x; want stream 0 PPID %d % x", m.Stream, m.PPID, m.Data, tt.ppid, want)
				}
			}
			if err := c.Send(ctx, Message{PPID: tt.ppid + 1, Data: tt.msgs[0]}); err == nil || !strings.Contains(err.Error(), "PPID") {
				t.Errorf("send with another PPID: %v, want refused", err)
			}
			if err := c.Send(ctx, Message{PPID: tt.ppid, Data: tt.bad}); !errors.Is(err, ErrFraming) {
				t.Errorf("send with a wrong length field: %v, want ErrFraming", err)
			}
			// A plain TCP peer: messages split across writes and joined in one.
			l, addr := listen(t, ctx, backend{scheme: "tcp"}, cfg)
			raw, err := net.Dial("tcp", strings.TrimPrefix(addr, "tcp://"))
			if err != nil {
				t.Fatal(err)
			}
			defer raw.Close()
			a, err := l.Accept(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer a.Abort()
			stream := bytes.Join(tt.msgs, nil)
			for i := 0; i < len(stream); i += 3 {
				if _, err := raw.Write(stream[i:min(i+3, len(stream))]); err != nil {
					t.Fatal(err)
				}
			}
			for _, want := range tt.msgs {
				if m, err := a.Recv(ctx); err != nil || !bytes.Equal(m.Data, want) {
					t.Fatalf("from a plain TCP peer: % x, %v; want % x", m.Data, err, want)
				}
			}
		})
	}
}

// The profile reaches the socket: TCP_NODELAY, TCP_USER_TIMEOUT and the
// keepalive options, on both the dialed and the accepted connection.
func TestTCPSocketOptions(t *testing.T) {
	tcpOnly(t)
	ctx := testCtx(t, 10*time.Second)
	prof, _ := LookupProfile("carrier")
	cfg := Config{Profile: prof, Logger: testLogger()}
	c, s := pair(t, ctx, backend{scheme: "tcp"}, cfg)
	want, _ := prof.tcpOptions()
	for name, a := range map[string]Association{"dialed": c, "accepted": s} {
		got, nodelay, err := readTCPOptions(a.(*tcpAssoc).conn)
		if err != nil {
			t.Skipf("reading TCP options: %v", err)
		}
		if got != want || !nodelay {
			t.Errorf("%s: options %+v nodelay %v, want %+v nodelay", name, got, nodelay, want)
		}
	}
}

// A Recv cancelled in the middle of a frame loses nothing: the next Recv
// completes the same frame.
func TestRecvCancelledMidFrame(t *testing.T) {
	tcpOnly(t)
	ctx := testCtx(t, 10*time.Second)
	cfg := Config{Logger: testLogger()}
	l, addr := listen(t, ctx, backend{scheme: "tcp"}, cfg)
	raw, err := net.Dial("tcp", strings.TrimPrefix(addr, "tcp://"))
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	a, err := l.Accept(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Abort()
	// Let the background reader hand the socket to Recv first.
	if _, err := raw.Write(muxFrame(1, 3, []byte("first"))); err != nil {
		t.Fatal(err)
	}
	if m, err := a.Recv(ctx); err != nil || string(m.Data) != "first" {
		t.Fatalf("%q %v", m.Data, err)
	}
	frame := muxFrame(2, 4, bytes.Repeat([]byte("x"), 1000))
	for _, cut := range []int{5, 16, 500} { // inside the header, at its end, inside the payload
		if _, err := raw.Write(frame[:cut]); err != nil {
			t.Fatal(err)
		}
		short, cancel := context.WithTimeout(ctx, 30*time.Millisecond)
		_, err := a.Recv(short)
		cancel()
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("cut at %d: %v, want deadline exceeded", cut, err)
		}
		if _, err := raw.Write(frame[cut:]); err != nil {
			t.Fatal(err)
		}
		m, err := a.Recv(ctx)
		if err != nil || m.Stream != 2 || m.PPID != 4 || len(m.Data) != 1000 {
			t.Fatalf("cut at %d: stream %d PPID %d %d bytes, %v", cut, m.Stream, m.PPID, len(m.Data), err)
		}
	}
}

// A reader's long-lived context is registered once for all its Recvs; when
// it ends between Recvs, a Recv with another context is not interrupted,
// and one with the ended context reports its end without losing the frame.
func TestRecvContextEndsBetweenRecvs(t *testing.T) {
	tcpOnly(t)
	ctx := testCtx(t, 10*time.Second)
	cfg := Config{Logger: testLogger()}
	l, addr := listen(t, ctx, backend{scheme: "tcp"}, cfg)
	raw, err := net.Dial("tcp", strings.TrimPrefix(addr, "tcp://"))
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	a, err := l.Accept(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer a.Abort()
	long, cancelLong := context.WithCancel(ctx)
	for i := range 3 {
		if _, err := raw.Write(muxFrame(1, 3, []byte{byte(i)})); err != nil {
			t.Fatal(err)
		}
		if m, err := a.Recv(long); err != nil || len(m.Data) != 1 || m.Data[0] != byte(i) {
			t.Fatalf("recv %d: %v %v", i, m.Data, err)
		}
	}
	cancelLong() // nobody is in Recv: the socket's read deadline is set
	if _, err := a.Recv(long); !errors.Is(err, context.Canceled) {
		t.Fatalf("recv with the ended context: %v, want canceled", err)
	}
	// Another context reads on; its frame arrives after a pause, so the
	// read blocks in the socket.
	got := make(chan error, 1)
	go func() {
		m, err := a.Recv(ctx)
		if err == nil && string(m.Data) != "later" {
			err = fmt.Errorf("got %q", m.Data)
		}
		got <- err
	}()
	time.Sleep(20 * time.Millisecond) // not a synchronisation: lets the read block first
	if _, err := raw.Write(muxFrame(1, 3, []byte("later"))); err != nil {
		t.Fatal(err)
	}
	if err := <-got; err != nil {
		t.Fatal(err)
	}
	if ended, err := a.(*tcpAssoc).isEnded(); ended {
		t.Fatalf("association ended: %v", err)
	}
}

// Recv with a reader's context allocates no registration per message.
func TestRecvAllocations(t *testing.T) {
	tcpOnly(t)
	ctx := testCtx(t, 10*time.Second)
	c, s := pair(t, ctx, backend{scheme: "tcp"}, Config{Logger: testLogger()})
	reader, cancel := context.WithCancel(ctx)
	defer cancel()
	msg := Message{PPID: 3, Data: make([]byte, 100)}
	roundTrip := func() {
		if err := c.Send(ctx, msg); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Recv(reader); err != nil {
			t.Fatal(err)
		}
	}
	roundTrip()
	// The message buffer is the one allocation Recv makes.
	if n := testing.AllocsPerRun(200, roundTrip); n > 1 {
		t.Errorf("%.1f allocations per send and receive, want at most 1", n)
	}
}
