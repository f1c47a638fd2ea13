package mxua

// SGP side of SS7 Signalling Network Management (RFC 4666 section 4.5):
// the SG announces the availability of SS7 destinations (and of the pools
// it fronts) to its ASPs and answers their audits.

// ssnmMsg builds the SSNM message announcing d.
func ssnmMsg(p Protocol, d Destination) *Message {
	m := fsmNewMsg(p, d.State.kind())
	m.AffectedPointCodes = []AffectedPointCode{{PointCode: d.PointCode}}
	if d.State == DestCongested {
		m.CongestionLevel = fsmPtr(d.CongestionLevel)
	}
	return m
}

// setDestination records a destination state and, if it changed, sends
// the matching SSNM message to every active ASP.
func (s *SGP) setDestination(out *[]Action, d Destination) {
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
// "Destination Status Unknown" when the SGP knows none of them.
func (s *SGP) daud(out *[]Action, p *peerASP, m *Message) {
	if p.state == ASPDown {
		s.sendErr(out, p, ErrUnexpectedMessage, m, nil)
		return
	}
	if len(m.AffectedPointCodes) == 0 {
		s.sendErr(out, p, ErrMissingParameter, m, nil)
		return
	}
	answered := false
	for _, apc := range m.AffectedPointCodes {
		for _, d := range s.dests.inRange(apc) {
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
		s.sendErr(out, p, ErrDestinationStatusUnknown, m, m.RoutingContexts)
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
