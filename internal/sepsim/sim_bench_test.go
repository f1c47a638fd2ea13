package sepsim

import (
	"context"
	"testing"
	"time"

	"github.com/sigpool/sigpool/internal/relay"
	"github.com/sigpool/sigpool/mxua"
)

// BenchmarkSimRawAgainstResponder measures the load one simulator offers
// to a far end that costs almost nothing (relay.Responder over loopback
// TCP): the ceiling of any figure measured through it. One op is one
// request and its answer.
func BenchmarkSimRawAgainstResponder(b *testing.B) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	r, err := relay.StartResponder(ctx, relay.ResponderConfig{Listen: "tcp://127.0.0.1:0", Protocol: mxua.M3UA})
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	s, err := Start(ctx, Config{Address: "sigtran+" + r.Addr(), Core: CoreConfig{OPC: 1, DPC: 2},
		RawWindow: 256, RawCount: b.N})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	rep, err := s.Wait(ctx)
	if err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(rep.Throughput(), "answers/s")
	b.ReportMetric(float64(rep.Latency["raw"].P50.Microseconds()), "p50-us")
	b.ReportMetric(float64(rep.Latency["raw"].P99.Microseconds()), "p99-us")
}

// BenchmarkMeasureLoadAgainstResponder runs MeasureLoad, as the SG
// benchmark does, against a far end that costs almost nothing: the
// simulator's own share of the half-load latency (the floor under the
// relay and SG figures). One measurement per invocation, whatever b.N.
func BenchmarkMeasureLoadAgainstResponder(b *testing.B) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	r, err := relay.StartResponder(ctx, relay.ResponderConfig{Listen: "tcp://127.0.0.1:0", Protocol: mxua.M3UA})
	if err != nil {
		b.Fatal(err)
	}
	defer r.Close()
	for b.Loop() {
		res, err := MeasureLoad(ctx, Config{Address: "sigtran+" + r.Addr(), Core: CoreConfig{OPC: 1, DPC: 2}}, 256, 2*time.Second)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(res.MSUPerSecond, "msu/s")
		b.ReportMetric(float64(res.P50.Microseconds()), "p50-us")
		b.ReportMetric(float64(res.P99.Microseconds()), "p99-us")
	}
}
