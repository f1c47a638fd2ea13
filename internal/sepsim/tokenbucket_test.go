package sepsim

import (
	"testing"
	"time"
)

func TestTokenBucketPacesAtRate(t *testing.T) {
	t0 := time.Unix(1000, 0)
	b := newTokenBucket(1000, 0, t0) // burst 10
	if n := b.take(t0, 100); n != 1 {
		t.Fatalf("first take = %d, want the 1 initial token", n)
	}
	total := 1
	now := t0
	for range 1000 {
		at, ok := b.next(now)
		if !ok || at.Before(now) {
			t.Fatalf("next = %v, %v", at, ok)
		}
		now = at
		total += b.take(now, 100)
	}
	elapsed := now.Sub(t0).Seconds()
	if got := float64(total-1) / elapsed; got < 990 || got > 1010 {
		t.Fatalf("rate %.1f/s over %.3fs, want 1000", got, elapsed)
	}
	// An idle second accrues no more than the burst.
	if n := b.take(now.Add(time.Second), 1000); n != 10 {
		t.Fatalf("after an idle second took %d, want burst 10", n)
	}
}

func TestTokenBucketLimitGiveBackAndNoRate(t *testing.T) {
	t0 := time.Unix(0, 0)
	b := newTokenBucket(100, 50, t0)
	if n := b.take(t0.Add(time.Second), 5); n != 5 {
		t.Fatalf("limited take = %d, want 5", n)
	}
	b.giveBack(5)
	if n := b.take(t0.Add(time.Second), 100); n != 50 {
		t.Fatalf("after give back took %d, want 50", n)
	}
	z := newTokenBucket(0, 0, t0)
	if n := z.take(t0.Add(time.Hour), 10); n != 0 {
		t.Fatalf("zero rate gave %d tokens", n)
	}
	if _, ok := z.next(t0); ok {
		t.Fatal("zero rate has a next token")
	}
}
