package mxua

import "sort"

// DestState is the availability of an SS7 destination as the SSNM
// messages report it (RFC 4666 sections 3.4 and 4.5).
type DestState uint8

// Destination states.
const (
	DestUnknown     DestState = iota
	DestAvailable             // DAVA
	DestUnavailable           // DUNA
	DestRestricted            // DRST
	DestCongested             // SCON (available, congested)
)

func (s DestState) String() string {
	switch s {
	case DestAvailable:
		return "available"
	case DestUnavailable:
		return "unavailable"
	case DestRestricted:
		return "restricted"
	case DestCongested:
		return "congested"
	}
	return "unknown"
}

// kind returns the SSNM message that announces the state.
func (s DestState) kind() Kind {
	switch s {
	case DestAvailable:
		return KindDAVA
	case DestUnavailable:
		return KindDUNA
	case DestRestricted:
		return KindDRST
	case DestCongested:
		return KindSCON
	}
	return 0
}

// Destination is one entry of a destination availability table.
type Destination struct {
	PointCode       uint32
	State           DestState
	CongestionLevel uint8 // when State is DestCongested
}

// DestinationTable holds the availability of SS7 destinations: at an ASP,
// as learned from the SGP's SSNM messages; at an SGP, as the SG knows its
// SS7 side (and its pools) and announces to the ASPs.
type DestinationTable struct{ m map[uint32]Destination }

// Get returns the entry of a point code (State DestUnknown if none).
func (t *DestinationTable) Get(pc uint32) Destination {
	if d, ok := t.m[pc]; ok {
		return d
	}
	return Destination{PointCode: pc}
}

// set stores an entry and reports whether it changed.
func (t *DestinationTable) set(d Destination) bool {
	if t.m == nil {
		t.m = map[uint32]Destination{}
	}
	old, ok := t.m[d.PointCode]
	t.m[d.PointCode] = d
	return !ok || old != d
}

// Available reports whether traffic to pc may be sent: unknown
// destinations count as available (no SSNM said otherwise).
func (t *DestinationTable) Available(pc uint32) bool {
	s := t.Get(pc).State
	return s != DestUnavailable
}

// inRange returns the known entries covered by an Affected Point Code
// entry (a mask of n widens the point code by its n low bits), in order.
func (t *DestinationTable) inRange(a AffectedPointCode) []Destination {
	var out []Destination
	wild := uint32(1)<<min(a.Mask, 31) - 1
	if a.Mask >= 32 {
		wild = ^uint32(0)
	}
	for pc, d := range t.m {
		if pc&^wild == a.PointCode&^wild {
			out = append(out, d)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].PointCode < out[j].PointCode })
	return out
}

// all returns every entry ordered by point code.
func (t *DestinationTable) all() []Destination {
	out := make([]Destination, 0, len(t.m))
	for _, d := range t.m {
		out = append(out, d)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].PointCode < out[j].PointCode })
	return out
}
