package gwc

import (
	"slices"
	"testing"
	"time"

	"github.com/sigpool/sigpool/mxua"
	"github.com/sigpool/sigpool/mxua/isup"
)

var circuit42 = mxua.BindingKey{Kind: mxua.BindingCircuit, SS7PC: sepPC, PoolPC: poolPC, ID: 42}

// A call through every state: ACM at once, ANM after the answer delay, REL
// after the hold time, freed by RLC; a cookie at each state change.
func TestCallAnswerHoldRelease(t *testing.T) {
	a := newAgent(t, AgentConfig{AnswerDelay: 2 * time.Second, HoldTime: 10 * time.Second})
	acts := a.Receive(t0, 1, isupFromSEP(t, iam(42)))
	if got := types(isupSent(t, acts, poolPC)); !slices.Equal(got, []isup.MessageType{isup.MsgACM}) {
		t.Fatalf("IAM answered with %v, want ACM", got)
	}
	_, cookies, _ := split(acts)
	if len(cookies) != 1 || cookies[0].Key != circuit42 || len(cookies[0].State) == 0 {
		t.Fatalf("IAM cookie %+v, want one for %v with state", cookies, circuit42)
	}
	if d := a.NextDeadline(); !d.Equal(t0.Add(2 * time.Second)) {
		t.Fatalf("next deadline %v, want answer at +2s", d)
	}
	if acts := a.Tick(t0.Add(time.Second)); len(acts) != 0 {
		t.Fatalf("tick before the answer delay: %v", acts)
	}
	acts = a.Tick(t0.Add(2 * time.Second))
	if got := types(isupSent(t, acts, poolPC)); !slices.Equal(got, []isup.MessageType{isup.MsgANM}) {
		t.Fatalf("answer delay: sent %v, want ANM", got)
	}
	if _, c, _ := split(acts); len(c) != 1 || !hasNote(acts, NoteCallAnswered) {
		t.Fatalf("ANM: cookies %v notes %v", c, noteKinds(acts))
	}
	if d := a.NextDeadline(); !d.Equal(t0.Add(12 * time.Second)) {
		t.Fatalf("next deadline %v, want the hold time's end at +12s", d)
	}
	acts = a.Tick(t0.Add(12 * time.Second))
	sent := isupSent(t, acts, poolPC)
	if len(sent) != 1 || sent[0].MessageType() != isup.MsgREL || sent[0].(*isup.REL).Cause.Value != isup.CauseNormalClearing {
		t.Fatalf("hold time: sent %v, want REL normal clearing", sent)
	}
	acts = a.Receive(t0.Add(12100*time.Millisecond), 1, isupFromSEP(t, &isup.RLC{CIC: 42}))
	sentMsgs, cookies, _ := split(acts)
	if len(sentMsgs) != 0 || len(cookies) != 1 || cookies[0].Key != circuit42 || cookies[0].State != nil {
		t.Fatalf("RLC: sent %v cookies %+v, want only the finished cookie", sentMsgs, cookies)
	}
	s := a.Stats()
	if s.CallsStarted != 1 || s.CallsAnswered != 1 || s.CallsCompleted != 1 || s.ActiveCalls != 0 || s.CallsPerCIC[42] != 1 || s.CookiesProduced != 4 {
		t.Fatalf("stats %+v", s)
	}
	if !a.NextDeadline().IsZero() {
		t.Fatalf("deadline %v left after the call", a.NextDeadline())
	}
}

// AnswerDelay 0 sends ANM right behind ACM, with one cookie; without a
// hold time the call stays up until the SS7 side releases it.
func TestCallImmediateAnswerNoHold(t *testing.T) {
	a := newAgent(t, AgentConfig{PointCode: 300})
	acts := a.Receive(t0, 1, isupFromSEP(t, iam(7)))
	if got := types(isupSent(t, acts, 300)); !slices.Equal(got, []isup.MessageType{isup.MsgACM, isup.MsgANM}) {
		t.Fatalf("sent %v, want ACM, ANM from the configured point code", got)
	}
	if _, c, _ := split(acts); len(c) != 1 {
		t.Fatalf("%d cookies for one step, want 1", len(c))
	}
	if !a.NextDeadline().IsZero() {
		t.Fatalf("deadline %v without hold time", a.NextDeadline())
	}
	acts = a.Receive(t0.Add(time.Hour), 1, isupFromSEP(t, rel(7, isup.CauseNormalClearing)))
	if got := types(isupSent(t, acts, 300)); !slices.Equal(got, []isup.MessageType{isup.MsgRLC}) {
		t.Fatalf("REL answered with %v, want RLC", got)
	}
	if _, c, _ := split(acts); len(c) != 1 || c[0].State != nil {
		t.Fatalf("REL: cookies %+v, want the finished cookie", c)
	}
	if a.Active() != 0 || a.Stats().CallsCompleted != 1 {
		t.Fatalf("after REL: active %d stats %+v", a.Active(), a.Stats())
	}
}

// The caller hangs up before answer: RLC, and the answer timer is dead.
func TestCallAbandonedBeforeAnswer(t *testing.T) {
	a := newAgent(t, AgentConfig{AnswerDelay: 5 * time.Second})
	a.Receive(t0, 1, isupFromSEP(t, iam(1)))
	acts := a.Receive(t0.Add(time.Second), 1, isupFromSEP(t, rel(1, isup.CauseNormalClearing)))
	if got := types(isupSent(t, acts, poolPC)); !slices.Equal(got, []isup.MessageType{isup.MsgRLC}) {
		t.Fatalf("REL before answer: sent %v, want RLC", got)
	}
	if acts := a.Tick(t0.Add(time.Minute)); len(acts) != 0 {
		t.Fatalf("stale answer timer fired: %v", acts)
	}
	if s := a.Stats(); s.CallsAnswered != 0 || s.CallsCompleted != 1 {
		t.Fatalf("stats %+v", s)
	}
}

// REL goes out again every T1 until RLC; after the last attempt the
// circuit is freed with a finished cookie.
func TestReleaseRepeatedWithoutRLC(t *testing.T) {
	a := newAgent(t, AgentConfig{HoldTime: time.Second, ReleaseTimeout: 10 * time.Second, ReleaseAttempts: 3})
	a.Receive(t0, 1, isupFromSEP(t, iam(5)))
	now := t0.Add(time.Second)
	acts := a.Tick(now)
	if got := types(isupSent(t, acts, poolPC)); !slices.Equal(got, []isup.MessageType{isup.MsgREL}) {
		t.Fatalf("hold time: %v", got)
	}
	for i := 2; i <= 3; i++ {
		now = now.Add(10 * time.Second)
		acts = a.Tick(now)
		if got := types(isupSent(t, acts, poolPC)); !slices.Equal(got, []isup.MessageType{isup.MsgREL}) {
			t.Fatalf("T1 expiry %d: %v, want REL again", i, got)
		}
		if _, c, _ := split(acts); len(c) != 0 {
			t.Fatalf("REL repeat sent cookie %v; the state did not change", c)
		}
	}
	acts = a.Tick(now.Add(10 * time.Second))
	sent, cookies, _ := split(acts)
	if len(sent) != 0 || len(cookies) != 1 || cookies[0].State != nil || !hasNote(acts, NoteCallEnded) || a.Active() != 0 {
		t.Fatalf("after %d RELs: sent %v cookies %v notes %v active %d", 3, sent, cookies, noteKinds(acts), a.Active())
	}
}

// Messages out of turn are answered as Q.764 2.10.8.3 says, or dropped;
// none leaves the agent in a bad state.
func TestUnexpectedISUP(t *testing.T) {
	busy := func(t *testing.T) *CallAgent {
		a := newAgent(t, AgentConfig{})
		a.Receive(t0, 1, isupFromSEP(t, iam(42)))
		return a
	}
	releasing := func(t *testing.T) *CallAgent {
		a := newAgent(t, AgentConfig{HoldTime: time.Second})
		a.Receive(t0, 1, isupFromSEP(t, iam(42)))
		a.Tick(t0.Add(time.Second))
		return a
	}
	idle := func(t *testing.T) *CallAgent { return newAgent(t, AgentConfig{}) }
	cases := []struct {
		name   string
		agent  func(*testing.T) *CallAgent
		msg    isup.Message
		want   []isup.MessageType
		cause  uint8 // of a REL sent
		active int
		state  callState
	}{
		{"REL on idle circuit", idle, rel(42, isup.CauseNormalClearing), []isup.MessageType{isup.MsgRLC}, 0, 0, 0},
		{"RLC on idle circuit", idle, &isup.RLC{CIC: 42}, nil, 0, 0, 0},
		{"ACM from SS7 side", idle, &isup.ACM{CIC: 42}, nil, 0, 0, 0},
		{"second IAM on busy circuit", busy, iam(42), []isup.MessageType{isup.MsgREL}, isup.CauseTemporaryFailure, 1, callReleasing},
		{"RLC on busy circuit", busy, &isup.RLC{CIC: 42}, []isup.MessageType{isup.MsgREL}, isup.CauseNormalUnspecified, 1, callReleasing},
		{"ANM from SS7 side", busy, &isup.ANM{CIC: 42}, nil, 0, 1, callAnswered},
		{"unknown message type", busy, &isup.Raw{CIC: 42, Type: 0x2c, Body: []byte{0}}, nil, 0, 1, callAnswered},
		{"IAM while releasing", releasing, iam(42), nil, 0, 1, callReleasing},
		{"REL collision while releasing", releasing, rel(42, isup.CauseNormalClearing), []isup.MessageType{isup.MsgRLC}, 0, 0, 0},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			a := tc.agent(t)
			acts := a.Receive(t0.Add(2*time.Second), 1, isupFromSEP(t, tc.msg))
			sent := isupSent(t, acts, poolPC)
			if got := types(sent); !slices.Equal(got, tc.want) {
				t.Fatalf("sent %v, want %v", got, tc.want)
			}
			if tc.cause != 0 && sent[0].(*isup.REL).Cause.Value != tc.cause {
				t.Fatalf("REL cause %d, want %d", sent[0].(*isup.REL).Cause.Value, tc.cause)
			}
			if a.Active() != tc.active {
				t.Fatalf("%d active calls, want %d", a.Active(), tc.active)
			}
			if tc.state != 0 && a.circuits[circuit42].state != tc.state {
				t.Fatalf("call state %v, want %v", a.circuits[circuit42].state, tc.state)
			}
		})
	}
}

// Bad input is reported, never panicked on, and leaves calls alone.
func TestMalformedInput(t *testing.T) {
	a := newAgent(t, AgentConfig{})
	a.Receive(t0, 1, isupFromSEP(t, iam(42)))
	bad := []*mxua.Message{
		nil,
		{Protocol: mxua.M3UA, Kind: mxua.KindDATA},                               // no protocol data
		dataFromSEP(siISUP, 0, []byte{0x2a}),                                     // shorter than CIC + type
		dataFromSEP(siISUP, 0, []byte{0x2a, 0x00, 0x01, 0, 0, 0}),                // IAM cut short
		dataFromSEP(siSCCP, 0, []byte{0x09, 0x00, 0x03, 0xff}),                   // UDT with pointers past the end
		dataFromSEP(siSCCP, 0, mustUDT(t, []byte{0x62, 0x03, 0x48, 0x09, 0x00})), // TCAP Begin with a broken OTID
		{Protocol: mxua.SUA, Kind: mxua.KindCLDT},                                // no SUA content
	}
	for i, m := range bad {
		acts := a.Receive(t0, 1, m)
		if sent, c, _ := split(acts); len(sent) != 0 || len(c) != 0 || !hasNote(acts, NoteMalformed) {
			t.Fatalf("bad message %d: sent %v cookies %v notes %v, want a malformed note only", i, sent, c, noteKinds(acts))
		}
	}
	// Traffic the GWC does not serve is dropped as unexpected.
	other := []*mxua.Message{
		dataFromSEP(2, 0, []byte{1, 2, 3}),                                             // SNM
		{Protocol: mxua.SUA, Kind: mxua.KindCORE, SUA: &mxua.SUAData{Data: []byte{1}}}, // SUA connection-oriented
	}
	for i, m := range other {
		acts := a.Receive(t0, 1, m)
		if sent, _, _ := split(acts); len(sent) != 0 || !hasNote(acts, NoteUnexpected) {
			t.Fatalf("foreign message %d: sent %v notes %v", i, sent, noteKinds(acts))
		}
	}
	if s := a.Stats(); s.ActiveCalls != 1 || s.Malformed != uint64(len(bad)) || s.Unexpected != uint64(len(other)) {
		t.Fatalf("stats %+v", s)
	}
}

// A survivor restores an answered call from the cookie of the GWC that
// took it: the hold-time release still happens on the original schedule,
// and the release completes.
func TestRestoreAnsweredCall(t *testing.T) {
	first := newAgent(t, AgentConfig{HoldTime: 30 * time.Second})
	acts := first.Receive(t0, 1, isupFromSEP(t, iam(42)))
	_, cookies, _ := split(acts)
	wire, err := mxua.ParseBindingCookie(cookies[len(cookies)-1].Marshal())
	if err != nil {
		t.Fatal(err)
	}

	// The survivor has no hold time of its own; the cookie's deadline rules.
	survivor := newAgent(t, AgentConfig{})
	acts, err = survivor.Restore(t0.Add(10*time.Second), 9, wire)
	if err != nil || !hasNote(acts, NoteRestored) {
		t.Fatalf("restore: %v %v", acts, err)
	}
	if d := survivor.NextDeadline(); !d.Equal(t0.Add(30 * time.Second)) {
		t.Fatalf("restored call's release at %v, want the original +30s", d)
	}
	acts = survivor.Tick(t0.Add(30 * time.Second))
	sent, cookies, _ := split(acts)
	if got := types(isupSent(t, acts, poolPC)); !slices.Equal(got, []isup.MessageType{isup.MsgREL}) || len(cookies) != 1 {
		t.Fatalf("restored call at hold time: sent %v cookies %v", got, cookies)
	}
	if ap, ok := actsPeer(acts); !ok || ap != 9 || sent[0].ProtocolData.SLS != 42&0x0f {
		t.Fatalf("REL on peer %v SLS %d, want the restoring peer 9 and the call's SLS", ap, sent[0].ProtocolData.SLS)
	}
	acts = survivor.Receive(t0.Add(31*time.Second), 9, isupFromSEP(t, &isup.RLC{CIC: 42}))
	if _, c, _ := split(acts); len(c) != 1 || c[0].State != nil || survivor.Active() != 0 {
		t.Fatalf("RLC after restore: cookies %v active %d", c, survivor.Active())
	}
	if s := survivor.Stats(); s.CallsRestored != 1 || s.CallsCompleted != 1 {
		t.Fatalf("survivor stats %+v", s)
	}
}

// A restored call answers REL with RLC; a restored alerting call whose
// answer is overdue answers at once; a finished cookie restores nothing.
func TestRestoreVariants(t *testing.T) {
	first := newAgent(t, AgentConfig{AnswerDelay: 3 * time.Second})
	_, cookies, _ := split(first.Receive(t0, 1, isupFromSEP(t, iam(42))))
	alerting := cookies[0]

	s := newAgent(t, AgentConfig{})
	if _, err := s.Restore(t0.Add(time.Minute), 2, alerting); err != nil {
		t.Fatal(err)
	}
	acts := s.Tick(t0.Add(time.Minute))
	if got := types(isupSent(t, acts, poolPC)); !slices.Equal(got, []isup.MessageType{isup.MsgANM}) {
		t.Fatalf("overdue restored answer: sent %v, want ANM", got)
	}
	acts = s.Receive(t0.Add(2*time.Minute), 2, isupFromSEP(t, rel(42, isup.CauseNormalClearing)))
	if got := types(isupSent(t, acts, poolPC)); !slices.Equal(got, []isup.MessageType{isup.MsgRLC}) || s.Active() != 0 {
		t.Fatalf("REL on restored call: sent %v active %d", got, s.Active())
	}
	if acts, err := s.Restore(t0, 2, mxua.BindingCookie{Key: circuit42}); err != nil || len(acts) != 0 || s.Active() != 0 {
		t.Fatalf("finished cookie restored %v %v", acts, err)
	}
	// A cookie from the future (clock skew) counts from the restore.
	future := (&call{key: circuit42, cic: 42, state: callAnswered, answered: t0.Add(time.Hour), due: t0.Add(time.Hour + time.Minute)}).snapshot(t0.Add(time.Hour))
	if _, err := s.Restore(t0, 2, mxua.BindingCookie{Key: circuit42, State: future}); err != nil {
		t.Fatal(err)
	}
	if d := s.NextDeadline(); !d.Equal(t0.Add(time.Minute)) {
		t.Fatalf("future cookie's deadline %v, want restore time + 1m", d)
	}
}

// Restore refuses states that do not fit their key.
func TestRestoreRejectsMismatch(t *testing.T) {
	first := newAgent(t, AgentConfig{AnswerDelay: time.Second})
	_, cookies, _ := split(first.Receive(t0, 1, isupFromSEP(t, iam(42))))
	st := cookies[0].State
	s := newAgent(t, AgentConfig{})
	for name, c := range map[string]mxua.BindingCookie{
		"other CIC":        {Key: mxua.BindingKey{Kind: mxua.BindingCircuit, SS7PC: sepPC, PoolPC: poolPC, ID: 43}, State: st},
		"transaction key":  {Key: mxua.BindingKey{Kind: mxua.BindingTransaction, ID: 42}, State: st},
		"garbage state":    {Key: circuit42, State: []byte{1, 2, 3}},
		"truncated state":  {Key: circuit42, State: st[:len(st)-1]},
		"trailing garbage": {Key: circuit42, State: append(append([]byte{}, st...), 0)},
	} {
		if _, err := s.Restore(t0, 1, c); err == nil {
			t.Errorf("%s: restored", name)
		}
	}
	if s.Active() != 0 {
		t.Fatalf("%d calls after refused restores", s.Active())
	}
}

func actsPeer(acts []Action) (Peer, bool) {
	for _, a := range acts {
		if s, ok := a.(Send); ok {
			return s.Peer, true
		}
	}
	return 0, false
}

// Whatever the SG delivers, the agent neither panics nor loses count: every
// message yields actions that encode, and active calls stay consistent.
func FuzzReceive(f *testing.F) {
	for _, m := range []isup.Message{iam(1), rel(1, 16), &isup.RLC{CIC: 1}, &isup.ANM{CIC: 2}} {
		b, _ := isup.Marshal(m)
		f.Add(uint8(siISUP), b)
	}
	f.Add(uint8(siSCCP), mustUDT(f, hx(`62 0d 48 03 0a 0b 0c 6c 06 a1 04 02 01 01 02 01 2d`)))
	f.Add(uint8(siSCCP), mustUDT(f, hx(`65 0e 48 03 0a 0b 0c 49 04 01 02 03 04 6c 00`)))
	f.Fuzz(func(t *testing.T, si uint8, payload []byte) {
		a := newAgent(t, AgentConfig{HoldTime: time.Second, TCAPContinues: 2})
		a.Receive(t0, 1, isupFromSEP(t, iam(1)))
		for step := range 3 {
			now := t0.Add(time.Duration(step) * time.Second)
			acts := append(a.Receive(now, 1, dataFromSEP(si, 0, payload)), a.Tick(now)...)
			for _, act := range acts {
				if s, ok := act.(Send); ok {
					if _, err := mxua.Encode(s.Msg); err != nil {
						t.Fatalf("agent built an unencodable answer: %v", err)
					}
				}
			}
			if s := a.Stats(); s.ActiveCalls != len(a.circuits) || s.ActiveDialogues != len(a.dialogues) || len(a.byPoolTID) != len(a.dialogues) {
				t.Fatalf("indexes disagree: %+v, %d by pool TID", s, len(a.byPoolTID))
			}
		}
	})
}
