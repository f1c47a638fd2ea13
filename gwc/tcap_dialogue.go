package gwc

import (
	"fmt"
	"time"

	"github.com/sigpool/sigpool/mxua"
	"github.com/sigpool/sigpool/mxua/sccp"
	"github.com/sigpool/sigpool/mxua/tcap"
)

// pAbortUnrecognizedTID is the P-abort cause "unrecognized transaction ID"
// (Q.773 table 14).
const pAbortUnrecognizedTID = 0x01

// dialogue is one TCAP transaction the GWC answers (Q.774 transaction
// sub-layer, responder side): opened by the SS7 side's Begin, continued
// limit times, ended by the GWC's End or the SS7 side's End or Abort.
type dialogue struct {
	key       mxua.BindingKey // SS7-side TID (low 32 bits) and point codes
	ss7TID    tcap.TID        // as the SS7 side sent it, for the DTID of answers
	poolTID   uint32          // the GWC's (4 octets)
	sent      int             // Continues sent
	limit     int             // Continues before End
	peer      Peer
	announced bool
	due       time.Time // idle deadline
	gen       uint64
}

// poolTIDKey finds a dialogue from a message that carries only the
// pool-side TID (End, Abort from the SS7 side).
type poolTIDKey struct {
	ss7PC, poolPC, tid uint32
}

func (a *CallAgent) addDialogue(d *dialogue) {
	a.dialogues[d.key] = d
	a.byPoolTID[poolTIDKey{d.key.SS7PC, d.key.PoolPC, d.poolTID}] = d
	a.tids[d.poolTID]++
}

// dropDialogue forgets d; its pending deadline is stranded.
func (a *CallAgent) dropDialogue(d *dialogue) {
	if a.dialogues[d.key] == d {
		delete(a.dialogues, d.key)
	}
	pk := poolTIDKey{d.key.SS7PC, d.key.PoolPC, d.poolTID}
	if a.byPoolTID[pk] == d {
		delete(a.byPoolTID, pk)
		if a.tids[d.poolTID]--; a.tids[d.poolTID] <= 0 {
			delete(a.tids, d.poolTID)
		}
	}
	d.gen++
}

// allocTID draws a pool-side TID no dialogue here uses. Random rather than
// counted, so that TIDs restored from another GWC rarely collide.
func (a *CallAgent) allocTID() uint32 {
	for {
		v := a.rng.Uint32()
		if _, used := a.tids[v]; v != 0 && !used {
			return v
		}
	}
}

// replyFunc wraps an encoded TCAP answer into the message that carries it
// back to the sender.
type replyFunc func(tcapMsg []byte) (*mxua.Message, error)

// sccpTCAP handles TCAP in a SCCP UDT or XUDT in M3UA DATA; answers swap
// called and calling party and go back along the MTP3 route.
func (a *CallAgent) sccpTCAP(out []Action, now time.Time, peer Peer, m *mxua.Message, b mxua.Binding) []Action {
	key, _ := b.Key()
	msg, err := sccp.Decode(m.ProtocolData.Payload)
	if err != nil {
		return a.malformed(out, key, err.Error())
	}
	r := a.routeOf(m)
	var data []byte
	var reply replyFunc
	switch u := msg.(type) {
	case *sccp.UDT:
		data = u.Data
		reply = func(t []byte) (*mxua.Message, error) {
			p, err := (&sccp.UDT{ProtocolClass: u.ProtocolClass, CalledParty: u.CallingParty, CallingParty: u.CalledParty, Data: t}).AppendTo(nil)
			return r.data(siSCCP, p), err
		}
	case *sccp.XUDT:
		data = u.Data
		reply = func(t []byte) (*mxua.Message, error) {
			p, err := (&sccp.XUDT{ProtocolClass: u.ProtocolClass, HopCounter: 15, CalledParty: u.CallingParty, CallingParty: u.CalledParty, Data: t}).AppendTo(nil)
			return r.data(siSCCP, p), err
		}
	default:
		return a.unexpected(out, key, fmt.Sprintf("SCCP %v: not unitdata", msg.MessageType()))
	}
	return a.tcap(out, now, peer, b, data, reply)
}

// suaTCAP handles TCAP in a SUA CLDT; the answer is a CLDT with source and
// destination swapped.
func (a *CallAgent) suaTCAP(out []Action, now time.Time, peer Peer, m *mxua.Message, b mxua.Binding) []Action {
	in := m.SUA
	var rc []uint32
	if len(m.RoutingContexts) > 0 {
		rc = append(rc, m.RoutingContexts...)
	}
	reply := func(t []byte) (*mxua.Message, error) {
		return &mxua.Message{Protocol: mxua.SUA, Kind: mxua.KindCLDT, RoutingContexts: rc, NetworkAppearance: m.NetworkAppearance,
			SUA: &mxua.SUAData{ProtocolClass: in.ProtocolClass &^ 0x80, SequenceControl: in.SequenceControl,
				Source: in.Destination, Destination: in.Source, Data: t}}, nil
	}
	return a.tcap(out, now, peer, b, in.Data, reply)
}

// tcap runs the responder for one TCAP message.
func (a *CallAgent) tcap(out []Action, now time.Time, peer Peer, b mxua.Binding, data []byte, reply replyFunc) []Action {
	key, _ := b.Key()
	msg, err := tcap.Decode(data)
	if err != nil {
		return a.malformed(out, key, err.Error())
	}
	send := func(out []Action, t *tcap.Message) []Action {
		enc, err := t.AppendTo(nil)
		var m *mxua.Message
		if err == nil {
			m, err = reply(enc)
		}
		if err != nil {
			return a.malformed(out, key, "answer: "+err.Error())
		}
		return append(out, Send{Peer: peer, Msg: m})
	}
	switch msg.Type {
	case tcap.Begin:
		old := a.dialogues[key]
		if old != nil {
			a.dropDialogue(old)
			out = a.unexpected(out, key, "Begin with the TID of an active dialogue: the old one is dropped")
		}
		a.stats.DialoguesStarted++
		out = append(out, Note{Kind: NoteDialogueStarted, Key: key})
		ans := &tcap.Message{Dialogue: answerDialogue(msg.Dialogue), Components: answerComponents(msg.Components)}
		if a.cfg.TCAPContinues == 0 {
			ans.Type, ans.DTID = tcap.End, msg.OTID
			out = send(out, ans)
			a.stats.DialoguesCompleted++
			out = append(out, Note{Kind: NoteDialogueEnded, Key: key, Detail: "answered with End"})
			return a.finishedCookie(out, peer, key, old != nil && old.announced)
		}
		d := &dialogue{key: key, ss7TID: msg.OTID, poolTID: a.allocTID(), limit: a.cfg.TCAPContinues, peer: peer}
		ans.Type, ans.OTID, ans.DTID = tcap.Continue, tcap.TIDUint32(d.poolTID), msg.OTID
		out = send(out, ans)
		d.sent = 1
		a.addDialogue(d)
		d.due = now.Add(a.cfg.DialogueIdle)
		a.arm(d.due, timerDialogue, key, &d.gen)
		d.announced = true
		return a.cookie(out, peer, key, d.snapshot(now))
	case tcap.Continue:
		d := a.dialogues[key]
		if d == nil || msg.DTID.Len() != 4 || d.poolTID != msg.DTID.Uint32() {
			// Q.774 3.2.2: an unknown transaction is aborted.
			out = a.unexpected(out, key, "Continue for an unknown transaction: P-Abort sent")
			cause := uint8(pAbortUnrecognizedTID)
			return send(out, &tcap.Message{Type: tcap.Abort, DTID: msg.OTID, PAbortCause: &cause})
		}
		d.peer = peer
		ans := &tcap.Message{DTID: d.ss7TID, Components: answerComponents(msg.Components)}
		if d.sent < d.limit {
			ans.Type, ans.OTID = tcap.Continue, tcap.TIDUint32(d.poolTID)
			out = send(out, ans)
			d.sent++
			d.due = now.Add(a.cfg.DialogueIdle)
			a.arm(d.due, timerDialogue, key, &d.gen)
			return a.cookie(out, peer, key, d.snapshot(now))
		}
		ans.Type = tcap.End
		out = send(out, ans)
		a.dropDialogue(d)
		a.stats.DialoguesCompleted++
		out = append(out, Note{Kind: NoteDialogueEnded, Key: key, Detail: "ended with End"})
		return a.finishedCookie(out, peer, key, d.announced)
	case tcap.End, tcap.Abort:
		d := a.byPoolTID[poolTIDKey{b.SS7PC, b.PoolPC, msg.DTID.Uint32()}]
		if d == nil || msg.DTID.Len() != 4 {
			return a.unexpected(out, key, fmt.Sprintf("%v for an unknown transaction: discarded", msg.Type))
		}
		a.dropDialogue(d)
		a.stats.DialoguesCompleted++
		out = append(out, Note{Kind: NoteDialogueEnded, Key: d.key, Detail: msg.Type.String() + " from the SS7 side"})
		return a.finishedCookie(out, peer, d.key, d.announced)
	}
	return out // Unidirectional: nothing to answer
}
