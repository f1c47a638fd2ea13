package asap_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/sigpool/sigpool/asap"
	"github.com/sigpool/sigpool/enrp"
	"github.com/sigpool/sigpool/internal/transporttest"
	"github.com/sigpool/sigpool/transport"
	"github.com/sigpool/sigpool/wire"
)

// The PE and PU endpoints against sigpool's own registrar over TCP and
// over SCTP (registrar link, PE user transport and session alike): three PEs
// register, a PU resolves them, a session moves to a surviving PE when its
// PE leaves, and carries that PE's last Cookie to the new one.
func TestEndpointsWithRegistrar(t *testing.T) {
	transporttest.ForEach(t, testEndpointsWithRegistrar)
}

func testEndpointsWithRegistrar(t *testing.T, scheme string) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	profile, err := transport.ParseProfile("carrier")
	if err != nil {
		t.Fatal(err)
	}
	core := enrp.ConfigForProfile(profile)
	core.ServerID = 0x5160
	reg, err := enrp.Start(ctx, enrp.Options{
		Core:       core,
		Listen:     []string{scheme + "://127.0.0.1:0"},
		ENRPListen: []string{scheme + "://127.0.0.1:0"},
		Profile:    profile,
	})
	if err != nil {
		t.Fatal(err)
	}
	defer reg.Close()
	regAddr := reg.Addrs(wire.ProtocolASAP)[0]

	if !strings.HasPrefix(regAddr, scheme+"://") {
		t.Fatalf("registrar address %s", regAddr)
	}
	wantKind := wire.TransportTCP
	if scheme == "sctp" {
		wantKind = wire.TransportSCTP
	}

	const pool = "gwc-test"
	pes := map[wire.PEIdentifier]*asap.PoolElement{}
	cookieEchoes := make(chan string, 8)
	for i := range 3 {
		pe, err := asap.StartPoolElement(ctx, asap.PEConfig{
			PoolHandle: pool,
			Registrars: []string{regAddr},
			Listen:     scheme + "://127.0.0.1:0",
			Identifier: wire.PEIdentifier(100 + i),
			Profile:    profile,
		})
		if err != nil {
			t.Fatal(err)
		}
		if err := pe.Registered(ctx); err != nil {
			t.Fatalf("PE %d: %v", i, err)
		}
		if ut := pe.UserTransport(); ut.Kind != wantKind || ut.Use != wire.TransportUseDataPlusControl || ut.Port == 0 {
			t.Fatalf("PE %v listening on %s registers user transport %v", pe.Identifier(), scheme, ut)
		}
		pes[pe.Identifier()] = pe
		go serveEcho(ctx, pe, cookieEchoes)
	}
	defer func() {
		for _, pe := range pes {
			_ = pe.Close(context.Background())
		}
	}()

	// The registrar hands out every PE under the pool's policy.
	hr, err := enrp.Resolve(ctx, regAddr, profile, wire.PoolHandle(pool), wire.AllItems)
	if err != nil {
		t.Fatal(err)
	}
	if got := ids(hr.PoolElements); !slices.Equal(got, []wire.PEIdentifier{100, 101, 102}) {
		t.Fatalf("registrar resolves %v, want PEs 100-102", got)
	}
	for _, p := range hr.PoolElements {
		if p.UserTransport.Kind != wantKind {
			t.Fatalf("registrar resolves PE %v with user transport %v", p.Identifier, p.UserTransport)
		}
	}
	// `pool ls`: the ENRP Handle Table Request on the ENRP address.
	if id, entries, err := enrp.FetchHandleTable(ctx, reg.Addrs(wire.ProtocolENRP)[0], profile); err != nil || id != 0x5160 ||
		len(entries) != 1 || len(entries[0].PoolElements) != 3 {
		t.Fatalf("handle table: %#x %v %v", id, entries, err)
	}

	pu, err := asap.NewPoolUser(ctx, asap.PUConfig{Registrars: []string{regAddr}, Profile: profile, Items: wire.AllItems})
	if err != nil {
		t.Fatal(err)
	}
	defer pu.Close()
	res, err := pu.Resolve(ctx, pool)
	if err != nil || len(res.Elements) != 3 || res.Policy != wire.PolicyRoundRobin {
		t.Fatalf("PU resolution %+v, %v: want 3 round-robin PEs", res, err)
	}

	s, err := pu.Dial(ctx, pool, asap.SessionConfig{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	first := s.PE().Identifier
	if got := echo(ctx, t, s, "before"); got != "before" {
		t.Fatalf("echo %q", got)
	}

	// The PE sends its Cookie right behind each echo and the session takes
	// control messages in as it receives, so once a second echo is back the
	// first one's Cookie is known: a PE that died earlier would leave no
	// state to hand over.
	if got := echo(ctx, t, s, "again"); got != "again" {
		t.Fatalf("echo %q", got)
	}
	if len(s.LastCookie()) == 0 {
		t.Fatal("no Cookie from the first PE after two echoes")
	}

	// The PE leaves (deregisters and drops its associations); the session
	// must continue on another PE and hand it the first PE's cookie.
	if err := pes[first].Close(ctx); err != nil {
		t.Fatalf("close PE %v: %v", first, err)
	}
	delete(pes, first)
	waitFailover(ctx, t, s)
	if s.PE().Identifier == first {
		t.Fatalf("session still on PE %v", first)
	}
	select {
	case c := <-cookieEchoes:
		if want := fmt.Sprintf("state of PE %d", first); c != want {
			t.Fatalf("Cookie Echo %q, want %q", c, want)
		}
	case <-ctx.Done():
		t.Fatal("no Cookie Echo at the new PE")
	}
	if got := echo(ctx, t, s, "after"); got != "after" {
		t.Fatalf("echo after failover %q", got)
	}

	hr, err = enrp.Resolve(ctx, regAddr, profile, wire.PoolHandle(pool), wire.AllItems)
	if err != nil {
		t.Fatal(err)
	}
	if got := ids(hr.PoolElements); len(got) != 2 || slices.Contains(got, first) {
		t.Fatalf("after PE %v left the registrar resolves %v", first, got)
	}
}

// serveEcho answers every message with the same bytes and a Cookie naming
// the PE, and reports Cookie Echoes.
func serveEcho(ctx context.Context, pe *asap.PoolElement, echoes chan<- string) {
	for {
		a, err := pe.Accept(ctx)
		if err != nil {
			return
		}
		go func() {
			defer a.Close()
			for {
				m, err := a.Recv(ctx)
				if err != nil {
					return
				}
				if ce, ok := m.Control.(*wire.CookieEcho); ok {
					echoes <- string(ce.Cookie)
					continue
				}
				if m.Control != nil {
					continue
				}
				if a.Send(ctx, m.Message) != nil {
					return
				}
				if a.SendCookie(ctx, wire.Cookie(fmt.Sprintf("state of PE %d", pe.Identifier()))) != nil {
					return
				}
			}
		}()
	}
}

func echo(ctx context.Context, t *testing.T, s *asap.Session, text string) string {
	t.Helper()
	if err := s.Send(ctx, transport.Message{PPID: 99, Data: []byte(text)}); err != nil {
		t.Fatalf("send %q: %v", text, err)
	}
	m, err := s.Recv(ctx)
	if err != nil {
		t.Fatalf("receive echo of %q: %v", text, err)
	}
	return string(m.Data)
}

func waitFailover(ctx context.Context, t *testing.T, s *asap.Session) {
	t.Helper()
	for {
		select {
		case ev := <-s.Events():
			if ev.Failover {
				return
			}
		case <-ctx.Done():
			t.Fatal("no failover")
		}
	}
}

func ids(pes []wire.PoolElement) []wire.PEIdentifier {
	var out []wire.PEIdentifier
	for _, pe := range pes {
		out = append(out, pe.Identifier)
	}
	slices.Sort(out)
	return out
}
