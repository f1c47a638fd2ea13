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
	PointCode uint32
	// SSN, if not 0, narrows the entry to one subsystem at PointCode (SUA
	// SSNM with the Affected SSN parameter, RFC 3868 section 3.4); 0 is the
	// point code itself.
	SSN             uint8
	State           DestState
	CongestionLevel uint8 // when State is DestCongested
}

// destKey keys a DestinationTable entry: a point code, or one subsystem of it.
type destKey struct {
	pc  uint32
	ssn uint8
}

// DestinationTable holds the availability of SS7 destinations: at an ASP,
// as learned from the SGP's SSNM messages; at an SGP, as the SG knows its
// SS7 side (and its pools) and announces to the ASPs. Entries are per
// point code and, for SUA, per subsystem of a point code; the ASP side
// also keeps the user parts DUPU reported unavailable.
type DestinationTable struct {
	m     map[destKey]Destination
	users map[uint32]map[uint16]uint16 // pc -> user part -> DUPU cause
}

// Get returns the entry of a point code (State DestUnknown if none).
func (t *DestinationTable) Get(pc uint32) Destination { return t.GetSSN(pc, 0) }

// GetSSN returns the entry of one subsystem of a point code (State
// DestUnknown if none; ssn 0 is the point code's own entry).
func (t *DestinationTable) GetSSN(pc uint32, ssn uint8) Destination {
	if d, ok := t.m[destKey{pc, ssn}]; ok {
		return d
	}
	return Destination{PointCode: pc, SSN: ssn}
}

// set stores an entry and reports whether it changed.
func (t *DestinationTable) set(d Destination) bool {
	if t.m == nil {
		t.m = map[destKey]Destination{}
	}
	k := destKey{d.PointCode, d.SSN}
	old, ok := t.m[k]
	t.m[k] = d
	return !ok || old != d
}

// setUserPart records (unavailable) or clears the unavailability of a
// user part at a point code and reports whether it changed.
func (t *DestinationTable) setUserPart(pc uint32, user uint16, cause uint16, unavailable bool) bool {
	if !unavailable {
		if _, ok := t.users[pc][user]; !ok {
			return false
		}
		delete(t.users[pc], user)
		if len(t.users[pc]) == 0 {
			delete(t.users, pc)
		}
		return true
	}
	if t.users == nil {
		t.users = map[uint32]map[uint16]uint16{}
	}
	if t.users[pc] == nil {
		t.users[pc] = map[uint16]uint16{}
	}
	old, ok := t.users[pc][user]
	t.users[pc][user] = cause
	return !ok || old != cause
}

// clearUserParts forgets every user part DUPU reported at pc.
func (t *DestinationTable) clearUserParts(pc uint32) { delete(t.users, pc) }

// UserPartAvailable reports whether user part user (3 SCCP, 5 ISUP, ...)
// at pc may be sent to: false only after a DUPU for it (cause returned)
// that no later sign of life cleared.
func (t *DestinationTable) UserPartAvailable(pc uint32, user uint16) (available bool, cause uint16) {
	c, ok := t.users[pc][user]
	return !ok, c
}

// UnavailableUserParts returns the user parts reported unavailable at pc,
// ordered by user.
func (t *DestinationTable) UnavailableUserParts(pc uint32) []UserCause {
	var out []UserCause
	for u, c := range t.users[pc] {
		out = append(out, UserCause{User: u, Cause: c})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].User < out[j].User })
	return out
}

// Available reports whether traffic to pc may be sent: unknown
// destinations count as available (no SSNM said otherwise).
func (t *DestinationTable) Available(pc uint32) bool {
	s := t.Get(pc).State
	return s != DestUnavailable
}

// inRange returns the known point-code entries (ssn 0) or, with ssn, the
// entries of that subsystem covered by an Affected Point Code entry (a
// mask of n widens the point code by its n low bits), in order.
func (t *DestinationTable) inRange(a AffectedPointCode, ssn uint8) []Destination {
	var out []Destination
	wild := uint32(1)<<min(a.Mask, 31) - 1
	if a.Mask >= 32 {
		wild = ^uint32(0)
	}
	for k, d := range t.m {
		if k.ssn == ssn && k.pc&^wild == a.PointCode&^wild {
			out = append(out, d)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].PointCode < out[j].PointCode })
	return out
}

// all returns every point-code entry (ssn 0) ordered by point code.
func (t *DestinationTable) all() []Destination { return t.list(false) }

// subsystems returns every per-SSN entry ordered by point code and SSN.
func (t *DestinationTable) subsystems() []Destination { return t.list(true) }

func (t *DestinationTable) list(ssns bool) []Destination {
	out := make([]Destination, 0, len(t.m))
	for k, d := range t.m {
		if (k.ssn != 0) == ssns {
			out = append(out, d)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].PointCode != out[j].PointCode {
			return out[i].PointCode < out[j].PointCode
		}
		return out[i].SSN < out[j].SSN
	})
	return out
}
