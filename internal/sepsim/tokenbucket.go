package sepsim

import "time"

// tokenBucket paces new calls or dialogues at a rate: tokens accrue
// continuously up to a burst, and each start spends one. The driver asks it
// how many starts are due now and when the next one is, and sleeps on one
// timer for all of them, rather than sleeping once per message.
type tokenBucket struct {
	rate   float64 // tokens per second; 0 = none
	burst  float64
	tokens float64
	last   time.Time
}

// newTokenBucket starts with one token, so the first start is immediate.
// A burst below 1 is taken as max(1, rate/100): ten milliseconds' worth.
func newTokenBucket(rate float64, burst int, now time.Time) *tokenBucket {
	b := float64(burst)
	if b < 1 {
		b = max(1, rate/100)
	}
	return &tokenBucket{rate: rate, burst: b, tokens: min(1, b), last: now}
}

func (b *tokenBucket) refill(now time.Time) {
	if dt := now.Sub(b.last); dt > 0 {
		b.tokens = min(b.burst, b.tokens+dt.Seconds()*b.rate)
		b.last = now
	}
}

// take spends and returns every whole token available at now, at most limit.
func (b *tokenBucket) take(now time.Time, limit int) int {
	if b.rate <= 0 || limit <= 0 {
		return 0
	}
	b.refill(now)
	n := min(int(b.tokens), limit)
	b.tokens -= float64(n)
	return n
}

// giveBack returns n unspent tokens (a start that could not happen, e.g.
// no free circuit), so the rate is not silently lowered by a busy range.
func (b *tokenBucket) giveBack(n int) {
	b.tokens = min(b.burst, b.tokens+float64(n))
}

// next returns when the next whole token is available; false without a rate.
func (b *tokenBucket) next(now time.Time) (time.Time, bool) {
	if b.rate <= 0 {
		return time.Time{}, false
	}
	b.refill(now)
	if b.tokens >= 1 {
		return now, true
	}
	wait := time.Duration((1 - b.tokens) / b.rate * float64(time.Second))
	return now.Add(max(wait, time.Microsecond)), true
}
