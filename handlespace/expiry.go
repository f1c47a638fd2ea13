package handlespace

import "time"

// Expiry: one binary min-heap of every PE by the time its registration
// lapses, so the driver arms a single timer at NextExpiry and Expire costs
// O(log n) per PE removed.

// NextExpiry returns the earliest registration end, if any PE is registered.
func (h *Handlespace) NextExpiry() (time.Time, bool) {
	if len(h.expiry) == 0 {
		return time.Time{}, false
	}
	return h.expiry[0].expiry, true
}

// Expire removes every PE whose registration ended at or before now, in
// order of expiry, and appends them to dst (so the registrar can announce
// the removals of the PEs it owns).
func (h *Handlespace) Expire(now time.Time, dst []*PoolElement) []*PoolElement {
	for len(h.expiry) > 0 && !h.expiry[0].expiry.After(now) {
		pe := h.expiry[0]
		pe.ns.remove(pe)
		dst = append(dst, pe)
	}
	return dst
}

func (h *Handlespace) heapPush(pe *PoolElement) {
	pe.heapIdx = int32(len(h.expiry))
	h.expiry = append(h.expiry, pe)
	h.heapUp(len(h.expiry) - 1)
}

func (h *Handlespace) heapRemove(pe *PoolElement) {
	i := int(pe.heapIdx)
	last := len(h.expiry) - 1
	if i != last {
		h.heapSwap(i, last)
	}
	h.expiry[last] = nil
	h.expiry = h.expiry[:last]
	pe.heapIdx = -1
	if i != last {
		h.heapFix(i)
	}
}

func (h *Handlespace) heapFix(i int) {
	if !h.heapDown(i) {
		h.heapUp(i)
	}
}

func (h *Handlespace) heapLess(i, j int) bool {
	return h.expiry[i].expiry.Before(h.expiry[j].expiry)
}

func (h *Handlespace) heapSwap(i, j int) {
	h.expiry[i], h.expiry[j] = h.expiry[j], h.expiry[i]
	h.expiry[i].heapIdx = int32(i)
	h.expiry[j].heapIdx = int32(j)
}

func (h *Handlespace) heapUp(j int) {
	for j > 0 {
		i := (j - 1) / 2
		if !h.heapLess(j, i) {
			break
		}
		h.heapSwap(i, j)
		j = i
	}
}

func (h *Handlespace) heapDown(i0 int) bool {
	i, n := i0, len(h.expiry)
	for {
		l := 2*i + 1
		if l >= n {
			break
		}
		j := l
		if r := l + 1; r < n && h.heapLess(r, l) {
			j = r
		}
		if !h.heapLess(j, i) {
			break
		}
		h.heapSwap(i, j)
		i = j
	}
	return i > i0
}
