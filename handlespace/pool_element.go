package handlespace

import (
	"time"

	"github.com/sigpool/sigpool/wire"
)

// PoolElement is the handlespace's record of one registered PE. Its
// accessors are read-only views; slices they return (pool handle, transport
// addresses) are shared with the handlespace and must not be modified. A
// record stays readable after the PE leaves the handlespace (Deregister and
// Expire return it), but is no longer updated.
type PoolElement struct {
	ns      *Namespace
	pool    *pool
	id      wire.PEIdentifier
	home    uint32 // home registrar (owner)
	life    uint32 // registration life, ms
	heapIdx int32  // position in the expiry heap; -1 once removed
	expiry  time.Time
	// Intrusive list of the PEs of one home registrar: O(1) re-homing and
	// "PEs owned by X" without an extra index.
	prev, next *PoolElement
	user       wire.Transport
	asap       wire.Transport // Kind 0: not known
	policy     wire.Policy
}

// Identifier is the PE identifier.
func (pe *PoolElement) Identifier() wire.PEIdentifier { return pe.id }

// PoolHandle is the handle of the PE's pool.
func (pe *PoolElement) PoolHandle() wire.PoolHandle { return pe.pool.handle }

// Namespace is the name of the PE's namespace.
func (pe *PoolElement) Namespace() string { return pe.ns.name }

// HomeRegistrar is the server identifier of the registrar that owns the PE.
func (pe *PoolElement) HomeRegistrar() uint32 { return pe.home }

// RegistrationLife is the registration life the PE asked for, in ms.
func (pe *PoolElement) RegistrationLife() uint32 { return pe.life }

// UserTransport is the transport PUs reach the PE on.
func (pe *PoolElement) UserTransport() wire.Transport { return pe.user }

// ASAPTransport is the transport the PE registered over, when known.
func (pe *PoolElement) ASAPTransport() (wire.Transport, bool) { return pe.asap, pe.asap.Kind != 0 }

// Policy is the policy parameter the PE registered with (its load, weight
// and so on as last reported).
func (pe *PoolElement) Policy() wire.Policy { return pe.policy }

// Expiry is when the registration lapses unless renewed.
func (pe *PoolElement) Expiry() time.Time { return pe.expiry }

// Registered reports whether the PE is still in the handlespace.
func (pe *PoolElement) Registered() bool { return pe.heapIdx >= 0 }

// Wire returns the Pool Element parameter; withASAP adds the ASAP transport
// (ENRP messages carry it, ASAP messages do not).
func (pe *PoolElement) Wire(withASAP bool) wire.PoolElement {
	w := wire.PoolElement{
		Identifier:       pe.id,
		HomeRegistrar:    pe.home,
		RegistrationLife: pe.life,
		UserTransport:    pe.user,
		Policy:           pe.policy,
	}
	if withASAP && pe.asap.Kind != 0 {
		a := pe.asap
		w.ASAPTransport = &a
	}
	return w
}

func (pe *PoolElement) String() string {
	return pe.pool.handle.String() + "/" + pe.id.String()
}
