package gwc

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"maps"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil/promlint"
	dto "github.com/prometheus/client_model/go"
	"go.uber.org/zap/zaptest"

	"github.com/sigpool/sigpool/internal/metricstest"
	"github.com/sigpool/sigpool/internal/transporttest"
	"github.com/sigpool/sigpool/mxua"
	"github.com/sigpool/sigpool/mxua/isup"
	"github.com/sigpool/sigpool/transport"
)

// seriesKey names one sample (metricstest.SeriesKey).
var seriesKey = metricstest.SeriesKey

// parseSeries reads a scrape and flattens the sigpool_gwc_ families.
func parseSeries(t *testing.T, r io.Reader) (map[string]float64, map[string]*dto.MetricFamily) {
	t.Helper()
	mfs := metricstest.Parse(t, r)
	return metricstest.Series(t, mfs, "sigpool_gwc_"), mfs
}

// wantSeries is what the scrape must hold for s: the metrics documented
// in docs/gwc.md. Peers with one remote address are summed.
func wantSeries(s Stats) map[string]float64 {
	w := map[string]float64{}
	set := func(name string, v float64, labels ...string) { w[seriesKey("sigpool_gwc_"+name, labels...)] += v }
	for _, p := range s.Peers {
		r := strings.ToValidUTF8(p.Remote, "\uFFFD")
		set("messages_total", float64(p.MessagesIn), "peer", r, "direction", "in")
		set("messages_total", float64(p.MessagesOut), "peer", r, "direction", "out")
	}
	set("sg_associations", float64(len(s.Peers)))
	set("calls_active", float64(s.ActiveCalls))
	set("dialogues_active", float64(s.ActiveDialogues))
	set("calls_started_total", float64(s.CallsStarted))
	set("calls_answered_total", float64(s.CallsAnswered))
	set("calls_completed_total", float64(s.CallsCompleted))
	set("dialogues_started_total", float64(s.DialoguesStarted))
	set("dialogues_completed_total", float64(s.DialoguesCompleted))
	set("restored_total", float64(s.CallsRestored), "kind", "call")
	set("restored_total", float64(s.DialoguesRestored), "kind", "dialogue")
	set("cookies_sent_total", float64(s.CookiesSent))
	set("cookie_echoes_total", float64(s.CookieEchoes))
	set("dropped_total", float64(s.Unexpected), "reason", "unexpected")
	set("dropped_total", float64(s.Malformed), "reason", "malformed")
	set("dropped_total", float64(s.SendFailures), "reason", "send_failed")
	set("refused_associations_total", float64(s.Refused))
	set("load", s.Load)
	return w
}

func checkSeries(t *testing.T, got map[string]float64, s Stats) {
	t.Helper()
	want := wantSeries(s)
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
}

// TestMetricsMatchStats: every number of Stats, each distinct, comes out
// under its documented name; two associations from one address are one
// series, and an address that is not UTF-8 still scrapes.
func TestMetricsMatchStats(t *testing.T) {
	s := Stats{
		AgentStats: AgentStats{ActiveCalls: 1, ActiveDialogues: 2, CallsStarted: 3, CallsAnswered: 4, CallsCompleted: 5,
			DialoguesStarted: 6, DialoguesCompleted: 7, CallsRestored: 8, DialoguesRestored: 9, Unexpected: 10, Malformed: 11},
		Load: 0.375, CookiesSent: 12, CookieEchoes: 13, SendFailures: 14, Refused: 21,
		Peers: []PeerStats{
			{ID: 1, Remote: "127.0.0.1:2905", MessagesIn: 15, MessagesOut: 16},
			{ID: 2, Remote: "127.0.0.1:2905", MessagesIn: 17, MessagesOut: 18},
			{ID: 3, Remote: "sg\xff\"\n", MessagesIn: 19, MessagesOut: 20},
		},
	}
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(newCollector(func() Stats { return s }))
	var b bytes.Buffer
	if err := writeText(&b, reg); err != nil {
		t.Fatal(err)
	}
	got, mfs := parseSeries(t, &b)
	checkSeries(t, got, s)
	if v := got[seriesKey("sigpool_gwc_messages_total", "peer", "127.0.0.1:2905", "direction", "in")]; v != 15+17 {
		t.Errorf("one address's messages in: %v, want %d", v, 15+17)
	}
	problems, err := promlint.NewWithMetricFamilies(slices.Collect(maps.Values(mfs))).Lint()
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range problems {
		t.Errorf("lint: %s: %s", p.Metric, p.Text)
	}
}

// TestGWCMetricsEndpointMatchesStats: a running GWC's /metrics, read
// between two equal Stats snapshots, says what Stats says, with the Go
// runtime's metrics beside.
func TestGWCMetricsEndpointMatchesStats(t *testing.T) {
	scheme := transporttest.Scheme(t)
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	profile, err := transport.LookupProfile("carrier")
	if err != nil {
		t.Fatal(err)
	}
	reg := startRegistrar(t, ctx, scheme, profile)
	g, err := Start(ctx, Config{Pool: testPool, Registrars: []string{reg}, Listen: scheme + "://127.0.0.1:0",
		Identifier: 0x100, Profile: profile, RoutingContext: testRC,
		Agent:    AgentConfig{AnswerDelay: time.Millisecond, Seed: 1},
		Capacity: 10, LoadInterval: 10 * time.Millisecond, Metrics: "127.0.0.1:0", Logger: zaptest.NewLogger(t)})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = g.Close() })
	if err := g.Registered(ctx); err != nil {
		t.Fatal(err)
	}
	sg := newSGPeer(t, ctx, mxua.M3UA, profile)
	sg.dialPool(ctx, reg, 1)
	sg.pump()
	sa := sg.assocs[0x100]
	select {
	case <-sa.active:
	case <-ctx.Done():
		t.Fatal("GWC never went ASP-ACTIVE")
	}
	sg.send(t, ctx, sa, isupFromSEP(t, iam(1)))
	sa.recvISUP(t, ctx, isup.MsgACM)
	sa.recvISUP(t, ctx, isup.MsgANM)
	waitStats(t, ctx, g, "GWC", func(s Stats) bool { return s.CallsAnswered == 1 && s.CookiesSent == 2 })

	for {
		before := g.Stats()
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+g.MetricsAddr()+"/metrics", nil)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if ct := resp.Header.Get("Content-Type"); err != nil || resp.StatusCode != http.StatusOK || !strings.HasPrefix(ct, "text/plain; version=0.0.4") {
			t.Fatalf("scrape: %d %q %v", resp.StatusCode, ct, err)
		}
		after := g.Stats()
		if fmt.Sprint(before) != fmt.Sprint(after) {
			continue // the load or a counter moved meanwhile: read again
		}
		got, mfs := parseSeries(t, bytes.NewReader(body))
		checkSeries(t, got, after)
		if got[seriesKey("sigpool_gwc_calls_active")] != 1 || len(after.Peers) != 1 {
			t.Errorf("one call on one association: %v", got)
		}
		if _, ok := mfs["go_goroutines"]; !ok {
			t.Error("scrape lacks go_goroutines")
		}
		return
	}
}
