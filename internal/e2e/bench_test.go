package e2e

import (
	"testing"
	"time"

	"github.com/sigpool/sigpool/gwc"
	"github.com/sigpool/sigpool/internal/relay"
	"github.com/sigpool/sigpool/internal/sepsim"
	"github.com/sigpool/sigpool/mxua"
	"go.uber.org/zap"
)

// benchWindow requests in flight find the saturation throughput; each
// measurement runs benchDuration (plus a quarter of it to warm up).
const (
	benchWindow   = 256
	benchDuration = 2 * time.Second
)

// BenchmarkSGForwarding measures SEP -> SG -> GWC -> SG -> SEP forwarding
// (raw TCAP Begin -> End load, three in-process GWCs, embedded registrar)
// next to the bare relay baseline (relay -> three stateless responders) in
// the same run: saturation throughput in MSU/s (requests and answers) and
// the p50/p99 request->answer latency at half of it. The sg sub-benchmark
// reports its ratio to the baseline's throughput. One measurement per
// sub-benchmark, whatever b.N.
func BenchmarkSGForwarding(b *testing.B) {
	var baseline float64
	b.Run("relay", func(b *testing.B) {
		addrs := make([]string, 3)
		for i := range addrs {
			r, err := relay.StartResponder(ctxFor(b, time.Minute), relay.ResponderConfig{Listen: "tcp://127.0.0.1:0", Protocol: mxua.M3UA})
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { _ = r.Close() })
			addrs[i] = r.Addr()
		}
		rl, err := relay.Start(ctxFor(b, time.Minute), relay.Config{Listen: "tcp://127.0.0.1:0", Downstream: addrs})
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { _ = rl.Close() })
		for b.Loop() {
			baseline = measure(b, "sigtran+"+rl.Addr(), 0)
		}
	})
	b.Run("sg", func(b *testing.B) {
		p := startInProcess(b, 3, gwc.AgentConfig{}, zap.NewNop())
		for b.Loop() {
			measure(b, p.sg.M3UAAddr(), baseline)
		}
		st := p.sg.Stats()
		if st.Dropped != 0 || st.Failovers != 0 {
			b.Errorf("SG counters after the run: %+v", st.Counters)
		}
	})
}

// measure runs sepsim.MeasureLoad against addr and reports its figures;
// with a baseline, also the ratio to it.
func measure(b *testing.B, addr string, baseline float64) float64 {
	res, err := sepsim.MeasureLoad(ctxFor(b, time.Minute), sepsim.Config{
		Address: addr, Core: sepsim.CoreConfig{OPC: sepPC, DPC: poolPC, AnswerTimeout: 10 * time.Second},
	}, benchWindow, benchDuration)
	if err != nil {
		b.Fatalf("%v\nsaturation:\n%v\nhalf:\n%v", err, res.Saturation, res.Half)
	}
	b.ReportMetric(res.MSUPerSecond, "msu/s")
	b.ReportMetric(float64(res.P50.Microseconds()), "p50-us")
	b.ReportMetric(float64(res.P99.Microseconds()), "p99-us")
	if baseline > 0 {
		b.ReportMetric(res.MSUPerSecond/baseline, "ratio-to-baseline")
	}
	return res.MSUPerSecond
}
