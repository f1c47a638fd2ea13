package relay_test

import (
	"testing"
	"time"

	"github.com/sigpool/sigpool/internal/sepsim"
	"github.com/sigpool/sigpool/mxua"
)

// BenchmarkBareRelay is the baseline of the SG benchmark (internal/e2e):
// SEP simulator -> relay -> 3 responders -> relay -> simulator, raw TCAP
// Begin/End load. It reports the saturation throughput in MSU/s (requests
// and answers) and the p50/p99 latency at half of it; one run per
// invocation, whatever b.N.
func BenchmarkBareRelay(b *testing.B) {
	rl, _ := startBaseline(b, 3, mxua.M3UA)
	for b.Loop() {
		res, err := sepsim.MeasureLoad(testCtx(b, time.Minute), sepsim.Config{
			Address: "sigtran+" + rl.Addr(), Core: sepsim.CoreConfig{OPC: 100, DPC: 200},
		}, 256, time.Second)
		if err != nil {
			b.Fatal(err)
		}
		b.ReportMetric(res.MSUPerSecond, "msu/s")
		b.ReportMetric(float64(res.P50.Microseconds()), "p50-us")
		b.ReportMetric(float64(res.P99.Microseconds()), "p99-us")
	}
}
