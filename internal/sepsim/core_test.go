package sepsim

import (
	"errors"
	"testing"
	"time"

	"github.com/sigpool/sigpool/mxua"
	"github.com/sigpool/sigpool/mxua/isup"
	"github.com/sigpool/sigpool/mxua/sccp"
	"github.com/sigpool/sigpool/mxua/tcap"
)

var t0 = time.Unix(1_700_000_000, 0)

func newCore(t *testing.T, cfg CoreConfig) *Core {
	t.Helper()
	if cfg.OPC == 0 {
		cfg.OPC, cfg.DPC = 100, 200
	}
	c, err := NewCore(cfg, t0)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// wire round-trips m through the codec, as the association would.
func wire(t *testing.T, m *mxua.Message) *mxua.Message {
	t.Helper()
	b, err := mxua.Encode(m)
	if err != nil {
		t.Fatalf("encode %v: %v", m.Kind, err)
	}
	d, err := mxua.Decode(m.Protocol, b)
	if err != nil {
		t.Fatalf("decode %v: %v", m.Kind, err)
	}
	return d
}

// farEnd plays the pool side: it decodes what the simulator sent and
// builds answers with the point codes swapped.
type farEnd struct {
	t *testing.T
}

func (f farEnd) isup(m *mxua.Message) isup.Message {
	f.t.Helper()
	m = wire(f.t, m)
	if m.ProtocolData == nil || m.ProtocolData.SI != 5 {
		f.t.Fatalf("not ISUP in DATA: %+v", m)
	}
	x, err := isup.Decode(m.ProtocolData.Payload)
	if err != nil {
		f.t.Fatal(err)
	}
	return x
}

func (f farEnd) isupAnswer(x isup.Message) *mxua.Message {
	f.t.Helper()
	b, err := x.AppendTo(nil)
	if err != nil {
		f.t.Fatal(err)
	}
	return wire(f.t, &mxua.Message{Protocol: mxua.M3UA, Kind: mxua.KindDATA,
		ProtocolData: &mxua.ProtocolData{OPC: 200, DPC: 100, SI: 5, NI: 2, Payload: b}})
}

func (f farEnd) tcap(m *mxua.Message) tcap.Transaction {
	f.t.Helper()
	m = wire(f.t, m)
	var data []byte
	switch m.Protocol {
	case mxua.SUA:
		if m.Kind != mxua.KindCLDT || *m.SUA.Source.PointCode != 100 || *m.SUA.Destination.SSN != 6 {
			f.t.Fatalf("bad CLDT %+v", m.SUA)
		}
		data = m.SUA.Data
	default:
		u, err := sccp.DecodeUDT(m.ProtocolData.Payload)
		if err != nil {
			f.t.Fatal(err)
		}
		if *u.CalledParty.PointCode != 200 || *u.CallingParty.SSN != 8 {
			f.t.Fatalf("bad UDT addresses %v / %v", u.CalledParty, u.CallingParty)
		}
		data = u.Data
	}
	tr, err := tcap.TransactionIDs(data)
	if err != nil {
		f.t.Fatal(err)
	}
	return tr
}

func (f farEnd) tcapAnswer(p mxua.Protocol, tm tcap.Message) *mxua.Message {
	f.t.Helper()
	b, err := tm.AppendTo(nil)
	if err != nil {
		f.t.Fatal(err)
	}
	if p == mxua.SUA {
		return wire(f.t, &mxua.Message{Protocol: mxua.SUA, Kind: mxua.KindCLDT, SUA: &mxua.SUAData{
			Source: suaAddress(200, 6), Destination: suaAddress(100, 8), Data: b}})
	}
	pcg, pcd, ssg, ssd := uint16(200), uint16(100), uint8(6), uint8(8)
	u, err := (&sccp.UDT{CalledParty: sccp.Address{RoutingIndicator: sccp.RouteOnSSN, PointCode: &pcd, SSN: &ssd},
		CallingParty: sccp.Address{RoutingIndicator: sccp.RouteOnSSN, PointCode: &pcg, SSN: &ssg}, Data: b}).AppendTo(nil)
	if err != nil {
		f.t.Fatal(err)
	}
	return wire(f.t, &mxua.Message{Protocol: mxua.M3UA, Kind: mxua.KindDATA,
		ProtocolData: &mxua.ProtocolData{OPC: 200, DPC: 100, SI: 3, NI: 2, Payload: u}})
}

func receive(t *testing.T, c *Core, now time.Time, m *mxua.Message) []*mxua.Message {
	t.Helper()
	out, err := c.Receive(now, m)
	if err != nil {
		t.Fatalf("receive: %v", err)
	}
	return out
}

func TestCallCompletesAfterHoldTime(t *testing.T) {
	f := farEnd{t}
	c := newCore(t, CoreConfig{CICFirst: 10, CICLast: 11, HoldTime: 2 * time.Second, RoutingContext: 7})
	iam, err := c.StartCall(t0)
	if err != nil {
		t.Fatal(err)
	}
	if pd := iam.ProtocolData; pd.OPC != 100 || pd.DPC != 200 || pd.SLS != 10 || iam.RoutingContexts[0] != 7 {
		t.Fatalf("IAM routing label %+v rc %v", pd, iam.RoutingContexts)
	}
	x := f.isup(iam)
	if x.MessageType() != isup.MsgIAM || x.CircuitID() != 10 {
		t.Fatalf("sent %v on CIC %d", x.MessageType(), x.CircuitID())
	}
	if out := receive(t, c, t0.Add(3*time.Millisecond), f.isupAnswer(&isup.ACM{CIC: 10})); len(out) != 0 {
		t.Fatalf("ACM answered with %d messages", len(out))
	}
	receive(t, c, t0.Add(time.Second), f.isupAnswer(&isup.ANM{CIC: 10}))
	if out := c.Fire(t0.Add(2900 * time.Millisecond)); len(out) != 0 {
		t.Fatal("released before the hold time")
	}
	at, _ := c.NextTimer()
	if want := t0.Add(3 * time.Second); !at.Equal(want) {
		t.Fatalf("next timer %v, want hold end %v", at, want)
	}
	out := c.Fire(at)
	if len(out) != 1 || f.isup(out[0]).MessageType() != isup.MsgREL {
		t.Fatalf("hold end sent %v", out)
	}
	receive(t, c, at.Add(time.Millisecond), f.isupAnswer(&isup.RLC{CIC: 10}))
	r := c.Report(at.Add(time.Second))
	if r.Calls.Started != 1 || r.Calls.Completed != 1 || r.Calls.Active != 0 || r.Sent != 2 || r.Answered != 2 || r.Unanswered != 0 {
		t.Fatalf("report:\n%v", r)
	}
	if l := r.Latency["iam-acm"]; l.Count != 1 || l.P50 < 2900*time.Microsecond || l.P50 > 3100*time.Microsecond {
		t.Fatalf("iam-acm latency %+v", l)
	}
	if r.Latency["iam-anm"].Max != time.Second || r.Latency["rel-rlc"].Count != 1 || r.All.Count != 2 || r.Elapsed != 4*time.Second {
		t.Fatalf("latencies %+v all %+v", r.Latency, r.All)
	}
}

func TestCallReleasedByFarEndAndRefused(t *testing.T) {
	f := farEnd{t}
	c := newCore(t, CoreConfig{CICFirst: 1, CICLast: 4, HoldTime: time.Minute, Records: 10})
	a, _ := c.StartCall(t0)
	b, _ := c.StartCall(t0)
	ca, cb := f.isup(a).CircuitID(), f.isup(b).CircuitID()
	receive(t, c, t0, f.isupAnswer(&isup.ANM{CIC: ca})) // answered without ACM
	out := receive(t, c, t0, f.isupAnswer(&isup.REL{CIC: ca, Cause: isup.CauseIndicators{Value: isup.CauseNormalClearing}}))
	if len(out) != 1 || f.isup(out[0]).MessageType() != isup.MsgRLC {
		t.Fatalf("far-end REL answered with %v", out)
	}
	out = receive(t, c, t0, f.isupAnswer(&isup.REL{CIC: cb, Cause: isup.CauseIndicators{Value: isup.CauseUserBusy}}))
	if len(out) != 1 || f.isup(out[0]).MessageType() != isup.MsgRLC {
		t.Fatalf("refusing REL answered with %v", out)
	}
	r := c.Report(t0)
	if r.Calls.Completed != 1 || r.Calls.Failed != 1 || r.Calls.FailedAt["acm"] != 1 || len(r.Records) != 2 {
		t.Fatalf("report:\n%v\n%+v", r, r.Records)
	}
	if rec := r.Records[1]; rec.ID != uint32(cb) || rec.Outcome != Failed || rec.Detail != "REL cause 17" {
		t.Fatalf("refused call record %+v", rec)
	}
	// A REL on an idle circuit still gets its RLC.
	if out := receive(t, c, t0, f.isupAnswer(&isup.REL{CIC: 4})); len(out) != 1 {
		t.Fatalf("REL on an idle circuit answered with %v", out)
	}
	if c.Report(t0).Unexpected != 1 {
		t.Fatal("REL on an idle circuit not counted as unexpected")
	}
}

func TestCallTimeoutsAndCircuitReuse(t *testing.T) {
	f := farEnd{t}
	c := newCore(t, CoreConfig{CICFirst: 1, CICLast: 2, AnswerTimeout: time.Second})
	c.StartCall(t0)
	c.StartCall(t0)
	if _, err := c.StartCall(t0); !errors.Is(err, ErrNoFreeCircuit) {
		t.Fatalf("third call on two circuits: %v", err)
	}
	receive(t, c, t0, f.isupAnswer(&isup.ACM{CIC: 2}))
	out := c.Fire(t0.Add(time.Second))
	if len(out) != 2 {
		t.Fatalf("timeouts sent %d messages, want a REL per circuit", len(out))
	}
	for _, m := range out {
		if r, ok := f.isup(m).(*isup.REL); !ok || r.Cause.Value != causeRecoveryOnTimerExpiry {
			t.Fatalf("timeout release %+v", r)
		}
	}
	r := c.Report(t0.Add(time.Second))
	if r.Calls.TimedOut != 2 || r.Calls.TimedOutAt["acm"] != 1 || r.Calls.TimedOutAt["anm"] != 1 || r.Unanswered != 1 {
		t.Fatalf("report:\n%v", r)
	}
	// A late ANM is unexpected; the RLC frees circuit 1, a second timeout circuit 2.
	receive(t, c, t0.Add(1100*time.Millisecond), f.isupAnswer(&isup.ANM{CIC: 2}))
	receive(t, c, t0.Add(1100*time.Millisecond), f.isupAnswer(&isup.RLC{CIC: 1}))
	iam, err := c.StartCall(t0.Add(1200 * time.Millisecond))
	if err != nil || f.isup(iam).CircuitID() != 1 {
		t.Fatalf("reuse of freed circuit 1: %v", err)
	}
	c.Fire(t0.Add(2 * time.Second))
	iam, err = c.StartCall(t0.Add(2 * time.Second))
	if err != nil || f.isup(iam).CircuitID() != 2 {
		t.Fatalf("circuit 2 not freed after the release timeout: %v", err)
	}
	if r := c.Report(t0.Add(2 * time.Second)); r.Unexpected != 1 || r.Calls.Active != 2 {
		t.Fatalf("report:\n%v", r)
	}
}

func TestReleaseCollisionAndRLCTimeout(t *testing.T) {
	f := farEnd{t}
	c := newCore(t, CoreConfig{CICFirst: 1, CICLast: 2, AnswerTimeout: time.Second})
	c.StartCall(t0)
	c.StartCall(t0)
	for _, cic := range []uint16{1, 2} {
		receive(t, c, t0, f.isupAnswer(&isup.ANM{CIC: cic})) // hold time 0: REL at once
	}
	if r := c.Report(t0); r.Sent != 4 {
		t.Fatalf("sent %d, want 2 IAM + 2 REL", r.Sent)
	}
	if out := receive(t, c, t0, f.isupAnswer(&isup.REL{CIC: 1})); len(out) != 1 {
		t.Fatal("collision REL not answered")
	}
	receive(t, c, t0, f.isupAnswer(&isup.RLC{CIC: 1}))
	c.Fire(t0.Add(time.Second)) // circuit 2's RLC never comes
	r := c.Report(t0.Add(time.Second))
	if r.Calls.Completed != 1 || r.Calls.TimedOutAt["rlc"] != 1 || r.Unexpected != 0 || r.Calls.Active != 0 {
		t.Fatalf("report:\n%v", r)
	}
}

func TestDialogues(t *testing.T) {
	for _, p := range []mxua.Protocol{mxua.M3UA, mxua.SUA} {
		t.Run(p.String(), func(t *testing.T) {
			f := farEnd{t}
			c := newCore(t, CoreConfig{Protocol: p, ContinueReplies: 1, AnswerTimeout: time.Second})
			// Begin -> End.
			tr := f.tcap(c.StartDialogue(t0))
			if tr.Type != tcap.Begin || tr.OTID.Uint32() != 1 {
				t.Fatalf("sent %v otid %v", tr.Type, tr.OTID)
			}
			if out := receive(t, c, t0.Add(time.Millisecond), f.tcapAnswer(p, tcap.Message{Type: tcap.End, DTID: tr.OTID})); len(out) != 0 {
				t.Fatal("End answered")
			}
			// Begin -> Continue -> Continue -> Continue -> End (ContinueReplies 1).
			tr = f.tcap(c.StartDialogue(t0))
			peer := tcap.TIDUint32(0xabcdef01)
			out := receive(t, c, t0, f.tcapAnswer(p, tcap.Message{Type: tcap.Continue, OTID: peer, DTID: tr.OTID}))
			if len(out) != 1 {
				t.Fatalf("first Continue answered with %d messages", len(out))
			}
			if got := f.tcap(out[0]); got.Type != tcap.Continue || got.DTID != peer || got.OTID != tr.OTID {
				t.Fatalf("answer %+v", got)
			}
			out = receive(t, c, t0, f.tcapAnswer(p, tcap.Message{Type: tcap.Continue, OTID: peer, DTID: tr.OTID}))
			if len(out) != 1 || f.tcap(out[0]).Type != tcap.End || f.tcap(out[0]).DTID != peer {
				t.Fatalf("second Continue answered with %v", out)
			}
			// Begin -> Abort; Begin -> nothing.
			tr = f.tcap(c.StartDialogue(t0))
			cause := uint8(1)
			receive(t, c, t0, f.tcapAnswer(p, tcap.Message{Type: tcap.Abort, DTID: tr.OTID, PAbortCause: &cause}))
			c.StartDialogue(t0)
			c.Fire(t0.Add(time.Second))
			// A late or foreign answer, and a Begin from the far end.
			receive(t, c, t0, f.tcapAnswer(p, tcap.Message{Type: tcap.End, DTID: tr.OTID}))
			receive(t, c, t0, f.tcapAnswer(p, tcap.Message{Type: tcap.Begin, OTID: peer}))
			r := c.Report(t0.Add(time.Second))
			d := r.Dialogues
			if d.Started != 4 || d.Completed != 2 || d.FailedAt["begin-answer"] != 1 || d.TimedOutAt["begin-answer"] != 1 || d.Active != 0 {
				t.Fatalf("report:\n%v", r)
			}
			if r.Sent != 5 || r.Answered != 4 || r.Unanswered != 1 || r.Unexpected != 2 || r.Latency["continue"].Count != 1 {
				t.Fatalf("report:\n%v", r)
			}
		})
	}
}

func TestRawRequests(t *testing.T) {
	f := farEnd{t}
	c := newCore(t, CoreConfig{FirstOTID: 0xfffffffe, AnswerTimeout: time.Second})
	a := f.tcap(c.StartRaw(t0))
	b := f.tcap(c.StartRaw(t0))
	if a.OTID.Uint32() != 0xfffffffe || b.OTID.Uint32() != 0xffffffff {
		t.Fatalf("OTIDs %v %v", a.OTID, b.OTID)
	}
	if o := f.tcap(c.StartRaw(t0)).OTID.Uint32(); o != 1 {
		t.Fatalf("OTID after wrap-around %d, want 1 (0 is skipped)", o)
	}
	receive(t, c, t0.Add(time.Millisecond), f.tcapAnswer(mxua.M3UA, tcap.Message{Type: tcap.End, DTID: a.OTID}))
	out := receive(t, c, t0.Add(time.Millisecond), f.tcapAnswer(mxua.M3UA, tcap.Message{Type: tcap.Continue, OTID: tcap.TIDUint32(9), DTID: b.OTID}))
	if len(out) != 1 || f.tcap(out[0]).Type != tcap.End {
		t.Fatalf("raw Continue answered with %v", out)
	}
	if calls, dlgs, raw := c.Active(); calls != 0 || dlgs != 0 || raw != 1 {
		t.Fatalf("active %d %d %d", calls, dlgs, raw)
	}
	r := c.Report(t0.Add(time.Millisecond))
	if r.Raw.Started != 3 || r.Raw.Completed != 2 || r.Raw.Active != 1 || r.Latency["raw"].Count != 2 || r.Unanswered != 1 {
		t.Fatalf("report:\n%v", r)
	}
}

func TestConfigErrors(t *testing.T) {
	for _, cfg := range []CoreConfig{
		{Protocol: 9},
		{OPC: 0x4000},
		{CICFirst: 5, CICLast: 4},
		{CICFirst: 1, CICLast: 4096},
		{HoldTime: -1},
	} {
		if _, err := NewCore(cfg, t0); err == nil {
			t.Errorf("NewCore(%+v) accepted", cfg)
		}
	}
	c := newCore(t, CoreConfig{Protocol: mxua.SUA})
	if _, err := c.StartCall(t0); !errors.Is(err, ErrNoISUPOverSUA) {
		t.Fatalf("ISUP over SUA: %v", err)
	}
}

func TestMalformedInput(t *testing.T) {
	c := newCore(t, CoreConfig{})
	c.StartCall(t0)
	c.StartDialogue(t0)
	bad := []*mxua.Message{
		nil,
		{Kind: mxua.KindDATA, ProtocolData: &mxua.ProtocolData{SI: 5, Payload: []byte{1}}},
		{Kind: mxua.KindDATA, ProtocolData: &mxua.ProtocolData{SI: 3, Payload: []byte{9, 0, 3}}},
		{Kind: mxua.KindDATA, ProtocolData: &mxua.ProtocolData{SI: 3, Payload: []byte{9, 0, 3, 5, 7, 2, 0x42, 1, 2, 0x42, 1, 2, 2, 0x64, 0x99}}},
		{Kind: mxua.KindCLDT, SUA: &mxua.SUAData{Data: []byte{0x64, 0x03, 0x49, 0x01}}},
	}
	for i, m := range bad {
		if out, err := c.Receive(t0, m); err == nil || out != nil {
			t.Errorf("message %d: err %v out %v", i, err, out)
		}
	}
	other := []*mxua.Message{
		{Kind: mxua.KindDATA, ProtocolData: &mxua.ProtocolData{SI: 9, Payload: []byte{1}}},
		{Kind: mxua.KindCLDR},
	}
	for i, m := range other {
		if out, err := c.Receive(t0, m); err != nil || out != nil {
			t.Errorf("other message %d: err %v out %v", i, err, out)
		}
	}
	r := c.Report(t0)
	if r.Malformed != len(bad) || r.Unexpected != len(other) || r.Calls.Active != 1 || r.Dialogues.Active != 1 {
		t.Fatalf("report:\n%v", r)
	}
}

func FuzzReceive(f *testing.F) {
	f.Add(uint8(5), []byte{1, 0, 6, 0, 0, 0})
	f.Add(uint8(3), []byte{9, 0, 3, 7, 11, 4, 0x43, 200, 0, 6, 4, 0x43, 100, 0, 8, 6, 0x64, 4, 0x49, 2, 0, 1})
	f.Fuzz(func(t *testing.T, si uint8, payload []byte) {
		c, _ := NewCore(CoreConfig{OPC: 1, DPC: 2, CICFirst: 1, CICLast: 3, FirstOTID: 1}, t0)
		c.StartCall(t0)
		c.StartDialogue(t0)
		c.Receive(t0, &mxua.Message{Kind: mxua.KindDATA, ProtocolData: &mxua.ProtocolData{SI: si, Payload: payload}})
		c.Receive(t0, &mxua.Message{Kind: mxua.KindCLDT, SUA: &mxua.SUAData{Data: payload}})
		c.Fire(t0.Add(time.Hour))
		if calls, dlgs, _ := c.Active(); calls < 0 || dlgs < 0 {
			t.Fatalf("active %d %d", calls, dlgs)
		}
	})
}

// BenchmarkCoreRawRoundTrip measures the simulator's own cost per raw
// request and answer, which bounds the load it can offer.
func BenchmarkCoreRawRoundTrip(b *testing.B) {
	c, _ := NewCore(CoreConfig{OPC: 100, DPC: 200, AnswerTimeout: time.Hour}, t0)
	pcg, pcd, ssn := uint16(200), uint16(100), uint8(8)
	now := t0
	for b.Loop() {
		m := c.StartRaw(now)
		u, _ := sccp.Peek(m.ProtocolData.Payload)
		tr, _ := tcap.TransactionIDs(u.Data)
		e, _ := (&tcap.Message{Type: tcap.End, DTID: tr.OTID}).AppendTo(nil)
		p, _ := (&sccp.UDT{CalledParty: sccp.Address{PointCode: &pcd, SSN: &ssn}, CallingParty: sccp.Address{PointCode: &pcg, SSN: &ssn}, Data: e}).AppendTo(nil)
		if _, err := c.Receive(now, &mxua.Message{Kind: mxua.KindDATA, ProtocolData: &mxua.ProtocolData{SI: 3, Payload: p}}); err != nil {
			b.Fatal(err)
		}
		now = now.Add(time.Microsecond)
	}
}

// After a mark, the longest wait counts from the mark for requests sent
// before it, and timeouts are split by when their request went out.
func TestMarkMeasuresStallAndLosses(t *testing.T) {
	f := farEnd{t}
	c := newCore(t, CoreConfig{AnswerTimeout: time.Second})
	early := f.tcap(c.StartDialogue(t0))
	f.tcap(c.StartDialogue(t0)) // never answered: lost before the mark
	c.Mark(t0.Add(100 * time.Millisecond))
	late := f.tcap(c.StartDialogue(t0.Add(150 * time.Millisecond)))
	f.tcap(c.StartDialogue(t0.Add(150 * time.Millisecond))) // lost after the mark
	receive(t, c, t0.Add(400*time.Millisecond), f.tcapAnswer(mxua.M3UA, tcap.Message{Type: tcap.End, DTID: early.OTID}))
	receive(t, c, t0.Add(200*time.Millisecond), f.tcapAnswer(mxua.M3UA, tcap.Message{Type: tcap.End, DTID: late.OTID}))
	c.Fire(t0.Add(2 * time.Second))
	r := c.Report(t0.Add(2 * time.Second))
	if r.AfterMark.Count != 2 || r.AfterMark.Max != 300*time.Millisecond || r.UnansweredBeforeMark != 1 || r.UnansweredAfterMark != 1 ||
		r.LastUnansweredAfterMark != 50*time.Millisecond || r.Stall() != 300*time.Millisecond {
		t.Fatalf("report:\n%v", r)
	}
}

// TakeInterval hands out the answers since the previous call, once.
func TestTakeInterval(t *testing.T) {
	f := farEnd{t}
	c := newCore(t, CoreConfig{AnswerTimeout: time.Second})
	a := f.tcap(c.StartRaw(t0))
	b := f.tcap(c.StartRaw(t0))
	receive(t, c, t0.Add(2*time.Millisecond), f.tcapAnswer(mxua.M3UA, tcap.Message{Type: tcap.End, DTID: a.OTID}))
	n, lat := c.TakeInterval()
	if n != 1 || lat.Count != 1 || lat.Max < 2*time.Millisecond {
		t.Fatalf("first interval: %d answers, %+v", n, lat)
	}
	if n, lat := c.TakeInterval(); n != 0 || lat.Count != 0 {
		t.Fatalf("empty interval: %d answers, %+v", n, lat)
	}
	receive(t, c, t0.Add(5*time.Millisecond), f.tcapAnswer(mxua.M3UA, tcap.Message{Type: tcap.End, DTID: b.OTID}))
	if n, lat := c.TakeInterval(); n != 1 || lat.P50 < 5*time.Millisecond {
		t.Fatalf("second interval: %d answers, %+v", n, lat)
	}
}

// suaAddress is a SUA address routed on SSN + PC (RFC 3868 3.10.2).
func suaAddress(pc uint32, ssn uint8) *mxua.SCCPAddress {
	return &mxua.SCCPAddress{RoutingIndicator: 2, AddressIndicator: 3, PointCode: &pc, SSN: &ssn}
}
