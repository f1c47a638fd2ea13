package policy

import (
	"slices"

	"github.com/sigpool/sigpool/wire"
)

// Member is one PE as the policies see it: its policy fields and the
// selection state the policies share. 48 bytes, kept by value in Pool.
type Member struct {
	ID              wire.PEIdentifier
	Weight          uint32 // Weight (weighted policies)
	Priority        uint32 // Priority (Priority policy)
	Load            wire.Fraction
	LoadDegradation wire.Fraction
	DPF             wire.Fraction // load DPF or weight DPF
	Distance        uint32        // distance the registrar measured, see Hints.Distance

	// Degradation is the load added by handing this PE out since it last
	// updated its policy (the "with degradation" policies).
	Degradation wire.Fraction
	// Seq orders members for round robin and tie breaking: smaller was
	// handed out longer ago.
	Seq uint64
	// Current is the smooth weighted round-robin counter.
	Current int64
}

// SetPolicy copies the fields of p into m.
func (m *Member) SetPolicy(p wire.Policy) {
	m.Weight, m.Priority = p.Weight, p.Priority
	m.Load, m.LoadDegradation = p.Load, p.LoadDegradation
	m.DPF = p.LoadDPF
	if p.Type == wire.PolicyWeightedRandomWithDPF {
		m.DPF = p.WeightDPF
	}
	m.Distance = p.Distance
}

// Pool is the selection view of one pool: members sorted by PE identifier
// plus the pool's round-robin sequence. The zero value is an empty pool.
type Pool struct {
	Members []Member
	seq     uint64
	scratch []slot // per-selection keys or weights, reused
}

type slot struct {
	v    uint64
	skip bool
}

// Index returns the position of id in Members, or where it would go.
func (p *Pool) Index(id wire.PEIdentifier) (int, bool) {
	return slices.BinarySearchFunc(p.Members, id, func(m Member, id wire.PEIdentifier) int {
		switch {
		case m.ID < id:
			return -1
		case m.ID > id:
			return 1
		}
		return 0
	})
}

// Upsert adds the PE id with policy pol, or updates it in place when it is
// already a member: an update keeps its round-robin position and resets its
// degradation (it only stands in for load the PE has not yet reported; the
// re-registration reports it, as in RSPLIB). It returns the member's index and whether it was new.
func (p *Pool) Upsert(id wire.PEIdentifier, pol wire.Policy) (int, bool) {
	i, found := p.Index(id)
	if found {
		m := &p.Members[i]
		m.SetPolicy(pol)
		m.Degradation = 0
		return i, false
	}
	m := Member{ID: id, Seq: p.nextSeq()}
	m.SetPolicy(pol)
	p.Members = slices.Insert(p.Members, i, m)
	return i, true
}

// RemoveAt removes the member at index i.
func (p *Pool) RemoveAt(i int) {
	p.Members = slices.Delete(p.Members, i, i+1)
}

// Reset forgets the selection state of every member (as when the pool's
// policy type changes).
func (p *Pool) Reset() {
	for i := range p.Members {
		m := &p.Members[i]
		m.Degradation, m.Current = 0, 0
	}
}

// Len is the number of members.
func (p *Pool) Len() int { return len(p.Members) }

func (p *Pool) nextSeq() uint64 {
	s := p.seq
	p.seq++
	return s
}

// prepare sizes the scratch and applies Avoid and Prefer: preferred members
// are appended to dst first and every returned or avoided member is marked
// skip. It returns dst and how many more members the policy may pick.
func (p *Pool) prepare(req *Request, dst []int) ([]int, int) {
	n := len(p.Members)
	if cap(p.scratch) < n {
		p.scratch = make([]slot, n, n+n/4)
	}
	p.scratch = p.scratch[:n]
	clear(p.scratch)
	want := min(req.N, n)
	if want <= 0 {
		return dst, 0
	}
	for _, id := range req.Avoid {
		if i, ok := p.Index(id); ok {
			p.scratch[i].skip = true
		}
	}
	for _, id := range req.Prefer {
		if want == 0 {
			break
		}
		if i, ok := p.Index(id); ok && !p.scratch[i].skip {
			p.scratch[i].skip = true
			dst = append(dst, i)
			want--
		}
	}
	return dst, want
}

// Rank describes a policy to the selection helpers.
type Rank struct {
	// Value is the key (SelectByKey: smallest first) or the weight
	// (SelectWeighted) of m for a PU at distance d.
	Value func(m *Member, d uint32) uint64
	// Distance says Value uses d (the DPF policies).
	Distance bool
	// Charge updates a member that was handed out, after its round-robin
	// position moved; nil when the policy keeps no other state.
	Charge func(p *Pool, m *Member)
}

// values fills the scratch with rk.Value of every member not skipped and
// returns their sum.
func (p *Pool) values(req *Request, rk *Rank) uint64 {
	var total uint64
	for i := range p.Members {
		if p.scratch[i].skip {
			continue
		}
		m := &p.Members[i]
		var d uint32
		if rk.Distance {
			d = req.distance(m)
		}
		v := rk.Value(m, d)
		p.scratch[i].v = v
		total += v
	}
	return total
}

// SelectByKey appends up to req.N members in ascending key order (ties:
// smaller Seq first, i.e. round robin), then charges the first req.Advance.
func (p *Pool) SelectByKey(req Request, dst []int, rk Rank) []int {
	dst, want := p.prepare(&req, dst)
	start := len(dst)
	if want == 0 {
		return dst
	}
	p.values(&req, &rk)
	dst = p.takeSmallest(dst, want)
	p.charge(dst[start:], &req, rk.Charge)
	return dst
}

// takeSmallest appends the want smallest (key, Seq) members not skipped.
func (p *Pool) takeSmallest(dst []int, want int) []int {
	if want <= 8 {
		// k passes over a small pool beat sorting and never allocate.
		for ; want > 0; want-- {
			best := -1
			for i := range p.Members {
				if p.scratch[i].skip {
					continue
				}
				if best < 0 || p.less(i, best) {
					best = i
				}
			}
			if best < 0 {
				break
			}
			p.scratch[best].skip = true
			dst = append(dst, best)
		}
		return dst
	}
	start := len(dst)
	for i := range p.Members {
		if !p.scratch[i].skip {
			dst = append(dst, i)
		}
	}
	slices.SortFunc(dst[start:], func(a, b int) int {
		switch {
		case p.less(a, b):
			return -1
		case p.less(b, a):
			return 1
		}
		return 0
	})
	if len(dst)-start > want {
		dst = dst[:start+want]
	}
	for _, i := range dst[start:] {
		p.scratch[i].skip = true
	}
	return dst
}

func (p *Pool) less(a, b int) bool {
	ka, kb := p.scratch[a].v, p.scratch[b].v
	if ka != kb {
		return ka < kb
	}
	return p.Members[a].Seq < p.Members[b].Seq
}

// SelectWeighted draws up to req.N distinct members, each with probability
// proportional to weight among those not yet drawn. Members of weight 0
// follow, in round-robin order, when the positively weighted ones run out.
// The first req.Advance are then charged as in SelectByKey.
func (p *Pool) SelectWeighted(req Request, r Rand, dst []int, rk Rank) []int {
	dst, want := p.prepare(&req, dst)
	start := len(dst)
	if want == 0 {
		return dst
	}
	total := p.values(&req, &rk)
	for ; want > 0 && total > 0; want-- {
		x := uniform(r, total)
		pick := -1
		for i := range p.Members {
			s := &p.scratch[i]
			if s.skip || s.v == 0 {
				continue
			}
			if x < s.v {
				pick = i
				break
			}
			x -= s.v
		}
		if pick < 0 { // unreachable: x < total
			break
		}
		total -= p.scratch[pick].v
		p.scratch[pick].skip = true
		dst = append(dst, pick)
	}
	if want > 0 {
		// Only zero weights left: all keys are 0, so this is round robin.
		for i := range p.Members {
			p.scratch[i].v = 0
		}
		dst = p.takeSmallest(dst, want)
	}
	p.charge(dst[start:], &req, rk.Charge)
	return dst
}

// charge moves the first req.Advance picks to the end of the round and
// applies the policy's own update.
func (p *Pool) charge(picked []int, req *Request, charge func(*Pool, *Member)) {
	adv := req.Advance
	if adv <= 0 {
		adv = 1
	}
	for _, i := range picked[:min(adv, len(picked))] {
		m := &p.Members[i]
		m.Seq = p.nextSeq()
		if charge != nil {
			charge(p, m)
		}
	}
}

// degrade charges a member its load degradation.
func degrade(_ *Pool, m *Member) {
	m.Degradation = wire.Fraction(satAdd(uint32(m.Degradation), uint32(m.LoadDegradation)))
}

// distance returns the distance to use for m.
func (req *Request) distance(m *Member) uint32 {
	if req.Distance != nil {
		return req.Distance(m.ID)
	}
	return m.Distance
}
