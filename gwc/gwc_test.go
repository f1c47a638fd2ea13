package gwc

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"

	"github.com/sigpool/sigpool/asap"
	"github.com/sigpool/sigpool/enrp"
	"github.com/sigpool/sigpool/internal/transporttest"
	"github.com/sigpool/sigpool/mxua"
	"github.com/sigpool/sigpool/mxua/isup"
	"github.com/sigpool/sigpool/mxua/tcap"
	"github.com/sigpool/sigpool/transport"
	"github.com/sigpool/sigpool/wire"
)

const testPool = "gwc-test"

// startRegistrar runs an in-process registrar for the test.
func startRegistrar(t *testing.T, ctx context.Context, scheme string, profile transport.Profile) string {
	t.Helper()
	core := enrp.ConfigForProfile(profile)
	core.ServerID = 0x6c1
	reg, err := enrp.Start(ctx, enrp.Options{Core: core, Listen: []string{scheme + "://127.0.0.1:0"}, Profile: profile})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = reg.Close() })
	return reg.Addrs(wire.ProtocolASAP)[0]
}

// sgPeer is a minimal SG: a pool user that dials every GWC of the pool and
// serves each as an SGP, keeping what every association delivers.
type sgPeer struct {
	t       *testing.T
	sgp     *mxua.SGPServer
	assocs  map[wire.PEIdentifier]*sgAssoc
	byID    map[mxua.AssocID]*sgAssoc
	profile transport.Profile
}

type sgAssoc struct {
	id      mxua.AssocID
	ca      *asap.ControlledAssociation
	active  chan struct{}
	msgs    chan *mxua.Message
	cookies chan mxua.BindingCookie
}

func newSGPeer(t *testing.T, ctx context.Context, proto mxua.Protocol, profile transport.Profile) *sgPeer {
	t.Helper()
	sgp, err := mxua.NewSGPServer(ctx, mxua.SGPServerConfig{Address: "sg", Logger: zaptest.NewLogger(t).Named("sgp"),
		Transport: transport.Config{Profile: profile},
		SGP:       mxua.SGPConfig{Protocol: proto, ASes: []mxua.ASConfig{{RoutingContext: testRC, TrafficMode: mxua.TrafficModeLoadshare}}}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = sgp.Close() })
	sg := &sgPeer{t: t, sgp: sgp, assocs: map[wire.PEIdentifier]*sgAssoc{}, byID: map[mxua.AssocID]*sgAssoc{}, profile: profile}
	return sg
}

// dialPool resolves the pool and attaches an SGP association to each PE.
func (sg *sgPeer) dialPool(ctx context.Context, reg string, want int) {
	t := sg.t
	pu, err := asap.NewPoolUser(ctx, asap.PUConfig{Registrars: []string{reg}, Profile: sg.profile, Items: wire.AllItems})
	if err != nil {
		t.Fatal(err)
	}
	defer pu.Close()
	res, err := pu.Resolve(ctx, testPool)
	if err != nil || len(res.Elements) != want {
		t.Fatalf("resolve %s: %d PEs (%v), want %d", testPool, len(res.Elements), err, want)
	}
	for _, pe := range res.Elements {
		a, err := asap.DialPE(ctx, pe, transport.Config{Profile: sg.profile})
		if err != nil {
			t.Fatal(err)
		}
		ca := asap.SplitControl(a)
		sa := &sgAssoc{ca: ca, active: make(chan struct{}), msgs: make(chan *mxua.Message, 64), cookies: make(chan mxua.BindingCookie, 64)}
		// The pump must run before Attach: the first notes may come at once.
		sg.assocs[pe.Identifier] = sa
		go func() {
			for m := range ca.Control() {
				if c, ok := m.(*wire.CookieMessage); ok {
					ck, err := mxua.ParseBindingCookie(c.Cookie)
					if err != nil {
						t.Errorf("GWC sent a Cookie that is not a binding cookie: %v", err)
						continue
					}
					sa.cookies <- ck
				}
			}
		}()
		if sa.id, err = sg.sgp.Attach(ctx, ca); err != nil {
			t.Fatal(err)
		}
		sg.byID[sa.id] = sa
	}
}

// pump sorts the SGP's notifications per association; call it once the
// associations are attached, it runs until the SGP closes.
func (sg *sgPeer) pump() {
	go func() {
		for n := range sg.sgp.Notifications() {
			sa := sg.byID[n.Assoc]
			if sa == nil {
				continue
			}
			switch {
			case n.Kind == mxua.NotifyASPState && n.ASP == mxua.ASPActive:
				select {
				case <-sa.active:
				default:
					close(sa.active)
				}
			case n.Kind == mxua.NotifyDeliver:
				sa.msgs <- n.Msg
			}
		}
	}()
}

func (sa *sgAssoc) recv(t *testing.T, ctx context.Context, what string) *mxua.Message {
	t.Helper()
	select {
	case m := <-sa.msgs:
		return m
	case <-ctx.Done():
		t.Fatalf("waiting for %s: %v", what, ctx.Err())
	}
	return nil
}

func (sa *sgAssoc) cookie(t *testing.T, ctx context.Context, what string) mxua.BindingCookie {
	t.Helper()
	select {
	case c := <-sa.cookies:
		return c
	case <-ctx.Done():
		t.Fatalf("waiting for cookie %s: %v", what, ctx.Err())
	}
	return mxua.BindingCookie{}
}

func (sa *sgAssoc) recvISUP(t *testing.T, ctx context.Context, want isup.MessageType) isup.Message {
	t.Helper()
	m := sa.recv(t, ctx, want.String())
	if m.ProtocolData == nil || m.ProtocolData.SI != siISUP || m.ProtocolData.DPC != sepPC || m.ProtocolData.OPC != poolPC {
		t.Fatalf("waiting for %v: got %v %+v", want, m.Kind, m.ProtocolData)
	}
	im, err := isup.Decode(m.ProtocolData.Payload)
	if err != nil || im.MessageType() != want {
		t.Fatalf("waiting for %v: got %v (%v)", want, im, err)
	}
	return im
}

func (sa *sgAssoc) recvTCAP(t *testing.T, ctx context.Context, want tcap.MessageType) *tcap.Message {
	t.Helper()
	m := sa.recv(t, ctx, want.String())
	tm := tcapSent(t, []Action{Send{Msg: m}})[0]
	if tm.Type != want {
		t.Fatalf("waiting for %v: got %v", want, tm.Type)
	}
	return tm
}

func (sg *sgPeer) send(t *testing.T, ctx context.Context, to *sgAssoc, m *mxua.Message) {
	t.Helper()
	if err := sg.sgp.SendTo(ctx, to.id, m); err != nil {
		t.Fatal(err)
	}
}

func stateOf(t *testing.T, c mxua.BindingCookie) savedState {
	t.Helper()
	st, err := parseState(c.State)
	if err != nil {
		t.Fatal(err)
	}
	return st
}

// Two GWCs register with a registrar; an SG-side peer dials both, runs
// ISUP calls and a TCAP dialogue through one, watches it publish its load,
// then loses it and hands its calls to the other by Cookie Echo.
func TestGWCServesSGAndHandsOverCalls(t *testing.T) {
	transporttest.ForEach(t, func(t *testing.T, scheme string) {
		ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
		defer cancel()
		profile, err := transport.LookupProfile("carrier")
		if err != nil {
			t.Fatal(err)
		}
		reg := startRegistrar(t, ctx, scheme, profile)
		gwcs := map[wire.PEIdentifier]*GWC{}
		for i := range 2 {
			g, err := Start(ctx, Config{
				Pool: testPool, Registrars: []string{reg}, Listen: scheme + "://127.0.0.1:0",
				Identifier: wire.PEIdentifier(0x100 + i), Profile: profile, RoutingContext: testRC,
				Agent:    AgentConfig{AnswerDelay: 20 * time.Millisecond, TCAPContinues: 1, Seed: uint64(i + 1)},
				Capacity: 10, LoadInterval: 10 * time.Millisecond, Metrics: "127.0.0.1:0",
				Logger: zaptest.NewLogger(t).Named(fmt.Sprintf("gwc%d", i)),
			})
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { _ = g.Close() })
			if err := g.Registered(ctx); err != nil {
				t.Fatal(err)
			}
			gwcs[g.Identifier()] = g
		}
		a, b := gwcs[0x100], gwcs[0x101]

		sg := newSGPeer(t, ctx, mxua.M3UA, profile)
		sg.dialPool(ctx, reg, 2)
		sg.pump()
		for id, sa := range sg.assocs {
			select {
			case <-sa.active:
			case <-ctx.Done():
				t.Fatalf("GWC %v never went ASP-ACTIVE", id)
			}
		}
		sa, sb := sg.assocs[0x100], sg.assocs[0x101]

		// A whole call on A.
		sg.send(t, ctx, sa, isupFromSEP(t, iam(1)))
		sa.recvISUP(t, ctx, isup.MsgACM)
		if st := stateOf(t, sa.cookie(t, ctx, "alerting")).(*circuitState); st.State != callAlerting {
			t.Fatalf("first cookie in state %v", st.State)
		}
		sa.recvISUP(t, ctx, isup.MsgANM)
		sa.cookie(t, ctx, "answered")
		sg.send(t, ctx, sa, isupFromSEP(t, rel(1, isup.CauseNormalClearing)))
		sa.recvISUP(t, ctx, isup.MsgRLC)
		if c := sa.cookie(t, ctx, "finished"); c.State != nil || c.Key.ID != 1 {
			t.Fatalf("finished cookie %+v", c)
		}

		// A dialogue on A: Begin, Continue; End.
		ss7 := tidOf(t, sepTID...)
		sg.send(t, ctx, sa, tcapFromSEP(t, &tcap.Message{Type: tcap.Begin, OTID: ss7, Components: invoke1}))
		cont := sa.recvTCAP(t, ctx, tcap.Continue)
		sa.cookie(t, ctx, "dialogue")
		sg.send(t, ctx, sa, tcapFromSEP(t, &tcap.Message{Type: tcap.Continue, OTID: ss7, DTID: cont.OTID}))
		sa.recvTCAP(t, ctx, tcap.End)
		sa.cookie(t, ctx, "dialogue finished")

		// A call and a dialogue left open on A; A's load reaches the registrar.
		sg.send(t, ctx, sa, isupFromSEP(t, iam(2)))
		sa.recvISUP(t, ctx, isup.MsgACM)
		sa.recvISUP(t, ctx, isup.MsgANM)
		sa.cookie(t, ctx, "call 2 alerting")
		callCookie := sa.cookie(t, ctx, "call 2 answered")
		sg.send(t, ctx, sa, tcapFromSEP(t, &tcap.Message{Type: tcap.Begin, OTID: ss7}))
		cont = sa.recvTCAP(t, ctx, tcap.Continue)
		dlgCookie := sa.cookie(t, ctx, "dialogue 2")
		waitLoad(t, ctx, reg, profile, 0x100, 0.2)
		waitStats(t, ctx, a, "GWC A", func(s Stats) bool {
			return s.CallsStarted == 2 && s.ActiveCalls == 1 && s.ActiveDialogues == 1 && s.CookiesSent == 8 && s.Load == 0.2 &&
				len(s.Peers) == 1 && s.Peers[0].MessagesIn == 6 && s.Peers[0].MessagesOut == 8 && s.Peers[0].ASP == mxua.ASPActive &&
				s.CallsPerCIC[1] == 1 && s.CallsPerCIC[2] == 1
		})

		// A is lost; the SG echoes the cookies to B before the calls' next
		// messages, and B carries them on.
		if err := a.Close(); err != nil {
			t.Logf("close A: %v", err)
		}
		for _, c := range []mxua.BindingCookie{callCookie, dlgCookie} {
			if err := sb.ca.SendCookieEcho(ctx, wire.Cookie(c.Marshal())); err != nil {
				t.Fatal(err)
			}
		}
		// Over TCP the Echo precedes the data on the one byte stream; over
		// kernel SCTP ASAP and DATA travel on different streams, so wait.
		waitStats(t, ctx, b, "GWC B", func(s Stats) bool { return s.CallsRestored == 1 && s.DialoguesRestored == 1 })
		sg.send(t, ctx, sb, isupFromSEP(t, rel(2, isup.CauseNormalClearing)))
		sb.recvISUP(t, ctx, isup.MsgRLC)
		if c := sb.cookie(t, ctx, "restored call finished"); c.State != nil || c.Key != callCookie.Key {
			t.Fatalf("B's cookie after RLC %+v, want the finished %v", c, callCookie.Key)
		}
		sg.send(t, ctx, sb, tcapFromSEP(t, &tcap.Message{Type: tcap.Continue, OTID: ss7, DTID: cont.OTID}))
		if end := sb.recvTCAP(t, ctx, tcap.End); end.DTID != ss7 {
			t.Fatalf("B ended the restored dialogue to %v, want %v", end.DTID, ss7)
		}
		waitStats(t, ctx, b, "GWC B", func(s Stats) bool {
			return s.CallsRestored == 1 && s.DialoguesRestored == 1 && s.CookieEchoes == 2 && s.ActiveCalls == 0 && s.ActiveDialogues == 0
		})
		metrics := scrape(t, ctx, b.MetricsAddr())
		for _, want := range []string{
			`sigpool_gwc_restored_total{kind="call"} 1`,
			`sigpool_gwc_restored_total{kind="dialogue"} 1`,
			`sigpool_gwc_cookie_echoes_total 2`,
			`sigpool_gwc_calls_active 0`,
			`sigpool_gwc_messages_total{direction="in",peer="`,
		} {
			if !strings.Contains(metrics, want) {
				t.Errorf("metrics lack %q:\n%s", want, metrics)
			}
		}
	})
}

// waitStats waits for the GWC's counters to catch up with what the SG saw:
// a counter moves just after its message left.
func waitStats(t *testing.T, ctx context.Context, g *GWC, name string, ok func(Stats) bool) {
	t.Helper()
	for {
		s := g.Stats()
		if ok(s) {
			return
		}
		select {
		case <-ctx.Done():
			t.Fatalf("%s stats %+v", name, s)
		case <-time.After(5 * time.Millisecond):
		}
	}
}

// waitLoad polls the registrar until the PE's registered load is want.
func waitLoad(t *testing.T, ctx context.Context, reg string, profile transport.Profile, id wire.PEIdentifier, want float64) {
	t.Helper()
	for {
		hr, err := enrp.Resolve(ctx, reg, profile, wire.PoolHandle(testPool), wire.AllItems)
		if err != nil {
			t.Fatal(err)
		}
		for _, pe := range hr.PoolElements {
			if pe.Identifier == id && pe.Policy.Load == wire.FractionOf(want) {
				return
			}
		}
		select {
		case <-ctx.Done():
			t.Fatalf("PE %v never registered load %v: %+v", id, want, hr.PoolElements)
		case <-time.After(20 * time.Millisecond):
		}
	}
}

func scrape(t *testing.T, ctx context.Context, addr string) string {
	t.Helper()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/metrics", nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil || resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/plain; version=0.0.4") {
		t.Fatalf("scrape: %d %q %v", resp.StatusCode, resp.Header.Get("Content-Type"), err)
	}
	return string(b)
}

// A GWC speaking SUA answers a TCAP dialogue in CLDTs, and hands its
// dialogue state over in Cookies as over M3UA.
func TestGWCOverSUA(t *testing.T) {
	transporttest.ForEach(t, func(t *testing.T, scheme string) {
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		profile, err := transport.LookupProfile("carrier")
		if err != nil {
			t.Fatal(err)
		}
		reg := startRegistrar(t, ctx, scheme, profile)
		g, err := Start(ctx, Config{Pool: testPool, Registrars: []string{reg}, Listen: scheme + "://127.0.0.1:0", Identifier: 0x200,
			Profile: profile, Protocol: mxua.SUA, RoutingContext: testRC, Agent: AgentConfig{TCAPContinues: 1},
			Logger: zaptest.NewLogger(t)})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = g.Close() })
		if err := g.Registered(ctx); err != nil {
			t.Fatal(err)
		}
		sg := newSGPeer(t, ctx, mxua.SUA, profile)
		sg.dialPool(ctx, reg, 1)
		sg.pump()
		sa := sg.assocs[0x200]
		select {
		case <-sa.active:
		case <-ctx.Done():
			t.Fatal("SUA ASP never went ACTIVE")
		}
		ss7 := tidOf(t, sepTID...)
		sg.send(t, ctx, sa, tcapCLDT(t, &tcap.Message{Type: tcap.Begin, OTID: ss7, Components: invoke1}))
		cont := sa.recvTCAP(t, ctx, tcap.Continue)
		if c := sa.cookie(t, ctx, "dialogue"); c.Key != dialogueKey(ss7.Uint32()) {
			t.Fatalf("SUA dialogue cookie for %v", c.Key)
		}
		sg.send(t, ctx, sa, tcapCLDT(t, &tcap.Message{Type: tcap.Continue, OTID: ss7, DTID: cont.OTID}))
		sa.recvTCAP(t, ctx, tcap.End)
		if c := sa.cookie(t, ctx, "dialogue finished"); c.State != nil {
			t.Fatalf("finished cookie %+v", c)
		}
	})
}
