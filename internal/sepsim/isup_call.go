package sepsim

import (
	"errors"
	"fmt"
	"time"

	"github.com/sigpool/sigpool/mxua/isup"
)

// ErrNoFreeCircuit: every CIC of the range carries a call.
var ErrNoFreeCircuit = errors.New("sepsim: no free circuit in the CIC range")

// callState is where a call on one circuit stands, from the simulator's
// side as the originating exchange (ITU-T Q.764 basic call).
type callState uint8

const (
	callIdle     callState = iota
	callAwaitACM           // IAM sent
	callAwaitANM           // ACM received
	callAnswered           // ANM received; REL after the hold time
	callAwaitRLC           // REL sent at the end of the hold time
	// callReleasing: the call's outcome is already recorded (timed out,
	// refused, or a release collision); the circuit is freed by the RLC
	// or at the next timeout.
	callReleasing
)

// stepName is the answer a call in state s waits for.
func (s callState) stepName() string {
	switch s {
	case callAwaitACM:
		return "acm"
	case callAwaitANM:
		return "anm"
	case callAnswered:
		return "answered"
	case callAwaitRLC, callReleasing:
		return "rlc"
	}
	return "idle"
}

type call struct {
	state  callState
	gen    uint32
	start  time.Time // IAM sent
	sentAt time.Time // the request now awaiting its answer
}

// isupOut is one ISUP message to send on a circuit.
type isupOut struct {
	cic     uint16
	payload []byte
}

// circuits runs the calls of a CIC range: seizes free circuits in turn
// (first freed, first reused, so every circuit gets used), tracks each
// call's state and timers, and answers the far end's releases.
type circuits struct {
	first    uint16
	calls    []call
	free     []uint16 // ring of free CICs
	head, n  int
	holdTime time.Duration
	timeout  time.Duration
	digits   string
	rec      *recorder
	timers   *timerHeap
}

func newCircuits(first, last uint16, hold, timeout time.Duration, digits string, rec *recorder, timers *timerHeap) *circuits {
	size := int(last) - int(first) + 1
	c := &circuits{first: first, calls: make([]call, size), free: make([]uint16, size), n: size,
		holdTime: hold, timeout: timeout, digits: digits, rec: rec, timers: timers}
	for i := range c.free {
		c.free[i] = first + uint16(i)
	}
	return c
}

func (c *circuits) get(cic uint16) *call {
	if cic < c.first || int(cic-c.first) >= len(c.calls) {
		return nil
	}
	return &c.calls[cic-c.first]
}

func (c *circuits) release(cic uint16) {
	c.calls[cic-c.first].state = callIdle
	c.calls[cic-c.first].gen++
	c.free[(c.head+c.n)%len(c.free)] = cic
	c.n++
}

func (c *circuits) arm(cic uint16, cl *call, at time.Time) {
	cl.gen++
	c.timers.arm(timer{at: at, kind: timerCall, id: uint32(cic), gen: cl.gen})
}

// start seizes the next free circuit and returns its IAM.
func (c *circuits) start(now time.Time, out []isupOut) ([]isupOut, error) {
	if c.n == 0 {
		return out, ErrNoFreeCircuit
	}
	cic := c.free[c.head]
	c.head = (c.head + 1) % len(c.free)
	c.n--
	iam := isup.IAM{
		CIC:                   cic,
		ForwardCall:           0x0100, // ISDN access indicator
		CallingPartysCategory: isup.CategoryOrdinary,
		CalledPartyNumber: isup.CalledPartyNumber{NatureOfAddress: isup.NAINationalSignificant,
			NumberingPlan: isup.NumberingPlanISDN, Digits: c.digits},
	}
	b, err := iam.AppendTo(nil)
	if err != nil {
		c.release(cic)
		return out, fmt.Errorf("sepsim: encode IAM on CIC %d: %w", cic, err)
	}
	cl := c.get(cic)
	*cl = call{state: callAwaitACM, gen: cl.gen, start: now, sentAt: now}
	c.arm(cic, cl, now.Add(c.timeout))
	c.rec.sent++
	c.rec.calls.Started++
	c.rec.calls.Active++
	return append(out, isupOut{cic, b}), nil
}

// end records a call's outcome.
func (c *circuits) end(now time.Time, cic uint16, cl *call, o Outcome, step, detail string) {
	c.rec.calls.end(o, step)
	c.rec.record(Record{Kind: "call", ID: uint32(cic), Outcome: o, Step: step, Detail: detail, Start: cl.start, End: now})
}

func rel(cic uint16, cause uint8) []byte {
	m := isup.REL{CIC: cic, Cause: isup.CauseIndicators{Location: isup.LocationPrivateLocal, Value: cause}}
	b, _ := m.AppendTo(nil) // a REL with a 7-bit cause always encodes
	return b
}

func rlc(cic uint16) []byte {
	b, _ := (&isup.RLC{CIC: cic}).AppendTo(nil)
	return b
}

// causeRecoveryOnTimerExpiry is Q.850 cause 102, which a release after an
// answer timeout carries.
const causeRecoveryOnTimerExpiry = 102

// receive handles one ISUP message from the far end.
func (c *circuits) receive(now time.Time, payload []byte, out []isupOut) ([]isupOut, error) {
	cic, err := isup.CIC(payload)
	if err != nil || len(payload) < 3 {
		c.rec.malformed++
		return out, fmt.Errorf("sepsim: ISUP message of %d octets: %w", len(payload), err)
	}
	typ := isup.MessageType(payload[2])
	cl := c.get(cic)
	if cl == nil || cl.state == callIdle {
		c.rec.unexpected++
		if typ == isup.MsgREL {
			// Q.764 2.9.3: a REL on an idle circuit is still answered.
			return append(out, isupOut{cic, rlc(cic)}), nil
		}
		return out, nil
	}
	switch {
	case typ == isup.MsgACM && cl.state == callAwaitACM:
		c.rec.answer(&c.rec.iamACM, cl.sentAt, now)
		cl.state = callAwaitANM
		c.arm(cic, cl, now.Add(c.timeout))
	case typ == isup.MsgANM && (cl.state == callAwaitANM || cl.state == callAwaitACM):
		if cl.state == callAwaitACM { // answered without ACM: the IAM's answer
			c.rec.answer(&c.rec.iamACM, cl.sentAt, now)
		}
		c.rec.iamANM.Record(now.Sub(cl.start))
		cl.state = callAnswered
		if c.holdTime <= 0 {
			return c.hangUp(now, cic, cl, out), nil
		}
		c.arm(cic, cl, now.Add(c.holdTime))
	case typ == isup.MsgRLC && (cl.state == callAwaitRLC || cl.state == callReleasing):
		if cl.state == callAwaitRLC {
			c.rec.answer(&c.rec.relRLC, cl.sentAt, now)
			c.end(now, cic, cl, Completed, "", "")
		}
		c.release(cic)
	case typ == isup.MsgREL:
		out = append(out, isupOut{cic, rlc(cic)})
		switch cl.state {
		case callAnswered:
			c.end(now, cic, cl, Completed, "", "released by the far end")
		case callAwaitRLC:
			// Release collision (Q.764 2.9.3.1): both RLCs end it; ours
			// is sent, the far end's may still come and is accepted.
			c.rec.answered++ // the far end's REL answers ours as well
			c.end(now, cic, cl, Completed, "", "release collision")
			cl.state = callReleasing
			c.arm(cic, cl, now.Add(c.timeout))
			return out, nil
		case callReleasing:
		default:
			c.rec.answered++ // a refusal answers the IAM
			c.end(now, cic, cl, Failed, cl.state.stepName(), relCause(payload))
		}
		c.release(cic)
	default:
		c.rec.unexpected++
	}
	return out, nil
}

func relCause(payload []byte) string {
	m, err := isup.Decode(payload)
	if r, ok := m.(*isup.REL); ok && err == nil {
		return fmt.Sprintf("REL cause %d", r.Cause.Value)
	}
	return "REL"
}

// hangUp sends REL at the end of the hold time.
func (c *circuits) hangUp(now time.Time, cic uint16, cl *call, out []isupOut) []isupOut {
	cl.state, cl.sentAt = callAwaitRLC, now
	c.arm(cic, cl, now.Add(c.timeout))
	c.rec.sent++
	return append(out, isupOut{cic, rel(cic, isup.CauseNormalClearing)})
}

// fire handles a due timer of a circuit.
func (c *circuits) fire(now time.Time, t timer, out []isupOut) []isupOut {
	cic := uint16(t.id)
	cl := c.get(cic)
	if cl == nil || cl.gen != t.gen {
		return out // stranded by a later state change
	}
	switch cl.state {
	case callAnswered:
		return c.hangUp(now, cic, cl, out)
	case callAwaitACM, callAwaitANM:
		// Give up the call and clear the circuit (Q.764 T7/T9 expiry);
		// the RLC, if any, frees it. Only a missing ACM leaves a request
		// (the IAM) unanswered.
		if cl.state == callAwaitACM {
			c.rec.timeout(cl.sentAt)
		}
		c.end(now, cic, cl, TimedOut, cl.state.stepName(), "no answer within "+c.timeout.String())
		cl.state, cl.sentAt = callReleasing, now
		c.arm(cic, cl, now.Add(c.timeout))
		return append(out, isupOut{cic, rel(cic, causeRecoveryOnTimerExpiry)})
	case callAwaitRLC:
		c.rec.timeout(cl.sentAt)
		c.end(now, cic, cl, TimedOut, "rlc", "no RLC within "+c.timeout.String())
		c.release(cic)
	case callReleasing:
		c.release(cic)
	}
	return out
}

// busy returns how many circuits are seized.
func (c *circuits) busy() int { return len(c.calls) - c.n }

// outstanding returns how many sent requests (IAM, REL) await an answer.
func (c *circuits) outstanding() int {
	n := 0
	for i := range c.calls {
		if s := c.calls[i].state; s == callAwaitACM || s == callAwaitRLC {
			n++
		}
	}
	return n
}
