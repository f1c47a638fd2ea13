package gwc

import (
	"bytes"
	"fmt"
	"math"
	"net/http"
	"strconv"
	"strings"
)

// The GWC's metrics in the Prometheus text exposition format (0.0.4),
// rendered from Stats at each scrape, so /metrics and Stats never disagree.
// Every name starts with sigpool_gwc_.

// MetricsHandler serves the metrics (mount it at /metrics).
func (g *GWC) MetricsHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var b bytes.Buffer
		writeMetrics(&b, g.Stats())
		w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
		_, _ = w.Write(b.Bytes())
	})
}

func writeMetrics(b *bytes.Buffer, s Stats) {
	e := expo{b: b}
	e.family("messages_total", "counter", "M3UA/SUA transfer messages exchanged with each SG association")
	for _, p := range s.Peers {
		e.sample("messages_total", float64(p.MessagesIn), "peer", p.Remote, "direction", "in")
		e.sample("messages_total", float64(p.MessagesOut), "peer", p.Remote, "direction", "out")
	}
	e.family("sg_associations", "gauge", "SG associations served")
	e.sample("sg_associations", float64(len(s.Peers)))
	e.family("calls_active", "gauge", "ISUP calls in progress")
	e.sample("calls_active", float64(s.ActiveCalls))
	e.family("dialogues_active", "gauge", "TCAP dialogues in progress")
	e.sample("dialogues_active", float64(s.ActiveDialogues))
	e.family("calls_started_total", "counter", "ISUP calls accepted (IAM)")
	e.sample("calls_started_total", float64(s.CallsStarted))
	e.family("calls_answered_total", "counter", "ISUP calls answered (ANM)")
	e.sample("calls_answered_total", float64(s.CallsAnswered))
	e.family("calls_completed_total", "counter", "ISUP calls ended (released)")
	e.sample("calls_completed_total", float64(s.CallsCompleted))
	e.family("dialogues_started_total", "counter", "TCAP dialogues begun")
	e.sample("dialogues_started_total", float64(s.DialoguesStarted))
	e.family("dialogues_completed_total", "counter", "TCAP dialogues ended")
	e.sample("dialogues_completed_total", float64(s.DialoguesCompleted))
	e.family("restored_total", "counter", "calls and dialogues restored from a Cookie Echo")
	e.sample("restored_total", float64(s.CallsRestored), "kind", "call")
	e.sample("restored_total", float64(s.DialoguesRestored), "kind", "dialogue")
	e.family("cookies_sent_total", "counter", "ASAP Cookies handed to the SG")
	e.sample("cookies_sent_total", float64(s.CookiesSent))
	e.family("cookie_echoes_total", "counter", "ASAP Cookie Echoes received")
	e.sample("cookie_echoes_total", float64(s.CookieEchoes))
	e.family("dropped_total", "counter", "messages dropped: unexpected for the call state, malformed, or not sent")
	e.sample("dropped_total", float64(s.Unexpected), "reason", "unexpected")
	e.sample("dropped_total", float64(s.Malformed), "reason", "malformed")
	e.sample("dropped_total", float64(s.SendFailures), "reason", "send_failed")
	e.family("load", "gauge", "active calls and dialogues over capacity, as registered")
	e.sample("load", s.Load)
}

// expo writes metric families.
type expo struct{ b *bytes.Buffer }

const metricPrefix = "sigpool_gwc_"

func (e expo) family(name, typ, help string) {
	fmt.Fprintf(e.b, "# HELP %s%s %s\n# TYPE %s%s %s\n", metricPrefix, name, help, metricPrefix, name, typ)
}

// sample writes one sample; labels are name, value pairs.
func (e expo) sample(name string, v float64, labels ...string) {
	e.b.WriteString(metricPrefix)
	e.b.WriteString(name)
	if len(labels) > 0 {
		e.b.WriteByte('{')
		for i := 0; i+1 < len(labels); i += 2 {
			if i > 0 {
				e.b.WriteByte(',')
			}
			fmt.Fprintf(e.b, "%s=\"%s\"", labels[i], escapeLabel(labels[i+1]))
		}
		e.b.WriteByte('}')
	}
	e.b.WriteByte(' ')
	switch {
	case math.IsInf(v, 1):
		e.b.WriteString("+Inf")
	case math.IsInf(v, -1):
		e.b.WriteString("-Inf")
	case math.IsNaN(v):
		e.b.WriteString("NaN")
	default:
		e.b.WriteString(strconv.FormatFloat(v, 'g', -1, 64))
	}
	e.b.WriteByte('\n')
}

var labelEscaper = strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)

func escapeLabel(s string) string { return labelEscaper.Replace(s) }
