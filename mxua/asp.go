package mxua

import (
	"fmt"
	"time"

	"github.com/sigpool/sigpool/transport"
)

// ASPConfig configures the ASP side of one association: a GWC toward the
// SG, or the SG toward an upstream SGP.
type ASPConfig struct {
	Protocol      Protocol
	ASPIdentifier *uint32
	// RoutingContexts sent in ASP Active / ASP Inactive; empty sends none
	// (the SGP then applies the request to every AS it has for the ASP).
	RoutingContexts []uint32
	TrafficMode     TrafficMode // sent in ASP Active; TrafficModeNone omits it
	// Target is the state the ASP brings itself to whenever its
	// association is up (ASPDown: wait for a request event).
	Target ASPState
	// TAck is T(ack) (default 2 s); MaxAttempts is how many times a
	// request is sent before it is given up (default 5).
	TAck        time.Duration
	MaxAttempts int
	// AbortUnanswered, when set, aborts the association when an ASP Up or
	// ASP Active is given up with no answer at all (neither ack nor ERR):
	// a peer that ignores them may still hold a stale view of this ASP,
	// and a new association (the endpoint redials) starts over toward the
	// same target. Off: the ASP stays where it is until the next request.
	AbortUnanswered bool
	// RetryRefused, when set, tries a request the SGP refused with an ERR
	// (Management Blocking, an unknown routing context) again after that
	// long, toward the same target: an SGP unblocks an ASP without telling
	// it. Zero: the ASP stays where it is until the next request.
	RetryRefused time.Duration
	// AuditInterval, if set, sends DAUD for destinations reported
	// unavailable, restricted or congested at that period.
	AuditInterval time.Duration
	// Profile gives the BEAT interval and miss count.
	Profile transport.Profile
}

// Requests of the ASP's user (M-ASP_UP, M-ASP_ACTIVE, M-ASP_INACTIVE and
// M-ASP_DOWN requests of RFC 4666 section 1.6.4): each sets the state the
// ASP drives itself to, one acknowledged step at a time.
type (
	ASPUpRequest       struct{}
	ASPActiveRequest   struct{}
	ASPInactiveRequest struct{}
	ASPDownRequest     struct{}
)

func (ASPUpRequest) isEvent()       {}
func (ASPActiveRequest) isEvent()   {}
func (ASPInactiveRequest) isEvent() {}
func (ASPDownRequest) isEvent()     {}

// ASP is the ASP state machine of one association (RFC 4666 section
// 4.3.1 and 4.3.4): ASP-DOWN, ASP-INACTIVE, ASP-ACTIVE, with requests
// retransmitted every T(ack) until acknowledged, BEAT in every state, the
// AS states the SGP notifies and the destination availability table the
// SGP's SSNM messages maintain. It is not safe for concurrent use.
type ASP struct {
	cfg       ASPConfig
	assoc     AssocID
	streams   uint16
	connected bool
	state     ASPState
	target    ASPState
	pending   *Message // the request awaiting its ack
	attempts  int
	// retryTarget is the target a refused request is tried toward again
	// when TimerRetry fires (RetryRefused); ASPDown: no retry pending.
	retryTarget ASPState
	as          map[uint32]ASState // AS states learned from NTFY (key: RC, 0 without one)
	dests       DestinationTable
	// Routing key management (asp_rkm.go): queued REG/DEREG REQs, the
	// head outstanding while rkmAttempts > 0; the keys registered per
	// learned routing context; the last Local-RK-Identifier assigned.
	rkmQueue    []*Message
	rkmAttempts int
	regKeys     map[uint32]RoutingKeyParam
	lrk         uint32
	beat        beater
	timers      timerSet
}

// NewASP returns an ASP in ASP-DOWN for the association assoc.
func NewASP(assoc AssocID, cfg ASPConfig) (*ASP, error) {
	if cfg.Protocol != M3UA && cfg.Protocol != SUA {
		return nil, fmt.Errorf("mxua: ASP protocol %v", cfg.Protocol)
	}
	if cfg.TrafficMode > TrafficModeBroadcast {
		return nil, fmt.Errorf("mxua: ASP traffic mode %v", cfg.TrafficMode)
	}
	if cfg.TAck <= 0 {
		cfg.TAck = DefaultTAck
	}
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = DefaultAckRetries
	}
	cfg.RoutingContexts = append([]uint32(nil), cfg.RoutingContexts...) // registration appends
	return &ASP{cfg: cfg, assoc: assoc, target: cfg.Target, as: map[uint32]ASState{}, regKeys: map[uint32]RoutingKeyParam{},
		beat: newBeat(cfg.Profile), timers: timerSet{}}, nil
}

// State returns the ASP state.
func (a *ASP) State() ASPState { return a.state }

// ASState returns the state of an AS as last notified by the SGP.
func (a *ASP) ASState(rc uint32) ASState { return a.as[rc] }

// Destination returns what the SGP reported about a point code.
func (a *ASP) Destination(pc uint32) Destination { return a.dests.Get(pc) }

// Step feeds one event to the ASP and returns the resulting actions.
func (a *ASP) Step(now time.Time, ev Event) []Action {
	var out []Action
	switch e := ev.(type) {
	case AssocUp:
		if e.Assoc != a.assoc {
			break
		}
		a.connected, a.streams = true, e.Streams
		a.beat.start(&out, a.timers, a.assoc, now)
		a.drive(&out, now)
	case AssocDown:
		if e.Assoc == a.assoc {
			a.lost(&out, e.Reason)
		}
	case TimerFired:
		a.timer(&out, now, e.ID)
	case MessageIn:
		if e.Assoc == a.assoc && e.Msg != nil {
			a.beat.heard()
			a.message(&out, now, e.Msg)
		}
	case PeerHeard:
		if e.Assoc == a.assoc {
			a.beat.heard()
		}
	case Transfer:
		if e.Msg != nil {
			a.transfer(&out, e.Msg)
		}
	case ASPUpRequest:
		a.request(&out, now, ASPInactive)
	case ASPActiveRequest:
		a.request(&out, now, ASPActive)
	case ASPInactiveRequest:
		a.request(&out, now, ASPInactive)
	case ASPDownRequest:
		a.request(&out, now, ASPDown)
	case RegisterRequest:
		a.register(&out, now, e.Keys)
	case DeregisterRequest:
		a.deregister(&out, now, e.RoutingContexts)
	case AuditRequest:
		if a.state != ASPDown && a.connected {
			pcs := e.PointCodes
			if len(pcs) == 0 {
				pcs = a.unavailable()
			}
			if len(pcs) > 0 {
				a.sendDAUD(&out, pcs)
			}
		}
	}
	return out
}

func (a *ASP) request(out *[]Action, now time.Time, target ASPState) {
	a.cancelRetry(out)
	a.target = target
	a.drive(out, now)
}

func (a *ASP) retryTimer() TimerID { return TimerID{Kind: TimerRetry, Assoc: a.assoc} }

// cancelRetry drops a pending retry of a refused request.
func (a *ASP) cancelRetry(out *[]Action) {
	if a.retryTarget != ASPDown {
		a.retryTarget = ASPDown
		a.timers.cancel(out, a.retryTimer())
	}
}

func (a *ASP) send(out *[]Action, m *Message) {
	*out = append(*out, SendMessage{Assoc: a.assoc, Stream: 0, Msg: m})
}

// drive sends the next request toward the target state when none is
// outstanding: one ASPSM/ASPTM exchange at a time, as the ASP must wait
// for ASP Up Ack before anything else (RFC 4666 section 4.3.4.1).
func (a *ASP) drive(out *[]Action, now time.Time) {
	if !a.connected || a.pending != nil || a.target == a.state {
		return
	}
	if a.state == ASPInactive && a.target == ASPActive && a.regQueued() {
		return // ASP Active waits for the routing contexts REG RSP brings
	}
	var m *Message
	switch {
	case a.state == ASPDown:
		m = fsmNewMsg(a.cfg.Protocol, KindASPUP)
		if a.cfg.ASPIdentifier != nil {
			m.ASPIdentifier = fsmPtr(*a.cfg.ASPIdentifier)
		}
	case a.target == ASPDown:
		m = fsmNewMsg(a.cfg.Protocol, KindASPDN)
	case a.target == ASPActive:
		m = fsmNewMsg(a.cfg.Protocol, KindASPAC)
		m.TrafficMode = a.cfg.TrafficMode
		m.RoutingContexts = append([]uint32(nil), a.cfg.RoutingContexts...)
	default:
		m = fsmNewMsg(a.cfg.Protocol, KindASPIA)
		m.RoutingContexts = append([]uint32(nil), a.cfg.RoutingContexts...)
	}
	a.pending, a.attempts = m, 1
	a.send(out, m)
	a.timers.set(out, a.ackTimer(), now.Add(a.cfg.TAck))
}

func (a *ASP) ackTimer() TimerID { return TimerID{Kind: TimerAck, Assoc: a.assoc} }

// settle ends the outstanding request.
func (a *ASP) settle(out *[]Action) {
	a.pending = nil
	a.timers.cancel(out, a.ackTimer())
}

func (a *ASP) setState(out *[]Action, st ASPState, reason string) {
	if st == a.state {
		return
	}
	from := a.state
	a.state = st
	*out = append(*out, Notify{Kind: NotifyASPState, Assoc: a.assoc, ASP: st, From: from, Reason: reason})
}

// lost handles the end of the association (SCTP or BEAT): ASP-DOWN, the
// target kept so that the ASP comes back up on the next AssocUp.
func (a *ASP) lost(out *[]Action, reason string) {
	a.connected = false
	a.settle(out)
	if a.retryTarget != ASPDown {
		// A new association starts over toward it at once.
		a.target = a.retryTarget
		a.cancelRetry(out)
	}
	a.rkmLost(out)
	a.beat.stop(out, a.timers, a.assoc)
	a.timers.cancel(out, TimerID{Kind: TimerAudit, Assoc: a.assoc})
	a.setState(out, ASPDown, reason)
}

func (a *ASP) timer(out *[]Action, now time.Time, id TimerID) {
	if id.Assoc != a.assoc || !a.timers.fired(id, now) {
		return
	}
	switch id.Kind {
	case TimerAck:
		if a.pending == nil {
			return
		}
		if a.attempts >= a.cfg.MaxAttempts {
			// Give up: the negative M-ASP_xx confirm of RFC 4666 4.3.4.1.
			req := a.pending.Kind
			a.pending = nil
			*out = append(*out, Notify{Kind: NotifyRequestFailed, Assoc: a.assoc, Request: req, ASP: a.state, Reason: "T(ack) expired"})
			if a.cfg.AbortUnanswered && (req == KindASPUP || req == KindASPAC) {
				// Layer management's reset: a new association starts
				// over toward the same target.
				reason := fmt.Sprintf("%v unanswered after %d attempts", req, a.attempts)
				*out = append(*out, AbortAssoc{Assoc: a.assoc, Reason: reason})
				a.lost(out, reason)
				return
			}
			a.target = a.state
			return
		}
		a.attempts++
		a.send(out, a.pending)
		a.timers.set(out, a.ackTimer(), now.Add(a.cfg.TAck))
	case TimerBeat:
		if a.beat.expire(out, a.timers, a.cfg.Protocol, a.assoc, now) {
			*out = append(*out, Notify{Kind: NotifyPeerLost, Assoc: a.assoc, ASP: a.state, Reason: "BEAT ACK missing"})
			*out = append(*out, AbortAssoc{Assoc: a.assoc, Reason: "BEAT ACK missing"})
			a.lost(out, "peer lost")
		}
	case TimerAudit:
		a.audit(out, now)
	case TimerRKM:
		a.rkmTimeout(out, now)
	case TimerRetry:
		if a.retryTarget != ASPDown {
			a.target, a.retryTarget = a.retryTarget, ASPDown
			a.drive(out, now)
		}
	}
}

func (a *ASP) pendingKind() Kind {
	if a.pending == nil {
		return 0
	}
	return a.pending.Kind
}

func (a *ASP) message(out *[]Action, now time.Time, m *Message) {
	if code := fsmCheckKind(a.cfg.Protocol, m.Kind); code != 0 {
		a.send(out, fsmErrMsg(a.cfg.Protocol, code, m, nil))
		return
	}
	switch m.Kind {
	case KindBEAT:
		a.send(out, beatAck(a.cfg.Protocol, m))
	case KindBEATAck:
		a.beat.ack(m)
	case KindASPUPAck:
		switch {
		case a.pendingKind() == KindASPUP:
			a.settle(out)
			a.setState(out, ASPInactive, "")
			a.driveRKM(out, now)
			a.drive(out, now)
		case a.state == ASPDown:
			a.send(out, fsmErrMsg(a.cfg.Protocol, ErrUnexpectedMessage, m, nil))
		}
		// Up already: a duplicate of a retransmitted ASP Up, ignored.
	case KindASPDNAck:
		if a.pendingKind() == KindASPDN {
			a.settle(out)
			a.setState(out, ASPDown, "")
			return
		}
		if a.state != ASPDown {
			// Unsolicited: the SGP took us down. Consider ASP-DOWN and
			// return to the previous state (RFC 4666 4.3.4.2).
			a.settle(out)
			a.setState(out, ASPDown, "ASP Down Ack from SGP")
			a.drive(out, now)
		}
	case KindASPACAck:
		switch {
		case a.pendingKind() == KindASPAC:
			a.settle(out)
			a.setState(out, ASPActive, "")
			a.drive(out, now)
		case a.state == ASPDown:
			a.send(out, fsmErrMsg(a.cfg.Protocol, ErrUnexpectedMessage, m, nil))
		}
	case KindASPIAAck:
		switch {
		case a.pendingKind() == KindASPIA:
			a.settle(out)
			a.setState(out, ASPInactive, "")
			a.drive(out, now)
		case a.state == ASPActive:
			// Unsolicited: INACTIVE now, then back to the previous state
			// (RFC 4666 4.3.4.4).
			if a.pendingKind() == KindASPAC {
				a.settle(out)
			}
			a.setState(out, ASPInactive, "ASP Inactive Ack from SGP")
			a.drive(out, now)
		case a.state == ASPDown:
			a.send(out, fsmErrMsg(a.cfg.Protocol, ErrUnexpectedMessage, m, nil))
		}
	case KindNTFY:
		a.ntfy(out, m)
	case KindERR:
		*out = append(*out, Notify{Kind: NotifyError, Assoc: a.assoc, Msg: m})
		if a.rkmOutstanding() != nil && ackRefused(m.ErrorCode) &&
			(a.pending == nil || m.ErrorCode == ErrUnsupportedMessageClass) {
			// An SGP without dynamic registration refuses the RKM class.
			a.rkmRefused(out, now, m)
			return
		}
		// "Unexpected Message" refuses none of the requests: an SGP that
		// still had this ASP ACTIVE (a new association came up before it
		// saw the old one end) sends it together with the ASP Up Ack,
		// before or after it (RFC 4666 4.3.4.1), and it may be about any
		// message we sent. The ack or T(ack) ends the request.
		if a.pending != nil && ackRefused(m.ErrorCode) && m.ErrorCode != ErrUnexpectedMessage {
			req := a.pending.Kind
			a.settle(out)
			if a.cfg.RetryRefused > 0 && a.target != a.state && a.target != ASPDown {
				a.retryTarget = a.target
				a.timers.set(out, a.retryTimer(), now.Add(a.cfg.RetryRefused))
			}
			a.target = a.state
			*out = append(*out, Notify{Kind: NotifyRequestFailed, Assoc: a.assoc, Request: req, ASP: a.state, Msg: m,
				Reason: fmt.Sprintf("ERR %#x", uint32(m.ErrorCode))})
		}
	case KindDUNA, KindDAVA, KindDRST, KindSCON, KindDUPU:
		a.ssnm(out, now, m)
	case KindREGRSP:
		a.regRsp(out, now, m)
	case KindDEREGRSP:
		a.deregRsp(out, now, m)
	case KindREGREQ, KindDEREGREQ:
		// Only an SGP registers routing keys.
		a.send(out, fsmErrMsg(a.cfg.Protocol, ErrUnsupportedMessageClass, m, nil))
	default:
		if fsmIsTransfer(m.Kind) {
			if a.state != ASPActive {
				a.send(out, fsmErrMsg(a.cfg.Protocol, ErrUnexpectedMessage, m, m.RoutingContexts))
				*out = append(*out, Notify{Kind: NotifyDiscarded, Assoc: a.assoc, Count: 1, Msg: m, Reason: "ASP not active"})
				return
			}
			var rc uint32
			if len(m.RoutingContexts) > 0 {
				rc = m.RoutingContexts[0]
			}
			a.userPartAlive(m)
			*out = append(*out, Notify{Kind: NotifyDeliver, Assoc: a.assoc, RoutingContext: rc, Msg: m})
			return
		}
		// ASPUP, ASPAC, ..., DAUD: only the ASP sends these.
		a.send(out, fsmErrMsg(a.cfg.Protocol, ErrUnexpectedMessage, m, nil))
	}
}

// refuses reports whether an ERR code answers a management request (and
// so ends it) rather than reporting a traffic problem.
func ackRefused(c ErrorCode) bool {
	switch c {
	case ErrInvalidStreamIdentifier, ErrDestinationStatusUnknown, ErrSubsystemStatusUnknown, ErrInvalidLoadsharingLabel:
		return false
	}
	return true
}

// ntfy handles a Notify from the SGP (RFC 4666 section 4.3.4.5).
func (a *ASP) ntfy(out *[]Action, m *Message) {
	if m.Status == nil {
		a.send(out, fsmErrMsg(a.cfg.Protocol, ErrMissingParameter, m, nil))
		return
	}
	rcs := m.RoutingContexts
	if len(rcs) == 0 {
		rcs = []uint32{0}
	}
	switch m.Status.Type {
	case StatusTypeASStateChange:
		st, ok := map[uint16]ASState{StatusASInactive: ASInactive, StatusASActive: ASActive, StatusASPending: ASPending}[m.Status.Info]
		if !ok {
			a.send(out, fsmErrMsg(a.cfg.Protocol, ErrInvalidParameterValue, m, nil))
			return
		}
		for _, rc := range rcs {
			a.as[rc] = st
			*out = append(*out, Notify{Kind: NotifyASState, Assoc: a.assoc, RoutingContext: rc, AS: st, Msg: m})
		}
	case StatusTypeOther:
		*out = append(*out, Notify{Kind: NotifyStatus, Assoc: a.assoc, RoutingContext: rcs[0], Msg: m})
		if m.Status.Info == StatusAlternateASPActive && a.state == ASPActive {
			// Another ASP took over the override AS: we are INACTIVE
			// and do not fight back.
			if a.pendingKind() == KindASPAC || a.pendingKind() == KindASPIA {
				a.settle(out)
			}
			a.target = ASPInactive
			a.setState(out, ASPInactive, "alternate ASP active")
		}
	default:
		a.send(out, fsmErrMsg(a.cfg.Protocol, ErrInvalidParameterValue, m, nil))
	}
}

// transfer sends user traffic to the SGP, on the stream of its SLS.
func (a *ASP) transfer(out *[]Action, m *Message) {
	if a.state != ASPActive {
		*out = append(*out, Notify{Kind: NotifyDiscarded, Assoc: a.assoc, Count: 1, Msg: m, Reason: "ASP not active"})
		return
	}
	c := *m
	c.Protocol = a.cfg.Protocol
	if len(c.RoutingContexts) == 0 && len(a.cfg.RoutingContexts) == 1 {
		c.RoutingContexts = []uint32{a.cfg.RoutingContexts[0]}
	}
	*out = append(*out, SendMessage{Assoc: a.assoc, Stream: StreamFor(Selector(m), a.streams), Msg: &c})
}

// userPartAlive clears a DUPU of the user part a message came from: traffic
// from it shows it is available again (ITU-T Q.704 section 11.2.7).
// deliversAll reports whether user traffic received while ACTIVE would
// only be delivered, changing nothing here: no user part is marked
// unavailable for it to revive.
func (a *ASP) deliversAll() bool { return a.state == ASPActive && len(a.dests.users) == 0 }

func (a *ASP) userPartAlive(m *Message) {
	switch {
	case m.ProtocolData != nil:
		a.dests.setUserPart(m.ProtocolData.OPC, uint16(m.ProtocolData.SI), 0, false)
	case m.SUA != nil && m.SUA.Source != nil && m.SUA.Source.PointCode != nil:
		a.dests.setUserPart(*m.SUA.Source.PointCode, siSCCP, 0, false)
	}
}
