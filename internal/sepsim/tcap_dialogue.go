package sepsim

import (
	"fmt"
	"time"

	"github.com/sigpool/sigpool/mxua/tcap"
)

// dialogueState is where a TCAP dialogue the simulator began stands.
type dialogueState uint8

const (
	dlgAwaitFirst    dialogueState = iota + 1 // Begin sent
	dlgAwaitContinue                          // the simulator's Continue sent
)

func (s dialogueState) stepName() string {
	if s == dlgAwaitFirst {
		return "begin-answer"
	}
	return "continue-answer"
}

type dialogue struct {
	state     dialogueState
	raw       bool
	gen       uint32
	continues int      // Continues received
	peer      tcap.TID // the far end's OTID, learned from its first Continue
	start     time.Time
	sentAt    time.Time
}

// tcapOut is one TCAP message to send; tid (the simulator's OTID) picks
// the SLS.
type tcapOut struct {
	tid     uint32
	payload []byte
}

// Component portions the simulator sends: an Invoke (invoke ID 1, local
// operation 56, sendAuthenticationInfo) in Begin and a ReturnResultLast for
// invoke ID 1 in its Continue and End. Their content does not matter to the
// gateway, only that the far end sees a well-formed component portion.
var (
	componentsBegin  = []byte{0xa1, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x38}
	componentsAnswer = []byte{0xa2, 0x03, 0x02, 0x01, 0x01}
)

// dialogues runs the TCAP dialogues the simulator begins (ITU-T Q.774
// transaction sublayer, originating side): Begin with a fresh OTID; an End
// completes; each Continue is answered with Continue until
// continueReplies of them were, then with End; Abort fails. Raw dialogues
// (the load mode) count any answer and answer a Continue with End at once.
type dialogues struct {
	next            uint32
	active          map[uint32]dialogue
	continueReplies int
	timeout         time.Duration
	rec             *recorder
	timers          *timerHeap
	// scratch holds the TCAP bytes of the latest call's output: the core
	// copies them into the message it hands out before the next call.
	scratch []byte
}

func newDialogues(firstOTID uint32, continueReplies int, timeout time.Duration, rec *recorder, timers *timerHeap) *dialogues {
	return &dialogues{next: firstOTID, active: map[uint32]dialogue{}, continueReplies: continueReplies,
		timeout: timeout, rec: rec, timers: timers}
}

func (d *dialogues) counts(raw bool) *Counts {
	if raw {
		return &d.rec.rawCounts
	}
	return &d.rec.dialogues
}

func (d *dialogues) arm(otid uint32, dl *dialogue, at time.Time) {
	dl.gen++
	d.timers.arm(timer{at: at, kind: timerDialogue, id: otid, gen: dl.gen})
}

// start begins a dialogue with the next free OTID and returns its Begin.
func (d *dialogues) start(now time.Time, raw bool, out []tcapOut) []tcapOut {
	otid := d.next
	for {
		if _, busy := d.active[otid]; !busy && otid != 0 {
			break
		}
		otid++
	}
	d.next = otid + 1
	m := tcap.Message{Type: tcap.Begin, OTID: tcap.TIDUint32(otid), Components: componentsBegin}
	b, _ := m.AppendTo(d.scratch[:0]) // a Begin with a 4-octet OTID always encodes
	d.scratch = b
	dl := dialogue{state: dlgAwaitFirst, raw: raw, start: now, sentAt: now}
	d.arm(otid, &dl, now.Add(d.timeout))
	d.active[otid] = dl
	d.rec.sent++
	c := d.counts(raw)
	c.Started++
	c.Active++
	return append(out, tcapOut{otid, b})
}

func (d *dialogues) end(now time.Time, otid uint32, dl dialogue, o Outcome, step, detail string) {
	delete(d.active, otid)
	d.counts(dl.raw).end(o, step)
	kind := "dialogue"
	if dl.raw {
		kind = "raw"
	}
	d.rec.record(Record{Kind: kind, ID: otid, Outcome: o, Step: step, Detail: detail, Start: dl.start, End: now})
}

// receive handles one TCAP message from the far end.
func (d *dialogues) receive(now time.Time, payload []byte, out []tcapOut) ([]tcapOut, error) {
	tr, err := tcap.TransactionIDs(payload)
	if err != nil {
		d.rec.malformed++
		return out, fmt.Errorf("sepsim: TCAP message: %w", err)
	}
	if !tr.DTID.Valid() {
		d.rec.unexpected++ // a Begin or Unidirectional: the simulator serves none
		return out, nil
	}
	otid := tr.DTID.Uint32()
	dl, ok := d.active[otid]
	if !ok {
		d.rec.unexpected++
		return out, nil
	}
	h := &d.rec.begin
	switch {
	case dl.raw:
		h = &d.rec.raw
	case dl.state == dlgAwaitContinue:
		h = &d.rec.cont
	}
	d.rec.answer(h, dl.sentAt, now)
	step := dl.state.stepName()
	switch tr.Type {
	case tcap.End:
		d.end(now, otid, dl, Completed, "", "")
	case tcap.Abort:
		d.end(now, otid, dl, Failed, step, abortDetail(payload))
	case tcap.Continue:
		dl.continues++
		dl.peer = tr.OTID
		if dl.raw || dl.continues > d.continueReplies {
			m := tcap.Message{Type: tcap.End, DTID: dl.peer, Components: componentsAnswer}
			b, _ := m.AppendTo(d.scratch[:0])
			d.scratch = b
			out = append(out, tcapOut{otid, b})
			d.end(now, otid, dl, Completed, "", "")
			return out, nil
		}
		m := tcap.Message{Type: tcap.Continue, OTID: tcap.TIDUint32(otid), DTID: dl.peer, Components: componentsAnswer}
		b, _ := m.AppendTo(d.scratch[:0])
		d.scratch = b
		dl.state, dl.sentAt = dlgAwaitContinue, now
		d.arm(otid, &dl, now.Add(d.timeout))
		d.active[otid] = dl
		d.rec.sent++
		out = append(out, tcapOut{otid, b})
	}
	return out, nil
}

func abortDetail(payload []byte) string {
	m, err := tcap.Decode(payload)
	if err == nil && m.PAbortCause != nil {
		return fmt.Sprintf("P-Abort cause %d", *m.PAbortCause)
	}
	return "U-Abort"
}

// fire handles a due timer of a dialogue.
func (d *dialogues) fire(now time.Time, t timer) {
	dl, ok := d.active[t.id]
	if !ok || dl.gen != t.gen {
		return
	}
	d.rec.timeout(dl.sentAt)
	d.end(now, t.id, dl, TimedOut, dl.state.stepName(), "no answer within "+d.timeout.String())
}
