package sg

import (
	"errors"
	"testing"
	"time"

	"github.com/sigpool/sigpool/mxua"
	"github.com/sigpool/sigpool/mxua/isup"
	"github.com/sigpool/sigpool/mxua/tcap"
	"github.com/sigpool/sigpool/policy"
	"github.com/sigpool/sigpool/wire"
)

func TestCoreConfigErrors(t *testing.T) {
	r := Route{Pool: "gwc"}
	for name, cfg := range map[string]CoreConfig{
		"no pool":        {Routes: []Route{r}},
		"empty handle":   {Pools: []PoolConfig{{}}, Routes: []Route{r}},
		"duplicate pool": {Pools: []PoolConfig{{Handle: "gwc"}, {Handle: "gwc"}}, Routes: []Route{r}},
		"bad protocol":   {Pools: []PoolConfig{{Handle: "gwc", Protocol: 9}}, Routes: []Route{r}},
		"no route":       {Pools: []PoolConfig{{Handle: "gwc"}}},
		"unknown pool":   {Pools: []PoolConfig{{Handle: "gwc"}}, Routes: []Route{{Pool: "other"}}},
	} {
		if _, err := NewCore(cfg); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func TestCoreStartAnnouncesPoolsUnavailable(t *testing.T) {
	c, err := NewCore(CoreConfig{Pools: []PoolConfig{{Handle: "a"}, {Handle: "b"}, {Handle: "c", PointCodes: []uint32{77}}},
		Routes: []Route{mustRoute(t, "dpc=2-3:a"), mustRoute(t, "si=5:b"), mustRoute(t, "*:c")}, PointCode: 9})
	if err != nil {
		t.Fatal(err)
	}
	got := map[uint32]bool{}
	for _, a := range c.Start(t0) {
		if a.Kind != ActSetDestination || a.Dest.State != mxua.DestUnavailable {
			t.Fatalf("unexpected %v", a)
		}
		got[a.Dest.PointCode] = true
	}
	// a: its routes' DPCs; b: the SG's point code; c: configured.
	for _, pc := range []uint32{2, 3, 9, 77} {
		if !got[pc] {
			t.Errorf("point code %d not announced: %v", pc, got)
		}
	}
}

// TestCoreStickinessPerCircuit: every message of a call goes to the GWC
// its IAM went to; new calls are spread by the policy (round robin); the
// binding ends with RLC.
func TestCoreStickinessPerCircuit(t *testing.T) {
	h := newHarness(t, nil)
	h.up(11, 22)
	where := map[uint16]mxua.AssocID{}
	count := map[mxua.AssocID]int{}
	for cic := uint16(1); cic <= 8; cic++ {
		a, _ := h.fromSS7(isupData(mxua.FromSS7, cic, isup.MsgIAM))
		if a == 0 {
			t.Fatalf("IAM on %d not sent", cic)
		}
		where[cic] = a
		count[a]++
	}
	if count[11] != 4 || count[22] != 4 {
		t.Fatalf("round robin should split 8 calls 4/4: %v", count)
	}
	for cic := uint16(1); cic <= 8; cic++ {
		up := h.fromPool(where[cic], isupData(mxua.FromPool, cic, isup.MsgACM))
		if up.Assoc != 100 || up.Msg.RoutingContexts[0] != 7 {
			t.Fatalf("ACM should go back to the originating ASP in its AS: %v rc=%v", up, up.Msg.RoutingContexts)
		}
		for _, typ := range []isup.MessageType{isup.MsgREL, isup.MsgRLC} {
			if a, _ := h.fromSS7(isupData(mxua.FromSS7, cic, typ)); a != where[cic] {
				t.Fatalf("cic %d %v went to %d, call is on %d", cic, typ, a, where[cic])
			}
		}
	}
	st := h.c.Stats()
	if st.Bindings != 0 || st.BindingsCreated != 8 || st.BindingsEnded != 8 {
		t.Fatalf("bindings should end with RLC: %+v", st.Counters)
	}
	if st.FromSS7 != 24 || st.ToPool != 24 || st.FromPool != 8 || st.ToSS7 != 8 {
		t.Fatalf("counters: %+v", st.Counters)
	}
	if p, _ := st.PE(11); p.Out != 12 || p.In != 4 {
		t.Fatalf("per-PE counters: %+v", p)
	}
}

// TestCoreTCAPDialogue: a dialogue stays on one GWC, including the SS7
// side's End, which carries only the pool side's TID.
func TestCoreTCAPDialogue(t *testing.T) {
	h := newHarness(t, nil)
	h.up(11, 22)
	const ss7TID, poolTID = 0x1111, 0x2222
	a, _ := h.fromSS7(tcapData(t, mxua.FromSS7, tcap.Begin, ss7TID, 0))
	if a == 0 {
		t.Fatal("Begin not sent")
	}
	// Spread the next dialogues so that a wrong choice would show.
	h.fromSS7(tcapData(t, mxua.FromSS7, tcap.Begin, 0x3333, 0))
	up := h.fromPool(a, tcapData(t, mxua.FromPool, tcap.Continue, poolTID, ss7TID))
	if up.Assoc != 100 {
		t.Fatalf("Continue should go back to its origin: %v", up)
	}
	if st := h.c.Stats(); st.TIDs != 1 {
		t.Fatalf("pool-side TID not indexed: %d", st.TIDs)
	}
	for range 3 {
		if got, _ := h.fromSS7(tcapData(t, mxua.FromSS7, tcap.Continue, ss7TID, poolTID)); got != a {
			t.Fatalf("Continue went to %d, dialogue is on %d", got, a)
		}
	}
	if got, _ := h.fromSS7(tcapData(t, mxua.FromSS7, tcap.End, 0, poolTID)); got != a {
		t.Fatalf("End (pool TID only) went to %d, dialogue is on %d", got, a)
	}
	st := h.c.Stats()
	if st.Bindings != 1 || st.TIDs != 0 || st.Unbound != 0 {
		t.Fatalf("the ended dialogue should be gone, the other kept: bindings=%d tids=%d %+v", st.Bindings, st.TIDs, st.Counters)
	}
	// The pool side ends the other one.
	other := mxua.AssocID(11)
	if a == 11 {
		other = 22
	}
	h.fromPool(other, tcapData(t, mxua.FromPool, tcap.End, 0, 0x3333))
	if st := h.c.Stats(); st.Bindings != 0 {
		t.Fatalf("End from the pool should end the binding: %d", st.Bindings)
	}
}

// TestCorePoolBeganDialogue: a dialogue the GWC begins is answered on it.
func TestCorePoolBeganDialogue(t *testing.T) {
	h := newHarness(t, nil)
	h.up(11, 22, 33)
	up := h.fromPool(22, tcapData(t, mxua.FromPool, tcap.Begin, 0x5000, 0))
	if up.Assoc != 0 || up.Msg.RoutingContexts != nil {
		t.Fatalf("a dialogue with no origin goes upstream by routing key: %v", up)
	}
	if got, _ := h.fromSS7(tcapData(t, mxua.FromSS7, tcap.Continue, 0x9000, 0x5000)); got != 22 {
		t.Fatalf("SS7 answer went to %d, the dialogue began on 22", got)
	}
	if got, _ := h.fromSS7(tcapData(t, mxua.FromSS7, tcap.Continue, 0x9000, 0x5000)); got != 22 {
		t.Fatalf("second answer went to %d", got)
	}
	if got, _ := h.fromSS7(tcapData(t, mxua.FromSS7, tcap.End, 0, 0x5000)); got != 22 {
		t.Fatalf("End went to %d", got)
	}
	// A pool-placed call: the IAM binds the circuit to the GWC.
	h.fromPool(33, isupData(mxua.FromPool, 99, isup.MsgIAM))
	if got, _ := h.fromSS7(isupData(mxua.FromSS7, 99, isup.MsgACM)); got != 33 {
		t.Fatalf("ACM of a pool-placed call went to %d", got)
	}
}

func TestCoreStickinessPerSLS(t *testing.T) {
	h := newHarness(t, nil)
	h.up(11, 22)
	where := map[uint8]mxua.AssocID{}
	for round := range 3 {
		for sls := uint8(0); sls < 16; sls++ {
			a, _ := h.fromSS7(slsData(mxua.FromSS7, sls))
			if round == 0 {
				where[sls] = a
			} else if a != where[sls] {
				t.Fatalf("SLS %d moved from %d to %d", sls, where[sls], a)
			}
		}
	}
}

// TestCoreFailoverBufferOrder: when a GWC is lost, each binding moves to
// a survivor; one with call state gets its Cookie Echo first, then what
// the lost GWC left unanswered, then the messages that arrived meanwhile,
// in order.
func TestCoreFailoverBufferOrder(t *testing.T) {
	h := newHarness(t, nil)
	h.up(11, 22)
	// Calls on CIC 1 (-> 11) and 2 (-> 22), both answered; CIC 3 -> 11,
	// IAM unanswered.
	for cic := uint16(1); cic <= 3; cic++ {
		h.fromSS7(isupData(mxua.FromSS7, cic, isup.MsgIAM))
	}
	h.fromPool(11, isupData(mxua.FromPool, 1, isup.MsgACM))
	h.cookie(11, circuitKey(1), "call-1-answered")
	h.cookie(11, circuitKey(3), "call-3-ringing")
	// Sent after the cookies, so unanswered: SUS on CIC 1 and 3.
	sus := isupData(mxua.FromSS7, 1, msgSUS)
	if a, _ := h.fromSS7(sus); a != 11 {
		t.Fatalf("setup: CIC 1 should be on 11, is on %d", a)
	}
	if a, _ := h.fromSS7(isupData(mxua.FromSS7, 3, msgSUS)); a != 11 {
		t.Fatalf("setup: CIC 3 should be on 11, is on %d", a)
	}
	h.advance(300 * time.Millisecond)

	acts := copyActs(h.c.Disconnected(h.now, mxua.M3UA, 11, "peer dead", true))
	if !hasAction(acts, ActReportUnreachable, func(a Action) bool { return a.PE == 11 }) {
		t.Fatalf("no Endpoint Unreachable: %v", acts)
	}
	fo := only(acts, ActFailover)
	if len(fo) != 1 || fo[0].Count != 2 || fo[0].Lost != 2 || fo[0].Resent != 2 || fo[0].Duration != 300*time.Millisecond {
		// CIC 1 and 3: SUS unanswered (their cookies came before).
		t.Fatalf("failover note: %v", fo)
	}
	echoes := only(acts, ActCookieEcho)
	if len(echoes) != 2 || hasAction(acts, ActSendPE, nil) {
		t.Fatalf("want two Cookie Echoes to the survivor and nothing sent yet: %v", acts)
	}
	for _, e := range echoes {
		if e.Assoc != 22 {
			t.Fatalf("echo to %d, the survivor is 22", e.Assoc)
		}
		bc, err := mxua.ParseBindingCookie(e.Cookie)
		if err != nil || bc.Key != e.Key {
			t.Fatalf("echo carries %v (%v), want the cookie of %v", bc, err, e.Key)
		}
	}
	// Messages of CIC 1 wait for the echo.
	m1 := isupData(mxua.FromSS7, 1, isup.MsgREL)
	m2 := isupData(mxua.FromSS7, 1, isup.MsgRLC)
	if a, _ := h.fromSS7(m1); a != 0 {
		t.Fatal("REL sent before the Cookie Echo went out")
	}
	if a, _ := h.fromSS7(m2); a != 0 {
		t.Fatal("RLC sent before the Cookie Echo went out")
	}
	if st := h.c.Stats(); st.Buffered != 4 {
		t.Fatalf("buffered %d, want 4 (CIC 1: SUS, REL, RLC; CIC 3: SUS)", st.Buffered)
	}
	// An echo reported for another association is ignored.
	if acts := h.c.EchoDone(h.now, mxua.M3UA, 11, circuitKey(1), nil); len(acts) != 0 {
		t.Fatalf("echo done on the dead association acted: %v", acts)
	}
	acts = copyActs(h.c.EchoDone(h.now, mxua.M3UA, 22, circuitKey(1), nil))
	sends := only(acts, ActSendPE)
	if len(sends) != 3 || sends[0].Msg != sus || sends[1].Msg != m1 || sends[2].Msg != m2 || sends[0].Assoc != 22 {
		t.Fatalf("the unanswered SUS, then the held messages, should follow the echo in order: %v", acts)
	}
	// RLC ended the call once flushed.
	st := h.c.Stats()
	if st.Bindings != 2 || st.Buffered != 1 || st.Lost != 2 || st.Resent != 2 || st.Failovers != 1 || st.Rehomed != 2 || st.CookieEchoes != 2 {
		t.Fatalf("after flush: bindings=%d buffered=%d %+v", st.Bindings, st.Buffered, st.Counters)
	}
	if len(st.FailoverTimes) != 1 || st.FailoverTimes[0] != 300*time.Millisecond {
		t.Fatalf("failover times %v", st.FailoverTimes)
	}
	// A binding without call state (CIC 2 was never on 11; a fresh call
	// on 11 without cookie) moves at once; CIC 3 still waits its echo.
	if a, _ := h.fromSS7(isupData(mxua.FromSS7, 2, isup.MsgREL)); a != 22 {
		t.Fatalf("CIC 2 should stay on 22: %d", a)
	}
	acts = copyActs(h.c.EchoDone(h.now, mxua.M3UA, 22, circuitKey(3), errors.New("broken pipe")))
	// The survivor's association failed under the echo: it is lost too,
	// and with no GWC left the pool is announced unavailable.
	if !hasAction(acts, ActSetDestination, func(a Action) bool { return a.Dest.State == mxua.DestUnavailable }) {
		t.Fatalf("no DUNA after the last GWC failed: %v", acts)
	}
}

// TestCoreNoSurvivorWaitsForNewGWC: with the pool empty, traffic waits
// (DUNA upstream); a GWC that becomes ACTIVE gets it after the echo
// (DAVA upstream).
func TestCoreNoSurvivorWaitsForNewGWC(t *testing.T) {
	h := newHarness(t, nil)
	acts := h.up(11)
	if !hasAction(acts, ActSetDestination, func(a Action) bool { return a.Dest.State == mxua.DestAvailable && a.Dest.PointCode == 2 }) {
		t.Fatalf("no DAVA for the first GWC: %v", acts)
	}
	h.fromSS7(isupData(mxua.FromSS7, 5, isup.MsgIAM))
	h.fromPool(11, isupData(mxua.FromPool, 5, isup.MsgACM))
	h.cookie(11, circuitKey(5), "state")
	acts = copyActs(h.c.ASPState(h.now, mxua.M3UA, 11, mxua.ASPInactive))
	if hasAction(acts, ActReportUnreachable, nil) {
		t.Fatalf("an ASP going inactive is not unreachable: %v", acts)
	}
	if !hasAction(acts, ActSetDestination, func(a Action) bool { return a.Dest.State == mxua.DestUnavailable }) {
		t.Fatalf("no DUNA: %v", acts)
	}
	m := isupData(mxua.FromSS7, 5, isup.MsgREL)
	if a, _ := h.fromSS7(m); a != 0 {
		t.Fatal("sent with no GWC ACTIVE")
	}
	// A new call waits too.
	iam := isupData(mxua.FromSS7, 6, isup.MsgIAM)
	h.fromSS7(iam)
	// 11 is connected but INACTIVE: nothing may go there.
	if st := h.c.Stats(); st.Pools[0].Waiting != 2 || st.Buffered != 2 {
		t.Fatalf("waiting=%d buffered=%d", st.Pools[0].Waiting, st.Buffered)
	}
	h.advance(time.Second)
	acts = h.up(33)
	if !hasAction(acts, ActSetDestination, func(a Action) bool { return a.Dest.State == mxua.DestAvailable }) {
		t.Fatalf("no DAVA: %v", acts)
	}
	if !hasAction(acts, ActCookieEcho, func(a Action) bool { return a.Assoc == 33 && a.Key == circuitKey(5) }) {
		t.Fatalf("no echo of CIC 5 to the newcomer: %v", acts)
	}
	sends := only(acts, ActSendPE)
	if len(sends) != 1 || sends[0].Msg != iam || sends[0].Assoc != 33 {
		t.Fatalf("the new call (no state) goes at once: %v", acts)
	}
	acts = copyActs(h.c.EchoDone(h.now, mxua.M3UA, 33, circuitKey(5), nil))
	if s := only(acts, ActSendPE); len(s) != 1 || s[0].Msg != m {
		t.Fatalf("REL should follow the echo: %v", acts)
	}
}

func TestCoreFailoverHoldExpires(t *testing.T) {
	h := newHarness(t, func(c *CoreConfig) { c.FailoverHold = 2 * time.Second })
	h.up(11)
	h.fromSS7(isupData(mxua.FromSS7, 5, isup.MsgIAM))
	h.c.Disconnected(h.now, mxua.M3UA, 11, "gone", true)
	h.fromSS7(isupData(mxua.FromSS7, 5, isup.MsgREL))
	h.fromSS7(isupData(mxua.FromSS7, 5, isup.MsgRLC))
	if d := h.c.NextDeadline(); d.IsZero() || d.After(h.now.Add(2*time.Second)) {
		t.Fatalf("deadline %v, want at most the hold expiry", d.Sub(h.now))
	}
	h.advance(1999 * time.Millisecond)
	if acts := h.c.Tick(h.now); hasAction(acts, ActDiscard, nil) {
		t.Fatal("expired early")
	}
	h.advance(time.Millisecond)
	acts := copyActs(h.c.Tick(h.now))
	if d := only(acts, ActDiscard); len(d) != 1 || d[0].Count != 3 {
		t.Fatalf("want the 3 held messages (the unanswered IAM, REL, RLC) discarded: %v", acts)
	}
	st := h.c.Stats()
	if st.HoldExpired != 3 || st.Dropped != 3 || st.Bindings != 0 || st.Buffered != 0 || st.Lost != 1 || st.Resent != 1 {
		t.Fatalf("%+v bindings=%d buffered=%d", st.Counters, st.Bindings, st.Buffered)
	}
}

// TestCoreNoBindingToInactivePE: a connected GWC whose ASP is not ACTIVE
// gets nothing.
func TestCoreNoBindingToInactivePE(t *testing.T) {
	h := newHarness(t, nil)
	h.c.Resolved(h.now, tPool, []wire.PoolElement{element(11), element(22)}, wire.PolicyRoundRobin, false)
	h.c.PEConnected(h.now, tPool, 11, 11)
	h.c.PEConnected(h.now, tPool, 22, 22)
	h.c.ASPState(h.now, mxua.M3UA, 22, mxua.ASPActive)
	h.c.ASPState(h.now, mxua.M3UA, 11, mxua.ASPInactive)
	for cic := uint16(0); cic < 20; cic++ {
		if a, _ := h.fromSS7(isupData(mxua.FromSS7, cic, isup.MsgIAM)); a != 22 {
			t.Fatalf("CIC %d went to %d", cic, a)
		}
	}
	for sls := uint8(0); sls < 16; sls++ {
		if a, _ := h.fromSS7(slsData(mxua.FromSS7, sls)); a != 22 {
			t.Fatalf("SLS %d went to %d", sls, a)
		}
	}
}

// TestCoreCongestedPEGetsNoNewWork: while a GWC's association is
// congested, new calls and failed-over ones go to the others; its own
// calls stay on it; when every GWC is congested the policy decides as
// before (no DUNA, nothing held); cleared, it takes new calls again.
func TestCoreCongestedPEGetsNoNewWork(t *testing.T) {
	h := newHarness(t, nil)
	h.up(11, 22, 33)
	where := map[uint16]mxua.AssocID{}
	for cic := uint16(0); cic < 6; cic++ {
		where[cic], _ = h.fromSS7(isupData(mxua.FromSS7, cic, isup.MsgIAM))
	}
	if acts := h.c.Congestion(h.now, mxua.M3UA, 11, true); len(acts) != 0 {
		t.Fatalf("congestion acted: %v", acts)
	}
	count := map[mxua.AssocID]int{}
	for cic := uint16(100); cic < 130; cic++ {
		a, _ := h.fromSS7(isupData(mxua.FromSS7, cic, isup.MsgIAM))
		count[a]++
	}
	if count[11] != 0 || count[22]+count[33] != 30 || count[22] == 0 || count[33] == 0 {
		t.Fatalf("new calls while 11 is congested: %v", count)
	}
	for cic := uint16(0); cic < 6; cic++ {
		if a, _ := h.fromSS7(isupData(mxua.FromSS7, cic, msgSUS)); a != where[cic] {
			t.Fatalf("CIC %d moved from %d to %d", cic, where[cic], a)
		}
	}
	// 22 fails: its calls move to 33, not to the congested 11.
	h.c.Disconnected(h.now, mxua.M3UA, 22, "test", false)
	for cic := uint16(100); cic < 130; cic++ {
		if a, _ := h.fromSS7(isupData(mxua.FromSS7, cic, msgSUS)); a == 11 || a == 22 {
			t.Fatalf("CIC %d on %d after 22 failed", cic, a)
		}
	}
	// Every ACTIVE GWC congested: the policy picks among them, at once.
	h.c.Congestion(h.now, mxua.M3UA, 33, true)
	count = map[mxua.AssocID]int{}
	for cic := uint16(200); cic < 210; cic++ {
		a, acts := h.fromSS7(isupData(mxua.FromSS7, cic, isup.MsgIAM))
		for _, x := range acts {
			if x.Kind == ActSetDestination {
				t.Fatalf("availability announced for congestion: %v", x)
			}
		}
		count[a]++
	}
	if count[11] == 0 || count[33] == 0 || count[11]+count[33] != 10 {
		t.Fatalf("new calls with every GWC congested: %v", count)
	}
	h.c.Congestion(h.now, mxua.M3UA, 11, false)
	h.c.Congestion(h.now, mxua.M3UA, 33, false)
	count = map[mxua.AssocID]int{}
	for cic := uint16(300); cic < 310; cic++ {
		a, _ := h.fromSS7(isupData(mxua.FromSS7, cic, isup.MsgIAM))
		count[a]++
	}
	if count[11] != 5 || count[33] != 5 {
		t.Fatalf("new calls once uncongested: %v", count)
	}
}

// TestCoreRebalanceOnJoin: a joining GWC takes new bindings by policy;
// existing ones stay where they are.
func TestCoreRebalanceOnJoin(t *testing.T) {
	h := newHarness(t, nil)
	h.up(11)
	for cic := uint16(0); cic < 10; cic++ {
		h.fromSS7(isupData(mxua.FromSS7, cic, isup.MsgIAM))
	}
	h.up(22)
	for cic := uint16(0); cic < 10; cic++ {
		if a, _ := h.fromSS7(isupData(mxua.FromSS7, cic, msgSUS)); a != 11 {
			t.Fatalf("existing CIC %d moved to %d", cic, a)
		}
	}
	count := map[mxua.AssocID]int{}
	for cic := uint16(100); cic < 110; cic++ {
		a, _ := h.fromSS7(isupData(mxua.FromSS7, cic, isup.MsgIAM))
		count[a]++
	}
	if count[11] != 5 || count[22] != 5 {
		t.Fatalf("new calls should spread: %v", count)
	}
}

func TestCoreCookies(t *testing.T) {
	h := newHarness(t, nil)
	h.up(11, 22)
	h.fromSS7(isupData(mxua.FromSS7, 1, isup.MsgIAM)) // -> 11
	h.cookie(22, circuitKey(1), "not yours")
	if st := h.c.Stats(); st.CookiesIgnored != 1 {
		t.Fatalf("a cookie from a GWC not holding the binding must be ignored: %+v", st.Counters)
	}
	for _, bad := range [][]byte{nil, []byte("SGPB"), []byte("XXXX\x01\x01\x00\x00\x00\x01\x00\x00\x00\x02\x00\x00\x00\x01")} {
		h.c.Cookie(h.now, mxua.M3UA, 11, bad)
	}
	h.c.Cookie(h.now, mxua.M3UA, 999, mxua.BindingCookie{Key: circuitKey(1), State: []byte("x")}.Marshal())
	if st := h.c.Stats(); st.CookiesIgnored != 5 || st.Bindings != 1 {
		t.Fatalf("bad cookies: %+v bindings=%d", st.Counters, st.Bindings)
	}
	h.cookie(11, circuitKey(1), "answered")
	h.cookie(11, circuitKey(1), "")
	// The closing message may still come after the cookie.
	if a, _ := h.fromSS7(isupData(mxua.FromSS7, 1, isup.MsgRLC)); a != 11 {
		t.Fatalf("RLC after the final cookie went to %d", a)
	}
	h.fromSS7(isupData(mxua.FromSS7, 2, isup.MsgIAM)) // -> 22
	h.cookie(22, circuitKey(2), "")
	h.advance(finishedLinger)
	h.c.Tick(h.now)
	if st := h.c.Stats(); st.Bindings != 0 {
		t.Fatal("a binding whose call is over should end")
	}
	// A cookie for a dialogue the SG has no binding for keeps it there.
	h.cookie(22, circuitKey(7), "pool-placed")
	if a, _ := h.fromSS7(isupData(mxua.FromSS7, 7, isup.MsgACM)); a != 22 {
		t.Fatalf("CIC 7 should be bound to 22 by its cookie: %d", a)
	}
}

func TestCoreBoundedMemory(t *testing.T) {
	h := newHarness(t, func(c *CoreConfig) { c.MaxBindings = 4; c.MaxBufferPerBinding = 2; c.MaxBuffered = 3 })
	h.up(11)
	for cic := uint16(0); cic < 6; cic++ {
		if a, _ := h.fromSS7(isupData(mxua.FromSS7, cic, isup.MsgIAM)); a != 11 {
			t.Fatalf("CIC %d not sent", cic)
		}
	}
	st := h.c.Stats()
	if st.Bindings != 4 || st.BindingsFull != 2 || st.Unbound != 2 {
		t.Fatalf("limit: bindings=%d %+v", st.Bindings, st.Counters)
	}
	// Answered: nothing to send again after the failover.
	for cic := uint16(0); cic < 4; cic++ {
		h.fromPool(11, isupData(mxua.FromPool, cic, isup.MsgACM))
	}
	h.c.Disconnected(h.now, mxua.M3UA, 11, "gone", true)
	for range 3 {
		h.fromSS7(isupData(mxua.FromSS7, 0, msgSUS))
	}
	h.fromSS7(isupData(mxua.FromSS7, 1, msgSUS))
	h.fromSS7(isupData(mxua.FromSS7, 2, msgSUS))
	st = h.c.Stats()
	if st.Buffered != 3 || st.BufferFull != 2 || st.Dropped != 2 {
		t.Fatalf("buffer limits: buffered=%d %+v", st.Buffered, st.Counters)
	}
}

func TestCoreIdleBindingsSwept(t *testing.T) {
	h := newHarness(t, func(c *CoreConfig) { c.BindingIdle = time.Minute })
	h.up(11)
	h.fromSS7(tcapData(t, mxua.FromSS7, tcap.Begin, 1, 0))
	h.fromPool(11, tcapData(t, mxua.FromPool, tcap.Continue, 2, 1))
	h.fromPool(11, tcapData(t, mxua.FromPool, tcap.Begin, 3, 0)) // pool-begun, never answered
	h.advance(30 * time.Second)
	h.c.Tick(h.now)
	if st := h.c.Stats(); st.Bindings != 1 || st.TIDs != 2 {
		t.Fatalf("swept early: %d %d", st.Bindings, st.TIDs)
	}
	h.advance(31 * time.Second)
	h.c.Tick(h.now)
	if st := h.c.Stats(); st.Bindings != 0 || st.TIDs != 0 || st.BindingsExpired != 1 {
		t.Fatalf("not swept: bindings=%d tids=%d %+v", st.Bindings, st.TIDs, st.Counters)
	}
}

// TestCoreResolution: PEs appear and leave with the registrar's answers.
func TestCoreResolution(t *testing.T) {
	h := newHarness(t, nil)
	h.up(11, 22)
	h.fromSS7(isupData(mxua.FromSS7, 1, isup.MsgIAM)) // -> 11
	// A stale answer (no registrar) removes nothing; an empty one removes
	// no connected PE.
	for _, stale := range []bool{true, false} {
		var elems []wire.PoolElement
		if stale {
			elems = []wire.PoolElement{element(22)}
		}
		if acts := h.c.Resolved(h.now, tPool, elems, wire.PolicyRoundRobin, stale); len(acts) != 0 {
			t.Fatalf("stale=%v: %v", stale, acts)
		}
	}
	acts := copyActs(h.c.Resolved(h.now, tPool, []wire.PoolElement{element(22)}, wire.PolicyRoundRobin, false))
	if !hasAction(acts, ActClosePE, func(a Action) bool { return a.Assoc == 11 }) || !hasAction(acts, ActFailover, nil) {
		t.Fatalf("11 left the pool: want close and failover: %v", acts)
	}
	if hasAction(acts, ActReportUnreachable, nil) {
		t.Fatal("the registrar already knows")
	}
	st := h.c.Stats()
	if p, ok := st.PE(11); !ok || p.State != "gone" || p.Failures != 1 {
		t.Fatalf("a PE that left keeps its stats: %+v %v", p, ok)
	}
	if a, _ := h.fromSS7(isupData(mxua.FromSS7, 1, msgSUS)); a != 22 {
		t.Fatalf("CIC 1 should have moved to 22: %d", a)
	}
	// A dial failure is reported and retried at the next resolution.
	acts = copyActs(h.c.Resolved(h.now, tPool, []wire.PoolElement{element(22), element(33)}, wire.PolicyRoundRobin, false))
	if !hasAction(acts, ActDialPE, func(a Action) bool { return a.PE == 33 && a.Element.Identifier == 33 }) {
		t.Fatalf("no dial: %v", acts)
	}
	acts = copyActs(h.c.DialFailed(h.now, tPool, 33, "refused"))
	if !hasAction(acts, ActReportUnreachable, func(a Action) bool { return a.PE == 33 }) {
		t.Fatalf("no report: %v", acts)
	}
	acts = copyActs(h.c.Resolved(h.now, tPool, []wire.PoolElement{element(22), element(33)}, wire.PolicyRoundRobin, false))
	if !hasAction(acts, ActDialPE, func(a Action) bool { return a.PE == 33 }) {
		t.Fatalf("no redial: %v", acts)
	}
	// It leaves while being dialed: the association is closed once up.
	h.c.Resolved(h.now, tPool, []wire.PoolElement{element(22)}, wire.PolicyRoundRobin, false)
	acts = copyActs(h.c.PEConnected(h.now, tPool, 33, 33))
	if !hasAction(acts, ActClosePE, func(a Action) bool { return a.Assoc == 33 }) {
		t.Fatalf("a PE that left while dialed should be closed: %v", acts)
	}
}

// TestCoreAnswersFollowOrigin: answers go to the upstream ASP the
// dialogue came from while it is ACTIVE, else by routing key.
func TestCoreAnswersFollowOrigin(t *testing.T) {
	h := newHarness(t, nil)
	h.up(11)
	h.c.FromSS7(h.now, mxua.M3UA, 200, 9, isupData(mxua.FromSS7, 1, isup.MsgIAM))
	up := h.fromPool(11, isupData(mxua.FromPool, 1, isup.MsgACM))
	if up.Assoc != 200 || up.Msg.RoutingContexts[0] != 9 {
		t.Fatalf("%v rc=%v", up, up.Msg.RoutingContexts)
	}
	h.c.UpstreamASP(h.now, mxua.M3UA, 200, mxua.ASPInactive)
	if up := h.fromPool(11, isupData(mxua.FromPool, 1, isup.MsgANM)); up.Assoc != 0 {
		t.Fatalf("origin inactive: want routing by key: %v", up)
	}
	h.c.UpstreamASP(h.now, mxua.M3UA, 200, mxua.ASPActive)
	if up := h.fromPool(11, isupData(mxua.FromPool, 1, isup.MsgREL)); up.Assoc != 200 {
		t.Fatalf("origin active again: %v", up)
	}
	h.c.UpstreamASP(h.now, mxua.M3UA, 200, mxua.ASPDown)
	if up := h.fromPool(11, isupData(mxua.FromPool, 1, isup.MsgRLC)); up.Assoc != 0 {
		t.Fatalf("origin down: %v", up)
	}
	if st := h.c.Stats(); st.Bindings != 0 {
		t.Fatal("RLC from the pool should end the call")
	}
}

func TestCoreRoutingAndBadInput(t *testing.T) {
	h := newHarness(t, func(c *CoreConfig) {
		c.Pools = append(c.Pools, PoolConfig{Handle: "sua", Protocol: mxua.SUA})
		c.Routes = append(c.Routes, mustRoute(t, "dpc=3:sua"))
	})
	h.up(11)
	m := isupData(mxua.FromSS7, 1, isup.MsgIAM)
	m.ProtocolData.DPC = 99
	if _, acts := h.fromSS7(m); !hasAction(acts, ActDiscard, nil) {
		t.Fatalf("no route: %v", acts)
	}
	m.ProtocolData.DPC = 3
	if _, acts := h.fromSS7(m); !hasAction(acts, ActDiscard, nil) {
		t.Fatalf("protocol mismatch: %v", acts)
	}
	// Malformed payloads are shared without binding; nothing panics.
	for _, payload := range [][]byte{nil, {1}, {0x09, 0x00}, {0x09, 0x80, 0x03, 0x05, 0x07, 0xff}} {
		for _, si := range []uint8{3, 5} {
			bad := &mxua.Message{Protocol: mxua.M3UA, Kind: mxua.KindDATA, ProtocolData: &mxua.ProtocolData{DPC: 2, OPC: 1, SI: si, Payload: payload}}
			h.fromSS7(bad)
			h.c.FromPool(h.now, mxua.M3UA, 11, bad)
		}
	}
	h.c.FromSS7(h.now, mxua.M3UA, 100, 7, nil)
	h.c.FromPool(h.now, mxua.M3UA, 11, nil)
	h.c.FromSS7(h.now, mxua.M3UA, 100, 7, &mxua.Message{Protocol: mxua.M3UA, Kind: mxua.KindDATA})
	h.c.FromPool(h.now, mxua.M3UA, 12345, isupData(mxua.FromPool, 1, isup.MsgACM)) // unknown GWC
	h.c.ASPState(h.now, mxua.M3UA, 12345, mxua.ASPActive)
	h.c.Disconnected(h.now, mxua.M3UA, 12345, "x", true)
	h.c.Resolved(h.now, "nope", nil, 0, false)
	h.c.PEConnected(h.now, "nope", 1, 1)
	h.c.DialFailed(h.now, "nope", 1, "")
	h.c.EchoDone(h.now, mxua.M3UA, 11, circuitKey(1), nil)
	st := h.c.Stats()
	if st.NoRoute != 2 || st.ProtocolMismatch != 1 || st.BadBinding == 0 {
		t.Fatalf("%+v", st.Counters)
	}
}

// TestRouteParse covers the route syntax.
func TestRouteParse(t *testing.T) {
	good := map[string]string{
		"dpc=2-2,si=5,cic=0-4095:gwc": "dpc=2,si=5,cic=0-4095:gwc",
		" dpc = 0x10 , ssn=6,ssn=8:p": "dpc=16,ssn=6,ssn=8:p",
		"*:all":                       "*:all",
		":all":                        "*:all",
		"opc=1-3:x":                   "opc=1-3:x",
	}
	for in, want := range good {
		r, err := ParseRoute(in)
		if err != nil {
			t.Errorf("%q: %v", in, err)
			continue
		}
		if r.String() != want {
			t.Errorf("%q: got %q, want %q", in, r.String(), want)
		}
	}
	for _, bad := range []string{"", "dpc=2", "dpc=2:", "dpc:gwc", "foo=1:gwc", "si=16:gwc", "cic=4096:gwc",
		"dpc=5-3:gwc", "dpc=x:gwc", "dpc=-1:gwc", "ssn=256:p"} {
		if _, err := ParseRoute(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

// TestRoutingMostSpecificWins: a CIC-range route beats the DPC route of
// the same node; SSN routes read SCCP in M3UA DATA.
func TestRoutingMostSpecificWins(t *testing.T) {
	pools := map[string]*pool{}
	for _, h := range []string{"all", "cic", "tcap"} {
		pools[h] = newPool(PoolConfig{Handle: h}, policy.Standard())
	}
	rt, err := newRoutingTable([]Route{mustRoute(t, "dpc=2:all"), mustRoute(t, "dpc=2,si=5,cic=100-199:cic"), mustRoute(t, "dpc=2,ssn=6:tcap")}, pools)
	if err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		m    *mxua.Message
		want string
	}{
		{isupData(mxua.FromSS7, 150, isup.MsgIAM), "cic"},
		{isupData(mxua.FromSS7, 50, isup.MsgIAM), "all"},
		{tcapData(t, mxua.FromSS7, tcap.Begin, 1, 0), "tcap"},
		{slsData(mxua.FromSS7, 1), "all"},
	}
	for i, c := range cases {
		if p := rt.lookup(c.m); p == nil || p.cfg.Handle != c.want {
			t.Errorf("case %d: got %v, want %s", i, p, c.want)
		}
	}
}

// TestCoreSUADialogue: SUA CLDT carrying TCAP binds by transaction too.
func TestCoreSUADialogue(t *testing.T) {
	h := newHarness(t, func(c *CoreConfig) {
		c.Pools = []PoolConfig{{Handle: tPool, Protocol: mxua.SUA}}
		c.Routes = []Route{mustRoute(t, "dpc=2,ssn=6:"+tPool)}
	})
	h.c.Resolved(h.now, tPool, []wire.PoolElement{element(11), element(22)}, wire.PolicyRoundRobin, false)
	for _, id := range []wire.PEIdentifier{11, 22} {
		h.c.PEConnected(h.now, tPool, id, mxua.AssocID(id))
		h.c.ASPState(h.now, mxua.SUA, mxua.AssocID(id), mxua.ASPActive)
	}
	cldt := func(d mxua.Direction, typ tcap.MessageType, otid, dtid uint32) *mxua.Message {
		tm := &tcap.Message{Type: typ, Components: []byte{0xa1, 0x03, 0x02, 0x01, 0x01}}
		if otid != 0 {
			tm.OTID = tcap.TIDUint32(otid)
		}
		if dtid != 0 {
			tm.DTID = tcap.TIDUint32(dtid)
		}
		data, err := tcap.Marshal(tm)
		if err != nil {
			t.Fatal(err)
		}
		src, dst := uint32(tSS7PC), uint32(tPoolPC)
		ssnSrc, ssnDst := uint8(8), uint8(6)
		if d == mxua.FromPool {
			src, dst, ssnSrc, ssnDst = dst, src, ssnDst, ssnSrc
		}
		return &mxua.Message{Protocol: mxua.SUA, Kind: mxua.KindCLDT, SUA: &mxua.SUAData{
			Source:      &mxua.SCCPAddress{RoutingIndicator: 2, AddressIndicator: 3, PointCode: &src, SSN: &ssnSrc},
			Destination: &mxua.SCCPAddress{RoutingIndicator: 2, AddressIndicator: 3, PointCode: &dst, SSN: &ssnDst},
			Data:        data}}
	}
	fromSS7 := func(m *mxua.Message) mxua.AssocID {
		sends := only(copyActs(h.c.FromSS7(h.now, mxua.SUA, 100, 7, m)), ActSendPE)
		if len(sends) != 1 {
			t.Fatalf("want one send: %v", sends)
		}
		return sends[0].Assoc
	}
	a := fromSS7(cldt(mxua.FromSS7, tcap.Begin, 0x77, 0))
	fromSS7(cldt(mxua.FromSS7, tcap.Begin, 0x78, 0))
	ups := only(copyActs(h.c.FromPool(h.now, mxua.SUA, a, cldt(mxua.FromPool, tcap.Continue, 0x99, 0x77))), ActSendUpstream)
	if len(ups) != 1 || ups[0].Assoc != 100 || ups[0].Proto != mxua.SUA {
		t.Fatalf("answer upstream: %v", ups)
	}
	if got := fromSS7(cldt(mxua.FromSS7, tcap.End, 0, 0x99)); got != a {
		t.Fatalf("SUA End went to %d, dialogue on %d", got, a)
	}
	if st := h.c.Stats(); st.Bindings != 1 || st.TIDs != 0 {
		t.Fatalf("bindings=%d tids=%d", st.Bindings, st.TIDs)
	}
}

// TestCoreResendsUnansweredToSurvivor: what a lost GWC was sent and never
// answered goes to the survivor its binding moves to (at once without call
// state), when the GWC can no longer answer it: its association ended or
// its ASP left ASP-ACTIVE. A GWC that only left the handle resolution may
// still answer before its association closes: nothing is sent twice then.
// The failover buffer's limits apply.
func TestCoreResendsUnansweredToSurvivor(t *testing.T) {
	lose := map[string]func(h *harness) []Action{
		"association ended": func(h *harness) []Action {
			return copyActs(h.c.Disconnected(h.now, mxua.M3UA, 11, "gone", true))
		},
		"ASP inactive": func(h *harness) []Action {
			return copyActs(h.c.ASPState(h.now, mxua.M3UA, 11, mxua.ASPInactive))
		},
		"left the resolution": func(h *harness) []Action {
			return copyActs(h.c.Resolved(h.now, tPool, []wire.PoolElement{element(22)}, wire.PolicyRoundRobin, false))
		},
	}
	for name, f := range lose {
		t.Run(name, func(t *testing.T) {
			h := newHarness(t, nil)
			h.up(11)
			iam := isupData(mxua.FromSS7, 1, isup.MsgIAM)
			h.fromSS7(iam)                                    // unanswered
			h.fromSS7(isupData(mxua.FromSS7, 2, isup.MsgIAM)) // answered below
			h.fromPool(11, isupData(mxua.FromPool, 2, isup.MsgACM))
			// A cookie says the GWC read the IAM, even when its ACM never
			// comes: a survivor restoring that state gets no IAM again.
			h.fromSS7(isupData(mxua.FromSS7, 3, isup.MsgIAM))
			h.cookie(11, circuitKey(3), "call-3-ringing")
			h.up(22)
			acts := f(h)
			fo := only(acts, ActFailover)
			sends := only(acts, ActSendPE)
			st := h.c.Stats()
			if name == "left the resolution" {
				if len(fo) != 1 || fo[0].Lost != 1 || fo[0].Resent != 0 || len(sends) != 0 || st.Resent != 0 || st.Buffered != 0 {
					t.Fatalf("want the IAM counted lost and not sent again: %v, %+v", acts, st.Counters)
				}
				return
			}
			if len(fo) != 1 || fo[0].Lost != 1 || fo[0].Resent != 1 || st.Resent != 1 || st.Buffered != 0 {
				t.Fatalf("failover: %v, %+v", fo, st.Counters)
			}
			if len(sends) != 1 || sends[0].Msg != iam || sends[0].Assoc != 22 {
				t.Fatalf("want the unanswered IAM (only) sent to the survivor: %v", acts)
			}
			if echo := only(acts, ActCookieEcho); len(echo) != 1 || echo[0].Key != circuitKey(3) {
				t.Fatalf("want CIC 3 restored by Cookie Echo: %v", acts)
			}
			if a, _ := h.fromSS7(isupData(mxua.FromSS7, 3, isup.MsgREL)); a != 0 {
				t.Fatal("CIC 3's REL went before its echo")
			}
			if s := only(copyActs(h.c.EchoDone(h.now, mxua.M3UA, 22, circuitKey(3), nil)), ActSendPE); len(s) != 1 {
				t.Fatalf("after CIC 3's echo want its REL only (no IAM again): %v", s)
			}
			// Unanswered on the survivor now: it goes again if that one is
			// lost too, and an answer clears it.
			h.fromPool(22, isupData(mxua.FromPool, 1, isup.MsgACM))
			h.fromPool(22, isupData(mxua.FromPool, 3, isup.MsgRLC))
			acts = copyActs(h.c.Disconnected(h.now, mxua.M3UA, 22, "gone", true))
			if fo := only(acts, ActFailover); len(fo) != 1 || fo[0].Resent != 0 {
				t.Fatalf("answered on the survivor, yet sent again: %v", acts)
			}
		})
	}

	// Limits: at most maxResend per binding; the buffer's total bound
	// while the bindings wait for a survivor.
	h := newHarness(t, func(c *CoreConfig) { c.MaxBuffered = maxResend + 1 })
	h.up(11)
	for range maxResend + 2 {
		h.fromSS7(isupData(mxua.FromSS7, 1, msgSUS))
	}
	h.fromSS7(isupData(mxua.FromSS7, 2, isup.MsgIAM))
	h.fromSS7(isupData(mxua.FromSS7, 3, isup.MsgIAM))
	h.c.Disconnected(h.now, mxua.M3UA, 11, "gone", true)
	st := h.c.Stats()
	if st.Lost != maxResend+4 || st.Resent != maxResend+1 || st.BufferFull != 1 || st.Buffered != maxResend+1 {
		t.Fatalf("limits: buffered %d, %+v", st.Buffered, st.Counters)
	}
	if sent := only(h.up(22), ActSendPE); len(sent) != maxResend+1 {
		t.Fatalf("the newcomer got %d, want the %d held", len(sent), maxResend+1)
	}
}
