package scenarios

import (
	"fmt"
	"html/template"
	"io"
	"math"
	"strings"
	"time"
)

// Chart geometry (SVG user units).
const (
	chartW, chartH         = 960, 260
	padL, padR, padT, padB = 64, 16, 16, 36
)

// palette colours one line per GWC; total and marks have their own.
var palette = []string{"#1f77b4", "#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#17becf", "#bcbd22", "#7f7f7f"}

type series struct {
	name, colour string
	dash         bool
	points       []float64 // one per sample
}

// svgChart draws lines over the samples' time axis with the run's fault
// and failover marks, all computed here: the page needs no script.
func (r *Report) svgChart(title, unit string, ss []series) template.HTML {
	var b strings.Builder
	maxY := 0.0
	for _, s := range ss {
		for _, v := range s.points {
			maxY = math.Max(maxY, v)
		}
	}
	maxY = niceCeil(maxY)
	span := r.Duration
	if n := len(r.Samples); n > 0 && r.Samples[n-1].At > span {
		span = r.Samples[n-1].At
	}
	if span <= 0 {
		span = time.Second
	}
	x := func(at time.Duration) float64 {
		return padL + float64(at)/float64(span)*(chartW-padL-padR)
	}
	y := func(v float64) float64 { return chartH - padB - v/maxY*(chartH-padT-padB) }
	fmt.Fprintf(&b, `<svg class="chart" viewBox="0 0 %d %d" role="img" aria-label="%s">`, chartW, chartH, template.HTMLEscapeString(title))
	// Grid and axes.
	for i := 0; i <= 4; i++ {
		v := maxY * float64(i) / 4
		fmt.Fprintf(&b, `<line x1="%d" x2="%d" y1="%.1f" y2="%.1f" class="grid"/>`, padL, chartW-padR, y(v), y(v))
		fmt.Fprintf(&b, `<text x="%d" y="%.1f" class="tick" text-anchor="end">%s</text>`, padL-6, y(v)+4, template.HTMLEscapeString(fmtTick(v)))
	}
	step := tickStep(span)
	for at := time.Duration(0); at <= span; at += step {
		fmt.Fprintf(&b, `<text x="%.1f" y="%d" class="tick" text-anchor="middle">%s</text>`, x(at), chartH-padB+16, template.HTMLEscapeString(at.String()))
	}
	fmt.Fprintf(&b, `<text x="%d" y="%d" class="unit">%s</text>`, padL, padT-2, template.HTMLEscapeString(unit))
	// Failover bands: from the fault until traffic was answered again.
	for _, f := range r.Failovers {
		end := f.At + f.Time
		if !f.OK {
			end = span
		}
		w := math.Max(x(end)-x(f.At), 1.5)
		fmt.Fprintf(&b, `<rect x="%.1f" y="%d" width="%.1f" height="%d" class="failover"><title>%s</title></rect>`,
			x(f.At), padT, w, chartH-padT-padB, template.HTMLEscapeString(fmt.Sprintf("%s %s: %v", f.Target, f.Fault, f.Time.Round(time.Millisecond/10))))
	}
	for _, e := range r.Events {
		if e.Kind != "fault" {
			continue
		}
		fmt.Fprintf(&b, `<line x1="%.1f" x2="%.1f" y1="%d" y2="%d" class="fault"><title>%s</title></line>`,
			x(e.At), x(e.At), padT, chartH-padB, template.HTMLEscapeString(e.Detail))
	}
	// Lines.
	for _, s := range ss {
		if len(s.points) == 0 {
			continue
		}
		var pts strings.Builder
		for i, v := range s.points {
			fmt.Fprintf(&pts, "%.1f,%.1f ", x(r.Samples[i].At), y(v))
		}
		dash := ""
		if s.dash {
			dash = ` stroke-dasharray="5 3"`
		}
		fmt.Fprintf(&b, `<polyline points="%s" fill="none" stroke="%s" stroke-width="1.6"%s><title>%s</title></polyline>`,
			strings.TrimSpace(pts.String()), s.colour, dash, template.HTMLEscapeString(s.name))
	}
	b.WriteString(`</svg><div class="legend">`)
	for _, s := range ss {
		fmt.Fprintf(&b, `<span><i style="background:%s"></i>%s</span>`, s.colour, template.HTMLEscapeString(s.name))
	}
	b.WriteString(`<span><i class="failover-key"></i>failover</span><span><i class="fault-key"></i>fault</span></div>`)
	return template.HTML(b.String()) //nolint:gosec // every text above is escaped
}

func niceCeil(v float64) float64 {
	if v <= 0 {
		return 1
	}
	p := math.Pow(10, math.Floor(math.Log10(v)))
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if m*p >= v {
			return m * p
		}
	}
	return 10 * p
}

func tickStep(span time.Duration) time.Duration {
	for _, s := range []time.Duration{time.Second, 2 * time.Second, 5 * time.Second, 10 * time.Second, 30 * time.Second, time.Minute, 5 * time.Minute} {
		if span/s <= 12 {
			return s
		}
	}
	return 10 * time.Minute
}

func fmtTick(v float64) string {
	if v >= 1000 {
		return fmt.Sprintf("%.0fk", v/1000)
	}
	if v == math.Trunc(v) {
		return fmt.Sprintf("%.0f", v)
	}
	return fmt.Sprintf("%.2g", v)
}

// WriteHTML writes a self-contained page: summary, throughput per GWC and
// latency over time with fault and failover marks, and the tables.
func (r *Report) WriteHTML(w io.Writer) error {
	interval := time.Second
	if len(r.Samples) > 1 {
		interval = r.Samples[1].At - r.Samples[0].At
	}
	perSec := float64(time.Second) / float64(interval)
	var tput []series
	for i, n := range r.gwcNames() {
		s := series{name: n, colour: palette[i%len(palette)]}
		for _, smp := range r.Samples {
			s.points = append(s.points, float64(smp.Answered[n])*perSec)
		}
		tput = append(tput, s)
	}
	total := series{name: "requests answered at the SEP", colour: "#333", dash: true}
	p50 := series{name: "p50", colour: "#1f77b4"}
	p99 := series{name: "p99", colour: "#d62728"}
	for _, smp := range r.Samples {
		total.points = append(total.points, float64(smp.Total)*perSec)
		p50.points = append(p50.points, float64(smp.P50)/1e6)
		p99.points = append(p99.points, float64(smp.P99)/1e6)
	}
	tput = append(tput, total)
	var summary strings.Builder
	_ = r.WriteSummary(&summary)
	data := struct {
		R                 *Report
		Verdict, Summary  string
		Throughput, Delay template.HTML
	}{
		R: r, Verdict: map[bool]string{true: "PASS", false: "FAIL"}[r.Pass], Summary: summary.String(),
		Throughput: r.svgChart("MSUs per second from each GWC", "MSU/s", tput),
		Delay:      r.svgChart("latency", "latency (ms)", []series{p50, p99}),
	}
	if err := reportPage.Execute(w, data); err != nil {
		return fmt.Errorf("report: html: %w", err)
	}
	return nil
}

var reportPage = template.Must(template.New("report").Funcs(template.FuncMap{
	"ms": func(d time.Duration) string { return d.Round(time.Millisecond / 10).String() },
}).Parse(`<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>sigpool scenario {{.R.Scenario}}: {{.Verdict}}</title>
<link rel="icon" href="data:,">
<style>
body{font:14px/1.45 system-ui,sans-serif;margin:24px auto;max-width:1000px;color:#222;padding:0 12px}
h1{font-size:22px;margin:0 0 4px} h2{font-size:16px;margin:28px 0 8px}
.verdict{display:inline-block;padding:2px 10px;border-radius:4px;color:#fff;font-weight:600}
.PASS{background:#2ca02c}.FAIL{background:#d62728}
pre{background:#f6f6f6;padding:10px;overflow-x:auto;font-size:13px}
table{border-collapse:collapse;width:100%} td,th{border-bottom:1px solid #ddd;padding:4px 8px;text-align:left}
.chart{width:100%;height:auto;background:#fff;border:1px solid #e4e4e4}
.grid{stroke:#eee}.tick,.unit{font-size:11px;fill:#666}
.failover{fill:#ff7f0e;fill-opacity:.22}.fault{stroke:#d62728;stroke-width:1.5;stroke-dasharray:3 3}
.legend span{margin-right:14px;font-size:12px}.legend i{display:inline-block;width:12px;height:12px;margin-right:4px;vertical-align:-1px}
.failover-key{background:#ff7f0e;opacity:.4}.fault-key{border-left:2px dashed #d62728;width:0 !important}
.bad{color:#d62728;font-weight:600}
</style></head>
<body>
<h1>Scenario {{.R.Scenario}} <span class="verdict {{.Verdict}}">{{.Verdict}}</span></h1>
{{with .R.Description}}<p>{{.}}</p>{{end}}
<pre>{{.Summary}}</pre>
<h2>Traffic: MSUs per second from each GWC, requests answered at the SEP</h2>
{{.Throughput}}
<h2>Latency</h2>
{{.Delay}}
{{if .R.Outcomes}}<h2>Expectations</h2>
<table><tr><th>expectation</th><th>bound</th><th>measured</th><th>result</th></tr>
{{range .R.Outcomes}}<tr><td>{{.Name}}</td><td>{{.Bound}}</td><td>{{.Measured}}</td><td{{if not .Pass}} class="bad"{{end}}>{{if .Pass}}pass{{else}}FAIL{{end}}</td></tr>
{{end}}</table>{{end}}
{{if .R.Failovers}}<h2>Failovers</h2>
<table><tr><th>GWC</th><th>fault</th><th>at</th><th>traffic back after</th><th>unanswered at the fault</th></tr>
{{range .R.Failovers}}<tr><td>{{.Target}}</td><td>{{.Fault}}</td><td>{{ms .At}}</td><td>{{if .OK}}{{ms .Time}}{{else}}<span class="bad">never</span>{{end}}</td><td>{{.Lost}}</td></tr>
{{end}}</table>{{end}}
{{if .R.Events}}<h2>Timeline</h2>
<table><tr><th>at</th><th>event</th><th>target</th><th>detail</th></tr>
{{range .R.Events}}<tr><td>{{ms .At}}</td><td>{{.Kind}}</td><td>{{.Target}}</td><td>{{.Detail}}</td></tr>
{{end}}</table>{{end}}
</body></html>
`))
