package sepsim

import (
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

func TestHistogramBucketsCoverEveryValue(t *testing.T) {
	prev := -1
	for _, v := range []uint64{0, 1, 63, 64, 65, 127, 128, 130, 1000, 1 << 20, 1<<40 - 1} {
		b := bucketOf(v)
		if b <= prev {
			t.Fatalf("bucketOf(%d) = %d, not above the previous %d", v, b, prev)
		}
		prev = b
		if up := bucketUpper(b); up < v {
			t.Fatalf("bucketUpper(bucketOf(%d)) = %d < %d", v, up, v)
		}
		if b > 0 && bucketUpper(b-1) >= v {
			t.Fatalf("value %d also fits bucket %d (upper %d)", v, b-1, bucketUpper(b-1))
		}
	}
	if b := bucketOf(1 << 62); b != histBuckets-1 {
		t.Fatalf("huge value in bucket %d, want the last (%d)", b, histBuckets-1)
	}
}

func TestHistogramQuantilesWithinResolution(t *testing.T) {
	var h Histogram
	r := rand.New(rand.NewPCG(1, 2))
	vals := make([]time.Duration, 100000)
	for i := range vals {
		vals[i] = time.Duration(r.ExpFloat64() * float64(200*time.Microsecond))
		h.Record(vals[i])
	}
	slices.Sort(vals)
	for _, q := range []float64{0.5, 0.99, 0.999} {
		exact := vals[int(q*float64(len(vals)))-1]
		got := h.Quantile(q)
		if got < exact || float64(got) > float64(exact)*1.04+1 {
			t.Errorf("p%v = %v, exact %v: outside the 1/64 bucket resolution", q*100, got, exact)
		}
	}
	s := h.Summary()
	if s.Count != 100000 || s.Min != vals[0] || s.Max != vals[len(vals)-1] {
		t.Errorf("summary %+v: count/min/max wrong", s)
	}
}

func TestHistogramEmptyNegativeAndMerge(t *testing.T) {
	var a, b Histogram
	if a.Quantile(0.5) != 0 || a.Summary().Mean != 0 {
		t.Fatal("empty histogram reports a latency")
	}
	a.Record(-time.Second)
	if a.Quantile(1) != 0 {
		t.Fatalf("negative latency recorded as %v, want 0", a.Quantile(1))
	}
	b.Record(time.Millisecond)
	a.Merge(&b)
	a.Merge(&Histogram{})
	if a.Count() != 2 || a.Summary().Max != time.Millisecond || a.Summary().Min != 0 {
		t.Fatalf("merge: %+v", a.Summary())
	}
}

func BenchmarkHistogramRecord(b *testing.B) {
	var h Histogram
	for i := 0; b.Loop(); i++ {
		h.Record(time.Duration(i&0xffff) * time.Microsecond)
	}
}
