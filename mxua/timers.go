package mxua

import (
	"container/heap"
	"time"
)

// timerQueue holds the timers a core has armed (SetTimer / CancelTimer) for a
// driver loop: one time.Timer for the earliest deadline instead of one per
// TimerID, so that an SGP with many ASPs does not run a runtime timer per
// BEAT and T(ack). It is owned by the loop goroutine; not safe for concurrent
// use.
//
// The map is authoritative; the heap may hold stale entries (re-armed or
// cancelled IDs) that are skipped when they surface, which keeps Set and
// Cancel O(log n) without heap.Fix bookkeeping.
type timerQueue struct {
	at    map[TimerID]time.Time
	h     timerHeap
	timer *time.Timer
	// armed is the deadline the time.Timer is currently set for (zero: stopped).
	armed time.Time
}

func newTimerQueue() *timerQueue {
	t := time.NewTimer(time.Hour)
	t.Stop()
	return &timerQueue{at: map[TimerID]time.Time{}, timer: t}
}

// C fires when the earliest deadline is reached; call Due then.
func (q *timerQueue) C() <-chan time.Time { return q.timer.C }

// Set arms (or re-arms) id for at.
func (q *timerQueue) Set(id TimerID, at time.Time) {
	q.at[id] = at
	heap.Push(&q.h, timerEntry{id: id, at: at})
	q.rearm()
}

// Cancel disarms id.
func (q *timerQueue) Cancel(id TimerID) {
	delete(q.at, id)
	q.rearm()
}

// Len returns how many timers are armed.
func (q *timerQueue) Len() int { return len(q.at) }

// Due removes and returns the timers whose deadline is not after now, in
// deadline order, and re-arms the time.Timer for the next one.
func (q *timerQueue) Due(now time.Time) []TimerID {
	q.armed = time.Time{} // the timer fired (or is about to be reset anyway)
	var ids []TimerID
	for q.h.Len() > 0 {
		e := q.h[0]
		if cur, ok := q.at[e.id]; !ok || !cur.Equal(e.at) {
			heap.Pop(&q.h) // stale: cancelled or re-armed since
			continue
		}
		if e.at.After(now) {
			break
		}
		heap.Pop(&q.h)
		delete(q.at, e.id)
		ids = append(ids, e.id)
	}
	q.rearm()
	return ids
}

// Stop disarms everything.
func (q *timerQueue) Stop() {
	q.timer.Stop()
	q.at, q.h, q.armed = map[TimerID]time.Time{}, nil, time.Time{}
}

// rearm points the time.Timer at the earliest live deadline. Since Go 1.23
// Reset and Stop discard a pending expiry, so no channel draining is needed.
func (q *timerQueue) rearm() {
	for q.h.Len() > 0 {
		e := q.h[0]
		if cur, ok := q.at[e.id]; ok && cur.Equal(e.at) {
			break
		}
		heap.Pop(&q.h)
	}
	if q.h.Len() == 0 {
		if !q.armed.IsZero() {
			q.timer.Stop()
			q.armed = time.Time{}
		}
		return
	}
	next := q.h[0].at
	if q.armed.Equal(next) {
		return
	}
	q.armed = next
	q.timer.Reset(max(time.Until(next), 0))
}

type timerEntry struct {
	id TimerID
	at time.Time
}

type timerHeap []timerEntry

func (h timerHeap) Len() int           { return len(h) }
func (h timerHeap) Less(i, j int) bool { return h[i].at.Before(h[j].at) }
func (h timerHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *timerHeap) Push(x any)        { *h = append(*h, x.(timerEntry)) }
func (h *timerHeap) Pop() any {
	old := *h
	e := old[len(old)-1]
	*h = old[:len(old)-1]
	return e
}
