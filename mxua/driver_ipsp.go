package mxua

import (
	"fmt"
	"time"

	"github.com/sigpool/sigpool/transport"
)

// IPSP: two IP Server Processes talking M3UA or SUA directly, without an SG
// (RFC 4666 section 4.3.2.3, IPSP considerations). Each side
// is at once the ASP (it asks the peer to take it up and active) and the
// SGP (it answers the peer's requests): in the single exchange only the
// initiator asks and the responder answers; in the double exchange both ask
// and both answer.
//
// IPSP composes the two existing cores on one association instead of a
// third state machine: the ASP half sends ASPUP/ASPAC and takes the acks,
// the SGP half takes the peer's ASPUP/ASPAC and runs the AS state. It is a
// sans-I/O core like them (Step in, actions out) and lives in this file for
// the driver that runs it.

// IPSPExchange selects the single or double exchange of RFC 4666 section
// 4.3.2.3.
type IPSPExchange uint8

// Exchanges.
const (
	// IPSPSingleExchange: only the initiator sends ASPUP and ASPAC; both
	// ends are ACTIVE once the responder has acknowledged them.
	IPSPSingleExchange IPSPExchange = iota + 1
	// IPSPDoubleExchange: each end sends ASPUP and ASPAC and acknowledges
	// the other's; each end's own ASP state follows its own requests.
	IPSPDoubleExchange
)

func (x IPSPExchange) String() string {
	switch x {
	case IPSPSingleExchange:
		return "single-exchange"
	case IPSPDoubleExchange:
		return "double-exchange"
	}
	return fmt.Sprintf("IPSPExchange(%d)", uint8(x))
}

// IPSPConfig configures one IPSP end of one association.
type IPSPConfig struct {
	Protocol Protocol
	Exchange IPSPExchange
	// Initiator: in the single exchange, this end sends ASPUP/ASPAC (the
	// other end must not). Ignored in the double exchange, where both do.
	Initiator bool
	// RoutingContexts of the ASes the link carries; the ASP half names
	// them in ASP Active, the SGP half serves them. Empty means one AS
	// without a routing context.
	RoutingContexts []uint32
	TrafficMode     TrafficMode
	ASPIdentifier   *uint32
	TAck            time.Duration
	MaxAttempts     int
	// Profile gives BEAT; only the ASP half beats (both halves would arm
	// the same BEAT timer of the association otherwise), and it answers
	// the peer's BEATs.
	Profile transport.Profile
}

// IPSP is the IPSP state machine of one association. It is not safe for
// concurrent use.
type IPSP struct {
	cfg   IPSPConfig
	assoc AssocID
	asp   *ASP
	sgp   *SGP
}

// NewIPSP returns an IPSP end in ASP-DOWN for the association assoc.
func NewIPSP(assoc AssocID, cfg IPSPConfig) (*IPSP, error) {
	if cfg.Exchange != IPSPSingleExchange && cfg.Exchange != IPSPDoubleExchange {
		return nil, fmt.Errorf("mxua: IPSP exchange %v", cfg.Exchange)
	}
	target := ASPActive
	if cfg.Exchange == IPSPSingleExchange && !cfg.Initiator {
		target = ASPDown // the responder never asks; it is brought up by the peer
	}
	asp, err := NewASP(assoc, ASPConfig{
		Protocol: cfg.Protocol, ASPIdentifier: cfg.ASPIdentifier,
		RoutingContexts: cfg.RoutingContexts, TrafficMode: cfg.TrafficMode,
		Target: target, TAck: cfg.TAck, MaxAttempts: cfg.MaxAttempts,
		Profile: cfg.Profile,
	})
	if err != nil {
		return nil, fmt.Errorf("mxua: IPSP ASP half: %w", err)
	}
	rcs := cfg.RoutingContexts
	if len(rcs) == 0 {
		rcs = []uint32{0}
	}
	var ases []ASConfig
	for _, rc := range rcs {
		ases = append(ases, ASConfig{RoutingContext: rc, TrafficMode: cfg.TrafficMode})
	}
	// Profile zero: BEAT off in the SGP half (see IPSPConfig.Profile).
	sgp, err := NewSGP(SGPConfig{Protocol: cfg.Protocol, ASes: ases})
	if err != nil {
		return nil, fmt.Errorf("mxua: IPSP SGP half: %w", err)
	}
	return &IPSP{cfg: cfg, assoc: assoc, asp: asp, sgp: sgp}, nil
}

// State is this end's view of the link: ASP-ACTIVE when traffic may flow
// (its own ASP half is active, or the peer is active at its SGP half),
// else the higher of the two halves' states.
func (p *IPSP) State() ASPState {
	return max(p.asp.State(), p.sgp.ASPState(p.assoc))
}

// OwnState is the state of this end as an ASP (what its requests reached).
func (p *IPSP) OwnState() ASPState { return p.asp.State() }

// PeerState is the state of the peer as an ASP at this end.
func (p *IPSP) PeerState() ASPState { return p.sgp.ASPState(p.assoc) }

// ASState returns the state of an AS at this end's SGP half.
func (p *IPSP) ASState(rc uint32) ASState { return p.sgp.ASState(rc) }

// Step feeds one event to the IPSP and returns the resulting actions.
func (p *IPSP) Step(now time.Time, ev Event) []Action {
	switch e := ev.(type) {
	case AssocUp, AssocDown, TimerFired:
		// Both halves: each ignores the timers it did not arm.
		return append(p.asp.Step(now, ev), p.sgp.Step(now, ev)...)
	case MessageIn:
		if e.Msg == nil || e.Assoc != p.assoc {
			return nil
		}
		if p.toSGPHalf(e.Msg.Kind) {
			return p.sgp.Step(now, ev)
		}
		return p.asp.Step(now, ev)
	case Transfer:
		if e.Msg == nil {
			return nil
		}
		if p.asp.State() == ASPActive {
			return p.asp.Step(now, ev)
		}
		m := e.Msg
		if len(m.RoutingContexts) == 0 && len(p.cfg.RoutingContexts) <= 1 {
			// The SGP half routes by routing context; the link has one AS.
			c := *m
			c.RoutingContexts = []uint32{0}
			if len(p.cfg.RoutingContexts) == 1 {
				c.RoutingContexts[0] = p.cfg.RoutingContexts[0]
			}
			m = &c
		}
		return p.sgp.Step(now, Transfer{Msg: m})
	case ASPUpRequest, ASPActiveRequest, ASPInactiveRequest, ASPDownRequest, AuditRequest:
		return p.asp.Step(now, ev)
	default: // SetDestination, UserPartUnavailable, ForceASPInactive, ForceASPDown
		return p.sgp.Step(now, ev)
	}
}

// toSGPHalf tells which half a received message is for: requests an ASP
// sends go to the SGP half; acks, NTFY, SSNM, BEAT and ERR to the ASP half
// (BEAT there only, so it is answered once); traffic to whichever half has
// the link active, the SGP half when the peer is active at it (it checks the
// stream and routing context), else the ASP half.
func (p *IPSP) toSGPHalf(k Kind) bool {
	switch k {
	case KindASPUP, KindASPDN, KindASPAC, KindASPIA, KindDAUD, KindREGREQ, KindDEREGREQ:
		return true
	case KindASPUPAck, KindASPDNAck, KindASPACAck, KindASPIAAck, KindBEAT, KindBEATAck,
		KindNTFY, KindERR, KindDUNA, KindDAVA, KindSCON, KindDUPU, KindDRST, KindREGRSP, KindDEREGRSP:
		return false
	}
	if fsmIsTransfer(k) {
		return p.sgp.ASPState(p.assoc) == ASPActive
	}
	return false // unknown: the ASP half answers with ERR
}
