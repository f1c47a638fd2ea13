package sepsim

import (
	"math"
	"math/bits"
	"time"
)

// Histogram records latencies in log-linear buckets: 64 linear sub-buckets
// per power of two, so a quantile is known to within 1/64 (1.6%) of its
// value. Recording never allocates; the zero value is ready to use. It is
// not safe for concurrent use.
type Histogram struct {
	counts   [histBuckets]uint64
	n        uint64
	sum      float64
	min, max time.Duration
}

const (
	histSubBits = 6
	histSub     = 1 << histSubBits
	// Values up to 2^40 ns (18 minutes) have their own bucket; longer
	// ones share the last.
	histBuckets = (40-histSubBits+1)*histSub + histSub
)

// bucketOf maps a non-negative duration in nanoseconds to its bucket.
func bucketOf(v uint64) int {
	if v < histSub {
		return int(v)
	}
	exp := bits.Len64(v) - histSubBits - 1 // v >> exp is in [64, 128)
	b := (exp+1)*histSub + int(v>>uint(exp)) - histSub
	return min(b, histBuckets-1)
}

// bucketUpper is the largest value that falls in bucket b: a quantile is
// reported as that bound, so it never understates a latency.
func bucketUpper(b int) uint64 {
	if b < histSub {
		return uint64(b)
	}
	exp := b/histSub - 1
	mant := uint64(b%histSub + histSub)
	return (mant+1)<<uint(exp) - 1
}

// Record adds one latency; negative ones count as zero.
func (h *Histogram) Record(d time.Duration) {
	if d < 0 {
		d = 0
	}
	h.counts[bucketOf(uint64(d))]++
	if h.n == 0 || d < h.min {
		h.min = d
	}
	if d > h.max {
		h.max = d
	}
	h.n++
	h.sum += float64(d)
}

// Count returns how many latencies were recorded.
func (h *Histogram) Count() uint64 { return h.n }

// Quantile returns the latency below which a fraction q (0..1) of the
// recorded ones fall, rounded up to its bucket's bound and capped at the
// largest recorded; 0 when empty.
func (h *Histogram) Quantile(q float64) time.Duration {
	if h.n == 0 {
		return 0
	}
	q = math.Max(0, math.Min(1, q))
	rank := uint64(math.Ceil(q * float64(h.n)))
	rank = max(rank, 1)
	var seen uint64
	for b, c := range h.counts {
		seen += c
		if seen >= rank {
			return min(time.Duration(bucketUpper(b)), h.max)
		}
	}
	return h.max
}

// Merge adds every latency recorded in o.
func (h *Histogram) Merge(o *Histogram) {
	if o.n == 0 {
		return
	}
	for b, c := range o.counts {
		h.counts[b] += c
	}
	if h.n == 0 || o.min < h.min {
		h.min = o.min
	}
	h.max = max(h.max, o.max)
	h.n += o.n
	h.sum += o.sum
}

// Summary returns the count, extremes, mean and the p50, p99 and p99.9
// latencies.
func (h *Histogram) Summary() LatencySummary {
	s := LatencySummary{Count: h.n, Min: h.min, Max: h.max,
		P50: h.Quantile(0.50), P99: h.Quantile(0.99), P999: h.Quantile(0.999)}
	if h.n > 0 {
		s.Mean = time.Duration(h.sum / float64(h.n))
	}
	return s
}

// LatencySummary is what a Report says about one kind of request->answer
// latency.
type LatencySummary struct {
	Count                          uint64
	Min, Mean, P50, P99, P999, Max time.Duration
}
