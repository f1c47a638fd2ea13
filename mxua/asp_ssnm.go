package mxua

import "time"

// ASP side of SS7 Signalling Network Management (RFC 4666 section 4.5):
// DUNA, DAVA, DRST, SCON and DUPU from the SGP keep the destination
// availability table; DAUD audits what is not available.

// AuditRequest makes the ASP send a DAUD for the given point codes (all
// destinations not known available when empty).
type AuditRequest struct{ PointCodes []uint32 }

func (AuditRequest) isEvent() {}

// Destinations returns the destination table (ordered by point code).
func (a *ASP) Destinations() []Destination { return a.dests.all() }

// Subsystems returns the per-subsystem entries SUA SSNM with an Affected
// SSN reported (ordered by point code and SSN).
func (a *ASP) Subsystems() []Destination { return a.dests.subsystems() }

// Subsystem returns the availability of subsystem ssn at pc (RFC 3868
// section 4.5): its own entry if SSNM reported one, else unavailable with
// its point code, else unknown.
func (a *ASP) Subsystem(pc uint32, ssn uint8) Destination {
	d := a.dests.GetSSN(pc, ssn)
	if d.State == DestUnknown && a.dests.Get(pc).State == DestUnavailable {
		d.State = DestUnavailable
	}
	return d
}

// UserPartAvailable reports whether the user part user (3 SCCP, 5 ISUP,
// ...) at pc is available; false, with the DUPU cause (0 unknown, 1
// unequipped remote user, 2 inaccessible remote user), after a DUPU
// (RFC 4666 section 4.5.2) that no DUNA/DAVA for pc nor traffic from
// that user part has cleared since.
func (a *ASP) UserPartAvailable(pc uint32, user uint16) (available bool, cause uint16) {
	return a.dests.UserPartAvailable(pc, user)
}

// UnavailableUserParts returns the user parts DUPU reported at pc.
func (a *ASP) UnavailableUserParts(pc uint32) []UserCause { return a.dests.UnavailableUserParts(pc) }

func (a *ASP) ssnm(out *[]Action, now time.Time, m *Message) {
	if a.state == ASPDown {
		a.send(out, fsmErrMsg(a.cfg.Protocol, ErrUnexpectedMessage, m, nil))
		return
	}
	if len(m.AffectedPointCodes) == 0 {
		a.send(out, fsmErrMsg(a.cfg.Protocol, ErrMissingParameter, m, nil))
		return
	}
	var st DestState
	switch m.Kind {
	case KindDUNA:
		st = DestUnavailable
	case KindDAVA:
		st = DestAvailable
	case KindDRST:
		st = DestRestricted
	case KindSCON:
		st = DestCongested
	case KindDUPU:
		// The destination is reachable but a user part is not (RFC 4666
		// section 4.5.2): the table keeps it per point code and user
		// beside the MTP-level state.
		if m.UserCause == nil {
			a.send(out, fsmErrMsg(a.cfg.Protocol, ErrMissingParameter, m, nil))
			return
		}
		uc := *m.UserCause
		for _, apc := range m.AffectedPointCodes {
			if a.dests.setUserPart(apc.PointCode, uc.User, uc.Cause, true) {
				*out = append(*out, Notify{Kind: NotifyUserPart, Assoc: a.assoc, Destination: apc.PointCode,
					DestState: a.dests.Get(apc.PointCode).State, User: uc.User, Cause: uc.Cause, Msg: m,
					Reason: "user part unavailable"})
			}
		}
		return
	}
	// SUA: an Affected SSN narrows the message to that subsystem of each
	// point code (RFC 3868 section 3.4); the point code's own state stays.
	var ssn uint8
	if m.AffectedSSN != nil && a.cfg.Protocol == SUA {
		ssn = *m.AffectedSSN
	}
	for _, apc := range m.AffectedPointCodes {
		d := Destination{PointCode: apc.PointCode, SSN: ssn, State: st}
		if st == DestCongested && m.CongestionLevel != nil {
			d.CongestionLevel = *m.CongestionLevel
		}
		if ssn == 0 && (st == DestAvailable || st == DestUnavailable) {
			// MTP pause/resume of the point code: its user parts are
			// to be found out afresh.
			a.dests.clearUserParts(apc.PointCode)
		}
		if a.dests.set(d) {
			*out = append(*out, Notify{Kind: NotifyDestination, Assoc: a.assoc, Destination: apc.PointCode, SSN: ssn, DestState: st, Msg: m})
		}
	}
	a.armAudit(out, now)
}

// armAudit (re)arms the DAUD timer while some destination is not fully
// available (RFC 4666 section 4.5.3: the ASP audits such destinations).
func (a *ASP) armAudit(out *[]Action, now time.Time) {
	id := TimerID{Kind: TimerAudit, Assoc: a.assoc}
	if a.cfg.AuditInterval <= 0 || len(a.unavailable()) == 0 && len(a.unavailableSSNs()) == 0 {
		a.timers.cancel(out, id)
		return
	}
	if _, armed := a.timers[id]; !armed {
		a.timers.set(out, id, now.Add(a.cfg.AuditInterval))
	}
}

func (a *ASP) unavailable() []uint32 {
	var pcs []uint32
	for _, d := range a.dests.all() {
		if d.State != DestAvailable && d.State != DestUnknown {
			pcs = append(pcs, d.PointCode)
		}
	}
	return pcs
}

// unavailableSSNs returns the subsystem entries not known available.
func (a *ASP) unavailableSSNs() []Destination {
	var ds []Destination
	for _, d := range a.dests.subsystems() {
		if d.State != DestAvailable && d.State != DestUnknown {
			ds = append(ds, d)
		}
	}
	return ds
}

func (a *ASP) audit(out *[]Action, now time.Time) {
	if pcs := a.unavailable(); len(pcs) > 0 && a.state != ASPDown {
		a.sendDAUD(out, pcs)
	}
	if a.state != ASPDown {
		// SUA audits a subsystem with one DAUD carrying its SSN.
		for _, d := range a.unavailableSSNs() {
			m := fsmNewMsg(a.cfg.Protocol, KindDAUD)
			m.AffectedPointCodes = []AffectedPointCode{{PointCode: d.PointCode}}
			m.AffectedSSN = fsmPtr(d.SSN)
			m.RoutingContexts = append([]uint32(nil), a.cfg.RoutingContexts...)
			a.send(out, m)
		}
	}
	a.armAudit(out, now)
}

func (a *ASP) sendDAUD(out *[]Action, pcs []uint32) {
	m := fsmNewMsg(a.cfg.Protocol, KindDAUD)
	for _, pc := range pcs {
		m.AffectedPointCodes = append(m.AffectedPointCodes, AffectedPointCode{PointCode: pc})
	}
	m.RoutingContexts = append([]uint32(nil), a.cfg.RoutingContexts...)
	a.send(out, m)
}
