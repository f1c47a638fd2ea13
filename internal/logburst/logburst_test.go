package logburst

import (
	"testing"
	"time"
)

// The first event is reported at once, the next ones once a second with
// their sum, and nothing is lost between lines.
func TestCounter(t *testing.T) {
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var c Counter
	if got := c.Add(t0, 1); got != 1 {
		t.Fatalf("first event reported %d, want 1", got)
	}
	total := 1
	for i := 1; i <= 1000; i++ { // 1000 events, one per ms: up to t0+1s
		if got := c.Add(t0.Add(time.Duration(i)*time.Millisecond), 2); got != 0 {
			if i != 1000 {
				t.Fatalf("line at %d ms, less than a second after the first", i)
			}
			if got != 2000 {
				t.Fatalf("line at 1 s reported %d, want 2000", got)
			}
			total += got
		}
	}
	if total != 2001 {
		t.Fatalf("reported %d events in all, want 2001", total)
	}
	if got := c.Add(t0.Add(1500*time.Millisecond), 5); got != 0 {
		t.Fatalf("line half a second after the previous one (%d)", got)
	}
	if got := c.Add(t0.Add(3*time.Second), 1); got != 6 {
		t.Fatalf("after a quiet spell reported %d, want 6 (the 5 held back and this one)", got)
	}
}
