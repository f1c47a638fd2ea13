package mxua

import (
	"testing"
	"time"
)

func TestTimerQueue(t *testing.T) {
	q := newTimerQueue()
	defer q.Stop()
	base := time.Now()
	a := TimerID{Kind: TimerAck, Assoc: 1}
	b := TimerID{Kind: TimerBeat, Assoc: 1}
	c := TimerID{Kind: TimerRecovery, RoutingContext: 3}
	q.Set(a, base.Add(30*time.Millisecond))
	q.Set(b, base.Add(10*time.Millisecond))
	q.Set(c, base.Add(20*time.Millisecond))
	q.Set(b, base.Add(40*time.Millisecond)) // re-armed: the 10 ms entry is stale
	q.Cancel(c)
	if q.Len() != 2 {
		t.Fatalf("Len %d", q.Len())
	}
	if ids := q.Due(base.Add(25 * time.Millisecond)); len(ids) != 0 {
		t.Fatalf("due at 25ms: %v", ids)
	}
	var got []TimerID
	deadline := time.After(2 * time.Second)
	for len(got) < 2 {
		select {
		case <-q.C():
			got = append(got, q.Due(time.Now())...)
		case <-deadline:
			t.Fatalf("fired %v only", got)
		}
	}
	if got[0] != a || got[1] != b {
		t.Fatalf("fired %v, want %v then %v", got, a, b)
	}
	if since := time.Since(base); since < 40*time.Millisecond {
		t.Fatalf("last timer fired after %v, before its 40ms", since)
	}
	if q.Len() != 0 {
		t.Fatalf("Len %d after all fired", q.Len())
	}
	// Nothing armed: the channel stays quiet.
	select {
	case <-q.C():
		t.Fatal("fired with nothing armed")
	case <-time.After(30 * time.Millisecond):
	}
}

// Due returns every timer whose time has come, in deadline order, and
// nothing twice.
func TestTimerQueueDueOrder(t *testing.T) {
	q := newTimerQueue()
	defer q.Stop()
	base := time.Now().Add(time.Hour) // never fires by itself during the test
	for i := range 50 {
		q.Set(TimerID{Kind: TimerBeat, Assoc: AssocID(i)}, base.Add(time.Duration(50-i)*time.Millisecond))
	}
	for i := range 25 {
		q.Cancel(TimerID{Kind: TimerBeat, Assoc: AssocID(2 * i)})
	}
	ids := q.Due(base.Add(time.Second))
	if len(ids) != 25 {
		t.Fatalf("%d due, want 25", len(ids))
	}
	for i, id := range ids {
		if want := AssocID(49 - 2*i); id.Assoc != want {
			t.Fatalf("due[%d] = %v, want assoc %d", i, id, want)
		}
	}
	if ids := q.Due(base.Add(time.Second)); len(ids) != 0 {
		t.Fatalf("due twice: %v", ids)
	}
}
