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

// replyTo says how an encoded TCAP answer is carried back to the sender
// of the message it answers: in a UDT or XUDT with called and calling
// party swapped, in M3UA DATA back along the MTP3 route (sccp), or in a
// SUA CLDT with source and destination swapped.
type replyTo struct {
	m    *mxua.Message // answered; read only
	udt  *sccp.UDT
	xudt *sccp.XUDT
	r    route
}

// answerBlock and suaAnswerBlock hold an answer and its payload in one
// allocation (a typical UDT with TCAP answer fits buf).
type (
	answerBlock struct {
		m   mxua.Message
		pd  mxua.ProtocolData
		buf [64]byte
	}
	suaAnswerBlock struct {
		m   mxua.Message
		sua mxua.SUAData
		buf [48]byte
	}
)

// message wraps the encoded TCAP answer t.
func (rt *replyTo) message(t []byte) (*mxua.Message, error) {
	if rt.m.Protocol == mxua.SUA {
		blk := new(suaAnswerBlock)
		in := rt.m.SUA
		blk.sua = mxua.SUAData{ProtocolClass: in.ProtocolClass &^ 0x80, SequenceControl: in.SequenceControl,
			Source: in.Destination, Destination: in.Source, Data: append(blk.buf[:0], t...)}
		blk.m = mxua.Message{Protocol: mxua.SUA, Kind: mxua.KindCLDT, RoutingContexts: rt.m.RoutingContexts,
			NetworkAppearance: rt.m.NetworkAppearance, SUA: &blk.sua}
		return &blk.m, nil
	}
	blk := new(answerBlock)
	var p []byte
	var err error
	if u := rt.udt; u != nil {
		p, err = (&sccp.UDT{ProtocolClass: u.ProtocolClass, CalledParty: u.CallingParty, CallingParty: u.CalledParty, Data: t}).AppendTo(blk.buf[:0])
	} else {
		u := rt.xudt
		p, err = (&sccp.XUDT{ProtocolClass: u.ProtocolClass, HopCounter: 15, CalledParty: u.CallingParty, CallingParty: u.CalledParty, Data: t}).AppendTo(blk.buf[:0])
	}
	r := &rt.r
	blk.pd = mxua.ProtocolData{OPC: r.OPC, DPC: r.DPC, SI: siSCCP, NI: r.NI, MP: r.MP, SLS: r.SLS, Payload: p}
	blk.m = mxua.Message{Protocol: mxua.M3UA, Kind: mxua.KindDATA, RoutingContexts: r.RC, NetworkAppearance: r.NA, ProtocolData: &blk.pd}
	return &blk.m, err
}

// sccpTCAP handles TCAP in a SCCP UDT or XUDT in M3UA DATA; answers swap
// called and calling party and go back along the MTP3 route.
func (a *CallAgent) sccpTCAP(out []Action, now time.Time, peer Peer, m *mxua.Message, b mxua.Binding) []Action {
	key, _ := b.Key()
	msg, err := sccp.Decode(m.ProtocolData.Payload)
	if err != nil {
		return a.malformed(out, key, err.Error())
	}
	// The answer is built before this returns: the route may share m's
	// routing contexts and network appearance rather than copy them.
	rt := replyTo{m: m, r: a.routeOf(m, false)}
	var data []byte
	switch u := msg.(type) {
	case *sccp.UDT:
		data, rt.udt = u.Data, u
	case *sccp.XUDT:
		data, rt.xudt = u.Data, u
	default:
		return a.unexpected(out, key, fmt.Sprintf("SCCP %v: not unitdata", msg.MessageType()))
	}
	return a.tcap(out, now, peer, b, data, &rt)
}

// suaTCAP handles TCAP in a SUA CLDT; the answer is a CLDT with source and
// destination swapped.
func (a *CallAgent) suaTCAP(out []Action, now time.Time, peer Peer, m *mxua.Message, b mxua.Binding) []Action {
	return a.tcap(out, now, peer, b, m.SUA.Data, &replyTo{m: m})
}

// tcap runs the responder for one TCAP message.
func (a *CallAgent) tcap(out []Action, now time.Time, peer Peer, b mxua.Binding, data []byte, reply *replyTo) []Action {
	key, _ := b.Key()
	msg, err := tcap.Decode(data)
	if err != nil {
		return a.malformed(out, key, err.Error())
	}
	send := func(out []Action, t *tcap.Message) []Action {
		enc, err := t.AppendTo(a.scratch[:0]) // copied into the answer
		a.scratch = enc[:0]
		var m *mxua.Message
		if err == nil {
			m, err = reply.message(enc)
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
