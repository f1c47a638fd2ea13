package metricstest

import (
	"fmt"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"
)

// recorder is a testing.TB that notes failures instead of failing.
type recorder struct {
	testing.TB
	errs []string
}

func (r *recorder) Helper() {}
func (r *recorder) Errorf(format string, args ...any) {
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}

func TestSeriesKeySortsLabels(t *testing.T) {
	if got, want := SeriesKey("m", "b", "2", "a", "1"), `m{a="1",b="2"}`; got != want {
		t.Fatalf("SeriesKey = %s, want %s", got, want)
	}
}

func TestSeriesFlattensAndChecks(t *testing.T) {
	const page = `# HELP x_msgs_total Messages.
# TYPE x_msgs_total counter
x_msgs_total{dir="in"} 3
x_msgs_total{dir="out"} 4
# HELP x_size Size.
# TYPE x_size gauge
x_size 2
# HELP x_wait_seconds Wait.
# TYPE x_wait_seconds histogram
x_wait_seconds_bucket{le="+Inf"} 1
x_wait_seconds_sum 0.5
x_wait_seconds_count 1
# TYPE x_bad counter
x_bad 1
# HELP y_other Not ours.
# TYPE y_other gauge
y_other 9
`
	r := &recorder{TB: t}
	got := Series(r, Parse(t, strings.NewReader(page)), "x_", dto.MetricType_HISTOGRAM)
	want := map[string]float64{
		SeriesKey("x_msgs_total", "dir", "in"): 3, SeriesKey("x_msgs_total", "dir", "out"): 4,
		SeriesKey("x_size"): 2,
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %v, want %v", k, got[k], v)
		}
	}
	if len(got) != len(want) {
		t.Errorf("series %v, want %v", got, want)
	}
	// x_bad: a counter without _total and without help.
	if msg := strings.Join(r.errs, "; "); len(r.errs) != 2 || !strings.Contains(msg, "x_bad has no help") || !strings.Contains(msg, "x_bad: type COUNTER") {
		t.Errorf("failures %q, want x_bad's missing help and its type", r.errs)
	}

	// Without skipping histograms, one is a failure.
	r = &recorder{TB: t}
	Series(r, Parse(t, strings.NewReader(page)), "x_w")
	if len(r.errs) != 1 || !strings.Contains(r.errs[0], "x_wait_seconds: type HISTOGRAM") {
		t.Errorf("failures %q, want the histogram's type", r.errs)
	}
}
