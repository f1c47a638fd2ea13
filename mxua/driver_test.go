package mxua

import (
	"testing"
)

// Notifications come out in push order whether a push hands its
// notification straight to C (nothing queued) or queues it behind a
// backlog, with a reader that stalls now and then; close ends C.
func TestNotifyQueueOrder(t *testing.T) {
	n := newNotifyQueue()
	const total = 20000
	go func() {
		for i := range total {
			n.push(Notify{Count: i})
		}
		n.close()
	}()
	next := 0
	for x := range n.C {
		if x.Count != next {
			t.Fatalf("notification %d arrived as number %d", x.Count, next)
		}
		next++
		if next%1000 == 0 {
			pause() // a backlog builds up behind the pump
		}
	}
	// close drops what is still queued; nothing may come out of order or twice.
	if next > total {
		t.Fatalf("%d notifications out of %d pushed", next, total)
	}
}

// With a reader waiting, a push costs no allocation.
func TestNotifyQueueDirectAllocations(t *testing.T) {
	n := newNotifyQueue()
	defer n.close()
	got := make(chan struct{})
	go func() {
		for range n.C {
			got <- struct{}{}
		}
	}()
	m := &Message{}
	allocs := testing.AllocsPerRun(200, func() {
		n.push(Notify{Kind: NotifyDeliver, Msg: m})
		<-got
	})
	if allocs > 0 {
		t.Errorf("%.1f allocations per push", allocs)
	}
}
