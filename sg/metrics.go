package sg

import (
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/prometheus/common/expfmt"
	"go.uber.org/zap"

	"github.com/sigpool/sigpool/wire"
)

// The SG's metrics are read from Stats by a prometheus.Collector at scrape
// time, so the traffic path pays nothing for them; only the failover time
// histogram is observed as failovers happen (they are rare). Each SG has
// its own prometheus.Registry: several SGs can run in one process (tests,
// benchmarks) without clashing.

const (
	metricsNamespace = "sigpool"
	metricsSubsystem = "sg"
	// maxScrapes bounds concurrent scrapes: each one takes the core's lock
	// for a Stats snapshot, which the traffic path also needs.
	maxScrapes = 4
)

// failoverBuckets are the upper bounds (seconds) of the failover time
// histogram: around the carrier profile's sub-second budget (ITU-T Q.704
// changeover T1 is 500-1200 ms) up to the rfc4960 profile's tens of seconds.
var failoverBuckets = []float64{0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60}

// histogram holds the failover times since start. Stats keeps only the
// latest maxFailoverTimes, which would not make a monotonic histogram.
type histogram struct{ h prometheus.Histogram }

func newHistogram() histogram {
	return histogram{h: prometheus.NewHistogram(prometheus.HistogramOpts{
		Namespace: metricsNamespace, Subsystem: metricsSubsystem, Name: "failover_seconds",
		Help:    "From the oldest message a lost GWC left unanswered to the move of its bindings.",
		Buckets: failoverBuckets,
	})}
}

func (h histogram) observe(d time.Duration) {
	if h.h != nil {
		h.h.Observe(d.Seconds())
	}
}

// collector turns a Stats snapshot into metrics.
type collector struct {
	stats func() Stats
	hist  prometheus.Histogram // nil: no histogram

	messages, peerMessages, failovers, lost, resent, dropped, bindings, poolSize,
	buffered, cookies, rehomed, gwcFailures, congested, bindingEvents *prometheus.Desc
}

func newCollector(stats func() Stats, hist prometheus.Histogram) *collector {
	d := func(name, help string, labels ...string) *prometheus.Desc {
		return prometheus.NewDesc(prometheus.BuildFQName(metricsNamespace, metricsSubsystem, name), help, labels, nil)
	}
	return &collector{stats: stats, hist: hist,
		messages:      d("messages_total", "Messages through the SG by direction.", "direction"),
		peerMessages:  d("peer_messages_total", "Messages from (in) and to (out) each GWC and upstream ASP.", "side", "pool", "peer", "direction"),
		failovers:     d("failovers_total", "ACTIVE GWCs lost (association, BEAT, ASP state or resolution)."),
		lost:          d("lost_messages_total", "Messages lost GWCs had received but not answered."),
		resent:        d("resent_messages_total", "Messages lost GWCs had left unanswered, queued again for the survivors."),
		dropped:       d("dropped_messages_total", "Messages the SG could not deliver, by reason.", "reason"),
		bindings:      d("bindings", "Bindings (calls, dialogues, SLS) per GWC.", "pool", "peer"),
		poolSize:      d("pool_size", "GWCs per pool: known from resolution, ASP-ACTIVE.", "pool", "state"),
		buffered:      d("buffered_messages", "Messages held while their bindings move."),
		cookies:       d("cookies_total", "ASAP Cookies received and ignored, Cookie Echoes sent and failed.", "kind"),
		rehomed:       d("rehomed_bindings_total", "Bindings moved to a surviving GWC."),
		gwcFailures:   d("gwc_failures_total", "Times each GWC was lost or could not be dialed.", "pool", "peer"),
		congested:     d("gwc_congested", "1 while the GWC's association is congested: new bindings go to the others.", "pool", "peer"),
		bindingEvents: d("binding_events_total", "Bindings created, ended, and expired idle.", "event"),
	}
}

// Describe sends every descriptor, so the registry checks each scrape.
func (c *collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.messages, c.peerMessages, c.failovers, c.lost, c.resent, c.dropped, c.bindings,
		c.poolSize, c.buffered, c.cookies, c.rehomed, c.gwcFailures, c.congested, c.bindingEvents} {
		ch <- d
	}
	if c.hist != nil {
		c.hist.Describe(ch)
	}
}

// Collect reads one Stats snapshot.
func (c *collector) Collect(ch chan<- prometheus.Metric) {
	st := c.stats()
	counter := func(d *prometheus.Desc, v uint64, labels ...string) {
		emit(ch, d, prometheus.CounterValue, float64(v), labels)
	}
	gauge := func(d *prometheus.Desc, v int, labels ...string) {
		emit(ch, d, prometheus.GaugeValue, float64(v), labels)
	}

	counter(c.messages, st.FromSS7, "from_ss7")
	counter(c.messages, st.ToPool, "to_pool")
	counter(c.messages, st.FromPool, "from_pool")
	counter(c.messages, st.ToSS7, "to_ss7")
	pes := uniquePEs(st.PEs)
	for _, p := range pes {
		pe := p.PE.String()
		counter(c.peerMessages, p.In, "gwc", p.Pool, pe, "in")
		counter(c.peerMessages, p.Out, "gwc", p.Pool, pe, "out")
		gauge(c.bindings, p.Bindings, p.Pool, pe)
		counter(c.gwcFailures, p.Failures, p.Pool, pe)
		congested := 0
		if p.Congested {
			congested = 1
		}
		gauge(c.congested, congested, p.Pool, pe)
	}
	for _, u := range st.Upstream {
		peer := u.Protocol.String() + "/" + strconv.FormatUint(uint64(u.Assoc), 10)
		if u.Uplink != "" {
			peer = u.Protocol.String() + " uplink " + u.Uplink
		}
		counter(c.peerMessages, u.In, "ss7", "", peer, "in")
		counter(c.peerMessages, u.Out, "ss7", "", peer, "out")
	}
	counter(c.failovers, st.Failovers)
	counter(c.lost, st.Lost)
	counter(c.resent, st.Resent)
	for _, d := range []struct {
		reason string
		v      uint64
	}{{"no_route", st.NoRoute}, {"protocol_mismatch", st.ProtocolMismatch}, {"no_gwc", st.NoPE}, {"buffer_full", st.BufferFull},
		{"hold_expired", st.HoldExpired}, {"send_failed", st.SendFailures}, {"upstream", st.UpstreamDropped}, {"slow_queue_full", st.SlowDropped}} {
		counter(c.dropped, d.v, d.reason)
	}
	for _, p := range st.Pools {
		gauge(c.poolSize, p.Known, p.Handle, "known")
		gauge(c.poolSize, p.Active, p.Handle, "active")
	}
	gauge(c.buffered, st.Buffered)
	counter(c.cookies, st.CookiesIn, "received")
	counter(c.cookies, st.CookiesIgnored, "ignored")
	counter(c.cookies, st.CookieEchoes, "echoed")
	counter(c.cookies, st.EchoFailures, "echo_failed")
	counter(c.rehomed, st.Rehomed)
	counter(c.bindingEvents, st.BindingsCreated, "created")
	counter(c.bindingEvents, st.BindingsEnded, "ended")
	counter(c.bindingEvents, st.BindingsExpired, "expired")
	if c.hist != nil {
		c.hist.Collect(ch)
	}
}

// emit sends one sample. Label values come from configuration (pool
// handles) and must be UTF-8 in the exposition: others are repaired, not
// dropped, so the pool stays visible.
func emit(ch chan<- prometheus.Metric, d *prometheus.Desc, t prometheus.ValueType, v float64, labels []string) {
	for i, l := range labels {
		labels[i] = strings.ToValidUTF8(l, "\uFFFD")
	}
	m, err := prometheus.NewConstMetric(d, t, v, labels...)
	if err != nil {
		m = prometheus.NewInvalidMetric(d, fmt.Errorf("sg: metric %v%q: %w", d, labels, err))
	}
	ch <- m
}

// uniquePEs keeps one entry per pool and PE (a PE may have left its pool
// and come back): the current one, else the latest.
func uniquePEs(all []PEStats) []PEStats {
	type id struct {
		pool string
		pe   wire.PEIdentifier
	}
	at := map[id]int{}
	var out []PEStats
	for _, p := range all {
		k := id{p.Pool, p.PE}
		i, ok := at[k]
		switch {
		case !ok:
			at[k] = len(out)
			out = append(out, p)
		case out[i].State == "gone":
			out[i] = p
		}
	}
	return out
}

// Collector returns the SG's metrics (every name starts with sigpool_sg_)
// for a registry of the caller's; register it once per registry.
func (s *SG) Collector() prometheus.Collector { return newCollector(s.Stats, s.hist.h) }

// Registry returns a new registry with the SG's metrics and the Go
// runtime and process ones (go_*, process_*).
func (s *SG) Registry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(s.Collector(), collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return reg
}

// WriteMetrics writes the SG's metrics (not the go_* and process_* ones)
// in the Prometheus text format.
func (s *SG) WriteMetrics(w io.Writer) error {
	reg := prometheus.NewRegistry()
	if err := reg.Register(s.Collector()); err != nil {
		return fmt.Errorf("sg: metrics: %w", err)
	}
	return writeText(w, reg)
}

// writeText writes what g gathers in the text format; a collection error
// is returned after the metrics that could be gathered were written.
func writeText(w io.Writer, g prometheus.Gatherer) error {
	mfs, gerr := g.Gather()
	for _, mf := range mfs {
		if _, err := expfmt.MetricFamilyToText(w, mf); err != nil {
			return fmt.Errorf("sg: writing metrics: %w", err)
		}
	}
	if gerr != nil {
		return fmt.Errorf("sg: gathering metrics: %w", gerr)
	}
	return nil
}

// MetricsHandler serves Registry at /metrics (text format 0.0.4 unless the
// scraper asks for another). A metric that cannot be collected is logged
// and left out rather than failing the whole scrape.
func (s *SG) MetricsHandler() http.Handler {
	reg := s.Registry()
	return promhttp.HandlerFor(reg, promhttp.HandlerOpts{
		ErrorLog:            zap.NewStdLog(s.logger().Named("metrics")),
		ErrorHandling:       promhttp.ContinueOnError,
		Registry:            reg,
		MaxRequestsInFlight: maxScrapes,
	})
}

func (s *SG) logger() *zap.Logger {
	if s.log == nil {
		return zap.NewNop()
	}
	return s.log
}

func (s *SG) serveMetrics(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("sg: metrics on %s: %w", addr, err)
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", s.MetricsHandler())
	s.metricsLn = ln
	s.metricsSrv = &http.Server{Handler: mux, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		if err := s.metricsSrv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			s.log.Error("metrics server stopped", zap.Error(err))
		}
	}()
	return nil
}
