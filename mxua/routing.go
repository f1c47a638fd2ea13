package mxua

import (
	"encoding/binary"
	"sort"
)

// RoutingKey describes the traffic an Application Server handles (RFC 4666
// section 1.4.2.1, RFC 3868 section 1.4.3): a message matches when every
// field that is set matches; unset fields match anything.
type RoutingKey struct {
	DPC               *uint32
	NetworkAppearance *uint32
	ServiceIndicators []uint8        // MTP3 SI (3 SCCP, 5 ISUP, ...)
	OPCs              []uint32       // originating point codes
	CircuitRanges     []CircuitRange // ISUP CIC ranges, per OPC
	SSNs              []uint8        // SUA: called-party subsystem numbers
}

// specificity counts the constrained fields: the most specific matching
// key wins, so a CIC-range key beats the plain DPC key of the same node.
func (k RoutingKey) specificity() int {
	n := 0
	if k.DPC != nil {
		n++
	}
	if k.NetworkAppearance != nil {
		n++
	}
	for _, l := range []int{len(k.ServiceIndicators), len(k.OPCs), len(k.CircuitRanges), len(k.SSNs)} {
		if l > 0 {
			n++
		}
	}
	return n
}

// Match reports whether the user message m falls under the key.
func (k RoutingKey) Match(m *Message) bool {
	f, ok := trafficFields(m)
	if !ok {
		return false
	}
	if k.DPC != nil && (!f.hasDPC || f.dpc != *k.DPC) {
		return false
	}
	if k.NetworkAppearance != nil && (m.NetworkAppearance == nil || *m.NetworkAppearance != *k.NetworkAppearance) {
		return false
	}
	if len(k.ServiceIndicators) > 0 && (!f.hasSI || !fsmContains(k.ServiceIndicators, f.si)) {
		return false
	}
	if len(k.OPCs) > 0 && (!f.hasOPC || !fsmContains(k.OPCs, f.opc)) {
		return false
	}
	if len(k.SSNs) > 0 && (!f.hasSSN || !fsmContains(k.SSNs, f.ssn)) {
		return false
	}
	if len(k.CircuitRanges) > 0 {
		if !f.hasCIC {
			return false
		}
		hit := false
		for _, r := range k.CircuitRanges {
			if r.OPC == f.opc && f.cic >= r.LowCIC && f.cic <= r.HighCIC {
				hit = true
				break
			}
		}
		if !hit {
			return false
		}
	}
	return true
}

func fsmContains[T comparable](s []T, v T) bool {
	for _, x := range s {
		if x == v {
			return true
		}
	}
	return false
}

// fields are the routing-relevant values of one user message.
type routeFields struct {
	dpc, opc                      uint32
	si, ssn                       uint8
	cic                           uint16
	hasDPC, hasOPC, hasSI, hasSSN bool
	hasCIC                        bool
	selector                      uint32 // SLS or its SUA equivalent
}

// SI values with a CIC at the start of the user part: ISUP (5), and the
// ITU-T TUP (4), BICC (13) whose CIC is 32 bits (first 12 bits used here).
const (
	siSCCP = 3
	siTUP  = 4
	siISUP = 5
)

func trafficFields(m *Message) (routeFields, bool) {
	var f routeFields
	switch {
	case m.ProtocolData != nil:
		pd := m.ProtocolData
		f.dpc, f.opc, f.si = pd.DPC, pd.OPC, pd.SI
		f.hasDPC, f.hasOPC, f.hasSI = true, true, true
		f.selector = uint32(pd.SLS)
		if (pd.SI == siISUP || pd.SI == siTUP) && len(pd.Payload) >= 2 {
			// ITU-T Q.763: the CIC is the first two octets, least
			// significant first, 12 bits.
			f.cic = binary.LittleEndian.Uint16(pd.Payload) & 0x0fff
			f.hasCIC = true
		}
		return f, true
	case m.SUA != nil:
		s := m.SUA
		if d := s.Destination; d != nil {
			if d.PointCode != nil {
				f.dpc, f.hasDPC = *d.PointCode, true
			}
			if d.SSN != nil {
				f.ssn, f.hasSSN = *d.SSN, true
			}
		}
		if o := s.Source; o != nil && o.PointCode != nil {
			f.opc, f.hasOPC = *o.PointCode, true
		}
		f.si, f.hasSI = siSCCP, true
		f.selector = suaSelector(m)
		return f, true
	}
	return f, false
}

// suaSelector is the SUA stand-in for the SLS: the sequence control of
// in-sequence class 1 traffic, or a connection's local reference, so that
// a sequence or a connection (and the TCAP dialogue on it) stays on one
// ASP and one stream.
func suaSelector(m *Message) uint32 {
	s := m.SUA
	switch {
	case s.SourceReference != nil && s.DestReference != nil:
		return *s.SourceReference ^ *s.DestReference
	case s.SourceReference != nil:
		return *s.SourceReference
	case s.DestReference != nil:
		return *s.DestReference
	}
	return s.SequenceControl
}

// Selector returns the SLS of m (M3UA) or its SUA equivalent.
func Selector(m *Message) uint32 {
	f, _ := trafficFields(m)
	return f.selector
}

// Route binds a routing key to the routing context of its AS.
type Route struct {
	RoutingContext uint32
	Key            RoutingKey
}

// RoutingTable maps user traffic to routing contexts.
type RoutingTable struct{ routes []Route }

// Add adds a route; routes are tried most specific first.
func (t *RoutingTable) Add(r Route) {
	t.routes = append(t.routes, r)
	sort.SliceStable(t.routes, func(i, j int) bool {
		return t.routes[i].Key.specificity() > t.routes[j].Key.specificity()
	})
}

// Remove drops every route of a routing context.
func (t *RoutingTable) Remove(rc uint32) {
	out := t.routes[:0]
	for _, r := range t.routes {
		if r.RoutingContext != rc {
			out = append(out, r)
		}
	}
	t.routes = out
}

// Lookup returns the routing context of the most specific key matching m;
// ok is false when no key matches (the message is to be dropped or
// answered with an error by the caller).
func (t *RoutingTable) Lookup(m *Message) (rc uint32, ok bool) {
	for _, r := range t.routes {
		if r.Key.Match(m) {
			return r.RoutingContext, true
		}
	}
	return 0, false
}

// StreamFor maps a selector (SLS) onto an outbound SCTP stream so that one
// SLS always uses one stream and stays in order (RFC 4666 section 1.4.7):
// stream 0 carries management only, so with n streams the traffic uses
// 1 + sls mod (n-1). With a single stream everything shares stream 0.
func StreamFor(sel uint32, streams uint16) uint16 {
	if streams <= 1 {
		return 0
	}
	return 1 + uint16(sel%uint32(streams-1))
}

// slsTableSize is the number of loadshare bins: the 4-bit ITU SLS and 3
// bits hashed from the OPC, as osmo-stp's table, so traffic of many
// originating nodes spreads even when they all use the same SLS values.
const slsTableSize = 128

// slsBin returns the loadshare bin of a message.
func slsBin(m *Message) uint32 {
	f, _ := trafficFields(m)
	o := f.opc
	h := (o ^ o>>3 ^ o>>6 ^ o>>9 ^ o>>12) & 7
	return (f.selector & 0x0f) | h<<4
}

// loadshareMember is one candidate of a loadshare choice.
type loadshareMember struct {
	assoc AssocID
	key   uint64 // stable identity: the ASP Identifier if known, else the association
}

// chooseLoadshare picks the ASP for a loadshare bin by rendezvous
// (highest-random-weight) hashing: each bin goes to the member with the
// highest hash of (bin, member). The binding is stable — it depends only
// on which members are active, not on their order or on history — and
// when a member fails only its own bins move, each to its alternate (the
// member with the next highest weight); the other bins keep their ASP and
// so their ordering. When the member returns, its bins return to it.
func chooseLoadshare(bin uint32, members []loadshareMember) (AssocID, bool) {
	var best AssocID
	var bestW uint64
	found := false
	for _, mb := range members {
		w := fsmMix64(uint64(bin)<<48 ^ mb.key*0x9e3779b97f4a7c15)
		if !found || w > bestW || (w == bestW && mb.assoc < best) {
			best, bestW, found = mb.assoc, w, true
		}
	}
	return best, found
}

// mix64 is the splitmix64 finaliser: a cheap, well-spread 64-bit hash.
func fsmMix64(x uint64) uint64 {
	x ^= x >> 30
	x *= 0xbf58476d1ce4e5b9
	x ^= x >> 27
	x *= 0x94d049bb133111eb
	x ^= x >> 31
	return x
}
