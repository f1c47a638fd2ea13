package gwc

import (
	"fmt"
	"io"
	"net/http"
	"strings"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"github.com/prometheus/common/expfmt"
	"go.uber.org/zap"
)

// The GWC's metrics are read from Stats by a prometheus.Collector at each
// scrape, so /metrics and Stats never disagree. Every name starts with
// sigpool_gwc_. Each GWC has its own prometheus.Registry: several can run
// in one process (tests) without clashing.

const (
	metricsNamespace = "sigpool"
	metricsSubsystem = "gwc"
	// maxScrapes bounds concurrent scrapes: each one waits its turn in the
	// call agent's loop for a Stats snapshot.
	maxScrapes = 4
)

// collector turns a Stats snapshot into metrics.
type collector struct {
	stats func() Stats

	messages, associations, callsActive, dialoguesActive, callsStarted, callsAnswered, callsCompleted,
	dialoguesStarted, dialoguesCompleted, restored, cookiesSent, cookieEchoes, dropped, refused, load *prometheus.Desc
}

func newCollector(stats func() Stats) *collector {
	d := func(name, help string, labels ...string) *prometheus.Desc {
		return prometheus.NewDesc(prometheus.BuildFQName(metricsNamespace, metricsSubsystem, name), help, labels, nil)
	}
	return &collector{stats: stats,
		messages:           d("messages_total", "M3UA/SUA transfer messages exchanged with each SG association.", "peer", "direction"),
		associations:       d("sg_associations", "SG associations served."),
		callsActive:        d("calls_active", "ISUP calls in progress."),
		dialoguesActive:    d("dialogues_active", "TCAP dialogues in progress."),
		callsStarted:       d("calls_started_total", "ISUP calls accepted (IAM)."),
		callsAnswered:      d("calls_answered_total", "ISUP calls answered (ANM)."),
		callsCompleted:     d("calls_completed_total", "ISUP calls ended (released)."),
		dialoguesStarted:   d("dialogues_started_total", "TCAP dialogues begun."),
		dialoguesCompleted: d("dialogues_completed_total", "TCAP dialogues ended."),
		restored:           d("restored_total", "Calls and dialogues restored from a Cookie Echo.", "kind"),
		cookiesSent:        d("cookies_sent_total", "ASAP Cookies handed to the SG."),
		cookieEchoes:       d("cookie_echoes_total", "ASAP Cookie Echoes received."),
		dropped:            d("dropped_total", "Messages dropped: unexpected for the call state, malformed, or not sent.", "reason"),
		refused:            d("refused_associations_total", "Associations the authorization policy turned away."),
		load:               d("load", "Active calls and dialogues over capacity, as registered."),
	}
}

// Describe sends every descriptor, so the registry checks each scrape.
func (c *collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.messages, c.associations, c.callsActive, c.dialoguesActive, c.callsStarted,
		c.callsAnswered, c.callsCompleted, c.dialoguesStarted, c.dialoguesCompleted, c.restored, c.cookiesSent,
		c.cookieEchoes, c.dropped, c.refused, c.load} {
		ch <- d
	}
}

// Collect reads one Stats snapshot.
func (c *collector) Collect(ch chan<- prometheus.Metric) {
	s := c.stats()
	counter := func(d *prometheus.Desc, v uint64, labels ...string) {
		emit(ch, d, prometheus.CounterValue, float64(v), labels)
	}
	gauge := func(d *prometheus.Desc, v float64, labels ...string) { emit(ch, d, prometheus.GaugeValue, v, labels) }

	// Two associations from one remote address would be one series twice,
	// which the registry refuses: such peers are summed.
	type dir struct{ in, out uint64 }
	var remotes []string
	byRemote := map[string]dir{}
	for _, p := range s.Peers {
		r := strings.ToValidUTF8(p.Remote, "\uFFFD")
		d, ok := byRemote[r]
		if !ok {
			remotes = append(remotes, r)
		}
		byRemote[r] = dir{d.in + p.MessagesIn, d.out + p.MessagesOut}
	}
	for _, r := range remotes {
		counter(c.messages, byRemote[r].in, r, "in")
		counter(c.messages, byRemote[r].out, r, "out")
	}
	gauge(c.associations, float64(len(s.Peers)))
	gauge(c.callsActive, float64(s.ActiveCalls))
	gauge(c.dialoguesActive, float64(s.ActiveDialogues))
	counter(c.callsStarted, s.CallsStarted)
	counter(c.callsAnswered, s.CallsAnswered)
	counter(c.callsCompleted, s.CallsCompleted)
	counter(c.dialoguesStarted, s.DialoguesStarted)
	counter(c.dialoguesCompleted, s.DialoguesCompleted)
	counter(c.restored, s.CallsRestored, "call")
	counter(c.restored, s.DialoguesRestored, "dialogue")
	counter(c.cookiesSent, s.CookiesSent)
	counter(c.cookieEchoes, s.CookieEchoes)
	counter(c.refused, s.Refused)
	counter(c.dropped, s.Unexpected, "unexpected")
	counter(c.dropped, s.Malformed, "malformed")
	counter(c.dropped, s.SendFailures, "send_failed")
	gauge(c.load, s.Load)
}

// emit sends one sample, or an invalid metric naming what failed (the
// registry reports it and the scrape goes on without it).
func emit(ch chan<- prometheus.Metric, d *prometheus.Desc, t prometheus.ValueType, v float64, labels []string) {
	m, err := prometheus.NewConstMetric(d, t, v, labels...)
	if err != nil {
		m = prometheus.NewInvalidMetric(d, fmt.Errorf("gwc: metric %v%q: %w", d, labels, err))
	}
	ch <- m
}

// Collector returns the GWC's metrics (every name starts with
// sigpool_gwc_) for a registry of the caller's; register it once per
// registry.
func (g *GWC) Collector() prometheus.Collector { return newCollector(g.Stats) }

// Registry returns a new registry with the GWC's metrics and the Go
// runtime and process ones (go_*, process_*).
func (g *GWC) Registry() *prometheus.Registry {
	reg := prometheus.NewRegistry()
	reg.MustRegister(g.Collector(), collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	return reg
}

// WriteMetrics writes the GWC's metrics (not the go_* and process_* ones)
// in the Prometheus text format.
func (g *GWC) WriteMetrics(w io.Writer) error {
	reg := prometheus.NewRegistry()
	if err := reg.Register(g.Collector()); err != nil {
		return fmt.Errorf("gwc: metrics: %w", err)
	}
	return writeText(w, reg)
}

// writeText writes what g gathers in the text format; a collection error
// is returned after the metrics that could be gathered were written.
func writeText(w io.Writer, g prometheus.Gatherer) error {
	mfs, gerr := g.Gather()
	for _, mf := range mfs {
		if _, err := expfmt.MetricFamilyToText(w, mf); err != nil {
			return fmt.Errorf("gwc: writing metrics: %w", err)
		}
	}
	if gerr != nil {
		return fmt.Errorf("gwc: gathering metrics: %w", gerr)
	}
	return nil
}

// MetricsHandler serves Registry (mount it at /metrics; text format 0.0.4
// unless the scraper asks for another). A metric that cannot be collected
// is logged and left out rather than failing the whole scrape.
func (g *GWC) MetricsHandler() http.Handler {
	reg := g.Registry()
	log := g.log
	if log == nil {
		log = zap.NewNop()
	}
	return promhttp.HandlerFor(reg, promhttp.HandlerOpts{
		ErrorLog:            zap.NewStdLog(log.Named("metrics")),
		ErrorHandling:       promhttp.ContinueOnError,
		Registry:            reg,
		MaxRequestsInFlight: maxScrapes,
	})
}
