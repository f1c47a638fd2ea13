package mxua

import (
	"fmt"
	"sort"
	"time"
)

// SGP side of Routing Key Management (RFC 4666 section 4.4, RFC 3868
// section 4.4). With SGPConfig.AllowDynamicRegistration an ASP may
// register routing keys by REG REQ: each valid key either joins the AS
// whose key is identical (a provisioned AS the ASP may serve, or a
// dynamic AS another ASP registered) or creates a dynamic AS with a new
// routing context; REG RSP carries one Registration Result per key. DEREG
// REQ takes the ASP out of dynamic ASes it is not active in; a dynamic AS
// is removed when its last ASP deregisters or loses its association.
//
// Keys may overlap provisioned or registered keys as long as routing
// stays unique: the routing table picks the most specific matching key,
// so an overlapping key of the same specificity in another AS is refused
// ("Cannot Support Unique Routing").

// AS returns the configuration of the AS of a routing context, provisioned
// or registered dynamically.
func (s *SGP) AS(rc uint32) (ASConfig, bool) {
	if a := s.ases[rc]; a != nil {
		return a.cfg, true
	}
	return ASConfig{}, false
}

// RoutingContexts returns the routing contexts of every AS, provisioned
// and dynamic, in order.
func (s *SGP) RoutingContexts() []uint32 { return append([]uint32(nil), s.rcs...) }

// serves reports whether the ASP may serve the AS: a dynamic AS is served
// by the ASPs that registered it, a provisioned one by those it allows.
func (s *SGP) serves(a *appServer, p *peerASP) bool {
	if a.dynamic {
		return a.registered[p.assoc]
	}
	return a.allows(p.id)
}

// regReq handles REG REQ (RFC 4666 section 4.4.1).
func (s *SGP) regReq(out *[]Action, now time.Time, p *peerASP, m *Message) {
	if len(m.RoutingKeys) == 0 {
		s.sendErr(out, p, ErrMissingParameter, m, nil)
		return
	}
	rsp := fsmNewMsg(s.cfg.Protocol, KindREGRSP)
	var joined []*appServer
	for _, k := range m.RoutingKeys {
		st, a := s.registerKey(p, k)
		r := RegistrationResult{LocalRKIdentifier: k.LocalRKIdentifier, Status: st}
		if a != nil {
			r.RoutingContext = a.cfg.RoutingContext
			if st == RegSuccess {
				joined = append(joined, a)
			}
		}
		rsp.RegistrationResults = append(rsp.RegistrationResults, r)
	}
	s.send(out, p, rsp)
	for _, a := range joined {
		rc := a.cfg.RoutingContext
		*out = append(*out, Notify{Kind: NotifyRegistered, Assoc: p.assoc, RoutingContext: rc, AS: a.state, Msg: rsp})
		if _, member := a.members[p.assoc]; member || !p.up {
			continue // a provisioned AS the ASP is up in already, or joined at ASP Up
		}
		// An ASP that is up is INACTIVE in the AS it registered.
		before := a.state
		a.setMember(p.assoc, ASPInactive)
		s.updateAS(out, now, a, p, false)
		if info := a.state.ntfyInfo(); info != 0 && before == a.state {
			s.send(out, p, ntfyMsg(s.cfg.Protocol, StatusTypeASStateChange, info, rc, true, nil))
		}
	}
}

// registerKey validates one Routing Key and registers the ASP for it;
// it returns the registration status and the AS (nil if none applies).
func (s *SGP) registerKey(p *peerASP, k RoutingKeyParam) (uint32, *appServer) {
	switch {
	case k.TrafficMode > TrafficModeBroadcast:
		return RegErrUnsupportedTrafficMode, nil
	case k.DPC == nil, s.cfg.Protocol == M3UA && *k.DPC > 0xffffff:
		return RegErrInvalidDPC, nil
	case len(k.ServiceIndicators) > 0 && s.cfg.Protocol == SUA,
		len(k.OPCs) > 0 && s.cfg.Protocol == SUA,
		len(k.CircuitRanges) > 0 && s.cfg.Protocol == SUA,
		len(k.SourceAddresses) > 0, len(k.AddressRanges) > 0, len(k.DestinationAddresses) > 1:
		// Routing on source addresses, address ranges or several
		// destinations is not modelled by the routing table.
		return RegErrUnsupportedRKParameter, nil
	case len(k.DestinationAddresses) == 1 && k.DestinationAddresses[0].GlobalTitle != nil:
		return RegErrUnsupportedRKParameter, nil
	}
	for _, cr := range k.CircuitRanges {
		if cr.LowCIC > cr.HighCIC {
			return RegErrInvalidRoutingKey, nil
		}
	}
	key := routingKeyOf(k)
	// An identical key: join its AS (or say it is registered already).
	for _, rc := range s.rcs {
		a := s.ases[rc]
		if !fsmAny(a.cfg.Keys, func(x RoutingKey) bool { return sameKey(x, key) }) {
			continue
		}
		switch {
		case k.RoutingContext != nil && *k.RoutingContext != rc:
			return RegErrChangeRefused, nil
		case !a.dynamic && !a.allows(p.id):
			return RegErrPermissionDenied, a
		case a.dynamic && a.registered[p.assoc]:
			return RegErrAlreadyRegistered, a
		case k.TrafficMode != TrafficModeNone && a.cfg.TrafficMode != TrafficModeNone && k.TrafficMode != a.cfg.TrafficMode,
			k.TrafficMode != TrafficModeNone && a.mode != TrafficModeNone && k.TrafficMode != a.mode:
			return RegErrUnsupportedTrafficMode, a
		}
		if a.dynamic {
			a.registered[p.assoc] = true
		}
		return RegSuccess, a
	}
	if k.RoutingContext != nil {
		// A routing context names an existing key to modify: changing a
		// registered key is not offered.
		return RegErrChangeRefused, nil
	}
	for _, rc := range s.rcs {
		for _, x := range s.ases[rc].cfg.Keys {
			if x.specificity() == key.specificity() && keysOverlap(x, key) {
				return RegErrCannotSupportUnique, nil
			}
		}
	}
	if s.cfg.MaxDynamicASes > 0 && s.dynamicASes() >= s.cfg.MaxDynamicASes {
		return RegErrInsufficientResources, nil
	}
	rc := s.allocRC()
	a := newAppServer(ASConfig{RoutingContext: rc, Name: fmt.Sprintf("dynamic-%d", rc),
		TrafficMode: k.TrafficMode, Keys: []RoutingKey{key}})
	a.dynamic = true
	a.registered = map[AssocID]bool{p.assoc: true}
	s.ases[rc] = a
	s.rcs = append(s.rcs, rc)
	sort.Slice(s.rcs, func(i, j int) bool { return s.rcs[i] < s.rcs[j] })
	s.routes.Add(Route{RoutingContext: rc, Key: key})
	return RegSuccess, a
}

func (s *SGP) dynamicASes() int {
	n := 0
	for _, a := range s.ases {
		if a.dynamic {
			n++
		}
	}
	return n
}

// allocRC returns an unused routing context, counting up from
// SGPConfig.DynamicRCBase (default: above the provisioned ones).
func (s *SGP) allocRC() uint32 {
	for {
		rc := s.nextRC
		s.nextRC++
		if rc != 0 && s.ases[rc] == nil {
			return rc
		}
	}
}

// deregReq handles DEREG REQ (RFC 4666 section 4.4.2).
func (s *SGP) deregReq(out *[]Action, now time.Time, p *peerASP, m *Message) {
	if len(m.RoutingContexts) == 0 {
		s.sendErr(out, p, ErrMissingParameter, m, nil)
		return
	}
	rsp := fsmNewMsg(s.cfg.Protocol, KindDEREGRSP)
	var left []*appServer
	for _, rc := range m.RoutingContexts {
		a := s.ases[rc]
		st := DeregSuccess
		switch {
		case a == nil:
			st = DeregErrInvalidRC
		case !a.dynamic:
			st = DeregErrPermissionDenied // provisioned: management owns it
		case !a.registered[p.assoc]:
			st = DeregErrNotRegistered
		case a.members[p.assoc] == ASPActive:
			st = DeregErrASPActiveForRC
		default:
			delete(a.registered, p.assoc) // a repeated RC finds it gone
			left = append(left, a)
		}
		rsp.DeregistrationResult = append(rsp.DeregistrationResult, DeregistrationResult{RoutingContext: rc, Status: st})
	}
	s.send(out, p, rsp)
	for _, a := range left {
		*out = append(*out, Notify{Kind: NotifyDeregistered, Assoc: p.assoc, RoutingContext: a.cfg.RoutingContext})
		if _, member := a.members[p.assoc]; member {
			a.setMember(p.assoc, ASPDown)
			s.updateAS(out, now, a, p, false)
		}
		s.reap(out, a)
	}
	s.refreshASPState(out, p)
}

// dropRegistrations forgets the registrations of an association that is
// gone; dynamic ASes left without any are removed once down.
func (s *SGP) dropRegistrations(out *[]Action, assoc AssocID) {
	for _, rc := range append([]uint32(nil), s.rcs...) {
		if a := s.ases[rc]; a.dynamic && a.registered[assoc] {
			delete(a.registered, assoc)
			s.reap(out, a)
		}
	}
}

// reap removes a dynamic AS nobody has registered any more, once it is
// down (an AS-PENDING one waits for T(r)).
func (s *SGP) reap(out *[]Action, a *appServer) {
	if !a.dynamic || len(a.registered) > 0 || len(a.members) > 0 || a.state != ASDown {
		return
	}
	rc := a.cfg.RoutingContext
	s.timers.cancel(out, a.recoveryTimer())
	s.discardBuffer(out, a, "AS deregistered")
	delete(s.ases, rc)
	rcs := s.rcs[:0]
	for _, x := range s.rcs {
		if x != rc {
			rcs = append(rcs, x)
		}
	}
	s.rcs = rcs
	s.routes.Remove(rc)
	*out = append(*out, Notify{Kind: NotifyDeregistered, RoutingContext: rc, AS: ASDown, Reason: "dynamic AS removed"})
}

// routingKeyOf turns a registered Routing Key into a routing table key.
func routingKeyOf(k RoutingKeyParam) RoutingKey {
	key := RoutingKey{
		DPC:               fsmClone(k.DPC),
		NetworkAppearance: fsmClone(k.NetworkAppearance),
		ServiceIndicators: append([]uint8(nil), k.ServiceIndicators...),
		OPCs:              append([]uint32(nil), k.OPCs...),
		CircuitRanges:     append([]CircuitRange(nil), k.CircuitRanges...),
	}
	if k.SSN != nil {
		key.SSNs = []uint8{*k.SSN}
	}
	return key
}

func fsmClone[T any](p *T) *T {
	if p == nil {
		return nil
	}
	return fsmPtr(*p)
}

func fsmAny[T any](s []T, f func(T) bool) bool {
	for _, x := range s {
		if f(x) {
			return true
		}
	}
	return false
}

func samePtr[T comparable](a, b *T) bool {
	return a == nil && b == nil || a != nil && b != nil && *a == *b
}

// sameSet reports whether two lists hold the same values, in any order.
func sameSet[T comparable](a, b []T) bool {
	for _, x := range a {
		if !fsmContains(b, x) {
			return false
		}
	}
	for _, x := range b {
		if !fsmContains(a, x) {
			return false
		}
	}
	return true
}

// sameKey reports whether two routing keys select the same traffic.
func sameKey(a, b RoutingKey) bool {
	return samePtr(a.DPC, b.DPC) && samePtr(a.NetworkAppearance, b.NetworkAppearance) &&
		sameSet(a.ServiceIndicators, b.ServiceIndicators) && sameSet(a.OPCs, b.OPCs) &&
		sameSet(a.CircuitRanges, b.CircuitRanges) && sameSet(a.SSNs, b.SSNs)
}

// keysOverlap reports whether some message could match both keys: every
// field both constrain must admit a common value.
func keysOverlap(a, b RoutingKey) bool {
	if a.DPC != nil && b.DPC != nil && *a.DPC != *b.DPC {
		return false
	}
	if a.NetworkAppearance != nil && b.NetworkAppearance != nil && *a.NetworkAppearance != *b.NetworkAppearance {
		return false
	}
	if !listsMeet(a.ServiceIndicators, b.ServiceIndicators) || !listsMeet(a.OPCs, b.OPCs) || !listsMeet(a.SSNs, b.SSNs) {
		return false
	}
	if len(a.CircuitRanges) > 0 && len(b.CircuitRanges) > 0 {
		return fsmAny(a.CircuitRanges, func(x CircuitRange) bool {
			return fsmAny(b.CircuitRanges, func(y CircuitRange) bool {
				return x.OPC == y.OPC && x.LowCIC <= y.HighCIC && y.LowCIC <= x.HighCIC
			})
		})
	}
	return true
}

// listsMeet: an empty list admits anything; two lists must share a value.
func listsMeet[T comparable](a, b []T) bool {
	return len(a) == 0 || len(b) == 0 || fsmAny(a, func(x T) bool { return fsmContains(b, x) })
}
