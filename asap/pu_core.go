package asap

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/sigpool/sigpool/policy"
	"github.com/sigpool/sigpool/transport"
	"github.com/sigpool/sigpool/wire"
)

// ReqID names one caller waiting for a handle resolution.
type ReqID uint64

// Resolved hands the outcome of a handle resolution to the callers Reqs.
// Elements is the pool as last heard of (Stale: from an expired cache entry,
// because no registrar answered); Err is set when there is nothing to give.
type Resolved struct {
	Reqs     []ReqID
	Handle   wire.PoolHandle
	Elements []wire.PoolElement
	Policy   wire.PolicyType
	Stale    bool
	Err      error
}

// PUCoreConfig configures a PUCore.
type PUCoreConfig struct {
	// Registrars is the number of configured registrar addresses.
	Registrars int
	Timers     Timers // zero fields: defaults of the rfc4960 profile
	// Items, when non-zero, is sent as RSPLIB's Handle Resolution Option
	// (how many PEs to return; wire.AllItems for all).
	Items uint32
	// Rand drives random selection policies; nil seeds one at random.
	Rand *rand.Rand
}

type cacheEntry struct {
	handle   wire.PoolHandle
	elements []wire.PoolElement
	policy   wire.PolicyType
	expires  time.Time
	view     poolView
}

type resolution struct {
	handle   wire.PoolHandle
	reqs     []ReqID
	sentOn   AssocID // association the request is outstanding on; 0: not sent
	deadline time.Time
	attempts int
}

// PUCore is the sans-I/O pool user: a cache of handle resolutions with a
// TTL, one outstanding resolution per handle (later callers queue behind
// it), stale entries served when no registrar answers, local selection by
// the pool's policy, and Endpoint Unreachable reports.
type PUCore struct {
	t     Timers
	items uint32
	rnd   *rand.Rand
	reg   *policy.Registry
	link  regLink

	cache   map[string]*cacheEntry
	pending map[string]*resolution
	order   []string // pending handles, oldest first
	reports []wire.EndpointUnreachable
	failed  map[string]map[wire.PEIdentifier]time.Time
}

// NewPUCore returns a core with an empty cache.
func NewPUCore(cfg PUCoreConfig) (*PUCore, error) {
	if err := cfg.Timers.Validate(); err != nil {
		return nil, fmt.Errorf("asap: PU: %w", err)
	}
	t := cfg.Timers.withDefaults(transport.Profile{})
	rnd := cfg.Rand
	if rnd == nil {
		rnd = rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))
	}
	return &PUCore{
		t: t, items: cfg.Items, rnd: rnd, reg: policy.Standard(),
		link:    newRegLink(cfg.Registrars, t.ReconnectMin, t.ReconnectMax),
		cache:   map[string]*cacheEntry{},
		pending: map[string]*resolution{},
		failed:  map[string]map[wire.PEIdentifier]time.Time{},
	}, nil
}

// Timers returns the timers in effect.
func (c *PUCore) Timers() Timers { return c.t }

// Resolve asks for the PEs of handle on behalf of req. A fresh cache entry
// answers at once; otherwise req waits for the resolution under way for
// this handle, or starts one.
func (c *PUCore) Resolve(now time.Time, handle wire.PoolHandle, req ReqID) []Action {
	key := string(handle)
	if e := c.cache[key]; e != nil && now.Before(e.expires) && len(e.elements) > 0 {
		return []Action{c.resolved(e, []ReqID{req}, false, nil)}
	}
	if p := c.pending[key]; p != nil {
		p.reqs = append(p.reqs, req)
		return nil
	}
	p := &resolution{handle: append(wire.PoolHandle(nil), handle...), reqs: []ReqID{req}, deadline: now.Add(c.t.ResponseTimeout)}
	c.pending[key] = p
	c.order = append(c.order, key)
	var out []Action
	if c.link.assoc != 0 {
		out = c.sendResolution(now, p, out)
	}
	return c.poll(now, out)
}

// Select picks a PE of handle from the cache (fresh or stale) by the
// pool's policy, leaving out PEs reported unreachable within
// UnreachableHold and those in exclude.
func (c *PUCore) Select(now time.Time, handle wire.PoolHandle, exclude ...wire.PEIdentifier) (wire.PoolElement, error) {
	e := c.cache[string(handle)]
	if e == nil {
		return wire.PoolElement{}, fmt.Errorf("asap: select in pool %v: %w (not resolved)", handle, ErrEmptyPool)
	}
	avoid := slices.Clone(exclude)
	for id, until := range c.failed[string(e.handle)] {
		if now.Before(until) {
			avoid = append(avoid, id)
		}
	}
	pe, ok := e.view.selectPE(c.reg, e.policy, c.rnd, avoid)
	if !ok {
		return wire.PoolElement{}, fmt.Errorf("asap: select in pool %v (%d known, all unreachable or excluded): %w", handle, len(e.elements), ErrEmptyPool)
	}
	return pe, nil
}

// Unreachable records that PE id of handle could not be reached: it is
// kept out of selection for UnreachableHold, the cache entry expires so the
// next Resolve asks a registrar, and an Endpoint Unreachable goes to the
// registrar (queued until one is connected).
func (c *PUCore) Unreachable(now time.Time, handle wire.PoolHandle, id wire.PEIdentifier) []Action {
	key := string(handle)
	if c.failed[key] == nil {
		c.failed[key] = map[wire.PEIdentifier]time.Time{}
	}
	c.failed[key][id] = now.Add(c.t.UnreachableHold)
	if e := c.cache[key]; e != nil {
		e.expires = now
	}
	m := wire.EndpointUnreachable{PoolHandle: append(wire.PoolHandle(nil), handle...), PEIdentifier: id}
	if c.link.assoc != 0 {
		return []Action{Send{Assoc: c.link.assoc, Msg: &m}}
	}
	c.reports = append(c.reports, m)
	return c.poll(now, nil)
}

// AssocUp reports that the association dialed to registrar index is up;
// queued requests and reports go out on it.
func (c *PUCore) AssocUp(now time.Time, id AssocID, index int) []Action {
	if !c.link.dialing || index != c.link.idx {
		return []Action{CloseAssoc{Assoc: id}}
	}
	c.link.up(id)
	var out []Action
	for _, key := range c.order {
		if p := c.pending[key]; p != nil && p.sentOn == 0 {
			out = c.sendResolution(now, p, out)
		}
	}
	for i := range c.reports {
		out = append(out, Send{Assoc: id, Msg: &c.reports[i]})
	}
	c.reports = nil
	return out
}

// DialFailed reports that dialing registrar index failed.
func (c *PUCore) DialFailed(now time.Time, index int) []Action {
	if !c.link.dialing || index != c.link.idx {
		return nil
	}
	c.link.failed(now)
	return c.poll(now, nil)
}

// AssocDown reports that a registrar association ended.
func (c *PUCore) AssocDown(now time.Time, id AssocID) []Action {
	if id == 0 || id != c.link.assoc {
		return nil
	}
	c.dropAssoc(now)
	return c.poll(now, nil)
}

func (c *PUCore) dropAssoc(now time.Time) {
	for _, p := range c.pending {
		if p.sentOn == c.link.assoc {
			p.sentOn = 0
		}
	}
	c.link.failed(now)
}

// Message handles an ASAP message from a registrar.
func (c *PUCore) Message(now time.Time, id AssocID, m wire.Message) []Action {
	hr, ok := m.(*wire.HandleResolutionResponse)
	if !ok {
		return nil
	}
	c.link.ok()
	key := string(hr.PoolHandle)
	p := c.pending[key]
	c.forget(key)
	var reqs []ReqID
	if p != nil {
		reqs = p.reqs
	}
	if hr.Error != nil && len(hr.Error.Causes) > 0 {
		delete(c.cache, key)
		if p == nil {
			return nil
		}
		return []Action{Resolved{Reqs: reqs, Handle: p.handle, Err: &ResolutionError{PoolHandle: p.handle, Causes: hr.Error.Causes}}}
	}
	e := c.cache[key]
	if e == nil {
		e = &cacheEntry{handle: append(wire.PoolHandle(nil), hr.PoolHandle...)}
		c.cache[key] = e
	}
	e.elements = slices.Clone(hr.PoolElements)
	e.view.update(e.elements)
	e.expires = now.Add(c.t.CacheTTL)
	switch {
	case hr.Policy != nil:
		e.policy = hr.Policy.Type
	case len(hr.PoolElements) > 0:
		e.policy = hr.PoolElements[0].Policy.Type
	}
	if p == nil {
		return nil
	}
	var err error
	if len(e.elements) == 0 {
		err = fmt.Errorf("asap: pool %v: registrar returned no PE: %w", e.handle, ErrEmptyPool)
	}
	return []Action{c.resolved(e, reqs, false, err)}
}

// Tick handles the resolutions whose answer is overdue.
func (c *PUCore) Tick(now time.Time) []Action {
	var out []Action
	switched := false
	for _, key := range slices.Clone(c.order) {
		p := c.pending[key]
		if p == nil || !due(p.deadline, now) {
			continue
		}
		p.attempts++
		if p.attempts > c.t.MaxRequestRetransmit {
			c.forget(key)
			if e := c.cache[key]; e != nil && len(e.elements) > 0 {
				out = append(out, c.resolved(e, p.reqs, true, nil))
			} else {
				out = append(out, Resolved{Reqs: p.reqs, Handle: p.handle,
					Err: fmt.Errorf("asap: resolve pool %v: %w in %d attempts of %v", p.handle, ErrNoRegistrar, p.attempts, c.t.ResponseTimeout)})
			}
			continue
		}
		p.deadline = now.Add(c.t.ResponseTimeout)
		if p.sentOn == 0 || p.sentOn != c.link.assoc {
			continue // not connected: goes out when a registrar is
		}
		if c.link.n > 1 && !switched {
			// This registrar does not answer: try the next one.
			switched = true
			out = append(out, CloseAssoc{Assoc: c.link.assoc})
			c.dropAssoc(now)
			continue
		}
		if c.link.assoc != 0 {
			out = c.sendResolution(now, p, out)
		}
	}
	return c.poll(now, out)
}

// NextDeadline returns when Tick must be called next; zero means none.
func (c *PUCore) NextDeadline() time.Time {
	var d time.Time
	for _, p := range c.pending {
		d = earliest(d, p.deadline)
	}
	if c.needLink() {
		d = earliest(d, c.link.deadline())
	}
	return d
}

func (c *PUCore) needLink() bool { return len(c.pending) > 0 || len(c.reports) > 0 }

func (c *PUCore) poll(now time.Time, out []Action) []Action {
	if c.needLink() && c.link.wantDial(now) {
		out = append(out, c.link.dial())
	}
	return out
}

func (c *PUCore) forget(key string) {
	if _, ok := c.pending[key]; !ok {
		return
	}
	delete(c.pending, key)
	c.order = slices.DeleteFunc(c.order, func(k string) bool { return k == key })
}

func (c *PUCore) sendResolution(now time.Time, p *resolution, out []Action) []Action {
	m := &wire.HandleResolution{PoolHandle: p.handle}
	if c.items != 0 {
		m.Option = &wire.HandleResolutionOption{Items: c.items}
	}
	p.sentOn = c.link.assoc
	p.deadline = now.Add(c.t.ResponseTimeout)
	return append(out, Send{Assoc: c.link.assoc, Msg: m})
}

func (c *PUCore) resolved(e *cacheEntry, reqs []ReqID, stale bool, err error) Resolved {
	return Resolved{Reqs: reqs, Handle: e.handle, Elements: slices.Clone(e.elements), Policy: e.policy, Stale: stale, Err: err}
}
