package sg

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"math"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil/promlint"
	dto "github.com/prometheus/client_model/go"

	"github.com/sigpool/sigpool/internal/metricstest"
	"github.com/sigpool/sigpool/mxua"
	"github.com/sigpool/sigpool/mxua/isup"
	"github.com/sigpool/sigpool/wire"
)

// seriesKey names one sample (metricstest.SeriesKey).
var seriesKey = metricstest.SeriesKey

// parseMetrics reads the text format the way a Prometheus server does.
func parseMetrics(t *testing.T, r io.Reader) map[string]*dto.MetricFamily {
	t.Helper()
	return metricstest.Parse(t, r)
}

// series flattens the counters and gauges of families named prefix*
// (histograms are checked apart).
func series(t *testing.T, mfs map[string]*dto.MetricFamily, prefix string) map[string]float64 {
	t.Helper()
	return metricstest.Series(t, mfs, prefix, dto.MetricType_HISTOGRAM)
}

// wantSeries is what the scrape must hold for st: the metrics documented
// in docs/sg.md.
func wantSeries(st Stats) map[string]float64 {
	w := map[string]float64{}
	set := func(name string, v float64, labels ...string) { w[seriesKey("sigpool_sg_"+name, labels...)] = v }
	set("messages_total", float64(st.FromSS7), "direction", "from_ss7")
	set("messages_total", float64(st.ToPool), "direction", "to_pool")
	set("messages_total", float64(st.FromPool), "direction", "from_pool")
	set("messages_total", float64(st.ToSS7), "direction", "to_ss7")
	for _, p := range uniquePEs(st.PEs) {
		pe := p.PE.String()
		set("peer_messages_total", float64(p.In), "side", "gwc", "pool", p.Pool, "peer", pe, "direction", "in")
		set("peer_messages_total", float64(p.Out), "side", "gwc", "pool", p.Pool, "peer", pe, "direction", "out")
		set("bindings", float64(p.Bindings), "pool", p.Pool, "peer", pe)
		set("gwc_failures_total", float64(p.Failures), "pool", p.Pool, "peer", pe)
		congested := 0.0
		if p.Congested {
			congested = 1
		}
		set("gwc_congested", congested, "pool", p.Pool, "peer", pe)
	}
	for _, u := range st.Upstream {
		peer := fmt.Sprintf("%v/%d", u.Protocol, u.Assoc)
		set("peer_messages_total", float64(u.In), "side", "ss7", "pool", "", "peer", peer, "direction", "in")
		set("peer_messages_total", float64(u.Out), "side", "ss7", "pool", "", "peer", peer, "direction", "out")
	}
	set("failovers_total", float64(st.Failovers))
	set("lost_messages_total", float64(st.Lost))
	set("resent_messages_total", float64(st.Resent))
	for reason, v := range map[string]uint64{"no_route": st.NoRoute, "protocol_mismatch": st.ProtocolMismatch, "no_gwc": st.NoPE,
		"buffer_full": st.BufferFull, "hold_expired": st.HoldExpired, "send_failed": st.SendFailures, "upstream": st.UpstreamDropped,
		"slow_queue_full": st.SlowDropped} {
		set("dropped_messages_total", float64(v), "reason", reason)
	}
	for _, p := range st.Pools {
		set("pool_size", float64(p.Known), "pool", p.Handle, "state", "known")
		set("pool_size", float64(p.Active), "pool", p.Handle, "state", "active")
	}
	set("buffered_messages", float64(st.Buffered))
	set("cookies_total", float64(st.CookiesIn), "kind", "received")
	set("cookies_total", float64(st.CookiesIgnored), "kind", "ignored")
	set("cookies_total", float64(st.CookieEchoes), "kind", "echoed")
	set("cookies_total", float64(st.EchoFailures), "kind", "echo_failed")
	set("rehomed_bindings_total", float64(st.Rehomed))
	set("binding_events_total", float64(st.BindingsCreated), "event", "created")
	set("binding_events_total", float64(st.BindingsEnded), "event", "ended")
	set("binding_events_total", float64(st.BindingsExpired), "event", "expired")
	return w
}

// checkScrape compares a parsed scrape with st, series by series, and the
// failover histogram with st.FailoverTimes (all of them: fewer than
// maxFailoverTimes in these tests).
func checkScrape(t *testing.T, mfs map[string]*dto.MetricFamily, st Stats) {
	t.Helper()
	got, want := series(t, mfs, "sigpool_sg_"), wantSeries(st)
	for k, v := range want {
		if g, ok := got[k]; !ok {
			t.Errorf("scrape lacks %s (Stats: %v)", k, v)
		} else if g != v {
			t.Errorf("%s = %v, Stats say %v", k, g, v)
		}
	}
	for k, v := range got {
		if _, ok := want[k]; !ok {
			t.Errorf("scrape has %s = %v, not from Stats", k, v)
		}
	}
	mf := mfs["sigpool_sg_failover_seconds"]
	if mf.GetType() != dto.MetricType_HISTOGRAM || len(mf.GetMetric()) != 1 {
		t.Fatalf("failover histogram: %v", mf)
	}
	h := mf.GetMetric()[0].GetHistogram()
	var sum float64
	for _, d := range st.FailoverTimes {
		sum += d.Seconds()
	}
	if h.GetSampleCount() != uint64(len(st.FailoverTimes)) || math.Abs(h.GetSampleSum()-sum) > 1e-9 {
		t.Errorf("failover histogram count %d sum %v, Stats have %d times summing to %v", h.GetSampleCount(), h.GetSampleSum(), len(st.FailoverTimes), sum)
	}
	bounds := append(slices.Clone(failoverBuckets), math.Inf(1))
	if len(h.GetBucket()) != len(bounds) {
		t.Fatalf("failover histogram has %d buckets, want %d", len(h.GetBucket()), len(bounds))
	}
	for i, b := range h.GetBucket() {
		var n uint64
		for _, d := range st.FailoverTimes {
			if d.Seconds() <= bounds[i] {
				n++
			}
		}
		if b.GetUpperBound() != bounds[i] || b.GetCumulativeCount() != n {
			t.Errorf("bucket le=%v: %d, want le=%v: %d", b.GetUpperBound(), b.GetCumulativeCount(), bounds[i], n)
		}
	}
}

// coreSG wraps a fake-clock core in an SG without sockets, observing its
// failovers as the driver does.
type coreSG struct {
	*harness
	s *SG
}

func newCoreSG(t *testing.T) *coreSG {
	h := newHarness(t, nil)
	return &coreSG{harness: h, s: &SG{core: h.c, hist: newHistogram(),
		dcnt: driverCounters{SendFailures: 1, SlowDropped: 2, EchoFailures: 3, UpstreamDropped: 4}}}
}

func (c *coreSG) note(acts []Action) {
	for _, a := range acts {
		if a.Kind == ActFailover && a.Lost > 0 {
			c.s.hist.observe(a.Duration)
		}
	}
}

// run drives a day in the SG's life: calls, two failovers with messages
// outstanding, a GWC leaving the pool, a message without route.
func (c *coreSG) run() {
	c.up(11, 22)
	c.c.UpstreamASP(c.now, mxua.M3UA, 100, mxua.ASPActive)
	c.c.UpstreamASP(c.now, mxua.M3UA, 101, mxua.ASPInactive)
	for cic := uint16(1); cic <= 3; cic++ {
		c.fromSS7(isupData(mxua.FromSS7, cic, isup.MsgIAM))
	}
	c.fromPool(11, isupData(mxua.FromPool, 1, isup.MsgACM))
	c.fromSS7(isupData(mxua.FromSS7, 1, msgSUS))
	c.cookie(11, circuitKey(1), "call-1-answered")
	c.advance(300 * time.Millisecond)
	c.note(c.c.Disconnected(c.now, mxua.M3UA, 11, "peer dead", true))
	c.c.EchoDone(c.now, mxua.M3UA, 22, circuitKey(1), nil)

	noRoute := isupData(mxua.FromSS7, 9, isup.MsgIAM)
	noRoute.ProtocolData.DPC = 9
	c.c.FromSS7(c.now, mxua.M3UA, 100, 7, noRoute)

	c.note(c.up(33))
	for cic := uint16(10); cic <= 13; cic++ {
		c.fromSS7(isupData(mxua.FromSS7, cic, isup.MsgIAM))
	}
	c.advance(4 * time.Second)
	c.note(c.c.Disconnected(c.now, mxua.M3UA, 22, "peer dead", true))
	c.note(c.c.Resolved(c.now, tPool, []wire.PoolElement{element(22), element(33)}, wire.PolicyRoundRobin, false))
	c.fromPool(33, isupData(mxua.FromPool, 10, isup.MsgACM))
}

func TestMetricsMatchStats(t *testing.T) {
	c := newCoreSG(t)
	c.run()
	st := c.s.Stats()
	if len(st.FailoverTimes) != 2 || st.NoRoute != 1 || len(st.Upstream) != 2 {
		t.Fatalf("setup: failover times %v, no route %d, upstream %v", st.FailoverTimes, st.NoRoute, st.Upstream)
	}
	if pe, _ := st.PE(11); pe.State != "gone" {
		t.Fatalf("setup: GWC 11 %+v, want gone", pe)
	}
	var b bytes.Buffer
	if err := c.s.WriteMetrics(&b); err != nil {
		t.Fatal(err)
	}
	mfs := parseMetrics(t, &b)
	checkScrape(t, mfs, st)
	for name, typ := range map[string]dto.MetricType{"sigpool_sg_messages_total": dto.MetricType_COUNTER,
		"sigpool_sg_pool_size": dto.MetricType_GAUGE, "sigpool_sg_bindings": dto.MetricType_GAUGE,
		"sigpool_sg_failovers_total": dto.MetricType_COUNTER} {
		if mfs[name].GetType() != typ || mfs[name].GetHelp() == "" {
			t.Errorf("%s: type %v help %q, want %v with help", name, mfs[name].GetType(), mfs[name].GetHelp(), typ)
		}
	}
	if _, ok := mfs["go_goroutines"]; ok {
		t.Error("WriteMetrics has the Go runtime's metrics: it writes the SG's only")
	}
}

// TestMetricsHandler: the handler serves the text format (what scrapers
// without an Accept header and the docs' curl get), the SG's metrics and
// the runtime's.
func TestMetricsHandler(t *testing.T) {
	c := newCoreSG(t)
	c.run()
	srv := httptest.NewServer(c.s.MetricsHandler())
	defer srv.Close()
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, srv.URL, nil)
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if ct := resp.Header.Get("Content-Type"); resp.StatusCode != http.StatusOK || !strings.HasPrefix(ct, "text/plain; version=0.0.4") {
		t.Fatalf("scrape: %d %q", resp.StatusCode, ct)
	}
	mfs := parseMetrics(t, resp.Body)
	checkScrape(t, mfs, c.s.Stats())
	for _, name := range []string{"go_goroutines", "process_start_time_seconds"} {
		if _, ok := mfs[name]; !ok {
			t.Errorf("scrape lacks %s", name)
		}
	}
}

// TestMetricsCollectorChecks: a pedantic registry finds every sample
// described and consistent, and the names pass the Prometheus linter.
func TestMetricsCollectorChecks(t *testing.T) {
	c := newCoreSG(t)
	c.run()
	reg := prometheus.NewPedanticRegistry()
	if err := reg.Register(c.s.Collector()); err != nil {
		t.Fatal(err)
	}
	mfs, err := reg.Gather()
	if err != nil {
		t.Fatalf("pedantic gather: %v", err)
	}
	problems, err := promlint.NewWithMetricFamilies(mfs).Lint()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("lint: %s: %s", p.Metric, p.Text)
	}
}

// TestMetricsOddStats: a PE that left and came back is one series (the
// current entry, else the latest), and a
// pool handle that is not UTF-8 (or needs quoting) still scrapes.
func TestMetricsOddStats(t *testing.T) {
	odd := "gw\xffc\"\n\\"
	st := Stats{
		Pools: []PoolStats{{Handle: odd, Known: 2, Active: 1}},
		PEs: []PEStats{
			{Pool: odd, PE: 5, State: "gone", In: 1, Out: 1, Failures: 1},
			{Pool: odd, PE: 5, State: "active", In: 7, Out: 6, Bindings: 3, Failures: 2, Congested: true},
			{Pool: odd, PE: 6, State: "gone", In: 2},
			{Pool: odd, PE: 6, State: "gone", In: 4},
		},
	}
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(newCollector(func() Stats { return st }, nil))
	var b bytes.Buffer
	if err := writeText(&b, reg); err != nil {
		t.Fatal(err)
	}
	got := series(t, parseMetrics(t, &b), "sigpool_sg_")
	fixed := strings.ToValidUTF8(odd, "\uFFFD")
	for k, v := range map[string]float64{
		seriesKey("sigpool_sg_peer_messages_total", "side", "gwc", "pool", fixed, "peer", wire.PEIdentifier(5).String(), "direction", "in"): 7,
		seriesKey("sigpool_sg_gwc_failures_total", "pool", fixed, "peer", wire.PEIdentifier(5).String()):                                    2,
		seriesKey("sigpool_sg_bindings", "pool", fixed, "peer", wire.PEIdentifier(5).String()):                                              3,
		seriesKey("sigpool_sg_peer_messages_total", "side", "gwc", "pool", fixed, "peer", wire.PEIdentifier(6).String(), "direction", "in"): 4,
		seriesKey("sigpool_sg_pool_size", "pool", fixed, "state", "active"):                                                                 1,
	} {
		if got[k] != v {
			t.Errorf("%s = %v, want %v\n%s", k, got[k], v, b.String())
		}
	}
}

// TestSGMetricsEndpointMatchesStats: a running SG's /metrics, read between
// two equal Stats snapshots, says what Stats says.
func TestSGMetricsEndpointMatchesStats(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	s := startSG(t, ctx, nil)
	a := startGWC(t, ctx, s.RegistrarAddrs(), 0xa)
	defer a.close()
	if err := s.WaitActive(ctx, tPool, 1); err != nil {
		t.Fatal(err)
	}
	up := dialUpstream(t, ctx, s.M3UAAddr())
	const calls = 5
	for cic := uint16(1); cic <= calls; cic++ {
		up.send(t, ctx, cic, isup.MsgIAM)
	}
	up.expect(t, ctx, calls, isup.MsgACM)
	waitFor(t, ctx, func() bool { return s.Stats().CookiesIn >= calls })

	for {
		before := s.Stats()
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+s.MetricsAddr()+"/metrics", nil)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != http.StatusOK {
			t.Fatalf("scrape: %d %v", resp.StatusCode, err)
		}
		after := s.Stats()
		if fmt.Sprint(before) != fmt.Sprint(after) {
			continue // traffic moved a counter meanwhile (keep-alives, late cookies): read again
		}
		mfs := parseMetrics(t, bytes.NewReader(body))
		checkScrape(t, mfs, after)
		if v := series(t, mfs, "sigpool_sg_messages_")[seriesKey("sigpool_sg_messages_total", "direction", "from_ss7")]; v != calls {
			t.Errorf("from_ss7 %v, want %d", v, calls)
		}
		return
	}
}

// BenchmarkMetricsScrape: a scrape of an SG with many GWCs; the SG lock is
// held only for the Stats snapshot.
func BenchmarkMetricsScrape(b *testing.B) {
	const pes = 64
	st := Stats{Pools: []PoolStats{{Handle: tPool, Known: pes, Active: pes}}}
	for i := range pes {
		st.PEs = append(st.PEs, PEStats{Pool: tPool, PE: wire.PEIdentifier(i + 1), State: "active", In: uint64(i), Out: uint64(i), Bindings: i})
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(newCollector(func() Stats { return st }, newHistogram().h))
	var buf bytes.Buffer
	b.ReportAllocs()
	for b.Loop() {
		buf.Reset()
		if err := writeText(&buf, reg); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(buf.Len()), "bytes/scrape")
}
