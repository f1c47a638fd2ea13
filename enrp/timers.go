package enrp

import (
	"time"
)

// bucket is a token bucket; the zero rate means no limit.
type bucket struct {
	rate, burst, tokens float64
	last                time.Time
}

func newBucket(rate, burst float64) bucket {
	return bucket{rate: rate, burst: burst, tokens: burst}
}

func (b *bucket) allow(now time.Time) bool {
	if b.rate <= 0 {
		return true
	}
	if !b.last.IsZero() {
		if d := now.Sub(b.last); d > 0 {
			b.tokens = min(b.burst, b.tokens+d.Seconds()*b.rate)
		}
	}
	b.last = now
	if b.tokens < 1 {
		return false
	}
	b.tokens--
	return true
}

// wait is how long until the bucket holds a whole token again: 0 while
// it does, or when there is no limit.
func (b *bucket) wait(now time.Time) time.Duration {
	if b.rate <= 0 {
		return 0
	}
	tokens := b.tokens
	if !b.last.IsZero() {
		if d := now.Sub(b.last); d > 0 {
			tokens = min(b.burst, tokens+d.Seconds()*b.rate)
		}
	}
	if tokens >= 1 {
		return 0
	}
	return time.Duration((1 - tokens) / b.rate * float64(time.Second))
}

// peHeap orders PEs by their next keep-alive event. One entry per PE: a PE
// waits either to be probed or for its ack, never both.
type peHeap []*peState

func (h peHeap) less(i, j int) bool { return h[i].due.Before(h[j].due) }

func (h peHeap) swap(i, j int) {
	h[i], h[j] = h[j], h[i]
	h[i].heapIdx, h[j].heapIdx = i, j
}

func (h peHeap) up(i int) {
	for i > 0 {
		p := (i - 1) / 2
		if !h.less(i, p) {
			return
		}
		h.swap(i, p)
		i = p
	}
}

func (h peHeap) down(i int) {
	for {
		l := 2*i + 1
		if l >= len(h) {
			return
		}
		m := l
		if r := l + 1; r < len(h) && h.less(r, l) {
			m = r
		}
		if !h.less(m, i) {
			return
		}
		h.swap(i, m)
		i = m
	}
}

// set schedules st at due, inserting or moving it.
func (h *peHeap) set(st *peState, due time.Time) {
	st.due = due
	if st.heapIdx < 0 {
		st.heapIdx = len(*h)
		*h = append(*h, st)
		h.up(st.heapIdx)
		return
	}
	h.down(st.heapIdx)
	h.up(st.heapIdx)
}

func (h *peHeap) remove(st *peState) {
	i := st.heapIdx
	if i < 0 {
		return
	}
	old := *h
	n := len(old) - 1
	if i != n {
		old.swap(i, n)
	}
	old[n] = nil
	*h = old[:n]
	st.heapIdx = -1
	if i < n {
		h.down(i)
		h.up(i)
	}
}
