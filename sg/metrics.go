package sg

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"time"

	"go.uber.org/zap"

	"github.com/sigpool/sigpool/wire"
)

// The metrics are written in the Prometheus text exposition format
// (version 0.0.4) from the core's counters at scrape time, so the traffic
// path pays nothing for them.

// failoverBuckets are the upper bounds (seconds) of the failover time
// histogram: around the carrier profile's sub-second budget (ITU-T Q.704
// changeover T1 is 500-1200 ms) up to the rfc4960 profile's tens of seconds.
var failoverBuckets = []float64{0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60}

// histogram is a cumulative Prometheus histogram (guarded by SG.mu).
type histogram struct {
	counts []uint64 // per bucket, not cumulative; last is +Inf
	sum    float64
	n      uint64
}

func newHistogram() histogram { return histogram{counts: make([]uint64, len(failoverBuckets)+1)} }

func (h *histogram) observe(d time.Duration) {
	v := d.Seconds()
	i := 0
	for i < len(failoverBuckets) && v > failoverBuckets[i] {
		i++
	}
	h.counts[i]++
	h.sum += v
	h.n++
}

// WriteMetrics writes the SG's metrics in the Prometheus text format.
func (s *SG) WriteMetrics(w io.Writer) error {
	st := s.Stats()
	s.mu.Lock()
	h := histogram{counts: append([]uint64(nil), s.hist.counts...), sum: s.hist.sum, n: s.hist.n}
	s.mu.Unlock()
	pes := uniquePEs(st.PEs)
	bw := bufio.NewWriter(w)
	mw := metricWriter{w: bw}
	mw.family("sg_messages_total", "counter", "Messages through the SG by direction.")
	for _, d := range []struct {
		dir string
		v   uint64
	}{{"from_ss7", st.FromSS7}, {"to_pool", st.ToPool}, {"from_pool", st.FromPool}, {"to_ss7", st.ToSS7}} {
		mw.sample("sg_messages_total", d.v, "direction", d.dir)
	}
	mw.family("sg_peer_messages_total", "counter", "Messages from (in) and to (out) each GWC and upstream ASP.")
	for _, p := range pes {
		pe := p.PE.String()
		mw.sample("sg_peer_messages_total", p.In, "side", "gwc", "pool", p.Pool, "peer", pe, "direction", "in")
		mw.sample("sg_peer_messages_total", p.Out, "side", "gwc", "pool", p.Pool, "peer", pe, "direction", "out")
	}
	for _, u := range st.Upstream {
		peer := u.Protocol.String() + "/" + strconv.FormatUint(uint64(u.Assoc), 10)
		mw.sample("sg_peer_messages_total", u.In, "side", "ss7", "pool", "", "peer", peer, "direction", "in")
		mw.sample("sg_peer_messages_total", u.Out, "side", "ss7", "pool", "", "peer", peer, "direction", "out")
	}
	mw.family("sg_failovers_total", "counter", "ACTIVE GWCs lost (association, BEAT, ASP state or resolution).")
	mw.sample("sg_failovers_total", st.Failovers)
	mw.family("sg_failover_seconds", "histogram", "From the oldest message a lost GWC left unanswered to the move of its bindings.")
	var cum uint64
	for i, ub := range failoverBuckets {
		cum += h.counts[i]
		mw.sample("sg_failover_seconds_bucket", cum, "le", strconv.FormatFloat(ub, 'g', -1, 64))
	}
	cum += h.counts[len(failoverBuckets)]
	mw.sample("sg_failover_seconds_bucket", cum, "le", "+Inf")
	mw.line("sg_failover_seconds_sum", strconv.FormatFloat(h.sum, 'g', -1, 64))
	mw.sample("sg_failover_seconds_count", h.n)
	mw.family("sg_lost_messages_total", "counter", "Messages lost GWCs had received but not answered.")
	mw.sample("sg_lost_messages_total", st.Lost)
	mw.family("sg_dropped_messages_total", "counter", "Messages the SG could not deliver, by reason.")
	for _, d := range []struct {
		reason string
		v      uint64
	}{{"no_route", st.NoRoute}, {"protocol_mismatch", st.ProtocolMismatch}, {"no_gwc", st.NoPE}, {"buffer_full", st.BufferFull},
		{"hold_expired", st.HoldExpired}, {"send_failed", st.SendFailures}, {"upstream", st.UpstreamDropped}, {"slow_queue_full", st.SlowDropped}} {
		mw.sample("sg_dropped_messages_total", d.v, "reason", d.reason)
	}
	mw.family("sg_bindings", "gauge", "Bindings (calls, dialogues, SLS) per GWC.")
	for _, p := range pes {
		mw.sample("sg_bindings", uint64(p.Bindings), "pool", p.Pool, "peer", p.PE.String())
	}
	mw.family("sg_pool_size", "gauge", "GWCs per pool: known from resolution, ASP-ACTIVE.")
	for _, p := range st.Pools {
		mw.sample("sg_pool_size", uint64(p.Known), "pool", p.Handle, "state", "known")
		mw.sample("sg_pool_size", uint64(p.Active), "pool", p.Handle, "state", "active")
	}
	mw.family("sg_buffered_messages", "gauge", "Messages held while their bindings move.")
	mw.sample("sg_buffered_messages", uint64(st.Buffered))
	mw.family("sg_cookies_total", "counter", "ASAP Cookies received and ignored, Cookie Echoes sent.")
	mw.sample("sg_cookies_total", st.CookiesIn, "kind", "received")
	mw.sample("sg_cookies_total", st.CookiesIgnored, "kind", "ignored")
	mw.sample("sg_cookies_total", st.CookieEchoes, "kind", "echoed")
	mw.family("sg_rehomed_bindings_total", "counter", "Bindings moved to a surviving GWC.")
	mw.sample("sg_rehomed_bindings_total", st.Rehomed)
	if mw.err != nil {
		return mw.err
	}
	return bw.Flush()
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

type metricWriter struct {
	w   *bufio.Writer
	err error
}

func (m *metricWriter) family(name, typ, help string) {
	m.printf("# HELP %s %s\n# TYPE %s %s\n", name, help, name, typ)
}

func (m *metricWriter) sample(name string, v uint64, labels ...string) {
	m.line(name, strconv.FormatUint(v, 10), labels...)
}

func (m *metricWriter) line(name, v string, labels ...string) {
	m.printf("%s", name)
	if len(labels) > 0 {
		m.printf("{")
		for i := 0; i+1 < len(labels); i += 2 {
			if i > 0 {
				m.printf(",")
			}
			m.printf("%s=%s", labels[i], strconv.Quote(labels[i+1]))
		}
		m.printf("}")
	}
	m.printf(" %s\n", v)
}

func (m *metricWriter) printf(format string, args ...any) {
	if m.err == nil {
		_, m.err = fmt.Fprintf(m.w, format, args...)
	}
}

// MetricsHandler serves WriteMetrics.
func (s *SG) MetricsHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
		_ = s.WriteMetrics(w)
	})
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
