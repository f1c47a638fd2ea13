package main

import (
	"bytes"
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/sigpool/sigpool/transport"
	"github.com/sigpool/sigpool/wire"
)

// syncBuffer is a bytes.Buffer safe for a command writing while the test reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func runCommand(ctx context.Context, args ...string) (string, string, error) {
	root := newRootCommand()
	var out, errOut syncBuffer
	root.SetOut(&out)
	root.SetErr(&errOut)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	return out.String(), errOut.String(), err
}

// miniRegistrar accepts Registrations and Deregistrations and answers Handle
// Resolutions with the PEs registered, over TCP as bare ASAP, as a
// registrar listens by default.
type miniRegistrar struct {
	addr  string
	mu    sync.Mutex
	pes   map[wire.PEIdentifier]wire.PoolElement
	dereg int
	stop  func()
}

func startMiniRegistrar(t *testing.T) *miniRegistrar {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ln, err := transport.Listen(ctx, "tcp://127.0.0.1:0", transport.Config{Framing: transport.FramingRSerPool, PPID: wire.PPIDASAP})
	if err != nil {
		t.Fatal(err)
	}
	r := &miniRegistrar{addr: fmt.Sprintf("tcp://%s", ln.Addrs()[0]), pes: map[wire.PEIdentifier]wire.PoolElement{}}
	var wg sync.WaitGroup
	var amu sync.Mutex
	var assocs []transport.Association
	send := func(a transport.Association, m wire.Message) {
		b, _ := wire.Marshal(m)
		a.Send(ctx, transport.Message{PPID: wire.PPIDASAP, Data: b})
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			a, err := ln.Accept(ctx)
			if err != nil {
				return
			}
			amu.Lock()
			assocs = append(assocs, a)
			amu.Unlock()
			wg.Add(1)
			go func() {
				defer wg.Done()
				for {
					m, err := a.Recv(ctx)
					if err != nil {
						return
					}
					msg, _, err := wire.DecodeASAP(m.Data)
					if err != nil {
						continue
					}
					switch msg := msg.(type) {
					case *wire.Registration:
						r.mu.Lock()
						r.pes[msg.PoolElement.Identifier] = msg.PoolElement
						r.mu.Unlock()
						send(a, &wire.RegistrationResponse{PoolHandle: msg.PoolHandle, PEIdentifier: msg.PoolElement.Identifier})
					case *wire.Deregistration:
						r.mu.Lock()
						delete(r.pes, msg.PEIdentifier)
						r.dereg++
						r.mu.Unlock()
						send(a, &wire.DeregistrationResponse{PoolHandle: msg.PoolHandle, PEIdentifier: msg.PEIdentifier})
					case *wire.HandleResolution:
						r.mu.Lock()
						var pes []wire.PoolElement
						for _, pe := range r.pes {
							pes = append(pes, pe)
						}
						r.mu.Unlock()
						send(a, &wire.HandleResolutionResponse{PoolHandle: msg.PoolHandle, Policy: &wire.Policy{Type: wire.PolicyRoundRobin}, PoolElements: pes})
					}
				}
			}()
		}
	}()
	r.stop = func() {
		cancel()
		ln.Close()
		amu.Lock()
		for _, a := range assocs {
			a.Abort()
		}
		amu.Unlock()
		wg.Wait()
	}
	t.Cleanup(r.stop)
	return r
}

func (r *miniRegistrar) count() (int, int) {
	r.mu.Lock()
	defer r.mu.Unlock()
	return len(r.pes), r.dereg
}

func TestPEEchoBadFlags(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"pe", "echo", "--registrar", "tcp://127.0.0.1:3863"}, "--pool is required"},
		{[]string{"pe", "echo", "--pool", "p"}, "--registrar is required"},
		{[]string{"pe", "echo", "--pool", "p", "--registrar", "bogus://x:1"}, "--registrar"},
		{[]string{"pe", "echo", "--pool", "p", "--registrar", "tcp://127.0.0.1:3863", "--policy", "fastest"}, "--policy \"fastest\": unknown"},
		{[]string{"pe", "echo", "--pool", "p", "--registrar", "tcp://127.0.0.1:3863", "--load", "1.5"}, "--load"},
		{[]string{"pe", "echo", "--pool", "p", "--registrar", "tcp://127.0.0.1:3863", "--profile", "nope"}, "--profile"},
		{[]string{"pe", "echo", "--pool", "p", "--registrar", "tcp://127.0.0.1:3863", "--listen", "tcp://x"}, "--listen"},
		{[]string{"pe", "echo", "--pool", "p", "--registrar", "m3ua+tcp://127.0.0.1:3863"}, "sigtran"},
		{[]string{"pe", "echo", "--pool", "p", "--registrar", "tcp://127.0.0.1:3863", "--response-timeout", "-1s"}, "negative"},
		{[]string{"pe", "echo", "--pool", strings.Repeat("x", 33), "--registrar", "tcp://127.0.0.1:3863"}, "32 bytes"},
		{[]string{"pe", "echo", "--pool", "p", "--registrar", "tcp://127.0.0.1:3863", "--load", "abc"}, "invalid argument"},
	} {
		_, _, err := runCommand(ctx, tc.args...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: error %v, want it to mention %q", tc.args, err, tc.want)
		}
	}
}

func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func TestPEAndPUEchoEndToEnd(t *testing.T) {
	reg := startMiniRegistrar(t)
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	type result struct {
		out string
		err error
	}
	peDone := make(chan result, 1)
	go func() {
		out, _, err := runCommand(ctx, "pe", "echo", "--pool", "demo", "--registrar", reg.addr, "--profile", "carrier", "--id", "4660")
		peDone <- result{out, err}
	}()
	waitFor(t, "PE registration", func() bool { n, _ := reg.count(); return n == 1 })

	out, _, err := runCommand(context.Background(), "pu", "echo", "--pool", "demo", "--registrar", reg.addr,
		"--profile", "carrier", "--count", "3", "--interval", "0")
	if err != nil {
		t.Fatalf("pu echo: %v\n%s", err, out)
	}
	for _, want := range []string{"1 PE(s)", `echo #1 -> "echo #1" from PE $00001234`, "3 sent, 3 echoed, 0 failover(s)"} {
		if !strings.Contains(out, want) {
			t.Errorf("pu output lacks %q:\n%s", want, out)
		}
	}
	cancel()
	r := <-peDone
	if r.err != nil {
		t.Fatalf("pe echo: %v", r.err)
	}
	if !strings.Contains(r.out, "registered with registrar 0") || !strings.Contains(r.out, "deregistered") {
		t.Errorf("pe output:\n%s", r.out)
	}
	if _, dereg := reg.count(); dereg != 1 {
		t.Errorf("%d deregistrations", dereg)
	}
}
