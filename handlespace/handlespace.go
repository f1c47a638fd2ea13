// Package handlespace keeps the RSerPool handlespace (RFC 5351-5353): flat,
// independent namespaces, each holding pools by pool handle, each pool its
// PEs with user and ASAP transport, policy, registration life, home
// registrar and load. It applies the registration rules of RFC 5352
// section 3.2, selects PEs by the pool's policy (package policy), maintains
// the RFC 5353 PE checksums per home registrar incrementally, re-homes PEs
// on takeover, pages the handle table with a resumable cursor, and expires
// registrations whose life ended.
//
// The package is pure: time is an argument, randomness is injected, and
// nothing runs in the background. A Handlespace is not safe for concurrent
// use: the registrar core owns it and serialises every call (a resolution
// changes policy state too — round-robin position, degradation — so even
// reads need exclusive access). At well under a microsecond per resolution
// one core serves millions per second, far above the 50,000/s the registrar
// needs; a driver that resolves from many goroutines wraps the calls in one
// mutex.
//
// Sizing: operations are O(1) or O(log n) in the number of PEs and pools,
// except the O(pool size) memmove when a PE joins or leaves its pool
// (pools keep PEs sorted by identifier for paging and lookup) and the
// O(pool size) scan of a selection; both are trivial at the hundreds of PEs
// per pool the limits allow.
package handlespace

import (
	"math/rand/v2"
	"slices"
	"time"

	"github.com/sigpool/sigpool/policy"
)

// Config holds the limits and plug-ins. Zero fields take the defaults.
type Config struct {
	MaxPoolsPerNamespace int // default 1024
	MaxPEsPerPool        int // default 1024
	MaxPEs               int // across every namespace; default 131072
	// MaxAddresses bounds the addresses of one transport (user or ASAP)
	// a PE registers; default 32 (SCTP multi-homing needs a handful).
	// The message size alone would let one PE store thousands.
	MaxAddresses int
	// MaxPoolHandleLength bounds pool handles; default 32, what RSPLIB
	// accepts, so every handle here can be mirrored by RSPLIB peers.
	MaxPoolHandleLength int
	// Policies are the supported selection policies; default policy.Standard().
	Policies *policy.Registry
	// Rand drives the random policies; default a fixed-seed PCG (drivers
	// should pass a seeded source).
	Rand policy.Rand
}

// DefaultMaxAddresses is Config.MaxAddresses when unset.
const DefaultMaxAddresses = 32

// Handlespace holds the namespaces and the expiry queue shared by them.
type Handlespace struct {
	cfg        Config
	namespaces map[string]*Namespace
	pes        int
	expiry     []*PoolElement // min-heap by expiry time
	idx        []int          // selection scratch
}

// New returns an empty handlespace.
func New(cfg Config) *Handlespace {
	if cfg.MaxPoolsPerNamespace <= 0 {
		cfg.MaxPoolsPerNamespace = 1024
	}
	if cfg.MaxPEsPerPool <= 0 {
		cfg.MaxPEsPerPool = 1024
	}
	if cfg.MaxPEs <= 0 {
		cfg.MaxPEs = 1 << 17
	}
	if cfg.MaxAddresses <= 0 {
		cfg.MaxAddresses = DefaultMaxAddresses
	}
	if cfg.MaxPoolHandleLength <= 0 {
		cfg.MaxPoolHandleLength = 32
	}
	if cfg.Policies == nil {
		cfg.Policies = policy.Standard()
	}
	if cfg.Rand == nil {
		cfg.Rand = rand.New(rand.NewPCG(0x5eed, 0x5ee1))
	}
	return &Handlespace{cfg: cfg, namespaces: map[string]*Namespace{}, idx: make([]int, 0, 16)}
}

// Namespace returns the namespace called name, creating it empty if needed.
func (h *Handlespace) Namespace(name string) *Namespace {
	ns := h.namespaces[name]
	if ns == nil {
		ns = &Namespace{name: name, hs: h, pools: map[string]*pool{}, owners: map[uint32]*owner{}}
		h.namespaces[name] = ns
	}
	return ns
}

// LookupNamespace returns the namespace called name, if it exists.
func (h *Handlespace) LookupNamespace(name string) (*Namespace, bool) {
	ns, ok := h.namespaces[name]
	return ns, ok
}

// Namespaces returns the names of the namespaces, sorted.
func (h *Handlespace) Namespaces() []string {
	names := make([]string, 0, len(h.namespaces))
	for n := range h.namespaces {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
}

// Len is the number of PEs in every namespace.
func (h *Handlespace) Len() int { return h.pes }

// Config returns the configuration in effect (defaults filled in).
func (h *Handlespace) Config() Config { return h.cfg }

// SetExpiry moves the end of pe's registration to t (e.g. the registrar
// extends it on a keep-alive ack). It does nothing for a removed PE.
func (h *Handlespace) SetExpiry(pe *PoolElement, t time.Time) {
	if pe.heapIdx < 0 {
		return
	}
	pe.expiry = t
	h.heapFix(int(pe.heapIdx))
}
