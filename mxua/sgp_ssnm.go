package mxua

import "sort"

// SGP side of SS7 Signalling Network Management (RFC 4666 section 4.5):
// the SG announces the availability of SS7 destinations (and of the pools
// it fronts) to its ASPs and answers their audits.

// ssnmMsg builds the SSNM message announcing d.
func ssnmMsg(p Protocol, d Destination) *Message {
	m := fsmNewMsg(p, d.State.kind())
	m.AffectedPointCodes = []AffectedPointCode{{PointCode: d.PointCode}}
	if d.SSN != 0 {
		m.AffectedSSN = fsmPtr(d.SSN)
	}
	if d.State == DestCongested {
		m.CongestionLevel = fsmPtr(d.CongestionLevel)
	}
	return m
}

// setDestination records a destination state and, if it changed, sends
// the matching SSNM message to every active ASP. A destination with an
// SSN is a subsystem (SUA DUNA/DAVA/DRST/SCON with Affected SSN, RFC 3868
// section 3.4); M3UA has no subsystem SSNM, so an SGP speaking M3UA
// ignores it.
func (s *SGP) setDestination(out *[]Action, d Destination) {
	if d.SSN != 0 && s.cfg.Protocol != SUA {
		return
	}
	if d.State == DestUnknown || !s.dests.set(d) {
		return
	}
	s.broadcastSSNM(out, ssnmMsg(s.cfg.Protocol, d))
}

// broadcastSSNM sends an SSNM message to each ASP-ACTIVE ASP, with the
// routing contexts it is active in.
func (s *SGP) broadcastSSNM(out *[]Action, m *Message) {
	for _, assoc := range s.sortedPeers() {
		p := s.peers[assoc]
		if p.state != ASPActive {
			continue
		}
		c := *m
		c.RoutingContexts = s.activeRCs(assoc)
		s.send(out, p, &c)
	}
}

// daud answers a Destination State Audit with the state of every known
// destination the Affected Point Codes cover (RFC 4666 section 4.5.3);
// "Destination Status Unknown" when the SGP knows none of them. A SUA
// DAUD with an Affected SSN audits that subsystem (RFC 3868 section
// 4.5.3): the answer is its own state if known, else that of its point
// code, carrying the SSN; "Subsystem Status Unknown" when neither is.
func (s *SGP) daud(out *[]Action, p *peerASP, m *Message) {
	if p.state == ASPDown {
		s.sendErr(out, p, ErrUnexpectedMessage, m, nil)
		return
	}
	if len(m.AffectedPointCodes) == 0 {
		s.sendErr(out, p, ErrMissingParameter, m, nil)
		return
	}
	var ssn uint8
	if m.AffectedSSN != nil && s.cfg.Protocol == SUA {
		ssn = *m.AffectedSSN
	}
	answered := false
	for _, apc := range m.AffectedPointCodes {
		ds := s.dests.inRange(apc, ssn)
		if ssn != 0 {
			// Subsystems without an entry of their own share the state
			// of their point code.
			known := map[uint32]bool{}
			for _, d := range ds {
				known[d.PointCode] = true
			}
			for _, d := range s.dests.inRange(apc, 0) {
				if !known[d.PointCode] {
					d.SSN = ssn
					ds = append(ds, d)
				}
			}
			sort.Slice(ds, func(i, j int) bool { return ds[i].PointCode < ds[j].PointCode })
		}
		for _, d := range ds {
			if d.State == DestUnknown {
				continue
			}
			r := ssnmMsg(s.cfg.Protocol, d)
			r.RoutingContexts = m.RoutingContexts
			r.AffectedSSN = m.AffectedSSN
			s.send(out, p, r)
			answered = true
		}
	}
	if !answered {
		code := ErrDestinationStatusUnknown
		if ssn != 0 {
			code = ErrSubsystemStatusUnknown
		}
		s.sendErr(out, p, code, m, m.RoutingContexts)
	}
}

func (s *SGP) sortedPeers() []AssocID {
	out := make([]AssocID, 0, len(s.peers))
	for a := range s.peers {
		out = append(out, a)
	}
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j] < out[j-1]; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}
