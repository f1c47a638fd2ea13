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
		// The destination is reachable but a user part is not: report
		// it, the table keeps the MTP-level state.
		for _, apc := range m.AffectedPointCodes {
			*out = append(*out, Notify{Kind: NotifyDestination, Assoc: a.assoc, Destination: apc.PointCode,
				DestState: a.dests.Get(apc.PointCode).State, Msg: m, Reason: "user part unavailable"})
		}
		return
	}
	for _, apc := range m.AffectedPointCodes {
		d := Destination{PointCode: apc.PointCode, State: st}
		if st == DestCongested && m.CongestionLevel != nil {
			d.CongestionLevel = *m.CongestionLevel
		}
		if a.dests.set(d) {
			*out = append(*out, Notify{Kind: NotifyDestination, Assoc: a.assoc, Destination: apc.PointCode, DestState: st, Msg: m})
		}
	}
	a.armAudit(out, now)
}

// armAudit (re)arms the DAUD timer while some destination is not fully
// available (RFC 4666 section 4.5.3: the ASP audits such destinations).
func (a *ASP) armAudit(out *[]Action, now time.Time) {
	id := TimerID{Kind: TimerAudit, Assoc: a.assoc}
	if a.cfg.AuditInterval <= 0 || len(a.unavailable()) == 0 {
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

func (a *ASP) audit(out *[]Action, now time.Time) {
	if pcs := a.unavailable(); len(pcs) > 0 && a.state != ASPDown {
		a.sendDAUD(out, pcs)
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
