package scenarios

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"time"
)

// Report is what a scenario run measured and whether its expectations
// held. It is written as report.json, report.html and a terminal summary.
type Report struct {
	Scenario    string        `json:"scenario"`
	Description string        `json:"description,omitempty"`
	File        string        `json:"file,omitempty"`
	Started     time.Time     `json:"started"`
	Duration    time.Duration `json:"duration_ns"`
	Topology    Topology      `json:"topology"`
	Totals      Totals        `json:"totals"`
	Failovers   []Failover    `json:"failovers"`
	Events      []Event       `json:"events"`
	Samples     []Sample      `json:"samples"`
	Outcomes    []Outcome     `json:"expectations"`
	Pass        bool          `json:"pass"`
	// Error is set when the run itself failed (a process did not start).
	Error string `json:"error,omitempty"`
}

// Totals over the whole run.
type Totals struct {
	CallsAttempted     int64         `json:"calls_attempted"`
	CallsCompleted     int64         `json:"calls_completed"`
	DialoguesAttempted int64         `json:"dialogues_attempted"`
	DialoguesCompleted int64         `json:"dialogues_completed"`
	MSUsSent           int64         `json:"msus_sent"`
	MSUsAnswered       int64         `json:"msus_answered"`
	HeldBack           int64         `json:"held_back"`           // not started: the SEP's association was congested
	MessagesLost       int64         `json:"messages_lost"`       // after detection
	UnansweredAtFault  int64         `json:"unanswered_at_fault"` // held by a GWC when it failed
	LatencyP50         time.Duration `json:"latency_p50_ns"`
	LatencyP99         time.Duration `json:"latency_p99_ns"`
	Throughput         float64       `json:"throughput_msu_per_s"` // answered MSUs per second
}

// Failover is one GWC fault and how traffic got over it.
type Failover struct {
	Target string        `json:"target"`
	Fault  string        `json:"fault"`
	At     time.Duration `json:"at_ns"`     // fault time from the start
	Time   time.Duration `json:"time_ns"`   // fault -> its traffic answered again
	Lost   int64         `json:"lost"`      // unanswered messages the GWC held
	OK     bool          `json:"recovered"` // traffic came back before the end
}

// Event is a mark on the timeline.
type Event struct {
	At     time.Duration `json:"at_ns"`
	Kind   string        `json:"kind"`
	Target string        `json:"target,omitempty"`
	Detail string        `json:"detail,omitempty"`
}

// Sample is one interval of the timeline.
type Sample struct {
	At       time.Duration    `json:"at_ns"`
	Answered map[string]int64 `json:"answered_per_gwc"`
	Total    int64            `json:"answered"`
	P50      time.Duration    `json:"latency_p50_ns"`
	P99      time.Duration    `json:"latency_p99_ns"`
}

// Outcome is one expectation checked.
type Outcome struct {
	Name     string `json:"name"`
	Bound    string `json:"bound"`
	Measured string `json:"measured"`
	Pass     bool   `json:"pass"`
}

// Evaluate checks the scenario's expectations against the report's
// measurements and sets Outcomes and Pass.
func (r *Report) Evaluate(e Expectations) {
	r.Outcomes = r.Outcomes[:0]
	add := func(name string, b *Bound, v float64, shown string) {
		if b == nil {
			return
		}
		r.Outcomes = append(r.Outcomes, Outcome{Name: name, Bound: b.String(), Measured: shown, Pass: b.Holds(v)})
	}
	ratio := func(done, all int64) float64 {
		if all == 0 {
			return 0
		}
		return float64(done) / float64(all)
	}
	t := r.Totals
	cr, dr := ratio(t.CallsCompleted, t.CallsAttempted), ratio(t.DialoguesCompleted, t.DialoguesAttempted)
	add("call_success_ratio", e.CallSuccessRatio, cr, fmt.Sprintf("%.4f (%d of %d)", cr, t.CallsCompleted, t.CallsAttempted))
	add("dialogue_success_ratio", e.DialogueSuccessRatio, dr, fmt.Sprintf("%.4f (%d of %d)", dr, t.DialoguesCompleted, t.DialoguesAttempted))
	if e.FailoverTime != nil {
		if len(r.Failovers) == 0 {
			r.Outcomes = append(r.Outcomes, Outcome{Name: "failover_time", Bound: e.FailoverTime.String(), Measured: "no failover measured"})
		}
		for _, f := range r.Failovers {
			shown := f.Time.Round(time.Millisecond / 10).String()
			v := f.Time.Seconds()
			if !f.OK {
				shown, v = "traffic never came back", 1e18
			}
			add("failover_time "+f.Target, e.FailoverTime, v, shown)
		}
	}
	add("messages_lost", e.MessagesLost, float64(t.MessagesLost), fmt.Sprint(t.MessagesLost))
	add("latency_p50", e.LatencyP50, t.LatencyP50.Seconds(), t.LatencyP50.String())
	add("latency_p99", e.LatencyP99, t.LatencyP99.Seconds(), t.LatencyP99.String())
	add("throughput", e.Throughput, t.Throughput, fmt.Sprintf("%.0f MSU/s", t.Throughput))
	r.Pass = r.Error == ""
	for _, o := range r.Outcomes {
		r.Pass = r.Pass && o.Pass
	}
}

// WriteJSON writes the report as indented JSON.
func (r *Report) WriteJSON(w io.Writer) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	if err := enc.Encode(r); err != nil {
		return fmt.Errorf("report: json: %w", err)
	}
	return nil
}

// WriteSummary writes the readable summary printed at the end of a run.
func (r *Report) WriteSummary(w io.Writer) error {
	var b strings.Builder
	verdict := "PASS"
	if !r.Pass {
		verdict = "FAIL"
	}
	fmt.Fprintf(&b, "scenario %s: %s (%v)\n", r.Scenario, verdict, r.Duration.Round(time.Millisecond))
	tp := r.Topology
	fmt.Fprintf(&b, "  topology   %d registrar(s), %d GWC(s), 1 SG, %s over %s, profile %s\n",
		tp.Registrars, tp.GWCs, strings.ToUpper(tp.Protocol), tp.Transport, tp.Profile)
	t := r.Totals
	if t.CallsAttempted > 0 {
		fmt.Fprintf(&b, "  calls      %d completed of %d\n", t.CallsCompleted, t.CallsAttempted)
	}
	if t.DialoguesAttempted > 0 {
		fmt.Fprintf(&b, "  dialogues  %d completed of %d\n", t.DialoguesCompleted, t.DialoguesAttempted)
	}
	fmt.Fprintf(&b, "  MSUs       %d sent, %d answered, %.0f answered/s\n", t.MSUsSent, t.MSUsAnswered, t.Throughput)
	if t.HeldBack > 0 {
		fmt.Fprintf(&b, "  held back  %d calls, dialogues and requests not started: the SEP's association to the SG was congested\n", t.HeldBack)
	}
	if t.LatencyP99 > 0 { // a capture replay matches no answers to requests
		fmt.Fprintf(&b, "  latency    p50 %v, p99 %v\n", t.LatencyP50.Round(time.Microsecond), t.LatencyP99.Round(time.Microsecond))
	}
	fmt.Fprintf(&b, "  lost       %d after detection, %d held by failed GWCs\n", t.MessagesLost, t.UnansweredAtFault)
	for _, f := range r.Failovers {
		if f.OK {
			fmt.Fprintf(&b, "  failover   %s %s at %v: traffic answered again after %v (%d unanswered at the fault)\n",
				f.Target, f.Fault, f.At.Round(time.Millisecond), f.Time.Round(time.Millisecond/10), f.Lost)
		} else {
			fmt.Fprintf(&b, "  failover   %s %s at %v: traffic did not come back\n", f.Target, f.Fault, f.At.Round(time.Millisecond))
		}
	}
	for _, o := range r.Outcomes {
		mark := "ok  "
		if !o.Pass {
			mark = "FAIL"
		}
		fmt.Fprintf(&b, "  expect %s %s %s: measured %s\n", mark, o.Name, o.Bound, o.Measured)
	}
	if r.Error != "" {
		fmt.Fprintf(&b, "  error      %s\n", r.Error)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// WriteFiles writes report.json and report.html into dir.
func (r *Report) WriteFiles(dir string) (jsonPath, htmlPath string, err error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return "", "", fmt.Errorf("report: %w", err)
	}
	jsonPath, htmlPath = filepath.Join(dir, "report.json"), filepath.Join(dir, "report.html")
	for _, f := range []struct {
		path  string
		write func(io.Writer) error
	}{{jsonPath, r.WriteJSON}, {htmlPath, r.WriteHTML}} {
		out, err := os.Create(f.path)
		if err != nil {
			return "", "", fmt.Errorf("report: %w", err)
		}
		werr := f.write(out)
		if cerr := out.Close(); werr == nil && cerr != nil {
			werr = fmt.Errorf("report: %w", cerr)
		}
		if werr != nil {
			return "", "", werr
		}
	}
	return jsonPath, htmlPath, nil
}

// gwcNames lists the GWCs that appear in the samples, in order.
func (r *Report) gwcNames() []string {
	seen := map[string]bool{}
	var names []string
	for _, s := range r.Samples {
		for n := range s.Answered {
			if !seen[n] {
				seen[n] = true
				names = append(names, n)
			}
		}
	}
	sort.Slice(names, func(i, j int) bool {
		// gwc-2 before gwc-10
		if len(names[i]) != len(names[j]) {
			return len(names[i]) < len(names[j])
		}
		return names[i] < names[j]
	})
	return names
}
