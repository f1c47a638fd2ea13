package gwc

import (
	"fmt"
	"time"

	"github.com/sigpool/sigpool/mxua"
	"github.com/sigpool/sigpool/mxua/isup"
)

// callState is where an incoming call stands at the GWC (Q.764 2.1-2.3,
// the GWC as terminating exchange).
type callState uint8

const (
	// callAlerting: IAM received, ACM sent, ANM due after AnswerDelay.
	callAlerting callState = iota + 1
	// callAnswered: ANM sent; REL due after HoldTime when one is set.
	callAnswered
	// callReleasing: REL sent, RLC awaited (T1 running).
	callReleasing
)

func (s callState) String() string {
	switch s {
	case callAlerting:
		return "alerting"
	case callAnswered:
		return "answered"
	case callReleasing:
		return "releasing"
	}
	return fmt.Sprintf("callState(%d)", uint8(s))
}

// backwardCallIndicators of the ACM: charge, subscriber free, ordinary
// subscriber (octet 1); ISUP used all the way, ISDN access (octet 2)
// (Q.763 3.5).
const backwardCallIndicators = 0x1416

// route is how the GWC addresses the messages of one call: MTP3 label and
// the M3UA parameters the request came with.
type route struct {
	OPC, DPC    uint32 // of messages the GWC sends
	NI, MP, SLS uint8
	RC          []uint32
	NA          *uint32 // network appearance
}

// routeOf answers m: to its OPC, from the configured point code or m's DPC.
// A route kept beyond m's handling (keep) has its own copies of m's
// routing contexts and network appearance; otherwise it shares them.
func (a *CallAgent) routeOf(m *mxua.Message, keep bool) route {
	pd := m.ProtocolData
	r := route{OPC: a.cfg.PointCode, DPC: pd.OPC, NI: pd.NI, MP: pd.MP, SLS: pd.SLS}
	if r.OPC == 0 {
		r.OPC = pd.DPC
	}
	if !keep {
		r.RC, r.NA = m.RoutingContexts, m.NetworkAppearance
		return r
	}
	if len(m.RoutingContexts) > 0 {
		r.RC = append([]uint32(nil), m.RoutingContexts...)
	}
	if m.NetworkAppearance != nil {
		na := *m.NetworkAppearance
		r.NA = &na
	}
	return r
}

// data builds an M3UA DATA message along the route.
func (r *route) data(si uint8, payload []byte) *mxua.Message {
	return &mxua.Message{
		Protocol: mxua.M3UA, Kind: mxua.KindDATA, RoutingContexts: r.RC, NetworkAppearance: r.NA,
		ProtocolData: &mxua.ProtocolData{OPC: r.OPC, DPC: r.DPC, SI: si, NI: r.NI, MP: r.MP, SLS: r.SLS, Payload: payload},
	}
}

// call is one circuit in use.
type call struct {
	key       mxua.BindingKey
	cic       uint16
	state     callState
	r         route
	peer      Peer
	answered  time.Time // when ANM went out; zero before
	due       time.Time // ANM, REL or T1 deadline; zero for none
	gen       uint64
	attempts  int   // RELs sent
	cause     uint8 // of the GWC's REL
	announced bool  // the SG holds a cookie for it
}

// isup handles one ISUP message for circuit b.
func (a *CallAgent) isup(out []Action, now time.Time, peer Peer, m *mxua.Message, b mxua.Binding) []Action {
	key, _ := b.Key()
	msg, err := isup.Decode(m.ProtocolData.Payload)
	if err != nil {
		return a.malformed(out, key, err.Error())
	}
	c := a.circuits[key]
	if c != nil {
		c.peer = peer
	}
	switch msg.(type) {
	case *isup.IAM:
		switch {
		case c == nil:
			return a.seize(out, now, peer, key, b.CIC, a.routeOf(m, true))
		case c.state == callReleasing:
			return a.unexpected(out, key, "IAM on a circuit awaiting RLC: discarded")
		default:
			// Not a dual seizure (the GWC never seizes): the two ends
			// disagree about the circuit, so clear it (Q.764 2.10.8.3);
			// the new call is lost.
			out = a.unexpected(out, key, fmt.Sprintf("IAM on a busy circuit (%v): released", c.state))
			out = a.release(out, now, c, isup.CauseTemporaryFailure)
			return a.cookie(out, c.peer, key, c.snapshot(now))
		}
	case *isup.REL:
		r := a.routeOf(m, false) // the RLC is built at once
		out, err = a.sendISUP(out, peer, &r, &isup.RLC{CIC: b.CIC})
		if err != nil {
			return a.malformed(out, key, err.Error())
		}
		if c == nil {
			// Q.764 2.10.8.3: REL on an idle circuit is answered with RLC.
			return a.unexpected(out, key, "REL on an idle circuit: RLC sent")
		}
		detail := "released by the SS7 side in state " + c.state.String()
		a.dropCall(c)
		a.stats.CallsCompleted++
		out = append(out, Note{Kind: NoteCallEnded, Key: key, Detail: detail})
		return a.finishedCookie(out, peer, key, c.announced)
	case *isup.RLC:
		switch {
		case c == nil:
			return a.unexpected(out, key, "RLC on an idle circuit: discarded")
		case c.state == callReleasing:
			a.dropCall(c)
			a.stats.CallsCompleted++
			out = append(out, Note{Kind: NoteCallEnded, Key: key, Detail: "release complete"})
			return a.finishedCookie(out, peer, key, c.announced)
		default:
			// Q.764 2.10.8.3: RLC for a busy circuit that sent no REL:
			// release it with REL (cause 31).
			out = a.unexpected(out, key, fmt.Sprintf("RLC on a busy circuit (%v): released", c.state))
			out = a.release(out, now, c, isup.CauseNormalUnspecified)
			return a.cookie(out, c.peer, key, c.snapshot(now))
		}
	}
	return a.unexpected(out, key, fmt.Sprintf("ISUP %v from the SS7 side: discarded", msg.MessageType()))
}

// seize starts a call on an idle circuit: ACM now, ANM now or later.
func (a *CallAgent) seize(out []Action, now time.Time, peer Peer, key mxua.BindingKey, cic uint16, r route) []Action {
	c := &call{key: key, cic: cic, state: callAlerting, r: r, peer: peer}
	var err error
	if out, err = a.sendISUP(out, peer, &c.r, &isup.ACM{CIC: cic, BackwardCall: backwardCallIndicators}); err != nil {
		return a.malformed(out, key, err.Error())
	}
	a.circuits[key] = c
	a.stats.CallsStarted++
	a.stats.CallsPerCIC[cic]++
	out = append(out, Note{Kind: NoteCallStarted, Key: key})
	if a.cfg.AnswerDelay == 0 {
		out = a.answer(out, now, c)
	} else {
		c.due = now.Add(a.cfg.AnswerDelay)
		a.arm(c.due, timerCall, key, &c.gen)
	}
	c.announced = true
	return a.cookie(out, peer, key, c.snapshot(now))
}

// answer sends ANM and starts the hold time.
func (a *CallAgent) answer(out []Action, now time.Time, c *call) []Action {
	out, _ = a.sendISUP(out, c.peer, &c.r, &isup.ANM{CIC: c.cic})
	c.state, c.answered = callAnswered, now
	c.due = time.Time{}
	if a.cfg.HoldTime > 0 {
		c.due = now.Add(a.cfg.HoldTime)
	}
	a.arm(c.due, timerCall, c.key, &c.gen)
	a.stats.CallsAnswered++
	return append(out, Note{Kind: NoteCallAnswered, Key: c.key})
}

// release sends REL and waits for RLC (T1).
func (a *CallAgent) release(out []Action, now time.Time, c *call, cause uint8) []Action {
	c.state, c.cause, c.attempts = callReleasing, cause, 0
	return a.sendREL(out, now, c)
}

func (a *CallAgent) sendREL(out []Action, now time.Time, c *call) []Action {
	rel := &isup.REL{CIC: c.cic, Cause: isup.CauseIndicators{CodingStandard: isup.CodingStandardITU, Location: isup.LocationPublicLocal, Value: c.cause}}
	out, _ = a.sendISUP(out, c.peer, &c.r, rel)
	c.attempts++
	c.due = now.Add(a.cfg.ReleaseTimeout)
	a.arm(c.due, timerCall, c.key, &c.gen)
	return out
}

// callTimer runs the deadline of a call's state.
func (a *CallAgent) callTimer(out []Action, now time.Time, c *call) []Action {
	switch c.state {
	case callAlerting:
		out = a.answer(out, now, c)
	case callAnswered:
		out = a.release(out, now, c, isup.CauseNormalClearing)
	case callReleasing:
		if c.attempts < a.cfg.ReleaseAttempts {
			return a.sendREL(out, now, c) // same state: no new cookie
		}
		a.dropCall(c)
		a.stats.CallsCompleted++
		out = append(out, Note{Kind: NoteCallEnded, Key: c.key, Detail: fmt.Sprintf("no RLC after %d RELs: circuit freed", c.attempts)})
		return a.finishedCookie(out, c.peer, c.key, c.announced)
	}
	return a.cookie(out, c.peer, c.key, c.snapshot(now))
}

// dropCall frees the circuit; its pending deadline is stranded.
func (a *CallAgent) dropCall(c *call) {
	if a.circuits[c.key] == c {
		delete(a.circuits, c.key)
	}
	c.gen++
}

// sendISUP appends a Send of an ISUP message along r. Encoding fails only
// for values the agent never produces; the error is reported, not panicked on.
func (a *CallAgent) sendISUP(out []Action, peer Peer, r *route, m isup.Message) ([]Action, error) {
	b, err := isup.Marshal(m)
	if err != nil {
		return out, fmt.Errorf("encode %v: %w", m.MessageType(), err)
	}
	return append(out, Send{Peer: peer, Msg: r.data(siISUP, b)}), nil
}
