package sepsim

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// Timers come out in deadline order, each only once due, whatever the
// order they were armed in; the heap empties and fills again.
func TestTimerHeapOrder(t *testing.T) {
	var h timerHeap
	r := rand.New(rand.NewPCG(1, 2))
	for round := range 3 {
		base := t0.Add(time.Duration(round) * time.Hour)
		var want []time.Duration
		for i := range 500 {
			d := time.Duration(r.IntN(1000)-100) * time.Millisecond // some before the first one armed
			want = append(want, d)
			h.arm(timer{at: base.Add(d), kind: timerDialogue, id: uint32(i), gen: uint32(round)})
		}
		slices.Sort(want)
		if at, ok := h.next(); !ok || !at.Equal(base.Add(want[0])) {
			t.Fatalf("round %d: next %v %v, want %v", round, at, ok, base.Add(want[0]))
		}
		if _, ok := h.due(base.Add(want[0] - time.Nanosecond)); ok {
			t.Fatalf("round %d: a timer fired early", round)
		}
		for i, d := range want {
			tm, ok := h.due(base.Add(d))
			if !ok || !tm.at.Equal(base.Add(d)) || tm.kind != timerDialogue || tm.gen != uint32(round) {
				t.Fatalf("round %d timer %d: %+v %v, want deadline %v", round, i, tm, ok, base.Add(d))
			}
		}
		if _, ok := h.next(); ok {
			t.Fatalf("round %d: heap not empty", round)
		}
	}
}

// Arming allocates nothing once the heap has grown.
func TestTimerHeapAllocations(t *testing.T) {
	var h timerHeap
	for i := range 64 {
		h.arm(timer{at: t0.Add(time.Duration(i)), id: uint32(i)})
	}
	for range 64 {
		h.due(t0.Add(time.Hour))
	}
	n := testing.AllocsPerRun(100, func() {
		h.arm(timer{at: t0, id: 1})
		h.due(t0)
	})
	if n != 0 {
		t.Errorf("%.1f allocations per arm and fire", n)
	}
}
