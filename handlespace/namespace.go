package handlespace

import (
	"fmt"
	"iter"
	"slices"
	"strings"
	"time"

	"github.com/sigpool/sigpool/policy"
	"github.com/sigpool/sigpool/wire"
)

// Namespace is one flat handlespace: pools by handle, with the PE checksums
// and home-registrar index that ENRP peering needs.
type Namespace struct {
	name   string
	hs     *Handlespace
	pools  map[string]*pool
	sorted []*pool // by handle, for paging
	owners map[uint32]*owner
	total  wire.ChecksumAccumulator
	pes    int
}

type pool struct {
	handle     wire.PoolHandle
	key        string
	policyType wire.PolicyType
	impl       policy.Policy
	sel        policy.Pool    // members sorted by PE identifier
	recs       []*PoolElement // parallel to sel.Members
}

// owner is the bookkeeping of one home registrar: its PE checksum and the
// list of its PEs.
type owner struct {
	acc  wire.ChecksumAccumulator
	head *PoolElement
	n    int
}

// Name is the namespace's name.
func (ns *Namespace) Name() string { return ns.name }

// Len is the number of PEs.
func (ns *Namespace) Len() int { return ns.pes }

// Pools is the number of pools.
func (ns *Namespace) Pools() int { return len(ns.sorted) }

// PoolInfo describes a pool.
type PoolInfo struct {
	PoolHandle wire.PoolHandle
	Policy     wire.PolicyType
	Elements   int
}

// Pool describes the pool ph, if it exists.
func (ns *Namespace) Pool(ph wire.PoolHandle) (PoolInfo, bool) {
	p := ns.pools[string(ph)]
	if p == nil {
		return PoolInfo{}, false
	}
	return PoolInfo{PoolHandle: p.handle, Policy: p.policyType, Elements: len(p.recs)}, true
}

// Lookup returns the PE id of pool ph.
func (ns *Namespace) Lookup(ph wire.PoolHandle, id wire.PEIdentifier) (*PoolElement, bool) {
	p := ns.pools[string(ph)]
	if p == nil {
		return nil, false
	}
	i, ok := p.sel.Index(id)
	if !ok {
		return nil, false
	}
	return p.recs[i], true
}

// Register adds the PE pe to pool ph (creating the pool) or, when the same
// PE is already registered, updates it (re-registration: load, policy
// fields, lifetime, transports and home registrar change; its round-robin
// position stays and its degradation resets). The registration lapses at
// now + pe.RegistrationLife. It reports whether the PE is new.
//
// Rules (RFC 5352 section 3.2), in the order checked:
// malformed values (empty or too long handle, PE identifier 0, no usable
// user transport, registration life 0, unsupported policy) are "invalid
// values"; the same identifier on a different user transport (another PE
// that drew the same random identifier) is "non-unique PE identifier"; a
// policy type other than the pool's is "pooling policy inconsistent"; a
// transport protocol other than the pool's is "inconsistent transport
// type"; a transport use (data only, or data plus control) other than the
// pool's is "inconsistent data/control configuration"; a new PE or pool
// beyond the limits is "lack of resources". A PE alone in its pool may
// change anything, since there is nobody to be inconsistent with.
func (ns *Namespace) Register(ph wire.PoolHandle, pe wire.PoolElement, now time.Time) (*PoolElement, bool, error) {
	hs := ns.hs
	fail := func(reason error, format string, args ...any) (*PoolElement, bool, error) {
		return nil, false, &Error{Op: "register", Namespace: ns.name, PoolHandle: slices.Clone(ph), PE: pe.Identifier,
			Reason: reason, Detail: fmt.Sprintf(format, args...)}
	}
	if detail := hs.invalid(ph, &pe); detail != "" {
		return fail(ErrInvalidValues, "%s", detail)
	}
	p := ns.pools[string(ph)]
	var rec *PoolElement
	if p != nil {
		if i, ok := p.sel.Index(pe.Identifier); ok {
			rec = p.recs[i]
		}
	}
	if rec != nil && !sameEndpoint(&rec.user, &pe.UserTransport) {
		return fail(ErrNonUniquePEIdentifier, "registered on %v, now %v", rec.user, pe.UserTransport)
	}
	if p != nil {
		if ref := p.other(rec); ref != nil {
			if err := policy.CheckConsistent(p.policyType, pe.Policy.Type); err != nil {
				return fail(ErrPolicyInconsistent, "pool uses %v, PE asks for %v", p.policyType, pe.Policy.Type)
			}
			if ref.user.Kind != pe.UserTransport.Kind {
				return fail(ErrInconsistentTransport, "pool uses %v, PE registers %v", ref.user.Kind, pe.UserTransport.Kind)
			}
			if ref.user.Use != pe.UserTransport.Use {
				return fail(ErrInconsistentDataControl, "pool uses %v, PE registers %v", ref.user.Use, pe.UserTransport.Use)
			}
		}
	}
	if rec == nil {
		switch {
		case p == nil && len(ns.sorted) >= hs.cfg.MaxPoolsPerNamespace:
			return fail(ErrLackOfResources, "namespace holds the maximum of %d pools", hs.cfg.MaxPoolsPerNamespace)
		case p != nil && len(p.recs) >= hs.cfg.MaxPEsPerPool:
			return fail(ErrLackOfResources, "pool holds the maximum of %d PEs", hs.cfg.MaxPEsPerPool)
		case hs.pes >= hs.cfg.MaxPEs:
			return fail(ErrLackOfResources, "handlespace holds the maximum of %d PEs", hs.cfg.MaxPEs)
		}
	}

	impl, _ := hs.cfg.Policies.Lookup(pe.Policy.Type)
	if p == nil {
		p = ns.newPool(ph)
	}
	if p.impl == nil || p.policyType != pe.Policy.Type {
		p.policyType, p.impl = pe.Policy.Type, impl
		p.sel.Reset()
	}
	i, added := p.sel.Upsert(pe.Identifier, pe.Policy)
	if added {
		rec = &PoolElement{ns: ns, pool: p, id: pe.Identifier, home: pe.HomeRegistrar}
		p.recs = slices.Insert(p.recs, i, rec)
		ns.link(rec)
		ns.total.Add(p.handle, rec.id)
		ns.pes++
		hs.pes++
	} else if rec.home != pe.HomeRegistrar {
		ns.rehome(rec, pe.HomeRegistrar)
	}
	rec.life = pe.RegistrationLife
	rec.user = keepTransport(rec.user, pe.UserTransport)
	if pe.ASAPTransport != nil {
		rec.asap = keepTransport(rec.asap, *pe.ASAPTransport)
	} else {
		rec.asap = wire.Transport{}
	}
	rec.policy = pe.Policy
	rec.policy.Value = nil
	rec.expiry = now.Add(time.Duration(pe.RegistrationLife) * time.Millisecond)
	if added {
		hs.heapPush(rec)
	} else {
		hs.heapFix(int(rec.heapIdx))
	}
	return rec, added, nil
}

// invalid returns why a registration is malformed, or "".
func (h *Handlespace) invalid(ph wire.PoolHandle, pe *wire.PoolElement) string {
	switch {
	case len(ph) == 0:
		return "empty pool handle"
	case len(ph) > h.cfg.MaxPoolHandleLength:
		return fmt.Sprintf("pool handle of %d bytes exceeds %d", len(ph), h.cfg.MaxPoolHandleLength)
	case pe.Identifier == 0:
		return "PE identifier 0"
	case pe.RegistrationLife == 0:
		return "registration life 0"
	}
	if err := h.cfg.Policies.Check(pe.Policy.Type); err != nil {
		return err.Error()
	}
	t := &pe.UserTransport
	switch t.Kind {
	case wire.TransportSCTP, wire.TransportTCP:
		if t.Use > wire.TransportUseDataPlusControl {
			return t.Use.String()
		}
	case wire.TransportUDP, wire.TransportUDPLite, wire.TransportDCCP:
		if t.Use != wire.TransportUseDataOnly {
			return fmt.Sprintf("%v transport cannot carry control", t.Kind)
		}
	default:
		return fmt.Sprintf("no user transport (%v)", t.Kind)
	}
	if len(t.Addresses) == 0 {
		return "user transport has no address"
	}
	if len(t.Addresses) > h.cfg.MaxAddresses {
		return fmt.Sprintf("user transport has %d addresses, above the limit of %d", len(t.Addresses), h.cfg.MaxAddresses)
	}
	if a := pe.ASAPTransport; a != nil && len(a.Addresses) > h.cfg.MaxAddresses {
		return fmt.Sprintf("ASAP transport has %d addresses, above the limit of %d", len(a.Addresses), h.cfg.MaxAddresses)
	}
	for _, a := range t.Addresses {
		if !a.IsValid() || a.IsUnspecified() {
			return fmt.Sprintf("user transport address %v", a)
		}
	}
	return ""
}

// sameEndpoint tells a re-registration from an identifier clash: the same
// PE keeps its port and at least one address. (The ASAP transport is not
// compared: a PE that reconnects gets a new association, maybe a new port.)
func sameEndpoint(a, b *wire.Transport) bool {
	if a.Kind != b.Kind || a.Port != b.Port {
		return false
	}
	for _, x := range a.Addresses {
		if slices.Contains(b.Addresses, x) {
			return true
		}
	}
	return false
}

// keepTransport returns t with its own copy of the addresses, reusing old's
// when they are the same (the usual re-registration allocates nothing).
func keepTransport(old, t wire.Transport) wire.Transport {
	if slices.Equal(old.Addresses, t.Addresses) {
		t.Addresses = old.Addresses
	} else {
		t.Addresses = slices.Clip(slices.Clone(t.Addresses))
	}
	return t
}

// other returns a member of p other than self, whose settings the pool's
// consistency rules compare against; nil if self is alone.
func (p *pool) other(self *PoolElement) *PoolElement {
	for _, r := range p.recs[:min(2, len(p.recs))] {
		if r != self {
			return r
		}
	}
	return nil
}

func (ns *Namespace) newPool(ph wire.PoolHandle) *pool {
	p := &pool{handle: slices.Clip(slices.Clone(ph))}
	p.key = string(p.handle)
	ns.pools[p.key] = p
	i, _ := slices.BinarySearchFunc(ns.sorted, p.key, func(q *pool, k string) int { return strings.Compare(q.key, k) })
	ns.sorted = slices.Insert(ns.sorted, i, p)
	return p
}

// Deregister removes PE id from pool ph and returns its record; false when
// there was no such PE (the registrar confirms anyway: the PE is gone).
func (ns *Namespace) Deregister(ph wire.PoolHandle, id wire.PEIdentifier) (*PoolElement, bool) {
	pe, ok := ns.Lookup(ph, id)
	if !ok {
		return nil, false
	}
	ns.remove(pe)
	return pe, true
}

// Remove removes a PE given by its record (e.g. after Endpoint Unreachable
// reports or a failed keep-alive); false if it was already gone.
func (ns *Namespace) Remove(pe *PoolElement) bool {
	if pe == nil || pe.ns != ns || pe.heapIdx < 0 {
		return false
	}
	ns.remove(pe)
	return true
}

func (ns *Namespace) remove(pe *PoolElement) {
	p := pe.pool
	if i, ok := p.sel.Index(pe.id); ok {
		p.sel.RemoveAt(i)
		p.recs[i] = nil
		p.recs = slices.Delete(p.recs, i, i+1)
	}
	ns.unlink(pe)
	ns.total.Remove(p.handle, pe.id)
	ns.hs.heapRemove(pe)
	ns.pes--
	ns.hs.pes--
	if len(p.recs) == 0 {
		delete(ns.pools, p.key)
		if i, ok := slices.BinarySearchFunc(ns.sorted, p.key, func(q *pool, k string) int { return strings.Compare(q.key, k) }); ok {
			ns.sorted = slices.Delete(ns.sorted, i, i+1)
		}
	}
}

// Select appends up to req.N distinct PEs of pool ph chosen by the pool's
// policy to dst. It allocates nothing when dst has room.
func (ns *Namespace) Select(ph wire.PoolHandle, req policy.Request, dst []*PoolElement) ([]*PoolElement, error) {
	p := ns.pools[string(ph)]
	if p == nil {
		return dst, &Error{Op: "select", Namespace: ns.name, PoolHandle: slices.Clone(ph), Reason: ErrUnknownPoolHandle}
	}
	hs := ns.hs
	hs.idx = p.impl.Select(&p.sel, req, hs.cfg.Rand, hs.idx[:0])
	for _, i := range hs.idx {
		dst = append(dst, p.recs[i])
	}
	return dst, nil
}

// Checksum is the PE checksum over every PE of the namespace.
func (ns *Namespace) Checksum() wire.PEChecksum { return ns.total.Checksum() }

// OwnerChecksum is the PE checksum over the PEs whose home registrar is
// owner: what that registrar's ENRP Presence carries (RFC 5353).
func (ns *Namespace) OwnerChecksum(owner uint32) wire.PEChecksum {
	if o := ns.owners[owner]; o != nil {
		return o.acc.Checksum()
	}
	var empty wire.ChecksumAccumulator
	return empty.Checksum()
}

// Owned is the number of PEs whose home registrar is owner.
func (ns *Namespace) Owned(owner uint32) int {
	if o := ns.owners[owner]; o != nil {
		return o.n
	}
	return 0
}

// OwnedBy iterates over the PEs whose home registrar is owner. Removing the
// PE just yielded (or re-homing it) during the iteration is safe.
func (ns *Namespace) OwnedBy(owner uint32) iter.Seq[*PoolElement] {
	return func(yield func(*PoolElement) bool) {
		o := ns.owners[owner]
		if o == nil {
			return
		}
		for pe := o.head; pe != nil; {
			next := pe.next
			if !yield(pe) {
				return
			}
			pe = next
		}
	}
}

// Takeover re-homes every PE of registrar from to registrar to (the ENRP
// takeover of a failed registrar, RFC 5353), moving their checksum contributions, and
// appends the moved PEs to dst (the new home sends each a Keep-Alive with
// the H flag).
func (ns *Namespace) Takeover(from, to uint32, dst []*PoolElement) []*PoolElement {
	if from == to {
		return dst
	}
	for pe := range ns.OwnedBy(from) {
		ns.rehome(pe, to)
		dst = append(dst, pe)
	}
	return dst
}

// Rehome makes to the home registrar of one PE (an ENRP takeover decided
// after the fact, or a dual claim resolved), moving its checksum
// contribution; false if the PE left the handlespace.
func (ns *Namespace) Rehome(pe *PoolElement, to uint32) bool {
	if pe == nil || pe.ns != ns || pe.heapIdx < 0 {
		return false
	}
	if pe.home != to {
		ns.rehome(pe, to)
	}
	return true
}

func (ns *Namespace) link(pe *PoolElement) {
	o := ns.owners[pe.home]
	if o == nil {
		o = &owner{}
		ns.owners[pe.home] = o
	}
	pe.prev, pe.next = nil, o.head
	if o.head != nil {
		o.head.prev = pe
	}
	o.head = pe
	o.n++
	o.acc.Add(pe.pool.handle, pe.id)
}

func (ns *Namespace) unlink(pe *PoolElement) {
	o := ns.owners[pe.home]
	if pe.prev != nil {
		pe.prev.next = pe.next
	} else {
		o.head = pe.next
	}
	if pe.next != nil {
		pe.next.prev = pe.prev
	}
	pe.prev, pe.next = nil, nil
	o.acc.Remove(pe.pool.handle, pe.id)
	if o.n--; o.n == 0 {
		delete(ns.owners, pe.home)
	}
}

func (ns *Namespace) rehome(pe *PoolElement, to uint32) {
	ns.unlink(pe)
	pe.home = to
	ns.link(pe)
}
