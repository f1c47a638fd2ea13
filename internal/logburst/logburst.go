// Package logburst turns a stream of like events (messages dropped on a
// full queue, say) into at most one log line a second carrying their
// count: an overload must not become a log storm on top of itself.
package logburst

import "time"

// Interval is the least time between two lines of one Counter.
const Interval = time.Second

// Counter counts events between log lines. The zero value is ready: the
// first event is logged at once. Not safe for concurrent use; each owner
// (a loop goroutine) keeps its own.
type Counter struct {
	n    int
	last time.Time
}

// Add counts n events seen at now. It returns how many events the line to
// log now should report (those since the previous line, these included),
// or 0 while less than Interval has passed since that line.
func (c *Counter) Add(now time.Time, n int) int {
	c.n += n
	if !c.last.IsZero() && now.Sub(c.last) < Interval {
		return 0
	}
	n, c.n, c.last = c.n, 0, now
	return n
}
