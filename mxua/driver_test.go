package mxua

import (
	"fmt"
	"testing"
	"time"
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

// stepStub is a core that answers every event with a notification.
type stepStub struct{}

func (stepStub) Step(time.Time, Event) []Action {
	return []Action{Notify{Kind: NotifyASPState, ASP: ASPActive}}
}

// A Step's notifications reach the user only after the state snapshots
// are published: one who acts on ASP-ACTIVE at once (SendTo) finds the
// state it announces.
func TestDriverNotifiesAfterSnapshots(t *testing.T) {
	d := newDriver(M3UA, stepStub{}, nil, 0)
	var early []string
	check := func(hook string) func() {
		return func() {
			select {
			case n := <-d.notes.C:
				early = append(early, fmt.Sprintf("%v before %s", n.Kind, hook))
			default:
			}
		}
	}
	d.after, d.afterControl = check("the snapshot"), check("the targets")
	d.step(time.Now(), AssocUp{Assoc: 1})
	if len(early) > 0 {
		t.Fatalf("notification delivered %v", early)
	}
	select {
	case n := <-d.notes.C:
		if n.Kind != NotifyASPState {
			t.Fatalf("got %+v", n)
		}
	case <-time.After(time.Second):
		t.Fatal("no notification after the step")
	}
}
