package sepsim

import "time"

// timerKind says which table a timer belongs to.
type timerKind uint8

const (
	timerCall timerKind = iota + 1
	timerDialogue
)

// timer is one deadline of a call (by CIC) or dialogue (by OTID). Timers
// are never removed: gen must still match the entry's generation when it
// fires, so a state change simply arms a new timer and strands the old one.
type timer struct {
	at   time.Time
	kind timerKind
	id   uint32
	gen  uint32
}

// timerHeap orders timers by deadline. Every request arms one and a busy
// run keeps hundreds of thousands pending (stranded ones wait for their
// deadline), so entries hold no pointers: deadlines are kept as offsets
// from base, and the garbage collector never scans the array.
type timerHeap struct {
	base time.Time
	h    []heapTimer
}

// heapTimer is a timer in the heap: at is the deadline's offset from the
// heap's base.
type heapTimer struct {
	at   time.Duration
	id   uint32
	gen  uint32
	kind timerKind
}

func (h *timerHeap) less(i, j int) bool { return h.h[i].at < h.h[j].at }

func (h *timerHeap) arm(t timer) {
	if len(h.h) == 0 {
		h.base = t.at // offsets stay small, whatever the clock's epoch
	}
	h.h = append(h.h, heapTimer{at: t.at.Sub(h.base), id: t.id, gen: t.gen, kind: t.kind})
	for i := len(h.h) - 1; i > 0; {
		p := (i - 1) / 2
		if !h.less(i, p) {
			break
		}
		h.h[i], h.h[p] = h.h[p], h.h[i]
		i = p
	}
}

// due pops the earliest timer if it is due at now.
func (h *timerHeap) due(now time.Time) (timer, bool) {
	if len(h.h) == 0 || h.h[0].at > now.Sub(h.base) {
		return timer{}, false
	}
	top := h.h[0]
	last := len(h.h) - 1
	h.h[0] = h.h[last]
	h.h = h.h[:last]
	for i := 0; ; {
		l, r, m := 2*i+1, 2*i+2, i
		if l < last && h.less(l, m) {
			m = l
		}
		if r < last && h.less(r, m) {
			m = r
		}
		if m == i {
			break
		}
		h.h[i], h.h[m] = h.h[m], h.h[i]
		i = m
	}
	return timer{at: h.base.Add(top.at), kind: top.kind, id: top.id, gen: top.gen}, true
}

// next returns the earliest deadline.
func (h *timerHeap) next() (time.Time, bool) {
	if len(h.h) == 0 {
		return time.Time{}, false
	}
	return h.base.Add(h.h[0].at), true
}
