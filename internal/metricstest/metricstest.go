// Package metricstest reads a Prometheus scrape in tests the way a
// Prometheus server does, and flattens it into series to compare with
// what the exporter's Stats say: the same way for the SG and the GWC.
package metricstest

import (
	"io"
	"slices"
	"strconv"
	"strings"
	"testing"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// SeriesKey names one sample: name{k="v",...} with the labels sorted.
func SeriesKey(name string, labels ...string) string {
	var pairs []string
	for i := 0; i+1 < len(labels); i += 2 {
		pairs = append(pairs, labels[i]+"="+strconv.Quote(labels[i+1]))
	}
	slices.Sort(pairs)
	return name + "{" + strings.Join(pairs, ",") + "}"
}

// Parse reads the text format; a scrape that does not parse fails the
// test.
func Parse(t testing.TB, r io.Reader) map[string]*dto.MetricFamily {
	t.Helper()
	p := expfmt.NewTextParser(model.UTF8Validation)
	mfs, err := p.TextToMetricFamilies(r)
	if err != nil {
		t.Fatalf("scrape does not parse: %v", err)
	}
	return mfs
}

// Series flattens the families named prefix* into SeriesKey -> value.
// Families of the skip types are left out; every other family must be a
// counter named *_total or a gauge not so named, and have help text. A
// series seen twice fails the test.
func Series(t testing.TB, mfs map[string]*dto.MetricFamily, prefix string, skip ...dto.MetricType) map[string]float64 {
	t.Helper()
	out := map[string]float64{}
	for name, mf := range mfs {
		if !strings.HasPrefix(name, prefix) || slices.Contains(skip, mf.GetType()) {
			continue
		}
		if mf.GetHelp() == "" {
			t.Errorf("%s has no help", name)
		}
		for _, m := range mf.GetMetric() {
			var labels []string
			for _, l := range m.GetLabel() {
				labels = append(labels, l.GetName(), l.GetValue())
			}
			k := SeriesKey(name, labels...)
			if _, dup := out[k]; dup {
				t.Errorf("series %s twice", k)
			}
			switch {
			case mf.GetType() == dto.MetricType_COUNTER && strings.HasSuffix(name, "_total"):
				out[k] = m.GetCounter().GetValue()
			case mf.GetType() == dto.MetricType_GAUGE && !strings.HasSuffix(name, "_total"):
				out[k] = m.GetGauge().GetValue()
			default:
				t.Errorf("%s: type %v", name, mf.GetType())
			}
		}
	}
	return out
}
