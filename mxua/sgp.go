package mxua

import (
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/sigpool/sigpool/transport"
)

// Defaults of RFC 4666 section 4.3.4 and common practice.
const (
	DefaultTAck       = 2 * time.Second // T(ack)
	DefaultTRecovery  = 2 * time.Second // T(r)
	DefaultAckRetries = 5               // T(ack) expiries before giving up
	DefaultMaxPending = 4096            // messages buffered per AS while AS-PENDING
)

// SGPConfig configures the SGP side of the signalling gateway: the ASes it
// serves toward the ASPs (the GWCs) and how strictly it admits them.
type SGPConfig struct {
	Protocol Protocol
	ASes     []ASConfig
	// RequireASPIdentifier refuses an ASP Up without an ASP Identifier
	// ("ASP Identifier Required", 0x0e).
	RequireASPIdentifier bool
	// KnownASPs, if set, are the valid ASP Identifiers; another one is
	// refused ("Invalid ASP Identifier", 0x0f).
	KnownASPs []uint32
	// BlockedASPs are refused by management ("Refused - Management
	// Blocking", 0x0d).
	BlockedASPs []uint32
	// RecoveryTimeout is T(r) (default 2 s).
	RecoveryTimeout time.Duration
	// MaxPending bounds the AS-PENDING buffer of each AS (default 4096).
	MaxPending int
	// Profile gives the BEAT interval and miss count (AppHBInterval,
	// AppHBMiss); a zero interval turns BEAT off.
	Profile transport.Profile
	// AllowDynamicRegistration lets ASPs register routing keys by REG REQ
	// and deregister by DEREG REQ (RFC 4666 section 4.4). Off, every AS is
	// provisioned and RKM messages get ERR(Unsupported Message Class).
	AllowDynamicRegistration bool
	// MaxDynamicASes bounds the ASes REG REQ may create (0: no bound);
	// beyond it a key gets "Insufficient Resources".
	MaxDynamicASes int
	// DynamicRCBase is the first routing context given to a dynamic AS
	// (default: one above the highest provisioned routing context).
	DynamicRCBase uint32
}

// SetDestination tells the SGP the availability of an SS7 destination
// (or of a pool behind the SG). When it changes, the SGP sends DUNA, DAVA,
// DRST or SCON to every active ASP (RFC 4666 section 4.5); DAUD from an ASP
// is answered from this table.
type SetDestination struct{ Destination Destination }

// UserPartUnavailable makes the SGP send DUPU to the active ASPs: the user
// part (User: 3 SCCP, 5 ISUP, ...) at PointCode is unavailable for Cause
// (0 unknown, 1 unequipped remote user, 2 inaccessible remote user).
type UserPartUnavailable struct {
	PointCode   uint32
	User, Cause uint16
}

// ForceASPInactive moves an ASP to ASP-INACTIVE by management: the SGP
// sends it an unsolicited ASP Inactive Ack (RFC 4666 section 4.3.4.4).
type ForceASPInactive struct{ Assoc AssocID }

// ForceASPDown moves an ASP to ASP-DOWN by management with an unsolicited
// ASP Down Ack (RFC 4666 section 4.3.4.2).
type ForceASPDown struct{ Assoc AssocID }

func (SetDestination) isEvent()      {}
func (UserPartUnavailable) isEvent() {}
func (ForceASPInactive) isEvent()    {}
func (ForceASPDown) isEvent()        {}

// peerASP is an ASP as seen by the SGP over one association.
type peerASP struct {
	assoc   AssocID
	streams uint16
	state   ASPState
	up      bool // ASP Up accepted and no ASP Down since
	id      *uint32
	beat    beater
}

// SGP is the SGP state machine: per association the state of the remote
// ASP, per routing context the AS state machine, the routing table that
// maps SS7 traffic to ASes and the destination table behind the SSNM
// messages. It is not safe for concurrent use; one driver goroutine owns it.
type SGP struct {
	cfg    SGPConfig
	peers  map[AssocID]*peerASP
	ases   map[uint32]*appServer
	rcs    []uint32 // routing contexts, provisioned and dynamic, sorted
	nextRC uint32   // next routing context to try for a dynamic AS
	routes RoutingTable
	dests  DestinationTable
	timers timerSet
}

// NewSGP checks the configuration and returns an SGP with every ASP down.
func NewSGP(cfg SGPConfig) (*SGP, error) {
	if cfg.Protocol != M3UA && cfg.Protocol != SUA {
		return nil, fmt.Errorf("mxua: SGP protocol %v", cfg.Protocol)
	}
	if cfg.RecoveryTimeout <= 0 {
		cfg.RecoveryTimeout = DefaultTRecovery
	}
	if cfg.MaxPending == 0 {
		cfg.MaxPending = DefaultMaxPending
	}
	s := &SGP{cfg: cfg, peers: map[AssocID]*peerASP{}, ases: map[uint32]*appServer{}, timers: timerSet{}}
	for _, ac := range cfg.ASes {
		if _, dup := s.ases[ac.RoutingContext]; dup {
			return nil, fmt.Errorf("mxua: routing context %d configured twice", ac.RoutingContext)
		}
		if ac.TrafficMode > TrafficModeBroadcast {
			return nil, fmt.Errorf("mxua: AS %d: traffic mode %v", ac.RoutingContext, ac.TrafficMode)
		}
		s.ases[ac.RoutingContext] = newAppServer(ac)
		s.rcs = append(s.rcs, ac.RoutingContext)
		for _, k := range ac.Keys {
			s.routes.Add(Route{RoutingContext: ac.RoutingContext, Key: k})
		}
	}
	if len(s.ases) == 0 && !cfg.AllowDynamicRegistration {
		return nil, errors.New("mxua: SGP without any AS")
	}
	sort.Slice(s.rcs, func(i, j int) bool { return s.rcs[i] < s.rcs[j] })
	s.nextRC = cfg.DynamicRCBase
	if s.nextRC == 0 && len(s.rcs) > 0 {
		s.nextRC = s.rcs[len(s.rcs)-1] + 1
	}
	return s, nil
}

// ASPState returns the state of the ASP on an association: ASP-ACTIVE if
// it is active in at least one AS.
func (s *SGP) ASPState(assoc AssocID) ASPState {
	if p := s.peers[assoc]; p != nil {
		return p.state
	}
	return ASPDown
}

// ASState returns the state of the AS of a routing context.
func (s *SGP) ASState(rc uint32) ASState {
	if a := s.ases[rc]; a != nil {
		return a.state
	}
	return ASDown
}

// Pending returns how many messages the AS holds while AS-PENDING.
func (s *SGP) Pending(rc uint32) int {
	if a := s.ases[rc]; a != nil {
		return len(a.buffer)
	}
	return 0
}

// Destination returns what the SGP announces about a point code.
func (s *SGP) Destination(pc uint32) Destination { return s.dests.Get(pc) }

// Route returns the routing context user traffic maps to.
func (s *SGP) Route(m *Message) (uint32, bool) { return s.routes.Lookup(m) }

// Step feeds one event to the SGP and returns the resulting actions.
func (s *SGP) Step(now time.Time, ev Event) []Action {
	var out []Action
	switch e := ev.(type) {
	case AssocUp:
		p := &peerASP{assoc: e.Assoc, streams: e.Streams, beat: newBeat(s.cfg.Profile)}
		if old := s.peers[e.Assoc]; old != nil {
			s.aspFailed(&out, now, old, "association restarted")
		}
		s.peers[e.Assoc] = p
		p.beat.start(&out, s.timers, e.Assoc, now)
	case AssocDown:
		if p := s.peers[e.Assoc]; p != nil {
			s.aspFailed(&out, now, p, e.Reason)
		}
	case TimerFired:
		s.timer(&out, now, e.ID)
	case MessageIn:
		if e.Msg != nil {
			s.message(&out, now, e)
		}
	case PeerHeard:
		if p := s.peers[e.Assoc]; p != nil {
			p.beat.heard()
		}
	case Transfer:
		if e.Msg != nil {
			s.transfer(&out, now, e.Msg)
		}
	case SetDestination:
		s.setDestination(&out, e.Destination)
	case UserPartUnavailable:
		m := fsmNewMsg(s.cfg.Protocol, KindDUPU)
		m.AffectedPointCodes = []AffectedPointCode{{PointCode: e.PointCode}}
		m.UserCause = &UserCause{User: e.User, Cause: e.Cause}
		s.broadcastSSNM(&out, m)
	case ForceASPInactive:
		if p := s.peers[e.Assoc]; p != nil && p.state == ASPActive {
			rcs := s.activeRCs(p.assoc)
			s.setASPState(&out, now, p, ASPInactive, rcs)
			m := fsmNewMsg(s.cfg.Protocol, KindASPIAAck)
			m.RoutingContexts = rcs
			out = append(out, SendMessage{Assoc: p.assoc, Msg: m})
		}
	case ForceASPDown:
		if p := s.peers[e.Assoc]; p != nil && p.state != ASPDown {
			s.setASPState(&out, now, p, ASPDown, nil)
			out = append(out, SendMessage{Assoc: p.assoc, Msg: fsmNewMsg(s.cfg.Protocol, KindASPDNAck)})
		}
	}
	return out
}

func (s *SGP) send(out *[]Action, p *peerASP, m *Message) {
	*out = append(*out, SendMessage{Assoc: p.assoc, Stream: 0, Msg: m})
}

func (s *SGP) sendErr(out *[]Action, p *peerASP, code ErrorCode, cause *Message, rcs []uint32) {
	s.send(out, p, fsmErrMsg(s.cfg.Protocol, code, cause, rcs))
}

func (s *SGP) message(out *[]Action, now time.Time, e MessageIn) {
	m := e.Msg
	p := s.peers[e.Assoc]
	if p == nil {
		// A message before AssocUp: accept the association implicitly.
		p = &peerASP{assoc: e.Assoc, beat: newBeat(s.cfg.Profile)}
		s.peers[e.Assoc] = p
	}
	p.beat.heard()
	if code := fsmCheckKind(s.cfg.Protocol, m.Kind); code != 0 {
		s.sendErr(out, p, code, m, nil)
		return
	}
	switch m.Kind {
	case KindBEAT:
		s.send(out, p, beatAck(s.cfg.Protocol, m))
	case KindBEATAck:
		p.beat.ack(m)
	case KindASPUP:
		s.aspUp(out, now, p, m)
	case KindASPDN:
		// Answered even when already ASP-DOWN (RFC 4666 section 4.3.4.2).
		s.setASPState(out, now, p, ASPDown, nil)
		s.send(out, p, fsmNewMsg(s.cfg.Protocol, KindASPDNAck))
	case KindASPAC:
		s.aspActive(out, now, p, m)
	case KindASPIA:
		s.aspInactive(out, now, p, m)
	case KindDAUD:
		s.daud(out, p, m)
	case KindERR:
		*out = append(*out, Notify{Kind: NotifyError, Assoc: p.assoc, Msg: m})
	case KindNTFY:
		// An ASP has nothing to notify an SGP of.
		s.sendErr(out, p, ErrUnexpectedMessage, m, nil)
	case KindREGREQ, KindDEREGREQ, KindREGRSP, KindDEREGRSP:
		switch {
		case !s.cfg.AllowDynamicRegistration:
			// Dynamic registration is not offered: all ASes are provisioned.
			s.sendErr(out, p, ErrUnsupportedMessageClass, m, nil)
		case m.Kind == KindREGREQ:
			s.regReq(out, now, p, m)
		case m.Kind == KindDEREGREQ:
			s.deregReq(out, now, p, m)
		default:
			// REG RSP and DEREG RSP: only an SGP sends them.
			s.sendErr(out, p, ErrUnexpectedMessage, m, nil)
		}
	default:
		if fsmIsTransfer(m.Kind) {
			s.dataIn(out, p, e.Stream, m)
			return
		}
		// ASP acks, DUNA, DAVA, SCON, DUPU, DRST: only an SGP sends them.
		s.sendErr(out, p, ErrUnexpectedMessage, m, nil)
	}
}

// aspUp handles ASP Up (RFC 4666 section 4.3.4.1).
func (s *SGP) aspUp(out *[]Action, now time.Time, p *peerASP, m *Message) {
	switch {
	case m.ASPIdentifier != nil && fsmContains(s.cfg.BlockedASPs, *m.ASPIdentifier):
		s.sendErr(out, p, ErrRefusedManagementBlocking, m, nil)
		return
	case m.ASPIdentifier == nil && s.cfg.RequireASPIdentifier:
		s.sendErr(out, p, ErrASPIdentifierRequired, m, nil)
		return
	case m.ASPIdentifier != nil && len(s.cfg.KnownASPs) > 0 && !fsmContains(s.cfg.KnownASPs, *m.ASPIdentifier):
		s.sendErr(out, p, ErrInvalidASPIdentifier, m, nil)
		return
	case m.ASPIdentifier != nil && s.idInUse(p.assoc, *m.ASPIdentifier):
		// One identifier, one ASP: a second association claiming it is
		// either misconfigured or stale.
		s.sendErr(out, p, ErrInvalidASPIdentifier, m, nil)
		return
	}
	switch p.state {
	case ASPActive:
		// ASP Up Ack plus "Unexpected Message"; the ASP is INACTIVE in
		// all its ASes afterwards.
		s.sendErr(out, p, ErrUnexpectedMessage, m, nil)
		s.send(out, p, fsmNewMsg(s.cfg.Protocol, KindASPUPAck))
		s.setASPState(out, now, p, ASPInactive, s.activeRCs(p.assoc))
	case ASPInactive:
		s.send(out, p, fsmNewMsg(s.cfg.Protocol, KindASPUPAck))
	case ASPDown:
		if m.ASPIdentifier != nil {
			p.id = fsmPtr(*m.ASPIdentifier)
		} else {
			p.id = nil
		}
		s.send(out, p, fsmNewMsg(s.cfg.Protocol, KindASPUPAck))
		before := map[uint32]ASState{}
		for _, rc := range s.servedRCs(p) {
			before[rc] = s.ases[rc].state
		}
		s.setASPState(out, now, p, ASPInactive, nil)
		// A change of AS state was notified to all its ASPs; otherwise
		// tell the newcomer the state of its ASes (RFC 4666 4.3.4.1).
		for _, rc := range s.memberRCs(p.assoc) {
			a := s.ases[rc]
			if info := a.state.ntfyInfo(); info != 0 && before[rc] == a.state {
				s.send(out, p, ntfyMsg(s.cfg.Protocol, StatusTypeASStateChange, info, rc, true, nil))
			}
		}
	}
}

func (s *SGP) idInUse(self AssocID, id uint32) bool {
	for _, q := range s.peers {
		if q.assoc != self && q.state != ASPDown && q.id != nil && *q.id == id {
			return true
		}
	}
	return false
}

// servedRCs returns the routing contexts an ASP may serve.
func (s *SGP) servedRCs(p *peerASP) []uint32 {
	var out []uint32
	for _, rc := range s.rcs {
		if s.serves(s.ases[rc], p) {
			out = append(out, rc)
		}
	}
	return out
}

// memberRCs returns the routing contexts the ASP is up in.
func (s *SGP) memberRCs(assoc AssocID) []uint32 {
	var out []uint32
	for _, rc := range s.rcs {
		if _, ok := s.ases[rc].members[assoc]; ok {
			out = append(out, rc)
		}
	}
	return out
}

// activeRCs returns the routing contexts the ASP is active in.
func (s *SGP) activeRCs(assoc AssocID) []uint32 {
	var out []uint32
	for _, rc := range s.rcs {
		if s.ases[rc].members[assoc] == ASPActive {
			out = append(out, rc)
		}
	}
	return out
}

// targetRCs validates the Routing Context parameter of ASPAC/ASPIA: the
// listed contexts must exist and the ASP must be allowed to serve them;
// without the parameter it means every AS the ASP serves.
func (s *SGP) targetRCs(out *[]Action, p *peerASP, m *Message) ([]uint32, bool) {
	if len(m.RoutingContexts) == 0 {
		rcs := s.servedRCs(p)
		if len(rcs) == 0 {
			s.sendErr(out, p, ErrNoConfiguredASForASP, m, nil)
			return nil, false
		}
		return rcs, true
	}
	var bad []uint32
	for _, rc := range m.RoutingContexts {
		if a := s.ases[rc]; a == nil || !s.serves(a, p) {
			bad = append(bad, rc)
		}
	}
	if len(bad) > 0 {
		s.sendErr(out, p, ErrInvalidRoutingContext, m, bad)
		return nil, false
	}
	return m.RoutingContexts, true
}

// aspActive handles ASP Active (RFC 4666 section 4.3.4.3).
func (s *SGP) aspActive(out *[]Action, now time.Time, p *peerASP, m *Message) {
	if p.state == ASPDown {
		s.sendErr(out, p, ErrUnexpectedMessage, m, nil)
		return
	}
	if m.TrafficMode > TrafficModeBroadcast {
		s.sendErr(out, p, ErrUnsupportedTrafficMode, m, nil)
		return
	}
	rcs, ok := s.targetRCs(out, p, m)
	if !ok {
		return
	}
	// Traffic modes SHOULD NOT be mixed within an AS: a request that
	// differs from the provisioned (or established) mode is refused.
	if m.TrafficMode != TrafficModeNone {
		for _, rc := range rcs {
			if a := s.ases[rc]; a.mode != TrafficModeNone && a.mode != m.TrafficMode {
				s.sendErr(out, p, ErrUnsupportedTrafficMode, m, []uint32{rc})
				return
			}
		}
	}
	ack := fsmNewMsg(s.cfg.Protocol, KindASPACAck)
	ack.TrafficMode = m.TrafficMode
	ack.RoutingContexts = m.RoutingContexts
	s.send(out, p, ack)
	for _, rc := range rcs {
		a := s.ases[rc]
		if a.mode == TrafficModeNone {
			a.mode = m.TrafficMode
			if a.mode == TrafficModeNone {
				a.mode = TrafficModeLoadshare
			}
		}
		if a.members[p.assoc] == ASPActive {
			continue // already active: the ack suffices
		}
		if a.mode == TrafficModeOverride {
			// The newcomer takes over; the previously active ASP is now
			// INACTIVE for this AS and told "Alternate ASP Active".
			for _, old := range a.sortedMembers(ASPActive) {
				a.setMember(old, ASPInactive)
				if q := s.peers[old]; q != nil {
					s.send(out, q, ntfyMsg(s.cfg.Protocol, StatusTypeOther, StatusAlternateASPActive, rc, true, p.id))
					s.refreshASPState(out, q)
				}
			}
		}
	}
	s.setASPState(out, now, p, ASPActive, rcs)
}

// aspInactive handles ASP Inactive (RFC 4666 section 4.3.4.4).
func (s *SGP) aspInactive(out *[]Action, now time.Time, p *peerASP, m *Message) {
	if p.state == ASPDown {
		s.sendErr(out, p, ErrUnexpectedMessage, m, nil)
		return
	}
	rcs, ok := s.targetRCs(out, p, m)
	if !ok {
		return
	}
	ack := fsmNewMsg(s.cfg.Protocol, KindASPIAAck)
	ack.RoutingContexts = m.RoutingContexts
	s.send(out, p, ack)
	s.setASPState(out, now, p, ASPInactive, rcs)
}

// setASPState moves the ASP to st in the ASes of rcs and runs the AS state
// machines. Going INACTIVE from ASP-DOWN joins every AS the ASP may serve;
// going DOWN leaves them all.
func (s *SGP) setASPState(out *[]Action, now time.Time, p *peerASP, st ASPState, rcs []uint32) {
	switch st {
	case ASPDown:
		p.up = false
		rcs = s.memberRCs(p.assoc)
	case ASPInactive:
		if !p.up {
			p.up = true
			rcs = s.servedRCs(p)
		}
	}
	for _, rc := range rcs {
		a := s.ases[rc]
		was, member := a.members[p.assoc]
		if member && was == st || !member && st == ASPDown {
			continue
		}
		a.setMember(p.assoc, st)
		s.updateAS(out, now, a, p, false)
	}
	s.refreshASPState(out, p)
	if st == ASPDown {
		p.id = nil
	}
}

// refreshASPState recomputes the overall state of an ASP — DOWN until ASP
// Up, ACTIVE while active in at least one AS, else INACTIVE — and
// notifies a change.
func (s *SGP) refreshASPState(out *[]Action, p *peerASP) {
	st := ASPDown
	if p.up {
		st = ASPInactive
		if len(s.activeRCs(p.assoc)) > 0 {
			st = ASPActive
		}
	}
	if st != p.state {
		from := p.state
		p.state = st
		*out = append(*out, Notify{Kind: NotifyASPState, Assoc: p.assoc, ASP: st, From: from})
	}
}

// updateAS runs the AS state machine after a membership change caused by
// ASP p (nil for a timer).
func (s *SGP) updateAS(out *[]Action, now time.Time, a *appServer, p *peerASP, recoveryExpired bool) {
	prev := a.state
	next := a.nextState(recoveryExpired)
	rc := a.cfg.RoutingContext
	if next != prev {
		a.state = next
		*out = append(*out, Notify{Kind: NotifyASState, RoutingContext: rc, AS: next})
		switch {
		case next == ASPending:
			s.timers.set(out, a.recoveryTimer(), now.Add(s.cfg.RecoveryTimeout))
		case prev == ASPending:
			s.timers.cancel(out, a.recoveryTimer())
		}
		var cause *uint32
		if p != nil {
			cause = p.id
		}
		if info := next.ntfyInfo(); info != 0 {
			for _, assoc := range a.sortedMembers() {
				s.send(out, s.peers[assoc], ntfyMsg(s.cfg.Protocol, StatusTypeASStateChange, info, rc, true, cause))
			}
		}
		if next == ASDown && a.cfg.TrafficMode == TrafficModeNone {
			a.mode = TrafficModeNone
		}
		if prev == ASPending && next == ASActive {
			s.flush(out, a)
		}
		if prev == ASPending && next != ASActive {
			s.discardBuffer(out, a, "T(r) expired")
		}
	}
	// Loadshare and broadcast need n active ASPs: ask the INACTIVE ones
	// to step in (RFC 4666 section 4.3.4.3).
	if a.mode == TrafficModeLoadshare || a.mode == TrafficModeBroadcast {
		if active, _ := a.counts(); active > 0 && active < a.cfg.MinActive && p != nil && a.members[p.assoc] != ASPActive {
			for _, assoc := range a.sortedMembers(ASPInactive) {
				s.send(out, s.peers[assoc], ntfyMsg(s.cfg.Protocol, StatusTypeOther, StatusInsufficientASPResources, rc, true, nil))
			}
		}
	}
}

// aspFailed handles the loss of an association (SCTP down or BEAT lost):
// the ASP is DOWN in all its ASes and, in override mode, the INACTIVE
// ASPs hear "ASP Failure" so that a backup can take over within T(r).
func (s *SGP) aspFailed(out *[]Action, now time.Time, p *peerASP, reason string) {
	p.beat.stop(out, s.timers, p.assoc)
	for _, rc := range s.memberRCs(p.assoc) {
		a := s.ases[rc]
		wasActive := a.members[p.assoc] == ASPActive
		a.setMember(p.assoc, ASPDown)
		if wasActive && a.mode == TrafficModeOverride {
			for _, assoc := range a.sortedMembers(ASPInactive) {
				s.send(out, s.peers[assoc], ntfyMsg(s.cfg.Protocol, StatusTypeOther, StatusASPFailure, rc, true, p.id))
			}
		}
		s.updateAS(out, now, a, p, false)
	}
	if p.state != ASPDown {
		*out = append(*out, Notify{Kind: NotifyASPState, Assoc: p.assoc, ASP: ASPDown, From: p.state, Reason: reason})
	}
	delete(s.peers, p.assoc)
	// The registrations were the association's: a returning ASP comes on
	// a new one and registers again.
	s.dropRegistrations(out, p.assoc)
}

func (s *SGP) timer(out *[]Action, now time.Time, id TimerID) {
	if !s.timers.fired(id, now) {
		return
	}
	switch id.Kind {
	case TimerBeat:
		p := s.peers[id.Assoc]
		if p == nil {
			return
		}
		if p.beat.expire(out, s.timers, s.cfg.Protocol, p.assoc, now) {
			*out = append(*out, Notify{Kind: NotifyPeerLost, Assoc: p.assoc, ASP: p.state, Reason: "BEAT ACK missing"})
			*out = append(*out, AbortAssoc{Assoc: p.assoc, Reason: "BEAT ACK missing"})
			s.aspFailed(out, now, p, "peer lost")
		}
	case TimerRecovery:
		if a := s.ases[id.RoutingContext]; a != nil && a.state == ASPending {
			s.updateAS(out, now, a, nil, true)
			s.reap(out, a)
		}
	}
}

// dataIn handles user traffic from an ASP: it is accepted only from an
// ASP-ACTIVE ASP, off stream 0, for an AS the ASP is active in.
func (s *SGP) dataIn(out *[]Action, p *peerASP, stream uint16, m *Message) {
	if p.state != ASPActive {
		s.sendErr(out, p, ErrUnexpectedMessage, m, m.RoutingContexts)
		return
	}
	if m.Kind == KindDATA && m.ProtocolData == nil || m.Kind != KindDATA && m.SUA == nil {
		s.sendErr(out, p, ErrMissingParameter, m, nil)
		return
	}
	if stream == 0 && p.streams > 1 {
		// Stream 0 is for management; DATA there would break per-SLS
		// ordering (RFC 4666 section 1.4.7).
		s.sendErr(out, p, ErrInvalidStreamIdentifier, m, nil)
		return
	}
	var rc uint32
	switch len(m.RoutingContexts) {
	case 0:
		act := s.activeRCs(p.assoc)
		if len(act) > 0 {
			rc = act[0]
		}
	case 1:
		rc = m.RoutingContexts[0]
		if s.ases[rc] == nil || s.ases[rc].members[p.assoc] != ASPActive {
			s.sendErr(out, p, ErrInvalidRoutingContext, m, m.RoutingContexts)
			return
		}
	default:
		s.sendErr(out, p, ErrInvalidRoutingContext, m, m.RoutingContexts)
		return
	}
	*out = append(*out, Notify{Kind: NotifyDeliver, Assoc: p.assoc, RoutingContext: rc, Msg: m})
}

// transfer routes SS7-side traffic to an AS and sends it to its ASP(s);
// while the AS is PENDING the traffic waits for T(r).
func (s *SGP) transfer(out *[]Action, now time.Time, m *Message) {
	var rc uint32
	var ok bool
	if len(m.RoutingContexts) == 1 && s.ases[m.RoutingContexts[0]] != nil {
		rc, ok = m.RoutingContexts[0], true // the SG chose the AS (e.g. by GT)
	} else {
		rc, ok = s.routes.Lookup(m)
	}
	if !ok {
		*out = append(*out, Notify{Kind: NotifyDiscarded, Count: 1, Msg: m, Reason: "no routing key matches"})
		return
	}
	a := s.ases[rc]
	switch a.state {
	case ASActive:
		s.sendToAS(out, a, m)
	case ASPending:
		if !a.hold(m, s.cfg.MaxPending) {
			*out = append(*out, Notify{Kind: NotifyDiscarded, RoutingContext: rc, Count: 1, Msg: m, Reason: "AS-PENDING buffer full"})
		}
	default:
		*out = append(*out, Notify{Kind: NotifyDiscarded, RoutingContext: rc, AS: a.state, Count: 1, Msg: m, Reason: "AS not active"})
	}
}

// sendToAS sends one message to the ASP(s) the traffic mode selects.
func (s *SGP) sendToAS(out *[]Action, a *appServer, m *Message) {
	rc := a.cfg.RoutingContext
	var targets []AssocID
	switch a.mode {
	case TrafficModeBroadcast:
		targets = a.sortedMembers(ASPActive)
	case TrafficModeOverride:
		var best AssocID
		var bestSeq uint64
		for assoc, seq := range a.activeSince {
			if seq > bestSeq {
				best, bestSeq = assoc, seq
			}
		}
		if bestSeq > 0 {
			targets = []AssocID{best}
		}
	default:
		if assoc, ok := s.loadshare(a, m); ok {
			targets = []AssocID{assoc}
		}
	}
	sel := Selector(m)
	for _, assoc := range targets {
		p := s.peers[assoc]
		c := *m
		c.Protocol = s.cfg.Protocol
		c.RoutingContexts = []uint32{rc}
		*out = append(*out, SendMessage{Assoc: assoc, Stream: StreamFor(sel, p.streams), Msg: &c})
	}
}

// loadshare picks the ASP for a message by its SLS bin (see
// chooseLoadshare): stable per bin, moving to the alternate only when the
// bound ASP is no longer active.
func (s *SGP) loadshare(a *appServer, m *Message) (AssocID, bool) {
	var ms []loadshareMember
	for _, assoc := range a.sortedMembers(ASPActive) {
		key := uint64(assoc) | 1<<63
		if p := s.peers[assoc]; p != nil && p.id != nil {
			key = uint64(*p.id)
		}
		ms = append(ms, loadshareMember{assoc: assoc, key: key})
	}
	return chooseLoadshare(slsBin(m), ms)
}

// flush sends the T(r) buffer, in arrival order, to the ASP(s) that made
// the AS active again.
func (s *SGP) flush(out *[]Action, a *appServer) {
	n := len(a.buffer)
	for _, m := range a.buffer {
		s.sendToAS(out, a, m)
	}
	a.buffer = nil
	if n > 0 {
		*out = append(*out, Notify{Kind: NotifyFlushed, RoutingContext: a.cfg.RoutingContext, Count: n})
	}
	a.overflow = 0
}

func (s *SGP) discardBuffer(out *[]Action, a *appServer, reason string) {
	if n := len(a.buffer); n > 0 {
		*out = append(*out, Notify{Kind: NotifyDiscarded, RoutingContext: a.cfg.RoutingContext, AS: a.state, Count: n, Reason: reason})
	}
	a.buffer, a.overflow = nil, 0
}
