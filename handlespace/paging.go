package handlespace

import (
	"slices"
	"strings"

	"github.com/sigpool/sigpool/wire"
)

// Cursor marks where a handle-table page ended: the pool handle and PE
// identifier of its last entry. Entries are ordered by handle, then
// identifier, so a page that resumes after a cursor neither repeats nor
// skips any PE that stayed registered between the pages, whatever else
// joined or left. The zero Cursor starts at the beginning.
type Cursor struct {
	PoolHandle string
	PE         wire.PEIdentifier
}

// Page appends to dst up to max PEs that follow after, in handle-table
// order, and for which keep returns true (nil keeps all; e.g. "owned by me"
// for a Handle Table Request with the W flag). It returns the cursor of the
// last PE appended and whether more matching PEs follow (the M flag).
func (ns *Namespace) Page(after Cursor, max int, keep func(*PoolElement) bool, dst []*PoolElement) ([]*PoolElement, Cursor, bool) {
	next := after
	if max <= 0 {
		return dst, next, ns.pes > 0
	}
	n := 0
	j, _ := slices.BinarySearchFunc(ns.sorted, after.PoolHandle, func(q *pool, k string) int { return strings.Compare(q.key, k) })
	for ; j < len(ns.sorted); j++ {
		p := ns.sorted[j]
		start := 0
		if p.key == after.PoolHandle {
			i, found := p.sel.Index(after.PE)
			if found {
				i++
			}
			start = i
		}
		for _, pe := range p.recs[start:] {
			if keep != nil && !keep(pe) {
				continue
			}
			if n == max {
				return dst, next, true
			}
			dst = append(dst, pe)
			n++
			next = Cursor{PoolHandle: p.key, PE: pe.id}
		}
	}
	return dst, next, false
}
