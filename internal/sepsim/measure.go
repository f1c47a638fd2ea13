package sepsim

import (
	"context"
	"fmt"
	"time"
)

// LoadResult is a throughput and latency measurement of whatever answers
// behind Config.Address (the SG with its pool, or the bare relay).
type LoadResult struct {
	// MSUPerSecond counts requests and answers (each an MSU the path
	// forwards) per second at saturation.
	MSUPerSecond float64
	// HalfRate is the request rate of the latency run: half the
	// saturation rate of requests.
	HalfRate float64
	// P50 and P99 are request->answer latencies at HalfRate.
	P50, P99, P999 time.Duration
	// Saturation and Half are the two runs' reports.
	Saturation, Half Report
}

// MeasureLoad runs the raw load mode twice over fresh ASP associations:
// closed-loop with window requests in flight for d (after a warm-up of
// d/4) to find the saturation throughput, then open-loop at half of it
// for d to measure latency there. cfg gives the address and transport;
// its rates, counts and raw settings are replaced.
func MeasureLoad(ctx context.Context, cfg Config, window int, d time.Duration) (LoadResult, error) {
	var res LoadResult
	run := func(c Config, dur time.Duration) (Report, error) {
		c.CallRate, c.DialogueRate, c.Calls, c.Dialogues, c.RawCount = 0, 0, 0, 0, 0
		s, err := Start(ctx, c)
		if err != nil {
			return Report{}, err
		}
		defer s.Close()
		t := time.AfterFunc(dur, s.Stop)
		defer t.Stop()
		r, err := s.Wait(ctx)
		if err != nil {
			return r, err
		}
		if r.Raw.TimedOut > 0 || r.Raw.Completed == 0 {
			return r, fmt.Errorf("sepsim: load run: %d of %d requests unanswered", r.Raw.TimedOut, r.Raw.Started)
		}
		return r, nil
	}
	sat := cfg
	sat.RawWindow, sat.RawRate = window, 0
	if _, err := run(sat, d/4); err != nil {
		return res, fmt.Errorf("warm-up: %w", err)
	}
	r, err := run(sat, d)
	if err != nil {
		return res, fmt.Errorf("saturation run: %w", err)
	}
	res.Saturation = r
	rate := float64(r.Raw.Completed) / r.Elapsed.Seconds()
	res.MSUPerSecond = 2 * rate
	res.HalfRate = rate / 2
	half := cfg
	half.RawWindow, half.RawRate = 0, res.HalfRate
	if r, err = run(half, d); err != nil {
		return res, fmt.Errorf("half-load run at %.0f/s: %w", res.HalfRate, err)
	}
	res.Half = r
	l := r.Latency["raw"]
	res.P50, res.P99, res.P999 = l.P50, l.P99, l.P999
	return res, nil
}

// MeasureRate runs the raw load mode open-loop at rate requests per
// second for d (after a warm-up of d/4) and returns the latency there:
// latency at a stated load, whatever the saturation throughput is.
func MeasureRate(ctx context.Context, cfg Config, rate float64, d time.Duration) (LatencySummary, Report, error) {
	if rate <= 0 {
		return LatencySummary{}, Report{}, fmt.Errorf("sepsim: rate %v: must be positive", rate)
	}
	c := cfg
	c.CallRate, c.DialogueRate, c.Calls, c.Dialogues, c.RawCount = 0, 0, 0, 0, 0
	c.RawWindow, c.RawRate = 0, rate
	var rep Report
	for _, dur := range []time.Duration{d / 4, d} {
		s, err := Start(ctx, c)
		if err != nil {
			return LatencySummary{}, rep, err
		}
		t := time.AfterFunc(dur, s.Stop)
		rep, err = s.Wait(ctx)
		t.Stop()
		s.Close()
		if err != nil {
			return LatencySummary{}, rep, err
		}
		if rep.Raw.TimedOut > 0 || rep.Raw.Completed == 0 {
			return LatencySummary{}, rep, fmt.Errorf("sepsim: %.0f/s: %d of %d requests unanswered", rate, rep.Raw.TimedOut, rep.Raw.Started)
		}
	}
	return rep.Latency["raw"], rep, nil
}
