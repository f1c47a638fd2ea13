package mxua

import "sort"

// ASConfig provisions one Application Server at an SGP: its routing
// context, the routing keys of its traffic and how its ASPs share it.
type ASConfig struct {
	RoutingContext uint32
	Name           string
	// TrafficMode is the provisioned mode; an ASP Active asking for
	// another one is refused with "Unsupported Traffic Mode Type". Zero
	// means "the first ASP Active decides" until the AS goes down again.
	TrafficMode TrafficMode
	// MinActive is "n" of loadshare and broadcast: with fewer ASPs active
	// the INACTIVE ASPs are sent NTFY "Insufficient ASP resources active".
	MinActive int
	// Keys are the routing keys of the AS; DATA matching one goes to it.
	Keys []RoutingKey
	// ASPs lists the ASP Identifiers allowed to serve the AS; empty means
	// any ASP (with or without an identifier) may.
	ASPs []uint32
}

// appServer is the AS state machine of RFC 4666 section 4.3.2 as an SGP
// keeps it: the ASPs serving the AS, their per-AS state, the AS state, the
// traffic mode and the T(r) buffer.
type appServer struct {
	cfg     ASConfig
	mode    TrafficMode // effective traffic mode (cfg or first ASPAC)
	state   ASState
	members map[AssocID]ASPState // ASPs that are up and serve the AS
	// activeSince orders active ASPs by activation; override sends to the
	// most recent one.
	activeSince map[AssocID]uint64
	seq         uint64
	buffer      []*Message // traffic held while AS-PENDING
	overflow    int        // messages dropped because the buffer was full
	// dynamic marks an AS created by REG REQ (sgp_rkm.go); registered
	// holds the associations of the ASPs that registered its key.
	dynamic    bool
	registered map[AssocID]bool
}

func newAppServer(cfg ASConfig) *appServer {
	return &appServer{
		cfg: cfg, mode: cfg.TrafficMode,
		members: map[AssocID]ASPState{}, activeSince: map[AssocID]uint64{},
	}
}

// allows reports whether an ASP (identifier id, if any) may serve the AS.
func (a *appServer) allows(id *uint32) bool {
	if len(a.cfg.ASPs) == 0 {
		return true
	}
	return id != nil && fsmContains(a.cfg.ASPs, *id)
}

// counts returns the number of ACTIVE and INACTIVE member ASPs.
func (a *appServer) counts() (active, inactive int) {
	for _, st := range a.members {
		switch st {
		case ASPActive:
			active++
		case ASPInactive:
			inactive++
		}
	}
	return
}

func (a *appServer) setMember(assoc AssocID, st ASPState) {
	if st == ASPDown {
		delete(a.members, assoc)
		delete(a.activeSince, assoc)
		return
	}
	a.members[assoc] = st
	if st == ASPActive {
		a.seq++
		a.activeSince[assoc] = a.seq
	} else {
		delete(a.activeSince, assoc)
	}
}

// sortedMembers returns member associations in a fixed order so that the
// actions a Step returns are deterministic.
func (a *appServer) sortedMembers(want ...ASPState) []AssocID {
	var out []AssocID
	for assoc, st := range a.members {
		if len(want) == 0 || fsmContains(want, st) {
			out = append(out, assoc)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// nextState is the AS state implied by its members (RFC 4666 section
// 4.3.2): ACTIVE while one ASP is active; when the last active ASP goes
// INACTIVE or DOWN the AS is PENDING until T(r) expires, then INACTIVE if
// an ASP is still up, else DOWN.
func (a *appServer) nextState(recoveryExpired bool) ASState {
	active, inactive := a.counts()
	switch {
	case active > 0:
		return ASActive
	case (a.state == ASActive || a.state == ASPending) && !recoveryExpired:
		return ASPending
	case inactive > 0:
		return ASInactive
	}
	return ASDown
}

// recoveryTimer is the T(r) TimerID of the AS.
func (a *appServer) recoveryTimer() TimerID {
	return TimerID{Kind: TimerRecovery, RoutingContext: a.cfg.RoutingContext}
}

// hold buffers a message while AS-PENDING; false when the buffer is full.
func (a *appServer) hold(m *Message, limit int) bool {
	if limit > 0 && len(a.buffer) >= limit {
		a.overflow++
		return false
	}
	a.buffer = append(a.buffer, m)
	return true
}

// ntfyMsg builds a NTFY with a status and, if known, the ASP Identifier of
// the ASP that caused it (RFC 4666 section 3.8.2).
func ntfyMsg(p Protocol, typ, info uint16, rc uint32, hasRC bool, aspID *uint32) *Message {
	m := fsmNewMsg(p, KindNTFY)
	m.Status = &Status{Type: typ, Info: info}
	if hasRC {
		m.RoutingContexts = []uint32{rc}
	}
	if aspID != nil {
		m.ASPIdentifier = fsmPtr(*aspID)
	}
	return m
}
