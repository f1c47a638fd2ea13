package sepsim

import "time"

// recorder collects what the call and dialogue machines observe; Report
// copies it out.
type recorder struct {
	iamACM, iamANM, relRLC, begin, cont, raw Histogram

	sent, answered, timedOut        int
	received, unexpected, malformed int

	calls, dialogues, rawCounts Counts

	records    []Record
	maxRecords int

	// Mark (Core.Mark, e.g. the moment a GWC is killed): answers after it
	// record how long they were waited for since the mark, and timeouts
	// are split by whether their request was sent before it.
	mark                  time.Time
	afterMark             Histogram
	lostBefore, lostAfter int
	lastLost              time.Duration // latest unanswered request, sent this long after the mark

	// interval collects the latencies since the last TakeInterval, for a
	// timeline (answer time of a call, iam-anm, is left out as in All).
	interval      Histogram
	intervalCount int
}

// answer records one request->answer latency.
func (r *recorder) answer(h *Histogram, sentAt, now time.Time) {
	h.Record(now.Sub(sentAt))
	r.answered++
	r.intervalCount++
	if h != &r.iamANM {
		r.interval.Record(now.Sub(sentAt))
	}
	if !r.mark.IsZero() && !now.Before(r.mark) {
		from := sentAt
		if from.Before(r.mark) {
			from = r.mark
		}
		r.afterMark.Record(now.Sub(from))
	}
}

// timeout records a request that went unanswered.
func (r *recorder) timeout(sentAt time.Time) {
	r.timedOut++
	switch {
	case r.mark.IsZero():
	case sentAt.Before(r.mark):
		r.lostBefore++
	default:
		r.lostAfter++
		r.lastLost = max(r.lastLost, sentAt.Sub(r.mark))
	}
}

func (r *recorder) record(rec Record) {
	if len(r.records) < r.maxRecords {
		r.records = append(r.records, rec)
	}
}

func (r *recorder) report(outstanding int) Report {
	rep := Report{
		Calls: r.calls.clone(), Dialogues: r.dialogues.clone(), Raw: r.rawCounts.clone(),
		Sent: r.sent, Answered: r.answered, Unanswered: r.timedOut + outstanding,
		Received: r.received, Unexpected: r.unexpected, Malformed: r.malformed,
		Latency: map[string]LatencySummary{},
		Records: append([]Record(nil), r.records...),
	}
	var all Histogram
	for _, h := range []struct {
		name string
		h    *Histogram
		all  bool
	}{{"iam-acm", &r.iamACM, true}, {"iam-anm", &r.iamANM, false}, {"rel-rlc", &r.relRLC, true},
		{"begin", &r.begin, true}, {"continue", &r.cont, true}, {"raw", &r.raw, true}} {
		if h.h.Count() == 0 {
			continue
		}
		rep.Latency[h.name] = h.h.Summary()
		if h.all {
			all.Merge(h.h)
		}
	}
	rep.All = all.Summary()
	rep.Mark, rep.AfterMark = r.mark, r.afterMark.Summary()
	rep.UnansweredBeforeMark, rep.UnansweredAfterMark = r.lostBefore, r.lostAfter
	rep.LastUnansweredAfterMark = r.lastLost
	return rep
}

// takeInterval returns the answers and latencies since the last call and
// starts a new interval.
func (r *recorder) takeInterval() (answered int, lat LatencySummary) {
	answered, lat = r.intervalCount, r.interval.Summary()
	r.intervalCount, r.interval = 0, Histogram{}
	return answered, lat
}
