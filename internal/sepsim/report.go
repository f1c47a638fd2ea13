package sepsim

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"
)

// Outcome is how a call or dialogue ended.
type Outcome uint8

// Outcomes.
const (
	// Completed: the call was answered and released with RLC, or the
	// dialogue ended with End (either side's).
	Completed Outcome = iota + 1
	// Failed: the far end refused or broke it off (REL before answer,
	// TCAP Abort) or answered out of turn.
	Failed
	// TimedOut: an expected answer did not come within the answer timeout.
	TimedOut
)

func (o Outcome) String() string {
	switch o {
	case Completed:
		return "completed"
	case Failed:
		return "failed"
	case TimedOut:
		return "timed-out"
	}
	return fmt.Sprintf("outcome(%d)", uint8(o))
}

// Record is the life of one call or dialogue, kept when Config.Records
// allows.
type Record struct {
	Kind    string // "call", "dialogue" or "raw"
	ID      uint32 // CIC of a call, OTID of a dialogue
	Outcome Outcome
	// Step is where a failed or timed-out one stopped (e.g. "acm", "rlc",
	// "begin-answer"); empty when completed.
	Step   string
	Detail string
	Start  time.Time
	End    time.Time
}

// Counts sums the outcomes of calls or dialogues.
type Counts struct {
	Started, Completed, Failed, TimedOut int
	// Active are started and not yet ended.
	Active int
	// FailedAt and TimedOutAt count failures and timeouts by step.
	FailedAt, TimedOutAt map[string]int
}

func (c *Counts) end(o Outcome, step string) {
	c.Active--
	switch o {
	case Completed:
		c.Completed++
	case Failed:
		c.Failed++
		if c.FailedAt == nil {
			c.FailedAt = map[string]int{}
		}
		c.FailedAt[step]++
	case TimedOut:
		c.TimedOut++
		if c.TimedOutAt == nil {
			c.TimedOutAt = map[string]int{}
		}
		c.TimedOutAt[step]++
	}
}

func (c Counts) clone() Counts {
	c.FailedAt, c.TimedOutAt = maps.Clone(c.FailedAt), maps.Clone(c.TimedOutAt)
	return c
}

// Report is what the simulator saw.
type Report struct {
	Elapsed   time.Duration
	Calls     Counts
	Dialogues Counts
	// Raw counts the raw load mode's requests (TCAP Begins answered by
	// anything): Started requests sent, Completed answered, TimedOut
	// unanswered within the timeout, Active still in flight.
	Raw Counts
	// Sent counts requests that expect an answer (IAM, REL, Begin, the
	// simulator's Continue, raw Begins); Answered those answered;
	// Unanswered those that timed out or are still in flight.
	Sent, Answered, Unanswered int
	// HeldBack counts calls, dialogues and raw requests due at the
	// configured rates that the simulator did not start because its
	// association was congested (mxua.ASPEndpoint.Congested): a source
	// backing off as an MTP user does, never sent, not lost.
	HeldBack int
	// Received counts every user message in; Unexpected those that belong
	// to no call or dialogue in a state expecting them (late answers);
	// Malformed those that did not decode.
	Received, Unexpected, Malformed int
	// Latency per request->answer kind: "iam-acm", "iam-anm" (answer
	// time), "rel-rlc", "begin" (Begin to first answer), "continue" (the
	// simulator's Continue to its answer), "raw".
	Latency map[string]LatencySummary
	// All merges every request->answer latency except iam-anm.
	All     LatencySummary
	Records []Record
	// Mark is when Mark was called (zero: never). AfterMark summarises,
	// for every answer that came after it, how long it was waited for
	// since the later of its request and the mark: its Max is how long
	// traffic stalled after the mark (e.g. a failover).
	// UnansweredBeforeMark and UnansweredAfterMark split the timed-out
	// requests by when they were sent.
	// LastUnansweredAfterMark is how long after the mark the latest
	// unanswered request was sent: a fault loses what is sent to it until
	// it is detected, so this bounds the detection time from the SEP's side.
	Mark                                      time.Time
	AfterMark                                 LatencySummary
	UnansweredBeforeMark, UnansweredAfterMark int
	LastUnansweredAfterMark                   time.Duration
}

// Stall returns how long traffic stopped flowing after the mark: the
// longest wait for an answer since the mark, or the send time of the
// latest request that was never answered, whichever is later.
func (r Report) Stall() time.Duration {
	return max(r.AfterMark.Max, r.LastUnansweredAfterMark)
}

// Throughput returns answers per second over Elapsed.
func (r Report) Throughput() float64 {
	if r.Elapsed <= 0 {
		return 0
	}
	return float64(r.Answered) / r.Elapsed.Seconds()
}

// String is a multi-line summary for logs.
func (r Report) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "elapsed %v: sent %d answered %d unanswered %d (%.0f answers/s); received %d unexpected %d malformed %d\n",
		r.Elapsed.Round(time.Millisecond), r.Sent, r.Answered, r.Unanswered, r.Throughput(), r.Received, r.Unexpected, r.Malformed)
	for _, c := range []struct {
		name string
		c    Counts
	}{{"calls", r.Calls}, {"dialogues", r.Dialogues}, {"raw", r.Raw}} {
		if c.c.Started == 0 {
			continue
		}
		fmt.Fprintf(&b, "%s: started %d completed %d failed %d %v timed out %d %v active %d\n",
			c.name, c.c.Started, c.c.Completed, c.c.Failed, c.c.FailedAt, c.c.TimedOut, c.c.TimedOutAt, c.c.Active)
	}
	for _, k := range slices.Sorted(maps.Keys(r.Latency)) {
		s := r.Latency[k]
		fmt.Fprintf(&b, "latency %s: n=%d p50=%v p99=%v p99.9=%v max=%v\n", k, s.Count, s.P50, s.P99, s.P999, s.Max)
	}
	if !r.Mark.IsZero() {
		fmt.Fprintf(&b, "after mark: answers %d, longest wait %v, p99 %v; unanswered sent before %d, after %d (the latest %v after)\n",
			r.AfterMark.Count, r.AfterMark.Max, r.AfterMark.P99, r.UnansweredBeforeMark, r.UnansweredAfterMark, r.LastUnansweredAfterMark)
	}
	return strings.TrimRight(b.String(), "\n")
}
