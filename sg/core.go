package sg

import (
	"errors"
	"fmt"
	"math/rand/v2"
	"slices"
	"time"

	"github.com/sigpool/sigpool/mxua"
	"github.com/sigpool/sigpool/policy"
	"github.com/sigpool/sigpool/wire"
)

// Core defaults.
const (
	DefaultMaxBindings         = 1 << 20
	DefaultMaxBuffered         = 1 << 16
	DefaultMaxBufferPerBinding = 1024
	// DefaultFailoverHold is how long traffic waits for a GWC when none
	// is ACTIVE: M3UA's T(r) default (RFC 4666 section 4.3.4.3).
	DefaultFailoverHold = 2 * time.Second
	// DefaultBindingIdle drops a binding nothing used for so long: a
	// dialogue whose end the SG never saw (lost End, crashed peer).
	DefaultBindingIdle = 10 * time.Minute
	// sweepInterval and sweepBudget bound the idle sweep's work per tick,
	// so a large table never stalls the traffic.
	sweepInterval = time.Second
	sweepBudget   = 16384
	// finishedLinger keeps a binding whose GWC said the call is over for
	// the closing messages: Cookie and data travel on separate paths.
	finishedLinger = 2 * time.Second
	// maxFailoverTimes failover durations are kept for Stats.
	maxFailoverTimes = 1024
	// maxRetired PEs that left their pools stay in Stats.
	maxRetired = 64
	// maxPoolPointCodes bounds the point codes a route's DPC range adds
	// to a pool's DUNA/DAVA announcements.
	maxPoolPointCodes = 64
)

// CoreConfig configures the SG core.
type CoreConfig struct {
	Pools  []PoolConfig
	Routes []Route
	// PointCode is the SG's own point code: what is announced for a pool
	// that has neither PointCodes nor a DPC in its routes.
	PointCode uint32
	// MaxBindings bounds the binding table (and the TID index); beyond it
	// new dialogues are shared by policy per message, without stickiness.
	MaxBindings int
	// MaxBuffered bounds the messages held during failovers, in total;
	// MaxBufferPerBinding per binding.
	MaxBuffered         int
	MaxBufferPerBinding int
	// FailoverHold is how long messages wait for a GWC while the pool has
	// none ACTIVE; then they are dropped (and counted).
	FailoverHold time.Duration
	// BindingIdle drops bindings unused for that long.
	BindingIdle time.Duration
	// Policies implements the pools' selection policies (default
	// policy.Standard()).
	Policies *policy.Registry
	// Rand drives random policies; nil: randomly seeded.
	Rand policy.Rand
}

func (c *CoreConfig) withDefaults() {
	if c.MaxBindings <= 0 {
		c.MaxBindings = DefaultMaxBindings
	}
	if c.MaxBuffered <= 0 {
		c.MaxBuffered = DefaultMaxBuffered
	}
	if c.MaxBufferPerBinding <= 0 {
		c.MaxBufferPerBinding = DefaultMaxBufferPerBinding
	}
	if c.FailoverHold <= 0 {
		c.FailoverHold = DefaultFailoverHold
	}
	if c.BindingIdle <= 0 {
		c.BindingIdle = DefaultBindingIdle
	}
	if c.Policies == nil {
		c.Policies = policy.Standard()
	}
	if c.Rand == nil {
		c.Rand = rand.New(rand.NewPCG(rand.Uint64(), rand.Uint64()))
	}
}

// assocKey names a downstream association: AssocIDs are per SGP server,
// and there is one server per protocol.
type assocKey struct {
	proto mxua.Protocol
	assoc mxua.AssocID
}

// upPeer is an upstream ASP (a SEP or STP side ASP).
type upPeer struct {
	active  bool
	rc      uint32
	rcs     []uint32 // RoutingContexts of messages sent back to it (shared)
	in, out uint64
}

// Counters are the core's running totals.
type Counters struct {
	FromSS7, ToPool, FromPool, ToSS7 uint64
	// Failovers counts ACTIVE GWCs lost (association, BEAT, ASP state or
	// resolution); Lost what they had received but not answered; Resent
	// how many of those were queued again for the survivor their binding
	// moved to (sent after its Cookie Echo, or when one becomes ACTIVE).
	Failovers uint64
	Lost      uint64
	Resent    uint64
	// Dropped counts messages the SG could not deliver, for every reason
	// below (each also counted on its own).
	Dropped          uint64
	NoRoute          uint64 // no route matches
	ProtocolMismatch uint64 // the route's pool speaks the other protocol
	NoPE             uint64 // no GWC ACTIVE for a message without binding
	BufferFull       uint64 // failover buffer limits
	HoldExpired      uint64 // waited FailoverHold for a GWC in vain
	// Unbound counts messages sent without a binding (no key, table
	// full); BadBinding those whose payload BindingOf refused.
	Unbound, BadBinding uint64
	BindingsFull        uint64
	BindingsCreated     uint64
	BindingsEnded       uint64
	BindingsExpired     uint64
	CookiesIn           uint64
	CookiesIgnored      uint64
	CookieEchoes        uint64
	// Rehomed counts bindings moved to a survivor.
	Rehomed uint64
}

// Core is the SG's sans-I/O state machine: the routing table, the pools
// with their PEs and selection views, the binding table with the TCAP
// TID index, and the failover buffers. Each method takes the current time
// and returns the actions to carry out, in order; the slice is reused by
// the next call. It is not safe for concurrent use.
type Core struct {
	cfg       CoreConfig
	pools     map[string]*pool
	poolList  []*pool
	routes    routingTable
	bt        bindingTable
	peByAssoc map[assocKey]*pe
	upstream  map[upstreamRef]*upPeer
	buffered  int
	nextSweep time.Time
	cnt       Counters
	ftimes    []time.Duration
	retired   []PEStats // PEs that left their pools, latest last
	out       []Action
}

// NewCore checks the configuration and returns a core with every pool
// empty.
func NewCore(cfg CoreConfig) (*Core, error) {
	cfg.withDefaults()
	c := &Core{cfg: cfg, pools: map[string]*pool{}, peByAssoc: map[assocKey]*pe{}, upstream: map[upstreamRef]*upPeer{},
		bt: newBindingTable(cfg.MaxBindings), out: make([]Action, 0, 16)}
	if len(cfg.Pools) == 0 {
		return nil, errors.New("sg: no pool")
	}
	for _, pc := range cfg.Pools {
		if pc.Handle == "" {
			return nil, errors.New("sg: pool with an empty handle")
		}
		if _, dup := c.pools[pc.Handle]; dup {
			return nil, fmt.Errorf("sg: pool %q configured twice", pc.Handle)
		}
		if pc.Protocol == 0 {
			pc.Protocol = mxua.M3UA
		}
		if pc.Protocol != mxua.M3UA && pc.Protocol != mxua.SUA {
			return nil, fmt.Errorf("sg: pool %q: protocol %v", pc.Handle, pc.Protocol)
		}
		if pc.RoutingContext == 0 {
			pc.RoutingContext = 1
		}
		p := newPool(pc, cfg.Policies)
		c.pools[pc.Handle] = p
		c.poolList = append(c.poolList, p)
	}
	slices.SortFunc(c.poolList, func(a, b *pool) int {
		switch {
		case a.cfg.Handle < b.cfg.Handle:
			return -1
		case a.cfg.Handle > b.cfg.Handle:
			return 1
		}
		return 0
	})
	rt, err := newRoutingTable(cfg.Routes, c.pools)
	if err != nil {
		return nil, fmt.Errorf("sg: %w", err)
	}
	c.routes = rt
	for _, p := range c.poolList {
		if len(p.cfg.PointCodes) > 0 {
			continue
		}
		for i := range rt.routes {
			if rt.pools[i] == p {
				for _, pc := range rt.routes[i].PointCodes(maxPoolPointCodes) {
					if !slices.Contains(p.cfg.PointCodes, pc) {
						p.cfg.PointCodes = append(p.cfg.PointCodes, pc)
					}
				}
			}
		}
		if len(p.cfg.PointCodes) == 0 && cfg.PointCode != 0 {
			p.cfg.PointCodes = []uint32{cfg.PointCode}
		}
	}
	return c, nil
}

// Pools returns the pools' configurations (with defaults applied).
func (c *Core) Pools() []PoolConfig {
	out := make([]PoolConfig, len(c.poolList))
	for i, p := range c.poolList {
		out[i] = p.cfg
	}
	return out
}

// Start announces every pool unavailable: no GWC is ACTIVE yet.
func (c *Core) Start(now time.Time) []Action {
	c.out = c.out[:0]
	for _, p := range c.poolList {
		c.announce(p)
	}
	c.nextSweep = now.Add(sweepInterval)
	return c.out
}

// --- traffic ---------------------------------------------------------

// FromSS7 takes a message an upstream ASP (assoc, of protocol proto, in
// the AS of routing context rc) sent: it is routed to a pool and, by its
// binding, to a GWC; new bindings go where the pool's policy says.
func (c *Core) FromSS7(now time.Time, proto mxua.Protocol, assoc mxua.AssocID, rc uint32, m *mxua.Message) []Action {
	c.out = c.out[:0]
	c.cnt.FromSS7++
	c.upPeer(proto, assoc, rc).in++
	if m == nil {
		return c.out
	}
	p := c.routes.lookup(m)
	if p == nil {
		c.cnt.NoRoute++
		c.discard(m, 1, "no route matches")
		return c.out
	}
	if p.cfg.Protocol != proto {
		c.cnt.ProtocolMismatch++
		c.discard(m, 1, "pool "+p.cfg.Handle+" speaks "+p.cfg.Protocol.String())
		return c.out
	}
	bnd, err := mxua.BindingOf(m, mxua.FromSS7)
	if err != nil {
		c.cnt.BadBinding++
		c.sendUnbound(p, m)
		return c.out
	}
	var b *binding
	if key, ok := bnd.Key(); ok {
		if b = c.bt.get(key); b == nil {
			// A dialogue the pool began is answered where it began.
			var owner *pe
			if bnd.HasPoolTID {
				if e, ok := c.bt.tids[tidKey{bnd.PoolPC, bnd.SS7PC, bnd.PoolTID}]; ok && usable(e.pe, p) {
					owner = e.pe
				}
			}
			if bnd.Ends {
				// Nothing to keep for a dialogue that ends here.
				if bnd.HasPoolTID {
					delete(c.bt.tids, tidKey{bnd.PoolPC, bnd.SS7PC, bnd.PoolTID})
				}
				if owner != nil {
					c.sendPE(owner, m)
				} else {
					c.sendUnbound(p, m)
				}
				return c.out
			}
			if b = c.newBinding(now, key, p, owner); b == nil {
				c.sendUnbound(p, m)
				return c.out
			}
		}
	} else if bnd.HasPoolTID {
		tk := tidKey{bnd.PoolPC, bnd.SS7PC, bnd.PoolTID}
		if e, ok := c.bt.tids[tk]; ok {
			switch {
			case e.b != nil && e.b.gen == e.gen:
				b = e.b
			case usable(e.pe, p):
				if bnd.Ends {
					delete(c.bt.tids, tk)
				} else {
					e.lastUsed = now
					c.bt.tids[tk] = e
				}
				c.sendPE(e.pe, m)
				return c.out
			}
		}
	}
	if b == nil {
		c.sendUnbound(p, m)
		return c.out
	}
	b.origin, b.hasOrigin = upstreamRef{proto, assoc}, true
	if bnd.Begins {
		b.finished = false // a new call on the circuit
	}
	if bnd.HasPoolTID && !b.hasPoolTID {
		c.setPoolTID(b, bnd.PoolTID, now)
	}
	c.deliver(now, b, m, bnd.Ends)
	return c.out
}

// usable says e may take traffic of pool p.
func usable(e *pe, p *pool) bool {
	return e != nil && !e.removed && e.state == peActive && e.pool == p
}

// FromPool takes a message the GWC on downstream association assoc sent:
// it goes back to the upstream ASP its dialogue came from when that one is
// still ACTIVE, else upstream by routing key.
func (c *Core) FromPool(now time.Time, proto mxua.Protocol, assoc mxua.AssocID, m *mxua.Message) []Action {
	c.out = c.out[:0]
	c.cnt.FromPool++
	if m == nil {
		return c.out
	}
	e := c.peByAssoc[assocKey{proto, assoc}]
	if e != nil {
		e.in++
	}
	var b *binding
	ends := false
	bnd, err := mxua.BindingOf(m, mxua.FromPool)
	if err != nil {
		c.cnt.BadBinding++
	} else {
		ends = bnd.Ends
		if key, ok := bnd.Key(); ok {
			b = c.bt.get(key)
			if b == nil && bnd.Begins && key.Kind == mxua.BindingCircuit && e != nil && e.state == peActive {
				// A call the pool places: the SS7 side's answers belong
				// on the GWC that placed it.
				b = c.newBinding(now, key, e.pool, e)
			}
		} else if bnd.HasPoolTID && e != nil && !ends && len(c.bt.tids) < c.cfg.MaxBindings {
			// A dialogue the pool begins: the SS7 side answers with
			// this TID.
			c.bt.tids[tidKey{bnd.PoolPC, bnd.SS7PC, bnd.PoolTID}] = tidEntry{pe: e, lastUsed: now}
		}
		if b != nil {
			b.lastUsed = now
			if bnd.Begins {
				b.finished = false
			}
			if b.pe == e && e != nil {
				b.answered()
			}
			if bnd.HasPoolTID && !b.hasPoolTID {
				c.setPoolTID(b, bnd.PoolTID, now)
			}
		}
	}
	if b != nil && b.hasOrigin {
		if u := c.upstream[b.origin]; u != nil && u.active {
			m.RoutingContexts = u.rcs
			u.out++
			c.cnt.ToSS7++
			c.out = append(c.out, Action{Kind: ActSendUpstream, Proto: b.origin.proto, Assoc: b.origin.assoc, Msg: m})
			if ends && b.state == bound {
				c.endBinding(b)
			}
			return c.out
		}
	}
	m.RoutingContexts = nil // the upstream SGP routes it by key
	c.cnt.ToSS7++
	c.out = append(c.out, Action{Kind: ActSendUpstream, Proto: proto, Msg: m})
	if b != nil && ends && b.state == bound {
		c.endBinding(b)
	}
	return c.out
}

// deliver sends a message of binding b, or holds it while b moves.
func (c *Core) deliver(now time.Time, b *binding, m *mxua.Message, ends bool) {
	b.lastUsed = now
	if b.state == bound {
		c.sendBound(now, b, m)
		if ends {
			c.endBinding(b)
		}
		return
	}
	if !c.hold(b, m) {
		return
	}
	if ends {
		b.endAfterFlush = true
	}
}

func (c *Core) sendBound(now time.Time, b *binding, m *mxua.Message) {
	// Calls and dialogues are answered; SLS traffic need not be, so it
	// counts as nothing outstanding.
	if b.key.Kind != mxua.BindingSLS {
		if b.unanswered == 0 {
			b.since = now
		}
		b.unanswered++
		if len(b.sent) < maxResend {
			b.sent = append(b.sent, m)
		}
	}
	c.sendPE(b.pe, m)
}

func (c *Core) sendPE(e *pe, m *mxua.Message) {
	m.RoutingContexts = e.pool.rcs
	e.out++
	c.cnt.ToPool++
	c.out = append(c.out, Action{Kind: ActSendPE, Proto: e.pool.cfg.Protocol, Assoc: e.assoc, Msg: m})
}

// sendUnbound shares a message without binding by the pool's policy.
func (c *Core) sendUnbound(p *pool, m *mxua.Message) {
	c.cnt.Unbound++
	e := p.choose(c.cfg.Rand)
	if e == nil {
		c.cnt.NoPE++
		c.discard(m, 1, "no GWC of pool "+p.cfg.Handle+" is ACTIVE")
		return
	}
	c.sendPE(e, m)
}

// hold buffers a message of a binding that is moving.
func (c *Core) hold(b *binding, m *mxua.Message) bool {
	if len(b.buf) >= c.cfg.MaxBufferPerBinding || c.buffered >= c.cfg.MaxBuffered {
		c.cnt.BufferFull++
		c.discard(m, 1, "failover buffer full")
		return false
	}
	b.buf = append(b.buf, m)
	c.buffered++
	return true
}

// requeue puts the messages b's lost PE left unanswered at the head of
// its buffer, ahead of any held since, to go to the survivor; it returns
// how many. The failover buffer's limits apply: the oldest go, the rest
// are dropped. The caller then forgets b.sent (answered).
func (c *Core) requeue(b *binding) int {
	n := max(0, min(len(b.sent), c.cfg.MaxBufferPerBinding-len(b.buf), c.cfg.MaxBuffered-c.buffered))
	if over := len(b.sent) - n; over > 0 {
		c.cnt.BufferFull += uint64(over)
		c.discard(nil, over, "failover buffer full")
	}
	switch {
	case n == 0:
		return 0
	case len(b.buf) == 0:
		// The usual case (a bound binding holds nothing): swap arrays.
		clear(b.sent[n:])
		b.buf, b.sent = b.sent[:n], b.buf[:0]
	default:
		b.buf = append(append(make([]*mxua.Message, 0, n+len(b.buf)), b.sent[:n]...), b.buf...)
	}
	c.buffered += n
	return n
}

// flush sends what b held, in arrival order, to its (new) PE.
func (c *Core) flush(now time.Time, b *binding) {
	n := len(b.buf)
	for i, m := range b.buf {
		c.sendBound(now, b, m)
		b.buf[i] = nil
	}
	b.buf = b.buf[:0]
	c.buffered -= n
	if b.endAfterFlush {
		c.endBinding(b)
	}
}

func (c *Core) discard(m *mxua.Message, n int, reason string) {
	c.cnt.Dropped += uint64(n)
	c.out = append(c.out, Action{Kind: ActDiscard, Msg: m, Count: n, Reason: reason})
}

// --- bindings --------------------------------------------------------

// newBinding adds a binding on owner, if given and usable, else on the
// PE the pool's policy picks, else waiting. nil when the table is full.
func (c *Core) newBinding(now time.Time, key mxua.BindingKey, p *pool, owner *pe) *binding {
	if c.bt.full() {
		c.cnt.BindingsFull++
		return nil
	}
	b := c.bt.add(key, p, now)
	c.cnt.BindingsCreated++
	e := owner
	if !usable(e, p) {
		e = p.choose(c.cfg.Rand)
	}
	if e == nil {
		c.startWaiting(now, b)
		return b
	}
	e.link(b)
	b.state = bound
	return b
}

func (c *Core) setPoolTID(b *binding, tid uint32, now time.Time) {
	if len(c.bt.tids) >= c.cfg.MaxBindings {
		return
	}
	b.poolTID, b.hasPoolTID = tid, true
	c.bt.tids[tidKey{b.key.PoolPC, b.key.SS7PC, tid}] = tidEntry{b: b, gen: b.gen, lastUsed: now}
}

// endBinding forgets a binding (its dialogue ended, or it expired).
func (c *Core) endBinding(b *binding) {
	if n := len(b.buf); n > 0 {
		c.buffered -= n
		c.discard(nil, n, "binding ended with messages held")
	}
	b.unlink()
	c.bt.remove(b)
	c.cnt.BindingsEnded++
}

func (c *Core) startWaiting(now time.Time, b *binding) {
	b.state = waiting
	b.pool.waiting = append(b.pool.waiting, waitEntry{b: b, gen: b.gen, since: now})
}

// assign puts b on e: at once when there is no call state to restore,
// else after a Cookie Echo with the latest cookie (EchoDone flushes).
func (c *Core) assign(now time.Time, b *binding, e *pe) {
	e.link(b)
	if len(b.cookie) > 0 {
		b.state = echoPending
		c.cnt.CookieEchoes++
		c.out = append(c.out, Action{Kind: ActCookieEcho, Proto: e.pool.cfg.Protocol, Assoc: e.assoc, Cookie: b.cookie, Key: b.key, Pool: e.pool.cfg.Handle, PE: e.id})
		return
	}
	b.state = bound
	c.flush(now, b)
}

// rehome moves a binding whose PE was lost to a survivor, or makes it
// wait for one.
func (c *Core) rehome(now time.Time, b *binding) {
	e := b.pool.choose(c.cfg.Rand)
	if e == nil {
		c.startWaiting(now, b)
		return
	}
	c.cnt.Rehomed++
	c.assign(now, b, e)
}

// assignWaiting gives the bindings waiting in p to ACTIVE PEs.
func (c *Core) assignWaiting(now time.Time, p *pool) {
	q := p.waiting
	p.waiting = nil
	for _, w := range q {
		if w.b.gen != w.gen || w.b.state != waiting {
			continue
		}
		e := p.choose(c.cfg.Rand)
		if e == nil { // cannot happen: called with a PE ACTIVE
			c.startWaiting(w.since, w.b)
			continue
		}
		c.cnt.Rehomed++
		c.assign(now, w.b, e)
	}
}

// EchoDone reports that the Cookie Echo of binding key went out on assoc
// (err nil), so its held messages follow; an error means that association
// failed, and its PE is treated as lost.
func (c *Core) EchoDone(now time.Time, proto mxua.Protocol, assoc mxua.AssocID, key mxua.BindingKey, err error) []Action {
	c.out = c.out[:0]
	b := c.bt.get(key)
	if b == nil || b.state != echoPending || b.pe == nil || b.pe.assoc != assoc || b.pe.pool.cfg.Protocol != proto {
		return c.out // moved on meanwhile
	}
	if err != nil {
		c.disconnected(now, b.pe, "cookie echo failed: "+err.Error(), true)
		return c.out
	}
	b.state = bound
	c.flush(now, b)
	return c.out
}

// Cookie takes an ASAP Cookie from the GWC on assoc: the latest state of
// one binding (mxua.BindingCookie); an empty state says the call is over,
// and the binding ends shortly after (at once with its closing message).
func (c *Core) Cookie(now time.Time, proto mxua.Protocol, assoc mxua.AssocID, ck wire.Cookie) []Action {
	c.out = c.out[:0]
	c.cnt.CookiesIn++
	e := c.peByAssoc[assocKey{proto, assoc}]
	bc, err := mxua.ParseBindingCookie(ck)
	if e == nil || err != nil {
		c.cnt.CookiesIgnored++
		return c.out
	}
	b := c.bt.get(bc.Key)
	if b == nil {
		if len(bc.State) == 0 || e.state != peActive {
			return c.out
		}
		// State of a dialogue the SG holds no binding for (the pool began
		// it): keep it where it runs.
		if b = c.newBinding(now, bc.Key, e.pool, e); b == nil {
			return c.out
		}
	}
	if b.pe != e {
		c.cnt.CookiesIgnored++ // from a GWC the binding has left
		return c.out
	}
	b.lastUsed = now
	// The state is what the GWC made of the messages it read: a
	// survivor restoring it must not get them again (the GWC's answer
	// may still be queued behind the cookie, or die with it).
	b.answered()
	if len(bc.State) == 0 {
		// Nothing left to restore; the closing message (or, after a
		// short linger, the sweep) ends the binding.
		b.cookie, b.finished = nil, true
		return c.out
	}
	b.cookie, b.finished = ck, false
	return c.out
}

// --- pool membership -------------------------------------------------

// Resolved takes a handle resolution of pool handle: new PEs are dialed,
// known ones get their policy refreshed, and (unless stale: no registrar
// answered) PEs no longer listed leave the pool. An empty answer removes
// only PEs without association: an empty table more likely means a
// registrar that lost it than every GWC gone at once, and a dead GWC is
// found by its association and BEAT anyway.
func (c *Core) Resolved(now time.Time, handle string, elems []wire.PoolElement, pt wire.PolicyType, stale bool) []Action {
	c.out = c.out[:0]
	p := c.pools[handle]
	if p == nil {
		return c.out
	}
	if len(elems) > 0 && pt != 0 {
		p.setPolicy(pt, c.cfg.Policies)
	}
	seen := make(map[wire.PEIdentifier]bool, len(elems))
	for i := range elems {
		el := elems[i]
		seen[el.Identifier] = true
		e := p.pes[el.Identifier]
		if e == nil {
			e = &pe{id: el.Identifier, pool: p}
			p.pes[el.Identifier] = e
		}
		e.elem = el
		switch e.state {
		case peActive:
			p.activate(e) // refresh weight, load, priority
		case peIdle:
			e.state = peDialing
			elem := e.elem
			c.out = append(c.out, Action{Kind: ActDialPE, Pool: handle, PE: e.id, Element: &elem})
		}
	}
	if stale {
		return c.out
	}
	for _, e := range p.sortedPEs() {
		if seen[e.id] || (len(elems) == 0 && e.state >= peConnected) {
			continue
		}
		c.gone(now, e)
	}
	return c.out
}

// gone removes a PE the registrar no longer lists.
func (c *Core) gone(now time.Time, e *pe) {
	if e.state == peActive {
		// Its ASP is still ACTIVE until the association closes and may
		// yet answer: nothing is sent twice.
		c.inactive(now, e, "gone from the pool's handle resolution", false)
	}
	if e.state == peConnected {
		delete(c.peByAssoc, assocKey{e.pool.cfg.Protocol, e.assoc})
		c.out = append(c.out, Action{Kind: ActClosePE, Proto: e.pool.cfg.Protocol, Assoc: e.assoc, Pool: e.pool.cfg.Handle, PE: e.id})
	}
	e.removed = true
	delete(e.pool.pes, e.id)
	if len(c.retired) == maxRetired {
		c.retired = append(c.retired[:0], c.retired[1:]...)
	}
	st := e.stats()
	st.State = "gone"
	c.retired = append(c.retired, st)
}

// DialFailed reports that the association to PE id of handle could not
// be opened; it is reported unreachable and dialed again at the next
// resolution that lists it.
func (c *Core) DialFailed(now time.Time, handle string, id wire.PEIdentifier, reason string) []Action {
	c.out = c.out[:0]
	p := c.pools[handle]
	if p == nil {
		return c.out
	}
	if e := p.pes[id]; e != nil && e.state == peDialing {
		e.state = peIdle
		e.failures++
	}
	c.out = append(c.out, Action{Kind: ActReportUnreachable, Pool: handle, PE: id, Reason: reason})
	return c.out
}

// PEConnected reports the association to PE id of handle is up as assoc
// of the pool's downstream SGP server; the PE is not ACTIVE before its ASP
// says so (ASPState).
func (c *Core) PEConnected(now time.Time, handle string, id wire.PEIdentifier, assoc mxua.AssocID) []Action {
	c.out = c.out[:0]
	p := c.pools[handle]
	if p == nil {
		return c.out
	}
	e := p.pes[id]
	if e == nil || e.state != peDialing {
		// It left the pool while being dialed.
		c.out = append(c.out, Action{Kind: ActClosePE, Proto: p.cfg.Protocol, Assoc: assoc, Pool: handle, PE: id})
		return c.out
	}
	e.state, e.assoc = peConnected, assoc
	c.peByAssoc[assocKey{p.cfg.Protocol, assoc}] = e
	return c.out
}

// ASPState takes the state of the GWC's ASP on downstream association
// assoc: ASP-ACTIVE makes the PE eligible for bindings; leaving it moves
// the PE's bindings to survivors.
func (c *Core) ASPState(now time.Time, proto mxua.Protocol, assoc mxua.AssocID, st mxua.ASPState) []Action {
	c.out = c.out[:0]
	e := c.peByAssoc[assocKey{proto, assoc}]
	if e == nil {
		return c.out
	}
	switch {
	case st == mxua.ASPActive && e.state == peConnected:
		e.state = peActive
		e.pool.activate(e)
		c.announce(e.pool)
		c.assignWaiting(now, e.pool)
	case st != mxua.ASPActive && e.state == peActive:
		// An ASP that left ASP-ACTIVE sends no more traffic, and its
		// SGP would not take it (RFC 4666 4.3.4): what it was sent is
		// sent again.
		c.inactive(now, e, "ASP left ASP-ACTIVE ("+st.String()+")", true)
	}
	return c.out
}

// Congestion reports whether the association of an ACTIVE PE is congested
// (its send queue filling); while it is, the pool gives new bindings and
// failed-over ones to its other PEs (see pool.choose). Bindings already on
// it stay. It returns no actions today; the signature is the core's.
func (c *Core) Congestion(now time.Time, proto mxua.Protocol, assoc mxua.AssocID, congested bool) []Action {
	c.out = c.out[:0]
	if e := c.peByAssoc[assocKey{proto, assoc}]; e != nil && e.state == peActive {
		e.pool.setCongested(e, congested)
	}
	return c.out
}

// Disconnected reports that the downstream association assoc ended
// (transport failure, BEAT lost, closed): the PE's bindings move, the
// registrar hears it is unreachable when unreachable is set, and the PE
// is dialed again when a resolution still lists it.
func (c *Core) Disconnected(now time.Time, proto mxua.Protocol, assoc mxua.AssocID, reason string, unreachable bool) []Action {
	c.out = c.out[:0]
	if e := c.peByAssoc[assocKey{proto, assoc}]; e != nil {
		c.disconnected(now, e, reason, unreachable)
	}
	return c.out
}

func (c *Core) disconnected(now time.Time, e *pe, reason string, unreachable bool) {
	if e.state == peActive {
		c.inactive(now, e, reason, true)
	}
	if e.state != peConnected {
		return
	}
	delete(c.peByAssoc, assocKey{e.pool.cfg.Protocol, e.assoc})
	e.state, e.assoc = peIdle, 0
	if unreachable {
		c.out = append(c.out, Action{Kind: ActReportUnreachable, Pool: e.pool.cfg.Handle, PE: e.id, Reason: reason})
	}
}

// inactive takes an ACTIVE PE out of selection and moves its bindings;
// with resend, the messages it left unanswered go to the survivors too.
func (c *Core) inactive(now time.Time, e *pe, reason string, resend bool) {
	p := e.pool
	e.state = peConnected
	p.deactivate(e)
	e.failures++
	c.cnt.Failovers++
	var moved int
	var lost, resent uint64
	var oldest time.Time
	for b := e.takeAll(); b != nil; {
		next := b.next
		b.prev, b.next, b.pe = nil, nil, nil
		if b.unanswered > 0 {
			lost += uint64(b.unanswered)
			if oldest.IsZero() || b.since.Before(oldest) {
				oldest = b.since
			}
			if resend {
				resent += uint64(c.requeue(b))
			}
		}
		b.answered()
		moved++
		c.rehome(now, b)
		b = next
	}
	e.lost += lost
	c.cnt.Lost += lost
	c.cnt.Resent += resent
	var d time.Duration
	if lost > 0 {
		d = now.Sub(oldest)
		if len(c.ftimes) == maxFailoverTimes {
			c.ftimes = append(c.ftimes[:0], c.ftimes[1:]...)
		}
		c.ftimes = append(c.ftimes, d)
	}
	c.out = append(c.out, Action{Kind: ActFailover, Pool: p.cfg.Handle, PE: e.id, Count: moved, Lost: lost, Resent: resent, Duration: d, Reason: reason})
	c.announce(p)
}

// announce tells the upstream ASPs when a pool becomes empty (DUNA) or
// has an ACTIVE GWC again (DAVA).
func (c *Core) announce(p *pool) {
	avail := p.active() > 0
	if p.announce && avail == p.reported {
		return
	}
	p.announce, p.reported = true, avail
	st := mxua.DestUnavailable
	if avail {
		st = mxua.DestAvailable
	}
	for _, pc := range p.cfg.PointCodes {
		c.out = append(c.out, Action{Kind: ActSetDestination, Pool: p.cfg.Handle, Dest: mxua.Destination{PointCode: pc, State: st}})
	}
}

// UpstreamASP takes the state of an upstream ASP: answers go back to the
// ASP a dialogue came from only while it is ACTIVE.
func (c *Core) UpstreamASP(now time.Time, proto mxua.Protocol, assoc mxua.AssocID, st mxua.ASPState) []Action {
	c.out = c.out[:0]
	ref := upstreamRef{proto, assoc}
	if st == mxua.ASPDown {
		delete(c.upstream, ref)
		return c.out
	}
	u := c.upstream[ref]
	if u == nil {
		u = &upPeer{}
		c.upstream[ref] = u
	}
	u.active = st == mxua.ASPActive
	return c.out
}

// upPeer returns (creating) the upstream ASP that sent a message; it is
// ACTIVE, since an SGP accepts DATA from ACTIVE ASPs only.
func (c *Core) upPeer(proto mxua.Protocol, assoc mxua.AssocID, rc uint32) *upPeer {
	ref := upstreamRef{proto, assoc}
	u := c.upstream[ref]
	if u == nil {
		u = &upPeer{active: true}
		c.upstream[ref] = u
	}
	if u.rc != rc || (u.rcs == nil && rc != 0) {
		u.rc = rc
		u.rcs = nil
		if rc != 0 {
			u.rcs = []uint32{rc}
		}
	}
	return u
}

// --- time ------------------------------------------------------------

// Tick runs what is due: traffic that waited FailoverHold for a GWC is
// dropped, idle bindings are swept.
func (c *Core) Tick(now time.Time) []Action {
	c.out = c.out[:0]
	for _, p := range c.poolList {
		c.expireWaiting(now, p)
	}
	if c.nextSweep.IsZero() {
		c.nextSweep = now.Add(sweepInterval)
	}
	if !now.Before(c.nextSweep) {
		c.sweep(now)
		c.nextSweep = now.Add(sweepInterval)
	}
	return c.out
}

func (c *Core) expireWaiting(now time.Time, p *pool) {
	for len(p.waiting) > 0 {
		w := p.waiting[0]
		valid := w.b.gen == w.gen && w.b.state == waiting
		if valid && now.Sub(w.since) < c.cfg.FailoverHold {
			return
		}
		p.waiting[0] = waitEntry{}
		p.waiting = p.waiting[1:]
		if !valid {
			continue
		}
		if n := len(w.b.buf); n > 0 {
			c.cnt.HoldExpired += uint64(n)
			c.buffered -= n
			c.discard(nil, n, "no GWC of pool "+p.cfg.Handle+" became ACTIVE within the failover hold")
			clear(w.b.buf)
			w.b.buf = w.b.buf[:0]
		}
		c.endBinding(w.b)
	}
}

// sweep drops idle bindings and TID entries, a bounded number per call
// (map iteration starts at a random place, so calls cover the table).
func (c *Core) sweep(now time.Time) {
	budget := sweepBudget
	for _, b := range c.bt.m {
		if budget--; budget < 0 {
			break
		}
		idle := now.Sub(b.lastUsed)
		if b.state == bound && (idle >= c.cfg.BindingIdle || b.finished && idle >= finishedLinger) {
			c.cnt.BindingsExpired++
			c.endBinding(b)
		}
	}
	budget = sweepBudget
	for k, e := range c.bt.tids {
		if budget--; budget < 0 {
			break
		}
		if (e.b == nil || e.b.gen != e.gen) && now.Sub(e.lastUsed) >= c.cfg.BindingIdle {
			delete(c.bt.tids, k)
		}
	}
}

// NextDeadline is when Tick must run next (zero: nothing pending).
func (c *Core) NextDeadline() time.Time {
	var d time.Time
	for _, p := range c.poolList {
		for _, w := range p.waiting {
			if w.b.gen == w.gen && w.b.state == waiting {
				if t := w.since.Add(c.cfg.FailoverHold); d.IsZero() || t.Before(d) {
					d = t
				}
				break
			}
		}
	}
	if c.bt.len() > 0 || len(c.bt.tids) > 0 {
		if d.IsZero() || c.nextSweep.Before(d) {
			d = c.nextSweep
		}
	}
	return d
}
