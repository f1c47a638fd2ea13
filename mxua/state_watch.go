package mxua

import (
	"context"
	"fmt"
	"sync"
)

// stateWatch publishes an endpoint core's state from the driver loop to
// other goroutines and lets them wait for a state. The zero value is ready:
// ASP-DOWN, nobody waiting.
type stateWatch struct {
	mu      sync.Mutex
	state   ASPState
	changed chan struct{} // closed and replaced on every change
	// failure is the last request that failed (what a timed-out wait
	// reports: why the state was not reached).
	failure string
}

// watchLocked returns the current state and the channel its next change
// closes; mu must be held.
func (w *stateWatch) watchLocked() (ASPState, chan struct{}) {
	if w.changed == nil {
		w.changed = make(chan struct{})
	}
	return w.state, w.changed
}

// set records st (driver loop only) and wakes the waiters when it changed.
func (w *stateWatch) set(st ASPState) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if cur, ch := w.watchLocked(); st != cur {
		w.state = st
		close(ch)
		w.changed = make(chan struct{})
	}
}

// noteFailures records the last failed request among a Step's
// notifications (driver loop only).
func (w *stateWatch) noteFailures(notes []Notify) {
	for _, n := range notes {
		if n.Kind == NotifyRequestFailed {
			w.mu.Lock()
			w.failure = fmt.Sprintf("%v: %s", n.Request, n.Reason)
			w.mu.Unlock()
		}
	}
}

func (w *stateWatch) get() ASPState {
	w.mu.Lock()
	defer w.mu.Unlock()
	return w.state
}

// wait blocks until the state is want, the driver stops or ctx ends; what
// names the waiter in errors ("" for an ASP, "IPSP " for an IPSP).
func (w *stateWatch) wait(ctx context.Context, want ASPState, stopped <-chan struct{}, what string) error {
	for {
		w.mu.Lock()
		st, ch := w.watchLocked()
		w.mu.Unlock()
		if st == want {
			return nil
		}
		select {
		case <-ch:
		case <-stopped:
			return fmt.Errorf("mxua: %swait for %v: %w", what, want, errDriverClosed)
		case <-ctx.Done():
			w.mu.Lock()
			failure := w.failure
			w.mu.Unlock()
			if failure != "" {
				return fmt.Errorf("mxua: %swait for %v (still %v; last failure: %s): %w", what, want, st, failure, ctx.Err())
			}
			return fmt.Errorf("mxua: %swait for %v (still %v): %w", what, want, st, ctx.Err())
		}
	}
}
