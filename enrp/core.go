package enrp

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"time"

	"github.com/sigpool/sigpool/handlespace"
	"github.com/sigpool/sigpool/internal/authz"
	"github.com/sigpool/sigpool/policy"
	"github.com/sigpool/sigpool/wire"
)

// Namespace is the handlespace namespace ASAP registrations live in: ASAP
// has one flat namespace per operational scope.
const Namespace = ""

// peState is the registrar's own view of a PE it is home registrar of:
// where to send keep-alives and when, and the unreachable reports against it.
type peState struct {
	rec        *handlespace.PoolElement
	assoc      AssocID
	due        time.Time // next keep-alive, or its deadline when waitingAck
	waitingAck bool
	graced     bool // the ack deadline was extended once: the timer ran late
	heapIdx    int
	reports    []report // Endpoint Unreachable reports within the window
}

// report is one Endpoint Unreachable report: when, and who sent it.
type report struct {
	at  time.Time
	who string
}

// assocState is what the core knows of one ASAP or ENRP association.
type assocState struct {
	asap    wire.Transport // the PE's ASAP transport as seen from here
	names   []string       // the peer's certificate identity; none without TLS
	pes     map[*peState]struct{}
	resolve bucket
	unreach bucket
	reg     bucket
	// ENRP Handle Table Request paging: where the last block ended when it
	// had the M flag set.
	tableCursor handlespace.Cursor
	tableMore   bool
	tableOwn    bool
	tableAt     time.Time
	// ENRP peering: enrpPeer marks an association opened to a peer;
	// server is the peer's server ID once it spoke.
	enrpPeer bool
	server   uint32
	// guarded: a listener accepted it, so the first-message and idle
	// timeouts apply; up is when, heard the last valid message, valid
	// whether there was one.
	guarded   bool
	valid     bool
	up, heard time.Time
}

// Stats are counters for status output and benchmarks.
type Stats struct {
	Registrations, Deregistrations, Resolutions, KeepAlivesSent uint64
	Removed, Rejected, RateLimited, DecodeErrors                uint64
	// Paused counts reads held back by PaceOverLimit; Closed the
	// associations the first-message and idle timeouts ended.
	Paused, Closed uint64
}

// Core is the sans-I/O registrar: ASAP server side and the ENRP handle
// table service. Every method takes the current time; none blocks, starts a
// goroutine or touches a socket. It is not safe for concurrent use: the
// driver serialises calls.
type Core struct {
	cfg    Config
	hs     *handlespace.Handlespace
	ns     *handlespace.Namespace
	pes    map[*handlespace.PoolElement]*peState
	assocs map[AssocID]*assocState
	timers peHeap
	stats  Stats
	p      peering
	// guarded counts the associations the timeouts watch; nextSweep is
	// when they are next checked (zero: none to watch).
	guarded   int
	nextSweep time.Time

	// Scratch reused by every call so that a resolution allocates nothing.
	sel     []*handlespace.PoolElement
	wpes    []wire.PoolElement
	expired []*handlespace.PoolElement
	hrr     wire.HandleResolutionResponse
	pol     wire.Policy
	kaID    wire.PEIdentifier
	ka      wire.EndpointKeepAlive
}

// NewCore returns a registrar core with an empty handlespace.
func NewCore(cfg Config) (*Core, error) {
	cfg = cfg.withDefaults()
	if err := cfg.Validate(); err != nil {
		return nil, fmt.Errorf("enrp: invalid configuration: %w", err)
	}
	hs := handlespace.New(cfg.Handlespace)
	return &Core{
		cfg:    cfg,
		hs:     hs,
		ns:     hs.Namespace(Namespace),
		pes:    make(map[*handlespace.PoolElement]*peState),
		assocs: make(map[AssocID]*assocState),
		p:      newPeering(cfg),
	}, nil
}

// Config returns the configuration in effect, defaults filled in.
func (c *Core) Config() Config { return c.cfg }

// Stats returns the counters.
func (c *Core) Stats() Stats { return c.stats }

// Namespace gives read access to the handlespace (status, tests). Callers
// must hold the driver's serialisation and must not modify it.
func (c *Core) Namespace() *handlespace.Namespace { return c.ns }

// AssociationUp tells the core about a new association; asap is the peer's
// transport (kind, address, port) as this side sees it, recorded as the
// ASAP transport of the PEs that register over it.
func (c *Core) AssociationUp(id AssocID, asap wire.Transport) {
	c.assocs[id] = &assocState{
		asap:    asap,
		resolve: newBucket(c.cfg.ResolutionRate, c.cfg.ResolutionBurst),
		unreach: newBucket(c.cfg.UnreachableRate, c.cfg.UnreachableBurst),
		reg:     newBucket(c.cfg.RegistrationRate, c.cfg.RegistrationBurst),
	}
}

// SetIdentity records what the association's TLS certificate proved its
// peer to be, for Config.Authorization and to tell reporters apart.
func (c *Core) SetIdentity(id AssocID, names []string) {
	if a := c.assocs[id]; a != nil {
		a.names = names
	}
}

// Accepted marks association id (already up) as one a client opened to a
// listener: Config.FirstMessageTimeout and IdleTimeout apply to it from
// now. Associations the registrar opened are never marked.
func (c *Core) Accepted(now time.Time, id AssocID) {
	a := c.assocs[id]
	if a == nil || a.guarded || (c.cfg.FirstMessageTimeout <= 0 && c.cfg.IdleTimeout <= 0) {
		return
	}
	a.guarded, a.up, a.heard = true, now, now
	c.guarded++
	if c.nextSweep.IsZero() {
		c.nextSweep = now.Add(c.sweepEvery())
	}
}

// heard records a valid message on a.
func heard(now time.Time, a *assocState) {
	a.valid = true
	a.heard = now
}

// sweepEvery is how often the guarded associations are checked: a
// quarter of the shortest timeout, so one closes at most 25% late.
func (c *Core) sweepEvery() time.Duration {
	d := c.cfg.FirstMessageTimeout
	if t := c.cfg.IdleTimeout; t > 0 && (d <= 0 || t < d) {
		d = t
	}
	return max(d/4, 10*time.Millisecond)
}

// sweep closes the guarded associations that sent nothing valid within
// FirstMessageTimeout of coming up, or that hold no PE and stayed silent
// for IdleTimeout. A map walk every sweepEvery: cheap beside the traffic
// of the associations it walks.
func (c *Core) sweep(now time.Time, out *Actions) {
	if c.guarded == 0 {
		c.nextSweep = time.Time{}
		return
	}
	if now.Before(c.nextSweep) {
		return
	}
	c.nextSweep = now.Add(c.sweepEvery())
	for id, a := range c.assocs {
		if !a.guarded {
			continue
		}
		var reason string
		switch {
		case !a.valid && c.cfg.FirstMessageTimeout > 0 && now.Sub(a.up) >= c.cfg.FirstMessageTimeout:
			reason = "no valid message within " + c.cfg.FirstMessageTimeout.String() + " of connecting"
		case a.valid && c.cfg.IdleTimeout > 0 && len(a.pes) == 0 && a.server == 0 && !a.enrpPeer &&
			now.Sub(a.heard) >= c.cfg.IdleTimeout:
			reason = "no PE and silent for " + c.cfg.IdleTimeout.String()
		default:
			continue
		}
		a.guarded = false
		c.guarded--
		c.stats.Closed++
		out.Aborts = append(out.Aborts, id)
		out.note(Note{Kind: NoteClosed, Assoc: id, Reason: reason})
	}
}

// ReadPause is how long the driver should leave association id unread
// before its next message: with PaceOverLimit, an association whose
// resolution or unreachable-report bucket ran dry waits until it holds a
// token again, so its excess stays queued in its own socket; else 0.
func (c *Core) ReadPause(now time.Time, id AssocID) time.Duration {
	if !c.cfg.PaceOverLimit {
		return 0
	}
	a := c.assocs[id]
	if a == nil {
		return 0
	}
	d := max(a.resolve.wait(now), a.unreach.wait(now))
	if d > 0 {
		c.stats.Paused++
	}
	return d
}

// reporter names who sent a report on association id: its certificate
// identity, else its address (one host opening many associations is still
// one reporter), else the association.
func reporter(id AssocID, a *assocState) string {
	if len(a.names) > 0 {
		return "id:" + a.names[0]
	}
	if len(a.asap.Addresses) > 0 {
		return "ip:" + a.asap.Addresses[0].String()
	}
	return fmt.Sprintf("assoc:%d", id)
}

// AssociationDown forgets an association. The PEs registered over it are
// removed at once unless KeepOnAssociationLoss: their keep-alives could
// not reach them anyway, and a live PE re-registers when it reconnects.
func (c *Core) AssociationDown(now time.Time, id AssocID, out *Actions) {
	a, ok := c.assocs[id]
	if !ok {
		return
	}
	delete(c.assocs, id)
	if a.guarded {
		c.guarded--
	}
	c.peerAssocDown(id, a)
	for st := range a.pes {
		if c.cfg.KeepOnAssociationLoss {
			continue // keep-alives to the dead association will time out
		}
		c.remove(st, id, "ASAP association ended", out)
	}
}

// HandleASAP processes one decoded ASAP message from association id. raw is
// the message as received (for error reports), reports the "skip and
// report" causes the decoder returned.
func (c *Core) HandleASAP(now time.Time, id AssocID, raw []byte, m wire.Message, reports []wire.ErrorCause, out *Actions) {
	a, ok := c.assocs[id]
	if !ok {
		// The driver always announces associations first; be safe anyway.
		c.AssociationUp(id, wire.Transport{})
		a = c.assocs[id]
	}
	if len(reports) > 0 {
		out.send(id, wire.PPIDASAP, &wire.ASAPErrorMessage{Error: wire.OperationError{Causes: reports}})
	}
	switch m := m.(type) {
	case *wire.HandleResolution:
		heard(now, a)
		c.resolve(now, id, a, m, out)
	case *wire.Registration:
		heard(now, a)
		c.register(now, id, a, m, out)
	case *wire.EndpointKeepAliveAck:
		heard(now, a)
		c.keepAliveAck(now, id, m)
	case *wire.Deregistration:
		heard(now, a)
		c.deregister(id, m, out)
	case *wire.EndpointUnreachable:
		heard(now, a)
		c.unreachable(now, id, a, m, out)
	case *wire.ASAPErrorMessage:
		// Never answer an error with an error (loops); just note it.
		out.note(Note{Kind: NoteIgnored, Assoc: id, Reason: "peer reported " + m.Error.String()})
	default:
		// Messages a registrar never receives (responses, Server Announce,
		// Cookie, Business Card, Endpoint Keep-Alive): the registrar does
		// not recognise them in this role.
		c.stats.DecodeErrors++
		out.send(id, wire.PPIDASAP, &wire.ASAPErrorMessage{Error: wire.OperationError{Causes: []wire.ErrorCause{wire.UnrecognizedMessageCause(raw)}}})
		out.note(Note{Kind: NoteIgnored, Assoc: id, Reason: fmt.Sprintf("%v is not for a registrar", m.Type())})
	}
}

// HandleASAPDecodeError answers an ASAP message the codec refused: with the
// Operation Error the codec says is owed (unrecognized message or
// parameter), else with "invalid values" — as a rejected Registration
// Response for a registration, so the PE learns its registration failed.
func (c *Core) HandleASAPDecodeError(now time.Time, id AssocID, raw []byte, err error, out *Actions) {
	c.stats.DecodeErrors++
	var de *wire.DecodeError
	if !errors.As(err, &de) {
		out.Aborts = append(out.Aborts, id)
		return
	}
	out.note(Note{Kind: NoteIgnored, Assoc: id, Reason: "malformed ASAP message: " + de.Error()})
	if oe := de.OperationError(); oe != nil {
		out.send(id, wire.PPIDASAP, &wire.ASAPErrorMessage{Error: *oe})
		return
	}
	if errors.Is(err, wire.ErrUnrecognizedParameter) {
		return // action bits 00: discard silently (RFC 5354 section 2)
	}
	cause := wire.ErrorCause{Code: wire.CauseInvalidValues, Info: paramAt(raw, de.Offset)}
	if de.Message == wire.ASAPRegistration {
		out.send(id, wire.PPIDASAP, &wire.RegistrationResponse{Reject: true, PoolHandle: poolHandleOf(raw),
			Error: &wire.OperationError{Causes: []wire.ErrorCause{cause}}})
		return
	}
	out.send(id, wire.PPIDASAP, &wire.ASAPErrorMessage{Error: wire.OperationError{Causes: []wire.ErrorCause{cause}}})
}

// paramAt returns the whole parameter (header and value, no padding) that
// starts at off in raw, when its length field fits; else nothing.
func paramAt(raw []byte, off int) []byte {
	if off < 4 || off+4 > len(raw) {
		return nil
	}
	n := int(binary.BigEndian.Uint16(raw[off+2:]))
	if n < 4 || off+n > len(raw) {
		return nil
	}
	return append([]byte(nil), raw[off:off+n]...)
}

// poolHandleOf digs the pool handle out of a message that failed to decode
// (it comes first in every message that has one), so that a rejection can
// name it.
func poolHandleOf(raw []byte) wire.PoolHandle {
	if len(raw) < 8 {
		return nil
	}
	p, _, _, err := wire.DecodeParameter(raw[4:])
	if err != nil {
		return nil
	}
	if h, ok := p.(wire.PoolHandle); ok {
		return h
	}
	return nil
}

func (c *Core) items(opt *wire.HandleResolutionOption) int {
	if opt == nil || opt.Items == 0 {
		return c.cfg.MaxHandleResolutionItems
	}
	if opt.Items == wire.AllItems || opt.Items > uint32(c.cfg.HandleResolutionItemsCap) {
		return c.cfg.HandleResolutionItemsCap
	}
	return int(opt.Items)
}

// resolve answers a Handle Resolution. Over its rate limit a PU gets an
// Operation Error ("lack of resources") rather than silence: it learns at
// once instead of retrying after a timeout, which would add load.
func (c *Core) resolve(now time.Time, id AssocID, a *assocState, m *wire.HandleResolution, out *Actions) {
	c.stats.Resolutions++
	r := &c.hrr
	*r = wire.HandleResolutionResponse{PoolHandle: m.PoolHandle}
	if !a.resolve.allow(now) {
		c.stats.RateLimited++
		r.Error = &wire.OperationError{Causes: []wire.ErrorCause{{Code: wire.CauseLackOfResources}}}
		out.send(id, wire.PPIDASAP, r)
		return
	}
	if !c.cfg.Authorization.Allows(a.names, authz.Resolve, string(m.PoolHandle)) {
		c.stats.Rejected++
		r.Error = &wire.OperationError{Causes: []wire.ErrorCause{{Code: wire.CauseRejectionDueToSecurity}}}
		out.send(id, wire.PPIDASAP, r)
		out.note(Note{Kind: NoteRejected, Assoc: id, PoolHandle: m.PoolHandle, Reason: fmt.Sprintf("resolution refused by the authorization policy (identity %v)", a.names)})
		return
	}
	sel, err := c.ns.Select(m.PoolHandle, policy.Request{N: c.items(m.Option)}, c.sel[:0])
	c.sel = sel[:0]
	if err != nil || len(sel) == 0 {
		code, ok := handlespace.CauseOf(err)
		if !ok || err == nil {
			code = wire.CauseUnknownPoolHandle
		}
		r.Error = &wire.OperationError{Causes: []wire.ErrorCause{{Code: code}}}
		out.send(id, wire.PPIDASAP, r)
		return
	}
	w := c.wpes[:0]
	for _, pe := range sel {
		w = append(w, pe.Wire(false))
	}
	c.wpes = w
	c.pol = wire.Policy{Type: sel[0].Policy().Type}
	r.Policy = &c.pol
	r.PoolElements = w
	out.send(id, wire.PPIDASAP, r)
	clear(c.wpes[:len(w)]) // drop references to removed PEs' slices
}

func (c *Core) reject(id AssocID, ph wire.PoolHandle, pe wire.PEIdentifier, cause wire.ErrorCause, reason string, out *Actions) {
	c.stats.Rejected++
	out.send(id, wire.PPIDASAP, &wire.RegistrationResponse{Reject: true, PoolHandle: ph, PEIdentifier: pe,
		Error: &wire.OperationError{Causes: []wire.ErrorCause{cause}}})
	out.note(Note{Kind: NoteRejected, Assoc: id, PoolHandle: ph, PE: pe, Reason: reason})
}

func (c *Core) register(now time.Time, id AssocID, a *assocState, m *wire.Registration, out *Actions) {
	pe := m.PoolElement
	if !a.reg.allow(now) {
		c.stats.RateLimited++
		c.reject(id, m.PoolHandle, pe.Identifier, wire.ErrorCause{Code: wire.CauseLackOfResources}, "registration rate limit", out)
		return
	}
	if !c.cfg.Authorization.Allows(a.names, authz.Register, string(m.PoolHandle)) {
		c.reject(id, m.PoolHandle, pe.Identifier, wire.ErrorCause{Code: wire.CauseRejectionDueToSecurity},
			fmt.Sprintf("registration refused by the authorization policy (identity %v)", a.names), out)
		return
	}
	// This registrar becomes the PE's home; the ASAP transport is what
	// this side sees, whatever the PE claimed.
	pe.HomeRegistrar = c.cfg.ServerID
	pe.ASAPTransport = nil
	if a.asap.Kind != 0 {
		t := a.asap
		if u := pe.UserTransport; t.Kind == wire.TransportSCTP && u.Kind == wire.TransportSCTP &&
			u.Use == wire.TransportUseDataPlusControl && u.Port != 0 && len(u.Addresses) > 0 {
			// A PE that answers ASAP on its SCTP user transport (sigpool's
			// PEs) registered from an ephemeral port nobody listens on: a
			// registrar taking it over reaches it at the user transport.
			// RSPLIB sends its Keep-Alive with H to the ASAP transport.
			t = wire.Transport{Kind: wire.TransportSCTP, Port: u.Port, Use: wire.TransportUseDataOnly, Addresses: u.Addresses}
		}
		pe.ASAPTransport = &t
	}
	if c.cfg.MaxPEsPerAssociation > 0 && len(a.pes) >= c.cfg.MaxPEsPerAssociation {
		if _, known := c.ns.Lookup(m.PoolHandle, pe.Identifier); !known {
			c.reject(id, m.PoolHandle, pe.Identifier, wire.ErrorCause{Code: wire.CauseLackOfResources},
				fmt.Sprintf("association holds the maximum of %d PEs", c.cfg.MaxPEsPerAssociation), out)
			return
		}
	}
	var before []byte
	if len(c.p.ids) > 0 {
		if old, ok := c.ns.Lookup(m.PoolHandle, pe.Identifier); ok {
			w := old.Wire(true)
			before, _ = w.AppendTo(c.p.updateScratchA[:0])
			c.p.updateScratchA = before
		}
	}
	rec, added, err := c.ns.Register(m.PoolHandle, pe, now)
	if err != nil {
		code, ok := handlespace.CauseOf(err)
		if !ok {
			code = wire.CauseInvalidValues
		}
		c.reject(id, m.PoolHandle, pe.Identifier, wire.ErrorCause{Code: code, Info: causeInfo(code, m)}, err.Error(), out)
		return
	}
	c.stats.Registrations++
	st := c.pes[rec]
	if added || st == nil {
		st = &peState{rec: rec, assoc: id, heapIdx: -1}
		c.pes[rec] = st
		c.link(st, a)
		out.note(Note{Kind: NoteRegistered, Assoc: id, PoolHandle: rec.PoolHandle(), PE: pe.Identifier})
	} else {
		if st.assoc != id {
			c.unlink(st)
			st.assoc = id
			c.link(st, a)
		}
		st.reports = st.reports[:0]
		out.note(Note{Kind: NoteReregistered, Assoc: id, PoolHandle: rec.PoolHandle(), PE: pe.Identifier})
	}
	// A registration proves the PE alive: the next keep-alive is a full
	// interval away.
	st.waitingAck = false
	c.timers.set(st, now.Add(c.cfg.KeepAliveInterval))
	out.send(id, wire.PPIDASAP, &wire.RegistrationResponse{PoolHandle: m.PoolHandle, PEIdentifier: pe.Identifier})
	if len(c.p.ids) > 0 {
		// Peers learn every change of a PE we own; a re-registration
		// that changes nothing costs them nothing.
		changed := added || before == nil
		if !changed {
			w := rec.Wire(true)
			after, _ := w.AppendTo(c.p.updateScratchB[:0])
			c.p.updateScratchB = after
			changed = !bytes.Equal(before, after)
		}
		if changed {
			c.announce(wire.UpdateActionAddPE, rec, out)
		}
	}
}

// causeInfo is the parameter an Operation Error cause carries (RFC 5354
// section 3.10): the offending policy or transport, else the pool element.
func causeInfo(code wire.CauseCode, m *wire.Registration) []byte {
	var p wire.Parameter
	switch code {
	case wire.CauseInconsistentPoolingPolicy:
		p = m.PoolElement.Policy
	case wire.CauseInconsistentTransportType, wire.CauseInconsistentDataControlConfig:
		p = m.PoolElement.UserTransport
	case wire.CauseInvalidValues:
		p = m.PoolElement
	default:
		return nil
	}
	b, err := p.AppendTo(nil)
	if err != nil || len(b) < 4 {
		return nil
	}
	return b[:binary.BigEndian.Uint16(b[2:])] // without padding
}

func (c *Core) deregister(id AssocID, m *wire.Deregistration, out *Actions) {
	resp := &wire.DeregistrationResponse{PoolHandle: m.PoolHandle, PEIdentifier: m.PEIdentifier}
	if _, ok := c.ns.Pool(m.PoolHandle); !ok {
		resp.Error = &wire.OperationError{Causes: []wire.ErrorCause{{Code: wire.CauseUnknownPoolHandle}}}
		out.send(id, wire.PPIDASAP, resp)
		return
	}
	if rec, ok := c.ns.Lookup(m.PoolHandle, m.PEIdentifier); ok {
		st := c.pes[rec]
		// Only the PE itself, on the association it registered over, may
		// take itself out; anyone else could empty pools.
		if st != nil && st.assoc != id {
			resp.Error = &wire.OperationError{Causes: []wire.ErrorCause{{Code: wire.CauseRejectionDueToSecurity}}}
			out.send(id, wire.PPIDASAP, resp)
			return
		}
		if st == nil && rec.HomeRegistrar() != c.cfg.ServerID {
			// A peer's PE: its home registrar decides; confirm only.
			out.send(id, wire.PPIDASAP, resp)
			return
		}
		c.stats.Deregistrations++
		c.ns.Remove(rec)
		if st != nil {
			c.forget(st)
			c.announce(wire.UpdateActionDeletePE, rec, out)
		}
		out.note(Note{Kind: NoteDeregistered, Assoc: id, PoolHandle: m.PoolHandle, PE: m.PEIdentifier})
	}
	// Unknown PE in a known pool: confirm anyway, the PE is gone (RFC 5352
	// section 3.3).
	out.send(id, wire.PPIDASAP, resp)
}

func (c *Core) keepAliveAck(now time.Time, id AssocID, m *wire.EndpointKeepAliveAck) {
	rec, ok := c.ns.Lookup(m.PoolHandle, m.PEIdentifier)
	if !ok {
		return
	}
	st := c.pes[rec]
	if st == nil || st.assoc != id {
		return // not our PE, or an ack forged on another association
	}
	st.waitingAck = false
	c.timers.set(st, now.Add(c.cfg.KeepAliveInterval))
	// An answered keep-alive renews the registration, as in RSPLIB.
	c.hs.SetExpiry(rec, now.Add(time.Duration(rec.RegistrationLife())*time.Millisecond))
}

func (c *Core) unreachable(now time.Time, id AssocID, a *assocState, m *wire.EndpointUnreachable, out *Actions) {
	if !a.unreach.allow(now) {
		c.stats.RateLimited++
		out.note(Note{Kind: NoteIgnored, Assoc: id, PoolHandle: m.PoolHandle, PE: m.PEIdentifier, Reason: "unreachable report rate limit"})
		return
	}
	rec, ok := c.ns.Lookup(m.PoolHandle, m.PEIdentifier)
	if !ok {
		return
	}
	st := c.pes[rec]
	if st == nil {
		return
	}
	cut := now.Add(-c.cfg.BadPEReportWindow)
	who := reporter(id, a)
	kept := st.reports[:0]
	seen := false
	for _, r := range st.reports {
		if r.at.After(cut) {
			kept = append(kept, r)
			seen = seen || r.who == who
		}
	}
	st.reports = kept
	if seen {
		return // a reporter counts once per window, however often it reports
	}
	st.reports = append(st.reports, report{at: now, who: who})
	if len(st.reports) >= c.cfg.MaxBadPEReports {
		c.remove(st, id, fmt.Sprintf("Endpoint Unreachable reports from %d reporters", len(st.reports)), out)
		return
	}
	// Check for ourselves now rather than at the next keep-alive: a dead
	// PE goes at the keep-alive timeout.
	if !st.waitingAck && st.assoc != 0 {
		c.timers.set(st, now)
	}
}

// Tick runs the timers due at now: keep-alives to send, keep-alives
// unanswered, registrations whose life ended.
func (c *Core) Tick(now time.Time, out *Actions) {
	for len(c.timers) > 0 && !c.timers[0].due.After(now) {
		st := c.timers[0]
		if st.waitingAck {
			if slack, late := lateDeadline(now, st.due, c.cfg.KeepAliveTimeout); late && !st.graced {
				st.graced = true
				c.timers.set(st, now.Add(slack))
				continue
			}
			assoc := st.assoc
			c.remove(st, 0, "no Endpoint Keep-Alive Ack within "+c.cfg.KeepAliveTimeout.String(), out)
			c.abortSilent(assoc, out)
			continue
		}
		c.kaID = st.rec.Identifier()
		c.ka = wire.EndpointKeepAlive{ServerID: c.cfg.ServerID, PoolHandle: st.rec.PoolHandle(), PEIdentifier: &c.kaID}
		out.send(st.assoc, wire.PPIDASAP, &c.ka)
		c.stats.KeepAlivesSent++
		st.waitingAck, st.graced = true, false
		c.timers.set(st, now.Add(c.cfg.KeepAliveTimeout))
	}
	c.expired = c.hs.Expire(now, c.expired[:0])
	for _, rec := range c.expired {
		if st := c.pes[rec]; st != nil {
			c.forget(st)
			c.announce(wire.UpdateActionDeletePE, rec, out)
		}
		c.stats.Removed++
		out.note(Note{Kind: NoteRemoved, PoolHandle: rec.PoolHandle(), PE: rec.Identifier(), Reason: "registration life ended"})
	}
	clear(c.expired)
	c.sweep(now, out)
	c.peerTick(now, out)
}

// NextDeadline is when Tick must run next; false when nothing is pending.
func (c *Core) NextDeadline() (time.Time, bool) {
	t, ok := c.hs.NextExpiry()
	if len(c.timers) > 0 && (!ok || c.timers[0].due.Before(t)) {
		t, ok = c.timers[0].due, true
	}
	if pt, pok := c.peerDeadline(); pok && (!ok || pt.Before(t)) {
		t, ok = pt, true
	}
	if c.guarded > 0 && !c.nextSweep.IsZero() && (!ok || c.nextSweep.Before(t)) {
		t, ok = c.nextSweep, true
	}
	return t, ok
}

// lateDeadline reports whether deadline due, of a wait of timeout, is
// reached more than a quarter of timeout late, and that quarter. So late,
// this registrar was not running when it passed (a stalled process, an
// overloaded host): the answer may be read but not yet handled, so the
// PE or peer gets the quarter once more before it is judged.
func lateDeadline(now, due time.Time, timeout time.Duration) (slack time.Duration, late bool) {
	slack = timeout / 4
	return slack, now.Sub(due) > slack
}

// abortSilent aborts a PE's association once its last PE was removed for
// an unanswered keep-alive. A dead PE loses nothing; a live one that was
// only slow (a stalled process) sees the association end and registers
// again at once, instead of staying out of the pool until its next
// re-registration.
func (c *Core) abortSilent(id AssocID, out *Actions) {
	a := c.assocs[id]
	if id == 0 || a == nil || len(a.pes) > 0 || a.enrpPeer || a.server != 0 {
		return
	}
	c.stats.Closed++
	out.Aborts = append(out.Aborts, id)
	out.note(Note{Kind: NoteClosed, Assoc: id, Reason: "its PEs left for unanswered keep-alives"})
}

func (c *Core) remove(st *peState, by AssocID, reason string, out *Actions) {
	c.ns.Remove(st.rec)
	c.forget(st)
	c.announce(wire.UpdateActionDeletePE, st.rec, out)
	c.stats.Removed++
	out.note(Note{Kind: NoteRemoved, Assoc: by, PoolHandle: st.rec.PoolHandle(), PE: st.rec.Identifier(), Reason: reason})
}

// forget drops the registrar's state of a PE that left the handlespace.
func (c *Core) forget(st *peState) {
	c.timers.remove(st)
	c.unlink(st)
	delete(c.pes, st.rec)
}

func (c *Core) link(st *peState, a *assocState) {
	if a.pes == nil {
		a.pes = make(map[*peState]struct{})
	}
	a.pes[st] = struct{}{}
}

func (c *Core) unlink(st *peState) {
	if a, ok := c.assocs[st.assoc]; ok {
		delete(a.pes, st)
	}
}
