package sepsim

import (
	"container/heap"
	"time"
)

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

// timerHeap orders timers by deadline.
type timerHeap []timer

func (h timerHeap) Len() int           { return len(h) }
func (h timerHeap) Less(i, j int) bool { return h[i].at.Before(h[j].at) }
func (h timerHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *timerHeap) Push(x any)        { *h = append(*h, x.(timer)) }
func (h *timerHeap) Pop() any {
	old := *h
	t := old[len(old)-1]
	*h = old[:len(old)-1]
	return t
}

func (h *timerHeap) arm(t timer) { heap.Push(h, t) }

// due pops the earliest timer if it is due at now.
func (h *timerHeap) due(now time.Time) (timer, bool) {
	if len(*h) == 0 || (*h)[0].at.After(now) {
		return timer{}, false
	}
	return heap.Pop(h).(timer), true
}

// next returns the earliest deadline.
func (h timerHeap) next() (time.Time, bool) {
	if len(h) == 0 {
		return time.Time{}, false
	}
	return h[0].at, true
}
