package gwc

import (
	"bytes"
	"testing"
	"time"

	"github.com/sigpool/sigpool/mxua"
	"github.com/sigpool/sigpool/mxua/tcap"
)

// An Invoke (invoke ID 1, local operation 45, a parameter) and the
// ReturnResultLast that answers it (invoke ID and operation, no result).
var (
	invoke1 = hx(`a1 0b 02 01 01 02 01 2d 30 03 80 01 07`)
	result1 = hx(`a2 08 02 01 01 30 03 02 01 2d`)
	// aarq proposes application context 0.4.0.0.1.0.20.3; aare accepts it.
	aarq = hx(`28 1c 06 07 00 11 86 05 01 01 01 a0 11 60 0f 80 02 07 80 a1 09 06 07 04 00 00 01 00 14 03`)
	aare = hx(`28 28 06 07 00 11 86 05 01 01 01 a0 1d 61 1b 80 02 07 80 a1 09 06 07 04 00 00 01 00 14 03
	           a2 03 02 01 00 a3 05 a1 03 02 01 00`)
)

var sepTID = []byte{0x0a, 0x0b, 0x0c}

func dialogueKey(tid uint32) mxua.BindingKey {
	return mxua.BindingKey{Kind: mxua.BindingTransaction, SS7PC: sepPC, PoolPC: poolPC, ID: tid}
}

// Begin is answered with End by default: the TID echoed, the invoke
// answered, the dialogue accepted; nothing kept and no cookie.
func TestBeginAnsweredWithEnd(t *testing.T) {
	a := newAgent(t, AgentConfig{})
	acts := a.Receive(t0, 1, tcapFromSEP(t, &tcap.Message{Type: tcap.Begin, OTID: tidOf(t, sepTID...), Dialogue: aarq, Components: invoke1}))
	ans := tcapSent(t, acts)
	if len(ans) != 1 || ans[0].Type != tcap.End || !bytes.Equal(ans[0].DTID.Bytes(), sepTID) {
		t.Fatalf("Begin answered with %+v, want End to DTID %x", ans, sepTID)
	}
	if !bytes.Equal(ans[0].Components, result1) || !bytes.Equal(ans[0].Dialogue, aare) {
		t.Fatalf("End components % x dialogue % x, want % x and % x", ans[0].Components, ans[0].Dialogue, result1, aare)
	}
	if _, c, _ := split(acts); len(c) != 0 || a.Active() != 0 {
		t.Fatalf("Begin->End left cookies %v, %d active", c, a.Active())
	}
	if s := a.Stats(); s.DialoguesStarted != 1 || s.DialoguesCompleted != 1 {
		t.Fatalf("stats %+v", s)
	}
}

// With TCAPContinues 2 the dialogue runs Begin/Continue, Continue/Continue,
// Continue/End, the GWC keeping its own TID and sending a cookie each time.
func TestDialogueContinuesThenEnds(t *testing.T) {
	a := newAgent(t, AgentConfig{TCAPContinues: 2})
	ss7 := tidOf(t, sepTID...)
	key := dialogueKey(ss7.Uint32())
	acts := a.Receive(t0, 1, tcapFromSEP(t, &tcap.Message{Type: tcap.Begin, OTID: ss7, Dialogue: aarq, Components: invoke1}))
	ans := tcapSent(t, acts)
	if len(ans) != 1 || ans[0].Type != tcap.Continue || ans[0].DTID != ss7 || ans[0].OTID.Len() != 4 || !bytes.Equal(ans[0].Dialogue, aare) {
		t.Fatalf("Begin answered with %+v, want Continue with a 4-octet OTID and the AARE", ans)
	}
	pool := ans[0].OTID
	if _, c, _ := split(acts); len(c) != 1 || c[0].Key != key || len(c[0].State) == 0 {
		t.Fatalf("Begin cookie %+v, want one for %v", c, key)
	}
	acts = a.Receive(t0.Add(time.Second), 1, tcapFromSEP(t, &tcap.Message{Type: tcap.Continue, OTID: ss7, DTID: pool, Components: invoke1}))
	ans = tcapSent(t, acts)
	if len(ans) != 1 || ans[0].Type != tcap.Continue || ans[0].OTID != pool || ans[0].DTID != ss7 || ans[0].Dialogue != nil || !bytes.Equal(ans[0].Components, result1) {
		t.Fatalf("first Continue answered with %+v", ans)
	}
	acts = a.Receive(t0.Add(2*time.Second), 1, tcapFromSEP(t, &tcap.Message{Type: tcap.Continue, OTID: ss7, DTID: pool}))
	ans = tcapSent(t, acts)
	if len(ans) != 1 || ans[0].Type != tcap.End || ans[0].DTID != ss7 || ans[0].Components != nil {
		t.Fatalf("second Continue answered with %+v, want End", ans)
	}
	if _, c, _ := split(acts); len(c) != 1 || c[0].Key != key || c[0].State != nil || a.Active() != 0 {
		t.Fatalf("End: cookies %+v active %d", c, a.Active())
	}
}

// The SS7 side may end or abort a dialogue; the agent forgets it and tells
// the SG. Messages for unknown transactions are aborted or dropped.
func TestDialogueEndedBySS7AndUnknownTransactions(t *testing.T) {
	for _, typ := range []tcap.MessageType{tcap.End, tcap.Abort} {
		a := newAgent(t, AgentConfig{TCAPContinues: 5})
		ss7 := tidOf(t, 1, 2, 3, 4)
		ans := tcapSent(t, a.Receive(t0, 1, tcapFromSEP(t, &tcap.Message{Type: tcap.Begin, OTID: ss7})))
		acts := a.Receive(t0, 1, tcapFromSEP(t, &tcap.Message{Type: typ, DTID: ans[0].OTID}))
		if sent, c, _ := split(acts); len(sent) != 0 || len(c) != 1 || c[0].Key != dialogueKey(0x01020304) || c[0].State != nil || a.Active() != 0 {
			t.Fatalf("%v from SS7: sent %v cookies %+v active %d", typ, sent, c, a.Active())
		}
		// Again: the transaction is gone.
		acts = a.Receive(t0, 1, tcapFromSEP(t, &tcap.Message{Type: typ, DTID: ans[0].OTID}))
		if sent, _, _ := split(acts); len(sent) != 0 || !hasNote(acts, NoteUnexpected) {
			t.Fatalf("%v for unknown transaction: sent %v notes %v", typ, sent, noteKinds(acts))
		}
	}
	a := newAgent(t, AgentConfig{TCAPContinues: 1})
	acts := a.Receive(t0, 1, tcapFromSEP(t, &tcap.Message{Type: tcap.Continue, OTID: tidOf(t, 9), DTID: tidOf(t, 1, 1, 1, 1)}))
	ans := tcapSent(t, acts)
	if len(ans) != 1 || ans[0].Type != tcap.Abort || ans[0].DTID != tidOf(t, 9) || ans[0].PAbortCause == nil || *ans[0].PAbortCause != pAbortUnrecognizedTID {
		t.Fatalf("Continue for unknown TID answered with %+v, want P-Abort unrecognized TID", ans)
	}
	// Unidirectional needs no answer.
	if sent, _, _ := split(a.Receive(t0, 1, tcapFromSEP(t, &tcap.Message{Type: tcap.Unidirectional, Components: invoke1}))); len(sent) != 0 {
		t.Fatalf("Unidirectional answered: %v", sent)
	}
}

// A dialogue the SS7 side stops continuing is dropped after DialogueIdle.
func TestDialogueIdleTimeout(t *testing.T) {
	a := newAgent(t, AgentConfig{TCAPContinues: 3, DialogueIdle: 30 * time.Second})
	a.Receive(t0, 1, tcapFromSEP(t, &tcap.Message{Type: tcap.Begin, OTID: tidOf(t, sepTID...)}))
	if d := a.NextDeadline(); !d.Equal(t0.Add(30 * time.Second)) {
		t.Fatalf("idle deadline %v", d)
	}
	acts := a.Tick(t0.Add(30 * time.Second))
	if sent, c, _ := split(acts); len(sent) != 0 || len(c) != 1 || c[0].State != nil || a.Active() != 0 {
		t.Fatalf("idle timeout: sent %v cookies %v active %d", sent, c, a.Active())
	}
}

// A second Begin with an active dialogue's TID replaces it.
func TestBeginReusingTID(t *testing.T) {
	a := newAgent(t, AgentConfig{TCAPContinues: 1})
	begin := tcapFromSEP(t, &tcap.Message{Type: tcap.Begin, OTID: tidOf(t, sepTID...)})
	first := tcapSent(t, a.Receive(t0, 1, begin))[0].OTID
	acts := a.Receive(t0, 1, begin)
	second := tcapSent(t, acts)[0].OTID
	if !hasNote(acts, NoteUnexpected) || a.Active() != 1 || first == second {
		t.Fatalf("Begin reusing a TID: notes %v active %d TIDs %v %v", noteKinds(acts), a.Active(), first, second)
	}
	// The old pool TID no longer answers.
	acts = a.Receive(t0, 1, tcapFromSEP(t, &tcap.Message{Type: tcap.End, DTID: first}))
	if !hasNote(acts, NoteUnexpected) || a.Active() != 1 {
		t.Fatalf("End to the replaced dialogue's TID: notes %v active %d", noteKinds(acts), a.Active())
	}
}

// TCAP over SUA: answers are CLDTs with the addresses swapped.
func TestDialogueOverSUA(t *testing.T) {
	a := newAgent(t, AgentConfig{TCAPContinues: 1})
	ss7 := tidOf(t, sepTID...)
	acts := a.Receive(t0, 1, tcapCLDT(t, &tcap.Message{Type: tcap.Begin, OTID: ss7, Components: invoke1}))
	ans := tcapSent(t, acts)
	if len(ans) != 1 || ans[0].Type != tcap.Continue || ans[0].DTID != ss7 {
		t.Fatalf("SUA Begin answered with %+v", ans)
	}
	sent, _, _ := split(acts)
	if sent[0].SUA.SequenceControl != 5 || sent[0].SUA.ProtocolClass != 0 {
		t.Fatalf("SUA answer sequence control %d class %#x", sent[0].SUA.SequenceControl, sent[0].SUA.ProtocolClass)
	}
	acts = a.Receive(t0, 1, tcapCLDT(t, &tcap.Message{Type: tcap.Continue, OTID: ss7, DTID: ans[0].OTID}))
	if ans := tcapSent(t, acts); len(ans) != 1 || ans[0].Type != tcap.End {
		t.Fatalf("SUA Continue answered with %+v", ans)
	}
}

// A survivor restores a dialogue and answers its next Continue with the
// dead GWC's TID; the count of Continues carries over.
func TestRestoreDialogue(t *testing.T) {
	first := newAgent(t, AgentConfig{TCAPContinues: 2, Seed: 11})
	ss7 := tidOf(t, sepTID...)
	acts := first.Receive(t0, 1, tcapFromSEP(t, &tcap.Message{Type: tcap.Begin, OTID: ss7}))
	pool := tcapSent(t, acts)[0].OTID
	_, cookies, _ := split(acts)
	ck, err := mxua.ParseBindingCookie(cookies[0].Marshal())
	if err != nil {
		t.Fatal(err)
	}

	survivor := newAgent(t, AgentConfig{Seed: 12}) // its own config would end at once
	if _, err := survivor.Restore(t0.Add(time.Second), 4, ck); err != nil {
		t.Fatal(err)
	}
	acts = survivor.Receive(t0.Add(2*time.Second), 4, tcapFromSEP(t, &tcap.Message{Type: tcap.Continue, OTID: ss7, DTID: pool}))
	ans := tcapSent(t, acts)
	if len(ans) != 1 || ans[0].Type != tcap.Continue || ans[0].OTID != pool || ans[0].DTID != ss7 {
		t.Fatalf("restored dialogue answered with %+v, want Continue from %v", ans, pool)
	}
	acts = survivor.Receive(t0.Add(3*time.Second), 4, tcapFromSEP(t, &tcap.Message{Type: tcap.Continue, OTID: ss7, DTID: pool}))
	if ans := tcapSent(t, acts); len(ans) != 1 || ans[0].Type != tcap.End || survivor.Active() != 0 {
		t.Fatalf("restored dialogue's last answer %+v, active %d", ans, survivor.Active())
	}
	if s := survivor.Stats(); s.DialoguesRestored != 1 {
		t.Fatalf("stats %+v", s)
	}
	// A dialogue state under a key whose TID differs is refused.
	bad := ck
	bad.Key.ID++
	if _, err := survivor.Restore(t0, 4, bad); err == nil {
		t.Fatal("dialogue state restored under another TID")
	}
}

// XUDT requests get XUDT answers.
func TestDialogueOverXUDT(t *testing.T) {
	a := newAgent(t, AgentConfig{})
	tb, _ := tcap.Marshal(&tcap.Message{Type: tcap.Begin, OTID: tidOf(t, sepTID...), Components: invoke1})
	x := mustXUDT(t, tb)
	acts := a.Receive(t0, 1, dataFromSEP(siSCCP, 3, x))
	ans := tcapSent(t, acts)
	sent, _, _ := split(acts)
	if len(ans) != 1 || ans[0].Type != tcap.End || sent[0].ProtocolData.Payload[0] != 0x11 {
		t.Fatalf("XUDT Begin answered with %+v in % x", ans, sent[0].ProtocolData.Payload[:1])
	}
}
