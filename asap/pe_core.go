package asap

import (
	"fmt"
	"time"

	"github.com/sigpool/sigpool/transport"
	"github.com/sigpool/sigpool/wire"
)

// PEEventKind classifies a PEEvent.
type PEEventKind int

// PE event kinds.
const (
	// PERegistered: a registrar accepted the (re-)registration. First is
	// set for the first acceptance after start or after a failover.
	PERegistered PEEventKind = iota + 1
	// PERejected: a registrar rejected the registration; Err is a
	// *RejectedError. The PE tries again after the re-registration interval.
	PERejected
	// PERegistrarLost: the home registrar's association died or it stopped
	// answering; the PE fails over to the next known registrar.
	PERegistrarLost
	// PEHomeChanged: an Endpoint Keep-Alive with the H flag made its sender
	// the PE's home registrar (after a takeover).
	PEHomeChanged
	// PEDeregistered: the registrar confirmed the deregistration (Err nil),
	// or the PE gave up waiting or had no registrar (Err says which).
	PEDeregistered
	// PEError: a registrar sent an ASAP Error or an unexpected answer.
	PEError
)

func (k PEEventKind) String() string {
	switch k {
	case PERegistered:
		return "registered"
	case PERejected:
		return "rejected"
	case PERegistrarLost:
		return "registrar lost"
	case PEHomeChanged:
		return "home registrar changed"
	case PEDeregistered:
		return "deregistered"
	case PEError:
		return "error"
	}
	return fmt.Sprintf("PEEventKind(%d)", int(k))
}

// PEEvent is a notification from the PE core (an Action) and, through the
// driver, to the application.
type PEEvent struct {
	Kind      PEEventKind
	First     bool    // PERegistered: first acceptance since start or failover
	Assoc     AssocID // the registrar association concerned
	Registrar int     // index of the configured registrar, -1 for one that called in
	ServerID  uint32  // the registrar's server ID when known (keep-alives carry it)
	Err       error
	Time      time.Time
}

// PECoreConfig configures a PECore.
type PECoreConfig struct {
	PoolHandle wire.PoolHandle
	// Element is the PE as registered: Identifier (non-zero), UserTransport
	// and Policy. HomeRegistrar and RegistrationLife are filled in by the core.
	Element wire.PoolElement
	// Registrars is the number of configured registrar addresses (indexes
	// 0..Registrars-1 in DialRegistrar).
	Registrars int
	Timers     Timers // zero fields: defaults of the rfc4960 profile
}

type peState int

const (
	peIdle peState = iota
	peRunning
	peDeregistering
	peStopped
)

// PECore is the sans-I/O pool element: registration, re-registration,
// keep-alive answers, home-registrar changes, registrar failover and
// deregistration.
type PECore struct {
	handle  wire.PoolHandle
	element wire.PoolElement
	t       Timers
	link    regLink
	state   peState

	home       AssocID
	homeIdx    int // index of the home registrar in the list, -1 when it called in
	homeServer uint32

	registered  bool // accepted by the current home
	everOK      bool // accepted by some registrar since the last failover
	outstanding bool // a Registration awaits its response
	regDeadline time.Time
	regRetries  int
	reregAt     time.Time
	deregAt     time.Time
	dirty       bool // the policy changed since the last Registration sent
}

// NewPECore checks cfg and returns an idle core; call Start.
func NewPECore(cfg PECoreConfig) (*PECore, error) {
	if len(cfg.PoolHandle) == 0 {
		return nil, fmt.Errorf("asap: PE: empty pool handle")
	}
	if cfg.Element.Identifier == 0 {
		return nil, fmt.Errorf("asap: PE: identifier 0 is not allowed")
	}
	if cfg.Element.UserTransport.Kind == 0 {
		return nil, fmt.Errorf("asap: PE: no user transport")
	}
	if err := cfg.Timers.Validate(); err != nil {
		return nil, fmt.Errorf("asap: PE: %w", err)
	}
	t := cfg.Timers.withDefaults(transport.Profile{})
	if cfg.Timers.DeregistrationTimeout == 0 {
		t.DeregistrationTimeout = t.ResponseTimeout
	}
	c := &PECore{
		handle:  append(wire.PoolHandle(nil), cfg.PoolHandle...),
		element: cfg.Element,
		t:       t,
		link:    newRegLink(cfg.Registrars, t.ReconnectMin, t.ReconnectMax),
		homeIdx: -1,
	}
	c.element.RegistrationLife = uint32(3 * t.ReregistrationInterval / time.Millisecond)
	return c, nil
}

// Timers returns the timers in effect.
func (c *PECore) Timers() Timers { return c.t }

// Element returns the PE as it is registered now.
func (c *PECore) Element() wire.PoolElement { return c.element }

// Registered reports whether the current home registrar has accepted the PE.
func (c *PECore) Registered() bool { return c.registered }

// Home returns the home registrar's association (0: none) and server ID
// (0: not yet known).
func (c *PECore) Home() (AssocID, uint32) { return c.home, c.homeServer }

// Stopped reports whether the core has finished (deregistered).
func (c *PECore) Stopped() bool { return c.state == peStopped }

// Start begins registering: it dials the first registrar.
func (c *PECore) Start(now time.Time) []Action {
	if c.state != peIdle {
		return nil
	}
	c.state = peRunning
	return c.poll(now, nil)
}

// AssocUp reports that the association dialed for registrar index came up.
func (c *PECore) AssocUp(now time.Time, id AssocID, index int) []Action {
	if c.state == peStopped || !c.link.dialing || index != c.link.idx {
		return []Action{CloseAssoc{Assoc: id}}
	}
	c.link.up(id)
	if c.home != 0 || c.state != peRunning {
		// Re-homed meanwhile (keep-alive with H) or shutting down.
		return nil
	}
	c.setHome(id, index, 0)
	return c.register(now, nil)

}

// DialFailed reports that dialing registrar index failed.
func (c *PECore) DialFailed(now time.Time, index int) []Action {
	if !c.link.dialing || index != c.link.idx {
		return nil
	}
	c.link.failed(now)
	return c.poll(now, nil)
}

// AssocDown reports that an association ended (any association the core
// was told of, or one a registrar called in on).
func (c *PECore) AssocDown(now time.Time, id AssocID) []Action {
	if id == 0 {
		return nil
	}
	var out []Action
	if id == c.link.assoc {
		c.link.failed(now)
	}
	if id == c.home {
		out = append(out, c.loseHome(now, fmt.Errorf("association to home registrar ended"))...)
	}
	return c.poll(now, out)
}

// Message handles an ASAP message received on association id.
func (c *PECore) Message(now time.Time, id AssocID, m wire.Message) []Action {
	var out []Action
	switch m := m.(type) {
	case *wire.EndpointKeepAlive:
		out = c.keepAlive(now, id, m)
	case *wire.RegistrationResponse:
		out = c.registrationResponse(now, id, m)
	case *wire.DeregistrationResponse:
		if c.state == peDeregistering && m.PEIdentifier == c.element.Identifier {
			var err error
			if m.Error != nil && len(m.Error.Causes) > 0 {
				err = fmt.Errorf("asap: deregistration answered with error: %s", causesString(m.Error.Causes))
			}
			c.state = peStopped
			out = append(out, c.event(now, PEDeregistered, id, err))
		}
	case *wire.ASAPErrorMessage:
		out = append(out, c.event(now, PEError, id,
			fmt.Errorf("asap: registrar sent an ASAP Error: %s", causesString(m.Error.Causes))))
	}
	return c.poll(now, out)
}

// Tick handles the deadlines that have passed by now.
func (c *PECore) Tick(now time.Time) []Action {
	var out []Action
	if c.state == peDeregistering && due(c.deregAt, now) {
		c.state = peStopped
		out = append(out, c.event(now, PEDeregistered, c.home,
			fmt.Errorf("asap: no Deregistration Response within %v", c.t.DeregistrationTimeout)))
		return out
	}
	if c.state != peRunning {
		return nil
	}
	if c.outstanding && due(c.regDeadline, now) {
		c.outstanding = false
		c.regRetries++
		if c.regRetries > c.t.MaxRequestRetransmit {
			// The home registrar does not answer: give it up.
			old := c.home
			out = append(out, CloseAssoc{Assoc: old})
			if old == c.link.assoc {
				c.link.failed(now)
			}
			out = append(out, c.loseHome(now, fmt.Errorf("no Registration Response in %d attempts of %v",
				c.t.MaxRequestRetransmit+1, c.t.ResponseTimeout))...)
		} else {
			out = c.send(now, out)
		}
	}
	if c.home != 0 && !c.outstanding && due(c.reregAt, now) {
		out = c.register(now, out)
	}
	return c.poll(now, out)
}

// SetPolicy changes the PE's policy (with its load or weight) and, when
// registered, re-registers at once so the registrar learns it.
func (c *PECore) SetPolicy(now time.Time, p wire.Policy) []Action {
	c.element.Policy = p
	if c.state != peRunning || c.home == 0 || c.outstanding {
		// An outstanding Registration is answered first; the next one
		// (re-registration or retransmission) carries the new value.
		c.dirty = true
		return nil
	}
	return c.register(now, nil)
}

// Deregister starts the shutdown: a Deregistration to the home registrar,
// then PEDeregistered when answered or after DeregistrationTimeout. With
// no home registrar the core stops at once.
func (c *PECore) Deregister(now time.Time) []Action {
	switch c.state {
	case peStopped, peDeregistering:
		return nil
	}
	if c.home == 0 || !c.everOK {
		c.state = peStopped
		return []Action{c.event(now, PEDeregistered, 0, fmt.Errorf("asap: not registered with any registrar"))}
	}
	c.state = peDeregistering
	c.outstanding = false
	c.deregAt = now.Add(c.t.DeregistrationTimeout)
	return []Action{Send{Assoc: c.home, Msg: &wire.Deregistration{PoolHandle: c.handle, PEIdentifier: c.element.Identifier}}}
}

// NextDeadline returns when Tick must be called next; zero means no deadline.
func (c *PECore) NextDeadline() time.Time {
	switch c.state {
	case peDeregistering:
		return c.deregAt
	case peRunning:
	default:
		return time.Time{}
	}
	var d time.Time
	if c.outstanding {
		d = c.regDeadline
	} else if c.home != 0 {
		d = c.reregAt
	}
	if c.home == 0 {
		d = earliest(d, c.link.deadline())
	}
	return d
}

func (c *PECore) keepAlive(now time.Time, id AssocID, m *wire.EndpointKeepAlive) []Action {
	if m.PEIdentifier != nil && *m.PEIdentifier != c.element.Identifier {
		return nil // about another PE
	}
	out := []Action{Send{Assoc: id, Msg: &wire.EndpointKeepAliveAck{PoolHandle: c.handle, PEIdentifier: c.element.Identifier}}}
	if c.state != peRunning {
		return out
	}
	switch {
	case m.Home && id != c.home:
		idx := -1
		if id == c.link.assoc {
			idx = c.link.idx
		}
		c.setHome(id, idx, m.ServerID)
		c.registered, c.outstanding = true, false
		c.regRetries = 0
		c.reregAt = now.Add(c.t.ReregistrationInterval)
		out = append(out, c.event(now, PEHomeChanged, id, nil))
	case id == c.home && (m.Home || c.homeServer == 0):
		if c.homeServer != m.ServerID && c.homeServer != 0 {
			c.homeServer = m.ServerID
			out = append(out, c.event(now, PEHomeChanged, id, nil))
		}
		c.homeServer = m.ServerID
	}
	return out
}

func (c *PECore) registrationResponse(now time.Time, id AssocID, m *wire.RegistrationResponse) []Action {
	if m.PEIdentifier != c.element.Identifier || string(m.PoolHandle) != string(c.handle) {
		return []Action{c.event(now, PEError, id, fmt.Errorf("asap: Registration Response for PE %v in pool %v, not for this PE", m.PEIdentifier, m.PoolHandle))}
	}
	if c.state != peRunning || id != c.home {
		return nil
	}
	c.outstanding = false
	c.regRetries = 0
	c.reregAt = now.Add(c.t.ReregistrationInterval)
	if c.dirty {
		c.reregAt = now
	}
	if m.Reject {
		c.registered = false
		var causes []wire.ErrorCause
		if m.Error != nil {
			causes = m.Error.Causes
		}
		err := &RejectedError{PoolHandle: c.handle, PE: c.element.Identifier, ServerID: c.homeServer, Causes: causes}
		return []Action{c.event(now, PERejected, id, err)}
	}
	first := !c.registered
	c.registered, c.everOK = true, true
	c.link.ok()
	ev := c.event(now, PERegistered, id, nil)
	ev.First = first
	return []Action{ev}
}

func (c *PECore) setHome(id AssocID, idx int, server uint32) {
	c.home, c.homeIdx, c.homeServer = id, idx, server
}

// loseHome forgets the home registrar; poll then dials the next one.
func (c *PECore) loseHome(now time.Time, why error) []Action {
	ev := c.event(now, PERegistrarLost, c.home, fmt.Errorf("asap: home registrar lost: %w", why))
	if c.state == peDeregistering {
		c.state = peStopped
		return []Action{ev, c.event(now, PEDeregistered, c.home, fmt.Errorf("asap: home registrar lost during deregistration: %w", why))}
	}
	c.home, c.homeIdx, c.homeServer = 0, -1, 0
	c.registered, c.outstanding = false, false
	c.regRetries = 0
	return []Action{ev}
}

func (c *PECore) register(now time.Time, out []Action) []Action {
	c.regRetries = 0
	return c.send(now, out)
}

// send (re)transmits the Registration to the home registrar.
func (c *PECore) send(now time.Time, out []Action) []Action {
	c.element.HomeRegistrar = c.homeServer
	c.outstanding = true
	c.dirty = false
	c.regDeadline = now.Add(c.t.ResponseTimeout)
	pe := c.element
	return append(out, Send{Assoc: c.home, Msg: &wire.Registration{PoolHandle: c.handle, PoolElement: pe}})
}

// poll dials a registrar when the PE needs one.
func (c *PECore) poll(now time.Time, out []Action) []Action {
	if c.state == peRunning && c.home == 0 && c.link.wantDial(now) {
		out = append(out, c.link.dial())
	}
	return out
}

func (c *PECore) event(now time.Time, k PEEventKind, id AssocID, err error) PEEvent {
	idx := -1
	if id == c.home {
		idx = c.homeIdx
	} else if id == c.link.assoc {
		idx = c.link.idx
	}
	return PEEvent{Kind: k, Assoc: id, Registrar: idx, ServerID: c.homeServer, Err: err, Time: now}
}
