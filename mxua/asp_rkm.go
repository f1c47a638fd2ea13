package mxua

import (
	"fmt"
	"time"
)

// ASP side of Routing Key Management (RFC 4666 section 4.4, RFC 3868
// section 4.4): the ASP registers routing keys with the SGP by REG REQ,
// learns from REG RSP the routing contexts of the ASes they created or
// joined (and uses them in ASP Active / ASP Inactive from then on), and
// leaves ASes by DEREG REQ. One RKM request is outstanding at a time,
// retransmitted every T(ack) up to MaxAttempts; while a REG REQ is queued
// or outstanding the ASP holds back its ASP Active so that the request
// carries the learned contexts.

// RegisterRequest makes the ASP send REG REQ for Keys. A key without a
// LocalRKIdentifier gets one. Each result comes back as NotifyRegistered
// (RoutingContext set) or NotifyRequestFailed (Request KindREGREQ, Status
// the registration status, Reason naming the key).
type RegisterRequest struct{ Keys []RoutingKeyParam }

// DeregisterRequest makes the ASP send DEREG REQ for routing contexts it
// registered; results come back as NotifyDeregistered or
// NotifyRequestFailed (Request KindDEREGREQ, Status the deregistration
// status). The ASP must not be active in them (RFC 4666 section 4.4.2).
type DeregisterRequest struct{ RoutingContexts []uint32 }

func (RegisterRequest) isEvent()   {}
func (DeregisterRequest) isEvent() {}

// Registration statuses of REG RSP (RFC 4666 section 3.6.2, RFC 3868
// section 3.6.2).
const (
	RegSuccess                   uint32 = 0
	RegErrUnknown                uint32 = 1
	RegErrInvalidDPC             uint32 = 2
	RegErrInvalidNA              uint32 = 3
	RegErrInvalidRoutingKey      uint32 = 4
	RegErrPermissionDenied       uint32 = 5
	RegErrCannotSupportUnique    uint32 = 6
	RegErrNotProvisioned         uint32 = 7
	RegErrInsufficientResources  uint32 = 8
	RegErrUnsupportedRKParameter uint32 = 9
	RegErrUnsupportedTrafficMode uint32 = 10
	RegErrChangeRefused          uint32 = 11
	RegErrAlreadyRegistered      uint32 = 12
)

// Deregistration statuses of DEREG RSP (RFC 4666 section 3.6.4).
const (
	DeregSuccess             uint32 = 0
	DeregErrUnknown          uint32 = 1
	DeregErrInvalidRC        uint32 = 2
	DeregErrPermissionDenied uint32 = 3
	DeregErrNotRegistered    uint32 = 4
	DeregErrASPActiveForRC   uint32 = 5
)

var regStatusNames = []string{"successfully registered", "unknown", "invalid DPC", "invalid network appearance",
	"invalid routing key", "permission denied", "cannot support unique routing", "routing key not currently provisioned",
	"insufficient resources", "unsupported RK parameter field", "unsupported/invalid traffic handling mode",
	"routing key change refused", "routing key already registered"}

var deregStatusNames = []string{"successfully deregistered", "unknown", "invalid routing context", "permission denied",
	"not registered", "ASP currently active for routing context"}

func statusName(names []string, st uint32) string {
	if int(st) < len(names) {
		return names[st]
	}
	return fmt.Sprintf("status %d", st)
}

// Registered returns the routing contexts the ASP learned by REG RSP.
func (a *ASP) Registered() []uint32 {
	var out []uint32
	for _, rc := range a.cfg.RoutingContexts {
		if _, ok := a.regKeys[rc]; ok {
			out = append(out, rc)
		}
	}
	return out
}

// RoutingContexts returns the routing contexts the ASP sends in ASP
// Active / ASP Inactive: the configured ones and those registered.
func (a *ASP) RoutingContexts() []uint32 { return append([]uint32(nil), a.cfg.RoutingContexts...) }

func (a *ASP) rkmTimer() TimerID { return TimerID{Kind: TimerRKM, Assoc: a.assoc} }

func (a *ASP) register(out *[]Action, now time.Time, keys []RoutingKeyParam) {
	if len(keys) == 0 {
		return
	}
	m := fsmNewMsg(a.cfg.Protocol, KindREGREQ)
	for _, k := range keys {
		if k.LocalRKIdentifier == 0 {
			a.lrk++
			k.LocalRKIdentifier = a.lrk
		}
		m.RoutingKeys = append(m.RoutingKeys, k)
	}
	a.rkmQueue = append(a.rkmQueue, m)
	a.driveRKM(out, now)
}

func (a *ASP) deregister(out *[]Action, now time.Time, rcs []uint32) {
	if len(rcs) == 0 {
		return
	}
	m := fsmNewMsg(a.cfg.Protocol, KindDEREGREQ)
	m.RoutingContexts = append([]uint32(nil), rcs...)
	a.rkmQueue = append(a.rkmQueue, m)
	a.driveRKM(out, now)
}

// regQueued reports whether a REG REQ waits or is outstanding.
func (a *ASP) regQueued() bool {
	for _, m := range a.rkmQueue {
		if m.Kind == KindREGREQ {
			return true
		}
	}
	return false
}

// driveRKM sends the next RKM request when the ASP is up and none is
// outstanding.
func (a *ASP) driveRKM(out *[]Action, now time.Time) {
	if !a.connected || a.state == ASPDown || a.rkmAttempts > 0 || len(a.rkmQueue) == 0 {
		return
	}
	a.rkmAttempts = 1
	a.send(out, a.rkmQueue[0])
	a.timers.set(out, a.rkmTimer(), now.Add(a.cfg.TAck))
}

// rkmDone ends the outstanding RKM request and sends the next one.
func (a *ASP) rkmDone(out *[]Action, now time.Time) {
	a.timers.cancel(out, a.rkmTimer())
	a.rkmQueue = a.rkmQueue[1:]
	a.rkmAttempts = 0
	a.driveRKM(out, now)
	a.drive(out, now) // an ASP Active held back for the registration
}

// rkmOutstanding returns the RKM request awaiting its response, if any.
func (a *ASP) rkmOutstanding() *Message {
	if a.rkmAttempts == 0 || len(a.rkmQueue) == 0 {
		return nil
	}
	return a.rkmQueue[0]
}

func (a *ASP) rkmTimeout(out *[]Action, now time.Time) {
	req := a.rkmOutstanding()
	if req == nil {
		return
	}
	if a.rkmAttempts < a.cfg.MaxAttempts {
		a.rkmAttempts++
		a.send(out, req)
		a.timers.set(out, a.rkmTimer(), now.Add(a.cfg.TAck))
		return
	}
	*out = append(*out, Notify{Kind: NotifyRequestFailed, Assoc: a.assoc, Request: req.Kind, ASP: a.state, Msg: req, Reason: "T(ack) expired"})
	a.rkmDone(out, now)
}

// rkmRefused fails the outstanding RKM request on an ERR.
func (a *ASP) rkmRefused(out *[]Action, now time.Time, errMsg *Message) {
	req := a.rkmOutstanding()
	*out = append(*out, Notify{Kind: NotifyRequestFailed, Assoc: a.assoc, Request: req.Kind, ASP: a.state, Msg: errMsg,
		Reason: fmt.Sprintf("ERR %#x", uint32(errMsg.ErrorCode))})
	a.rkmDone(out, now)
}

// regRsp handles REG RSP (RFC 4666 section 4.4.1).
func (a *ASP) regRsp(out *[]Action, now time.Time, m *Message) {
	req := a.rkmOutstanding()
	if req == nil || req.Kind != KindREGREQ {
		a.send(out, fsmErrMsg(a.cfg.Protocol, ErrUnexpectedMessage, m, nil))
		return
	}
	keys := map[uint32]RoutingKeyParam{}
	for _, k := range req.RoutingKeys {
		keys[k.LocalRKIdentifier] = k
	}
	for _, r := range m.RegistrationResults {
		k, ok := keys[r.LocalRKIdentifier]
		if r.Status != RegSuccess || !ok {
			reason := fmt.Sprintf("local RK %d: %s", r.LocalRKIdentifier, statusName(regStatusNames, r.Status))
			if !ok {
				reason = fmt.Sprintf("local RK %d: not requested", r.LocalRKIdentifier)
			}
			*out = append(*out, Notify{Kind: NotifyRequestFailed, Assoc: a.assoc, Request: KindREGREQ, ASP: a.state,
				RoutingContext: r.RoutingContext, Status: r.Status, Msg: m, Reason: reason})
			continue
		}
		delete(keys, r.LocalRKIdentifier)
		k.RoutingContext = nil
		if !fsmContains(a.cfg.RoutingContexts, r.RoutingContext) {
			a.cfg.RoutingContexts = append(a.cfg.RoutingContexts, r.RoutingContext)
			a.regKeys[r.RoutingContext] = k
		}
		*out = append(*out, Notify{Kind: NotifyRegistered, Assoc: a.assoc, RoutingContext: r.RoutingContext, ASP: a.state, Msg: m})
	}
	for lrk := range keys {
		if !resultFor(m.RegistrationResults, lrk) {
			*out = append(*out, Notify{Kind: NotifyRequestFailed, Assoc: a.assoc, Request: KindREGREQ, ASP: a.state,
				Status: RegErrUnknown, Msg: m, Reason: fmt.Sprintf("local RK %d: no result", lrk)})
		}
	}
	a.rkmDone(out, now)
}

func resultFor(rs []RegistrationResult, lrk uint32) bool {
	for _, r := range rs {
		if r.LocalRKIdentifier == lrk {
			return true
		}
	}
	return false
}

// deregRsp handles DEREG RSP (RFC 4666 section 4.4.2).
func (a *ASP) deregRsp(out *[]Action, now time.Time, m *Message) {
	req := a.rkmOutstanding()
	if req == nil || req.Kind != KindDEREGREQ {
		a.send(out, fsmErrMsg(a.cfg.Protocol, ErrUnexpectedMessage, m, nil))
		return
	}
	for _, r := range m.DeregistrationResult {
		if r.Status != DeregSuccess {
			*out = append(*out, Notify{Kind: NotifyRequestFailed, Assoc: a.assoc, Request: KindDEREGREQ, ASP: a.state,
				RoutingContext: r.RoutingContext, Status: r.Status, Msg: m,
				Reason: fmt.Sprintf("routing context %d: %s", r.RoutingContext, statusName(deregStatusNames, r.Status))})
			continue
		}
		a.forgetRC(r.RoutingContext)
		*out = append(*out, Notify{Kind: NotifyDeregistered, Assoc: a.assoc, RoutingContext: r.RoutingContext, ASP: a.state, Msg: m})
	}
	a.rkmDone(out, now)
}

func (a *ASP) forgetRC(rc uint32) {
	rcs := a.cfg.RoutingContexts[:0]
	for _, x := range a.cfg.RoutingContexts {
		if x != rc {
			rcs = append(rcs, x)
		}
	}
	a.cfg.RoutingContexts = rcs
	delete(a.regKeys, rc)
	delete(a.as, rc)
}

// rkmLost handles the loss of the association: the SGP drops the
// registrations of a lost association, so the keys registered on it are
// queued again, first, to be registered anew once the ASP is up; the
// outstanding request is sent again then too.
func (a *ASP) rkmLost(out *[]Action) {
	a.timers.cancel(out, a.rkmTimer())
	a.rkmAttempts = 0
	if len(a.regKeys) == 0 {
		return
	}
	m := fsmNewMsg(a.cfg.Protocol, KindREGREQ)
	for _, rc := range a.Registered() {
		m.RoutingKeys = append(m.RoutingKeys, a.regKeys[rc])
		a.forgetRC(rc)
	}
	a.rkmQueue = append([]*Message{m}, a.rkmQueue...)
}
