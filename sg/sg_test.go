package sg

import (
	"context"
	"errors"
	"io"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sigpool/sigpool/asap"
	"github.com/sigpool/sigpool/internal/transporttest"
	"github.com/sigpool/sigpool/mxua"
	"github.com/sigpool/sigpool/mxua/isup"
	"github.com/sigpool/sigpool/mxua/tcap"
	"github.com/sigpool/sigpool/transport"
	"github.com/sigpool/sigpool/wire"
	"go.uber.org/zap/zaptest"
)

func carrier(t testing.TB) transport.Profile {
	t.Helper()
	p, err := transport.LookupProfile("carrier")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// gwcStub stands in for a GWC: an ASAP PE whose associations carry an
// M3UA ASP that answers ISUP (IAM -> ACM, REL -> RLC) and sends a Cookie
// per call state change, restoring calls from Cookie Echoes.
type gwcStub struct {
	t  testing.TB
	pe *asap.PoolElement

	mu       sync.Mutex
	calls    map[uint16]string // circuit -> state
	restored int
	unknown  int // REL for a circuit it knew nothing of
	got      int
	assocs   []transport.Association
	asps     []*mxua.ASPEndpoint
	wg       sync.WaitGroup
	// delay, when set, is how long it takes over each message (a slow
	// GWC).
	delay atomic.Int64
}

func startGWC(t testing.TB, ctx context.Context, registrars []string, id wire.PEIdentifier) *gwcStub {
	t.Helper()
	pe, err := asap.StartPoolElement(ctx, asap.PEConfig{PoolHandle: tPool, Registrars: registrars, Listen: "tcp://127.0.0.1:0",
		Identifier: id, Profile: carrier(t)})
	if err != nil {
		t.Fatal(err)
	}
	if err := pe.Registered(ctx); err != nil {
		t.Fatal(err)
	}
	g := &gwcStub{t: t, pe: pe, calls: map[uint16]string{}}
	g.wg.Add(1)
	go func() {
		defer g.wg.Done()
		for {
			pa, err := pe.Accept(ctx)
			if err != nil {
				return
			}
			data, ctl := pa.Split()
			asp, err := mxua.AttachASP(ctx, data, mxua.ASPEndpointConfig{Transport: transport.Config{Profile: carrier(t)},
				ASP: mxua.ASPConfig{Protocol: mxua.M3UA, RoutingContexts: []uint32{1}, TrafficMode: mxua.TrafficModeLoadshare}})
			if err != nil {
				t.Errorf("GWC %v: attach ASP: %v", id, err)
				return
			}
			g.mu.Lock()
			g.assocs = append(g.assocs, data)
			g.asps = append(g.asps, asp)
			g.mu.Unlock()
			g.wg.Add(1)
			go g.serve(ctx, pa, asp, ctl)
		}
	}()
	return g
}

func (g *gwcStub) serve(ctx context.Context, pa *asap.PEAssociation, asp *mxua.ASPEndpoint, ctl <-chan wire.Message) {
	defer g.wg.Done()
	notes := asp.Notifications()
	for {
		// Control first: a Cookie Echo is on the channel before the data
		// sent behind it reaches the ASP.
		select {
		case m, ok := <-ctl:
			if !ok {
				ctl = nil
				continue
			}
			g.control(m)
			continue
		default:
		}
		select {
		case m, ok := <-ctl:
			if !ok {
				ctl = nil
				continue
			}
			g.control(m)
		case n, ok := <-notes:
			if !ok {
				return
			}
			if d := time.Duration(g.delay.Load()); d > 0 {
				select {
				case <-time.After(d):
				case <-ctx.Done():
					return
				}
			}
			if n.Kind == mxua.NotifyDeliver {
				g.deliver(ctx, pa, asp, n.Msg)
			}
		}
	}
}

func (g *gwcStub) control(m wire.Message) {
	ce, ok := m.(*wire.CookieEcho)
	if !ok {
		return
	}
	bc, err := mxua.ParseBindingCookie(ce.Cookie)
	if err != nil {
		g.t.Errorf("bad cookie echoed: %v", err)
		return
	}
	g.mu.Lock()
	g.calls[uint16(bc.Key.ID)] = string(bc.State)
	g.restored++
	g.mu.Unlock()
}

func (g *gwcStub) deliver(ctx context.Context, pa *asap.PEAssociation, asp *mxua.ASPEndpoint, m *mxua.Message) {
	pd := m.ProtocolData
	if pd == nil || pd.SI != 5 || len(pd.Payload) < 3 {
		return
	}
	cic := uint16(pd.Payload[0]) | uint16(pd.Payload[1]&0x0f)<<8
	var answer isup.MessageType
	var state string
	g.mu.Lock()
	g.got++
	switch isup.MessageType(pd.Payload[2]) {
	case isup.MsgIAM:
		answer, state = isup.MsgACM, "ringing"
		g.calls[cic] = state
	case isup.MsgREL:
		if _, ok := g.calls[cic]; !ok {
			g.unknown++
		}
		answer = isup.MsgRLC
		delete(g.calls, cic)
	}
	g.mu.Unlock()
	if answer == 0 {
		return
	}
	key := mxua.BindingKey{Kind: mxua.BindingCircuit, SS7PC: pd.OPC, PoolPC: pd.DPC, ID: uint32(cic)}
	_ = pa.SendCookie(ctx, mxua.BindingCookie{Key: key, State: []byte(state)}.Marshal())
	_ = asp.Send(ctx, &mxua.Message{Kind: mxua.KindDATA, ProtocolData: &mxua.ProtocolData{OPC: pd.DPC, DPC: pd.OPC, SI: 5, NI: pd.NI, SLS: pd.SLS,
		Payload: []byte{byte(cic), byte(cic >> 8), byte(answer), 0, 0}}})
}

func (g *gwcStub) stats() (calls, restored, unknown, got int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return len(g.calls), g.restored, g.unknown, g.got
}

// crash aborts the GWC's associations at once (as a killed process's
// kernel would) and leaves the pool.
func (g *gwcStub) crash() {
	g.mu.Lock()
	for _, a := range g.assocs {
		_ = a.Abort()
	}
	g.mu.Unlock()
	g.close()
}

func (g *gwcStub) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = g.pe.Close(ctx)
	g.mu.Lock()
	for _, a := range g.asps {
		_ = a.Close()
	}
	g.mu.Unlock()
	g.wg.Wait()
}

// upstreamASP is the SS7 side: an ASP that sends ISUP and counts answers.
type upstreamASP struct {
	asp     *mxua.ASPEndpoint
	answers chan *mxua.Message
	dests   chan mxua.Notify
}

func dialUpstream(t testing.TB, ctx context.Context, addr string) *upstreamASP {
	t.Helper()
	asp, err := mxua.DialASP(ctx, mxua.ASPEndpointConfig{Address: addr, Transport: transport.Config{Profile: carrier(t)}, Redial: -1,
		ASP: mxua.ASPConfig{Protocol: mxua.M3UA, RoutingContexts: []uint32{1}, TrafficMode: mxua.TrafficModeLoadshare}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { asp.Close() })
	if err := asp.WaitState(ctx, mxua.ASPActive); err != nil {
		t.Fatal(err)
	}
	u := &upstreamASP{asp: asp, answers: make(chan *mxua.Message, 1024), dests: make(chan mxua.Notify, 64)}
	go func() {
		for n := range asp.Notifications() {
			switch n.Kind {
			case mxua.NotifyDeliver:
				u.answers <- n.Msg
			case mxua.NotifyDestination:
				select {
				case u.dests <- n:
				default:
				}
			}
		}
	}()
	return u
}

func (u *upstreamASP) send(t *testing.T, ctx context.Context, cic uint16, typ isup.MessageType) {
	t.Helper()
	m := isupData(mxua.FromSS7, cic, typ)
	m.RoutingContexts = nil
	if err := u.asp.Send(ctx, m); err != nil {
		t.Fatal(err)
	}
}

// expect waits for n answers of type typ and returns them by CIC.
func (u *upstreamASP) expect(t *testing.T, ctx context.Context, n int, typ isup.MessageType) map[uint16]bool {
	t.Helper()
	got := map[uint16]bool{}
	for len(got) < n {
		select {
		case m := <-u.answers:
			p := m.ProtocolData.Payload
			if isup.MessageType(p[2]) != typ {
				t.Fatalf("answer %v, want %v", isup.MessageType(p[2]), typ)
			}
			got[uint16(p[0])|uint16(p[1]&0x0f)<<8] = true
		case <-ctx.Done():
			t.Fatalf("%d of %d %v answers: %v", len(got), n, typ, ctx.Err())
		}
	}
	return got
}

func startSG(t testing.TB, ctx context.Context, mod func(*Config)) *SG {
	t.Helper()
	transporttest.TCPOnly(t, "the SG and its stand-ins listen on tcp://")
	cfg := Config{M3UAListen: "tcp://127.0.0.1:0", Routes: []Route{mustRoute(t, "dpc=2:"+tPool)}, Profile: carrier(t),
		ResolveInterval: 100 * time.Millisecond, Metrics: "127.0.0.1:0"}
	if testing.Verbose() {
		cfg.Logger = zaptest.NewLogger(t)
	}
	if mod != nil {
		mod(&cfg)
	}
	s, err := Start(ctx, cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return s
}

// TestSGFailoverRestoresCalls: calls spread over two GWCs; one crashes;
// its calls move to the survivor with a Cookie Echo before their next
// message, and every call releases cleanly.
func TestSGFailoverRestoresCalls(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	s := startSG(t, ctx, nil)
	a := startGWC(t, ctx, s.RegistrarAddrs(), 0xa)
	b := startGWC(t, ctx, s.RegistrarAddrs(), 0xb)
	defer b.close()
	if err := s.WaitActive(ctx, tPool, 2); err != nil {
		t.Fatal(err)
	}
	up := dialUpstream(t, ctx, s.M3UAAddr())
	const calls = 20
	for cic := uint16(1); cic <= calls; cic++ {
		up.send(t, ctx, cic, isup.MsgIAM)
	}
	up.expect(t, ctx, calls, isup.MsgACM)
	na, _, _, _ := a.stats()
	nb, _, _, _ := b.stats()
	if na == 0 || nb == 0 || na+nb != calls {
		t.Fatalf("calls should spread over both GWCs: %d + %d", na, nb)
	}
	// Wait until the SG holds every call's cookie: the ACM and the Cookie
	// travel on one association, the Cookie first.
	waitFor(t, ctx, func() bool { return s.Stats().CookiesIn >= calls })

	a.crash()
	waitFor(t, ctx, func() bool { return s.Stats().Failovers >= 1 })
	for cic := uint16(1); cic <= calls; cic++ {
		up.send(t, ctx, cic, isup.MsgREL)
	}
	up.expect(t, ctx, calls, isup.MsgRLC)
	left, restored, unknown, _ := b.stats()
	if restored != na || unknown != 0 || left != 0 {
		t.Fatalf("survivor: restored %d (want %d), REL for unknown circuits %d, calls left %d", restored, na, unknown, left)
	}
	st := s.Stats()
	if st.Failovers != 1 || st.Rehomed != uint64(na) || st.CookieEchoes != uint64(na) || st.Dropped != 0 || st.Bindings != 0 {
		t.Fatalf("stats: %+v bindings=%d", st.Counters, st.Bindings)
	}
	if st.Lost != 0 {
		t.Fatalf("every IAM had been answered; lost=%d", st.Lost)
	}
	pa, _ := st.PE(0xa)
	if pa.Failures == 0 {
		t.Fatalf("crashed GWC stats: %+v", pa)
	}
	// The metrics endpoint reports it.
	resp, err := http.Get("http://" + s.MetricsAddr() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	for _, want := range []string{"sg_failovers_total 1", `sg_messages_total{direction="from_ss7"} 40`, "sg_failover_seconds_count", `sg_pool_size{pool="gwc",state="active"} 1`} {
		if !strings.Contains(string(body), want) {
			t.Errorf("metrics lack %q:\n%s", want, body)
		}
	}
}

// TestSGPoolEmptyDUNAThenDAVA: with the last GWC gone, the SS7 side hears
// DUNA for the pool's point code, new traffic waits, and a new GWC gets
// it (DAVA).
func TestSGPoolEmptyDUNAThenDAVA(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	s := startSG(t, ctx, func(c *Config) { c.FailoverHold = 20 * time.Second })
	a := startGWC(t, ctx, s.RegistrarAddrs(), 0xa)
	if err := s.WaitActive(ctx, tPool, 1); err != nil {
		t.Fatal(err)
	}
	up := dialUpstream(t, ctx, s.M3UAAddr())
	up.send(t, ctx, 7, isup.MsgIAM)
	up.expect(t, ctx, 1, isup.MsgACM)
	waitFor(t, ctx, func() bool { return s.Stats().CookiesIn >= 1 })
	a.crash()
	waitDest(t, ctx, up, 2, mxua.DestUnavailable)
	up.send(t, ctx, 7, isup.MsgREL)
	up.send(t, ctx, 8, isup.MsgIAM)
	waitFor(t, ctx, func() bool { return s.Stats().Buffered == 2 })
	b := startGWC(t, ctx, s.RegistrarAddrs(), 0xb)
	defer b.close()
	waitDest(t, ctx, up, 2, mxua.DestAvailable)
	got := map[isup.MessageType]bool{}
	for range 2 {
		select {
		case m := <-up.answers:
			got[isup.MessageType(m.ProtocolData.Payload[2])] = true
		case <-ctx.Done():
			t.Fatalf("answers: %v (%v); SG: %+v", got, ctx.Err(), s.Stats())
		}
	}
	if !got[isup.MsgRLC] || !got[isup.MsgACM] {
		t.Fatalf("want RLC and ACM: %v", got)
	}
	if _, restored, unknown, _ := b.stats(); restored != 1 || unknown != 0 {
		t.Fatalf("newcomer restored %d, unknown REL %d", restored, unknown)
	}
}

func waitDest(t *testing.T, ctx context.Context, u *upstreamASP, pc uint32, st mxua.DestState) {
	t.Helper()
	for {
		select {
		case n := <-u.dests:
			if n.Destination == pc && n.DestState == st {
				return
			}
		case <-ctx.Done():
			t.Fatalf("no %v for %d: %v", st, pc, ctx.Err())
		}
	}
}

// waitFor polls a condition on the SG's state; the SG offers no event for
// every counter, so this checks at a fine period with ctx as the guard.
func waitFor(t *testing.T, ctx context.Context, cond func() bool) {
	t.Helper()
	for !cond() {
		select {
		case <-time.After(5 * time.Millisecond):
		case <-ctx.Done():
			t.Fatalf("condition not met: %v", ctx.Err())
		}
	}
}

func TestSGConfigErrors(t *testing.T) {
	ctx := t.Context()
	r := mustRoute(t, "dpc=2:gwc")
	for name, cfg := range map[string]Config{
		"no listener":            {Routes: []Route{r}},
		"no route":               {M3UAListen: "tcp://127.0.0.1:0"},
		"no SUA listener":        {M3UAListen: "tcp://127.0.0.1:0", Routes: []Route{r}, Pools: []PoolConfig{{Handle: "gwc", Protocol: mxua.SUA}}},
		"bad listener":           {M3UAListen: "udp://x", Routes: []Route{r}},
		"bad registrar":          {M3UAListen: "tcp://127.0.0.1:0", Routes: []Route{r}, Registrars: []string{"nope"}},
		"bad metrics addr":       {M3UAListen: "tcp://127.0.0.1:0", Routes: []Route{r}, Metrics: "256.0.0.1:x"},
		"uplink without address": {Routes: []Route{r}, Uplinks: []Uplink{{}}},
		"uplink protocol":        {Routes: []Route{r}, Uplinks: []Uplink{{Address: "tcp://127.0.0.1:2905", Protocol: 9}}},
		"SUA pool, M3UA uplink":  {Routes: []Route{r}, Uplinks: []Uplink{{Address: "tcp://127.0.0.1:2905"}}, Pools: []PoolConfig{{Handle: "gwc", Protocol: mxua.SUA}}},
	} {
		if s, err := Start(ctx, cfg); err == nil {
			s.Close()
			t.Errorf("%s: accepted", name)
		}
	}
}

// rawGWC is a GWC stand-in that speaks M3UA by hand, so that it can
// freeze: stop reading and answering (BEAT included) while its TCP
// association stays open, as a stopped process's would.
type rawGWC struct {
	pe     *asap.PoolElement
	frozen atomic.Bool
	stop   chan struct{}
	wg     sync.WaitGroup
}

func startRawGWC(t testing.TB, ctx context.Context, registrars []string, id wire.PEIdentifier) *rawGWC {
	t.Helper()
	pe, err := asap.StartPoolElement(ctx, asap.PEConfig{PoolHandle: tPool, Registrars: registrars, Listen: "tcp://127.0.0.1:0",
		Identifier: id, Profile: carrier(t)})
	if err != nil {
		t.Fatal(err)
	}
	if err := pe.Registered(ctx); err != nil {
		t.Fatal(err)
	}
	g := &rawGWC{pe: pe, stop: make(chan struct{})}
	g.wg.Add(1)
	go func() {
		defer g.wg.Done()
		for {
			pa, err := pe.Accept(ctx)
			if err != nil {
				return
			}
			data, ctl := pa.Split()
			go func() {
				for range ctl {
				}
			}()
			g.wg.Add(1)
			go g.serve(ctx, data)
		}
	}()
	return g
}

func (g *rawGWC) send(ctx context.Context, a transport.Association, stream uint16, m *mxua.Message) {
	m.Protocol = mxua.M3UA
	b, err := mxua.Encode(m)
	if err == nil {
		_ = a.Send(ctx, transport.Message{Stream: stream, PPID: mxua.PPIDM3UA, Data: b})
	}
}

func (g *rawGWC) serve(ctx context.Context, a transport.Association) {
	defer g.wg.Done()
	if g.frozen.Load() {
		<-g.stop // a frozen process serves no new association either
		return
	}
	g.send(ctx, a, 0, &mxua.Message{Kind: mxua.KindASPUP})
	g.send(ctx, a, 0, &mxua.Message{Kind: mxua.KindASPAC, TrafficMode: mxua.TrafficModeLoadshare})
	for {
		tm, err := a.Recv(ctx)
		if err != nil {
			return
		}
		if g.frozen.Load() {
			<-g.stop // frozen: read nothing more, answer nothing
			return
		}
		m, err := mxua.Decode(mxua.M3UA, tm.Data)
		if err != nil {
			continue
		}
		switch m.Kind {
		case mxua.KindBEAT:
			g.send(ctx, a, 0, &mxua.Message{Kind: mxua.KindBEATAck, HeartbeatData: m.HeartbeatData})
		case mxua.KindDATA:
			pd := m.ProtocolData
			answer := map[isup.MessageType]isup.MessageType{isup.MsgIAM: isup.MsgACM, isup.MsgREL: isup.MsgRLC}[isup.MessageType(pd.Payload[2])]
			if answer == 0 {
				continue
			}
			g.send(ctx, a, 1, &mxua.Message{Kind: mxua.KindDATA, RoutingContexts: m.RoutingContexts,
				ProtocolData: &mxua.ProtocolData{OPC: pd.DPC, DPC: pd.OPC, SI: 5, NI: pd.NI, SLS: pd.SLS,
					Payload: []byte{pd.Payload[0], pd.Payload[1], byte(answer), 0, 0}}})
		}
	}
}

func (g *rawGWC) close() {
	close(g.stop)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = g.pe.Close(ctx)
	g.wg.Wait()
}

// TestSGFrozenGWCDetectedByBEAT: a GWC that stops answering while its
// association stays up is found by M3UA BEAT; what it had not answered is
// counted and sent again to the survivor, which answers it: the SS7 side
// repeats nothing.
func TestSGFrozenGWCDetectedByBEAT(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	s := startSG(t, ctx, nil)
	a := startRawGWC(t, ctx, s.RegistrarAddrs(), 0xa)
	b := startGWC(t, ctx, s.RegistrarAddrs(), 0xb)
	defer b.close()
	if err := s.WaitActive(ctx, tPool, 2); err != nil {
		t.Fatal(err)
	}
	up := dialUpstream(t, ctx, s.M3UAAddr())
	const calls = 10
	for cic := uint16(1); cic <= calls; cic++ {
		up.send(t, ctx, cic, isup.MsgIAM)
	}
	up.expect(t, ctx, calls, isup.MsgACM)
	onB, _, _, _ := b.stats()
	a.frozen.Store(true)
	start := time.Now()
	for cic := uint16(1); cic <= calls; cic++ {
		up.send(t, ctx, cic, isup.MsgREL)
	}
	// B's calls release at once; A's RELs went to a frozen GWC.
	up.expect(t, ctx, onB, isup.MsgRLC)
	waitFor(t, ctx, func() bool { return s.Stats().Failovers >= 1 })
	detect := time.Since(start)
	st := s.Stats()
	if want := uint64(calls - onB); st.Lost != want || st.Resent != want {
		t.Fatalf("unanswered %d, resent %d; want the %d RELs the frozen GWC swallowed", st.Lost, st.Resent, want)
	}
	if len(st.FailoverTimes) != 1 || st.FailoverTimes[0] <= 0 || st.FailoverTimes[0] > detect {
		t.Fatalf("failover times %v (detected after %v)", st.FailoverTimes, detect)
	}
	t.Logf("frozen GWC detected after %v; failover time %v", detect, st.FailoverTimes[0])
	// The survivor answers the RELs the frozen GWC swallowed.
	up.expect(t, ctx, calls-onB, isup.MsgRLC)
	a.close()
}

// TestSGCongestedGWCGetsNoNewDialogues: a GWC that cannot keep up fills
// its association's send queue; the SG marks it congested (Stats, metric)
// and gives new dialogues to the other GWC until it is not.
func TestSGCongestedGWCGetsNoNewDialogues(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
	defer cancel()
	// A GWC that reads this slowly keeps its receive window shut for
	// seconds: with the carrier profile the SG's TCP gives it up after
	// 300 ms (TCP_USER_TIMEOUT) and fails it over, which is not what this
	// test is about.
	s := startSG(t, ctx, func(c *Config) {
		p, err := transport.LookupProfile("wan")
		if err != nil {
			t.Fatal(err)
		}
		c.Profile = p
	})
	a := startGWC(t, ctx, s.RegistrarAddrs(), 0xa)
	b := startGWC(t, ctx, s.RegistrarAddrs(), 0xb)
	defer a.close()
	defer b.close()
	b.delay.Store(int64(5 * time.Millisecond)) // 200 messages/s at most
	if err := s.WaitActive(ctx, tPool, 2); err != nil {
		t.Fatal(err)
	}
	up := dialUpstream(t, ctx, s.M3UAAddr())
	out := func() (a, b uint64, congested bool) {
		st := s.Stats()
		pa, _ := st.PE(0xa)
		pb, _ := st.PE(0xb)
		return pa.Out, pb.Out, pb.Congested
	}
	begin := func(otid uint32) {
		m := tcapData(t, mxua.FromSS7, tcap.Begin, otid, 0)
		m.RoutingContexts = nil
		if err := up.asp.Send(ctx, m); err != nil && !errors.Is(err, mxua.ErrSendQueueFull) {
			t.Fatal(err)
		}
	}
	// New dialogues alternate between the GWCs until b's queue fills.
	otid := uint32(1)
	for ; ; otid++ {
		if ctx.Err() != nil {
			a, b, _ := out()
			t.Fatalf("b never became congested: %d Begins sent, a got %d, b %d; %+v", otid, a, b, s.Stats().Counters)
		}
		if _, _, c := out(); c {
			break
		}
		begin(otid)
		if up.asp.Congested() {
			time.Sleep(time.Millisecond)
		}
	}
	a0, b0, _ := out()
	for range 1000 {
		otid++
		begin(otid)
	}
	// While b stays congested (it clears below a quarter of its queue,
	// which b's 200 messages/s take seconds to reach), it gets nothing.
	var a1 uint64
	for deadline := time.Now().Add(10 * time.Second); ; time.Sleep(2 * time.Millisecond) {
		var b1 uint64
		var c bool
		a1, b1, c = out()
		if !c || a1-a0 >= 1000 {
			break
		}
		if b1 != b0 {
			t.Fatalf("congested GWC got %d new messages (a got %d)", b1-b0, a1-a0)
		}
		if time.Now().After(deadline) {
			t.Fatalf("a got %d messages in 10 s", a1-a0)
		}
	}
	if a1-a0 < 1000 {
		t.Fatalf("b no longer congested after a got %d messages: the test proves nothing", a1-a0)
	}
	t.Logf("b congested after %d Begins; a took the next %d messages while b got none", otid-1000, a1-a0)
	b.delay.Store(0)
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if _, _, c := out(); !c {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("b still congested 20 s after it sped up")
		}
	}
}
