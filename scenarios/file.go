package scenarios

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Scenario is one scenario file.
type Scenario struct {
	Name        string        `yaml:"name"`
	Description string        `yaml:"description"`
	Duration    time.Duration `yaml:"duration"`
	Topology    Topology      `yaml:"topology"`
	Traffic     Traffic       `yaml:"traffic"`
	Faults      []Fault       `yaml:"faults"`
	Expect      Expectations  `yaml:"expect"`

	// File is where the scenario was read from; relative paths in it
	// (a pcap) are relative to its directory.
	File string `yaml:"-"`
}

// Topology is what runs: registrars, GWCs and one SG, all on loopback.
type Topology struct {
	Transport  string      `yaml:"transport"`  // tcp (default) or sctp
	Profile    string      `yaml:"profile"`    // heartbeat profile, default carrier
	Protocol   string      `yaml:"protocol"`   // m3ua (default) or sua
	Registrars int         `yaml:"registrars"` // 0: the SG's embedded registrar
	GWCs       int         `yaml:"gwcs"`
	Pool       string      `yaml:"pool"` // pool handle, default gwc
	GWC        GWCSettings `yaml:"gwc"`
	SG         SGSettings  `yaml:"sg"`
}

// GWCSettings apply to every GWC.
type GWCSettings struct {
	Policy        string        `yaml:"policy"`
	AnswerDelay   time.Duration `yaml:"answer_delay"`
	HoldTime      time.Duration `yaml:"hold_time"` // >0: the GWC releases calls itself
	TCAPContinues int           `yaml:"tcap_continues"`
	Capacity      int           `yaml:"capacity"`
}

// SGSettings configure the SG.
type SGSettings struct {
	PointCode    uint32 `yaml:"point_code"`
	SEPPointCode uint32 `yaml:"sep_point_code"`
}

// Traffic is what the SS7 side plays; at least one kind is required.
type Traffic struct {
	ISUP *ISUPTraffic `yaml:"isup"`
	TCAP *TCAPTraffic `yaml:"tcap"`
	PCAP *PCAPReplay  `yaml:"pcap"`
}

// ISUPTraffic is a call load.
type ISUPTraffic struct {
	CallsPerSecond float64       `yaml:"calls_per_second"`
	HoldTime       time.Duration `yaml:"hold_time"`
	CICs           string        `yaml:"cics"` // range "1-2000"
}

// TCAPTraffic is a dialogue load.
type TCAPTraffic struct {
	DialoguesPerSecond float64 `yaml:"dialogues_per_second"`
	Continues          int     `yaml:"continues"`
}

// PCAPReplay replays the MSUs of a capture.
type PCAPReplay struct {
	File  string  `yaml:"file"`
	Speed float64 `yaml:"speed"` // 1 = original timing, 2 = twice as fast; 0 = 1
	Loop  bool    `yaml:"loop"`
}

// Fault actions.
const (
	ActionKill          = "kill"           // SIGKILL a GWC or registrar
	ActionFreeze        = "freeze"         // SIGSTOP
	ActionResume        = "resume"         // SIGCONT
	ActionKillRegistrar = "kill-registrar" // SIGKILL the registrar the SG uses (target optional)
	ActionAddGWC        = "add-gwc"        // start one more GWC
	ActionBlackhole     = "blackhole"      // drop the SG<->GWC path
	ActionHeal          = "heal"           // restore it
)

var actions = []string{ActionKill, ActionFreeze, ActionResume, ActionKillRegistrar, ActionAddGWC, ActionBlackhole, ActionHeal}

// Fault is one event on the timeline.
type Fault struct {
	At     time.Duration `yaml:"at"`
	Action string        `yaml:"action"`
	Target string        `yaml:"target"` // gwc-N or registrar-N
	// For freeze and blackhole: undo after this long (0: until a resume
	// or heal, or the end).
	For  time.Duration `yaml:"for"`
	Line int           `yaml:"-"`
}

// UnmarshalYAML decodes a fault and remembers its line for later errors.
func (f *Fault) UnmarshalYAML(n *yaml.Node) error {
	type plain Fault
	var p plain
	if err := n.Decode(&p); err != nil {
		return err
	}
	*f = Fault(p)
	f.Line = n.Line
	return nil
}

// Expectations decide pass or fail; unset ones are not checked.
type Expectations struct {
	CallSuccessRatio     *Bound `yaml:"call_success_ratio"`
	DialogueSuccessRatio *Bound `yaml:"dialogue_success_ratio"`
	FailoverTime         *Bound `yaml:"failover_time"`
	MessagesLost         *Bound `yaml:"messages_lost"` // after detection
	LatencyP50           *Bound `yaml:"latency_p50"`
	LatencyP99           *Bound `yaml:"latency_p99"`
	Throughput           *Bound `yaml:"throughput"` // MSU/s answered
}

// FileError is a problem at a line of a scenario file.
type FileError struct {
	File   string
	Line   int
	Reason string
}

func (e *FileError) Error() string {
	switch {
	case e.File != "" && e.Line > 0:
		return fmt.Sprintf("%s:%d: %s", e.File, e.Line, e.Reason)
	case e.File != "":
		return fmt.Sprintf("%s: %s", e.File, e.Reason)
	case e.Line > 0:
		return fmt.Sprintf("line %d: %s", e.Line, e.Reason)
	}
	return e.Reason
}

// maxScenarioSize bounds what Load reads: scenario files are small.
const maxScenarioSize = 1 << 20

// Load reads and checks a scenario file.
func Load(path string) (*Scenario, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("scenario: %w", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxScenarioSize+1))
	if err != nil {
		return nil, fmt.Errorf("scenario %s: %w", path, err)
	}
	if len(b) > maxScenarioSize {
		return nil, &FileError{File: path, Reason: fmt.Sprintf("larger than %d bytes", maxScenarioSize)}
	}
	return Parse(path, b)
}

// yamlErr turns a decoding or checking error into a FileError naming the
// file and, where known, the line.
func yamlErr(file string, err error) error {
	var fe *FileError
	if errors.As(err, &fe) {
		fe.File = file
		return fe
	}
	var te *yaml.TypeError
	if errors.As(err, &te) && len(te.Errors) > 0 {
		return &FileError{File: file, Line: lineOf(te.Errors[0]), Reason: stripLine(te.Errors[0])}
	}
	msg := strings.TrimPrefix(err.Error(), "yaml: ")
	return &FileError{File: file, Line: lineOf(msg), Reason: stripLine(msg)}
}

func lineOf(msg string) int {
	rest, ok := strings.CutPrefix(msg, "line ")
	if !ok {
		return 0
	}
	n, _, _ := strings.Cut(rest, ":")
	v, _ := strconv.Atoi(n)
	return v
}

func stripLine(msg string) string {
	if rest, ok := strings.CutPrefix(msg, "line "); ok {
		if _, r, ok := strings.Cut(rest, ": "); ok {
			return r
		}
	}
	return msg
}

// Parse checks and decodes a scenario; file names it in errors.
func Parse(file string, data []byte) (*Scenario, error) {
	var doc yaml.Node
	dec := yaml.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(&doc); err != nil {
		if errors.Is(err, io.EOF) {
			return nil, &FileError{File: file, Reason: "empty scenario file"}
		}
		return nil, yamlErr(file, err)
	}
	var extra yaml.Node
	if err := dec.Decode(&extra); err == nil {
		return nil, &FileError{File: file, Line: extra.Line, Reason: "more than one YAML document; a scenario file holds one"}
	}
	if len(doc.Content) == 0 || doc.Content[0].Kind != yaml.MappingNode {
		return nil, &FileError{File: file, Line: doc.Line, Reason: "a scenario is a mapping of keys (name, duration, topology, traffic, faults, expect)"}
	}
	if err := checkKnownKeys(&doc, reflect.TypeOf(Scenario{}), ""); err != nil {
		return nil, yamlErr(file, err)
	}
	var s Scenario
	if err := doc.Decode(&s); err != nil {
		return nil, yamlErr(file, err)
	}
	s.File = file
	s.applyDefaults()
	if err := s.validate(lines(&doc)); err != nil {
		return nil, yamlErr(file, err)
	}
	return &s, nil
}

// lines maps dotted key paths of the document to their lines, for errors
// about values that decoded fine but make no sense.
func lines(doc *yaml.Node) map[string]int {
	m := make(map[string]int)
	var walk func(n *yaml.Node, path string)
	walk = func(n *yaml.Node, path string) {
		switch n.Kind {
		case yaml.DocumentNode:
			for _, c := range n.Content {
				walk(c, path)
			}
		case yaml.MappingNode:
			for i := 0; i+1 < len(n.Content); i += 2 {
				p := join(path, n.Content[i].Value)
				m[p] = n.Content[i].Line
				walk(n.Content[i+1], p)
			}
		}
	}
	walk(doc, "")
	return m
}

func (s *Scenario) applyDefaults() {
	t := &s.Topology
	if t.Transport == "" {
		t.Transport = "tcp"
	}
	if t.Profile == "" {
		t.Profile = "carrier"
	}
	if t.Protocol == "" {
		t.Protocol = "m3ua"
	}
	if t.Pool == "" {
		t.Pool = "gwc"
	}
	if t.SG.PointCode == 0 {
		t.SG.PointCode = 2
	}
	if t.SG.SEPPointCode == 0 {
		t.SG.SEPPointCode = 1
	}
	if s.Traffic.PCAP != nil && s.Traffic.PCAP.Speed == 0 {
		s.Traffic.PCAP.Speed = 1
	}
	if s.Traffic.ISUP != nil && s.Traffic.ISUP.CICs == "" {
		s.Traffic.ISUP.CICs = "1-4000"
	}
}

// ParseRange parses "A-B" (or "A") into an inclusive range.
func ParseRange(s string) (lo, hi int, err error) {
	a, b, found := strings.Cut(s, "-")
	if lo, err = strconv.Atoi(strings.TrimSpace(a)); err != nil {
		return 0, 0, fmt.Errorf("range %q: want A-B with whole numbers", s)
	}
	hi = lo
	if found {
		if hi, err = strconv.Atoi(strings.TrimSpace(b)); err != nil {
			return 0, 0, fmt.Errorf("range %q: want A-B with whole numbers", s)
		}
	}
	if lo < 0 || hi < lo {
		return 0, 0, fmt.Errorf("range %q: want 0 <= A <= B", s)
	}
	return lo, hi, nil
}

// maxDuration bounds a scenario's length: a lab run, not a soak.
const maxDuration = time.Hour

func (s *Scenario) validate(at map[string]int) error {
	bad := func(path, format string, args ...any) error {
		return &FileError{Line: at[path], Reason: fmt.Sprintf(format, args...)}
	}
	if s.Name == "" {
		return bad("", "name: missing")
	}
	if s.Duration <= 0 || s.Duration > maxDuration {
		return bad("duration", "duration %v: want more than 0 and at most %v", s.Duration, maxDuration)
	}
	t := s.Topology
	switch t.Transport {
	case "tcp", "sctp":
	default:
		return bad("topology.transport", "transport %q: want tcp or sctp", t.Transport)
	}
	switch t.Protocol {
	case "m3ua", "sua":
	default:
		return bad("topology.protocol", "protocol %q: want m3ua or sua", t.Protocol)
	}
	if t.Registrars < 0 || t.Registrars > 7 {
		return bad("topology.registrars", "registrars %d: want 0 (the SG's embedded registrar) to 7", t.Registrars)
	}
	if t.GWCs < 1 || t.GWCs > 64 {
		return bad("topology.gwcs", "gwcs %d: want 1 to 64", t.GWCs)
	}
	if g := t.GWC; g.AnswerDelay < 0 || g.HoldTime < 0 || g.TCAPContinues < 0 || g.Capacity < 0 {
		return bad("topology.gwc", "gwc settings must not be negative")
	}
	if t.SG.PointCode == t.SG.SEPPointCode {
		return bad("topology.sg", "the SG side and the SEP need different point codes (both %d)", t.SG.PointCode)
	}
	tr := s.Traffic
	if tr.ISUP == nil && tr.TCAP == nil && tr.PCAP == nil {
		return bad("traffic", "traffic: want at least one of isup, tcap, pcap")
	}
	if tr.ISUP != nil {
		if t.Protocol == "sua" {
			return bad("traffic.isup", "isup traffic needs protocol m3ua: SUA carries SCCP users (TCAP) only")
		}
		if tr.ISUP.CallsPerSecond <= 0 {
			return bad("traffic.isup", "isup.calls_per_second %v: want more than 0", tr.ISUP.CallsPerSecond)
		}
		if tr.ISUP.HoldTime < 0 {
			return bad("traffic.isup.hold_time", "isup.hold_time %v: must not be negative", tr.ISUP.HoldTime)
		}
		lo, hi, err := ParseRange(tr.ISUP.CICs)
		if err != nil || hi > 4095 {
			return bad("traffic.isup.cics", "isup.cics %q: want a range within 0-4095", tr.ISUP.CICs)
		}
		// Circuits busy at once: a call holds one for its hold time plus setup.
		if busy := tr.ISUP.CallsPerSecond * (tr.ISUP.HoldTime.Seconds() + 1); busy > float64(hi-lo+1) {
			return bad("traffic.isup", "isup: %.0f calls/s held %v need about %.0f circuits, cics %q has %d",
				tr.ISUP.CallsPerSecond, tr.ISUP.HoldTime, busy, tr.ISUP.CICs, hi-lo+1)
		}
	}
	if tr.TCAP != nil && (tr.TCAP.DialoguesPerSecond <= 0 || tr.TCAP.Continues < 0) {
		return bad("traffic.tcap", "tcap: dialogues_per_second must be more than 0 and continues not negative")
	}
	if tr.PCAP != nil {
		if tr.PCAP.File == "" {
			return bad("traffic.pcap", "pcap.file: missing")
		}
		if tr.PCAP.Speed < 0 {
			return bad("traffic.pcap.speed", "pcap.speed %v: must not be negative", tr.PCAP.Speed)
		}
		if _, err := os.Stat(s.PCAPPath()); err != nil {
			return bad("traffic.pcap.file", "pcap.file: %v", err)
		}
	}
	if err := s.validateTimeline(); err != nil {
		return err
	}
	return s.validateExpectations()
}

// PCAPPath is the capture to replay, relative paths taken from the
// scenario file's directory.
func (s *Scenario) PCAPPath() string {
	if s.Traffic.PCAP == nil {
		return ""
	}
	p := s.Traffic.PCAP.File
	if filepath.IsAbs(p) || s.File == "" {
		return p
	}
	return filepath.Join(filepath.Dir(s.File), p)
}

// targetState follows a process through the timeline.
type targetState int

const (
	running targetState = iota
	frozen
	killed
)

// validateTimeline refuses fault sequences that cannot happen: a fault
// outside the run, at a process that does not exist (yet), resuming what
// is not frozen, touching what was killed, healing what is not cut off.
func (s *Scenario) validateTimeline() error {
	gwcs := s.Topology.GWCs
	state := map[string]targetState{}
	holed := map[string]bool{}
	var prev time.Duration
	regKilled := 0
	for i, f := range s.Faults {
		bad := func(format string, args ...any) error {
			return &FileError{Line: f.Line, Reason: fmt.Sprintf("faults[%d] (%s at %v): ", i, f.Action, f.At) + fmt.Sprintf(format, args...)}
		}
		if f.At < 0 || f.At >= s.Duration {
			return bad("at must be within the run (0 to %v)", s.Duration)
		}
		if f.At < prev {
			return bad("faults must be in time order (the one before is at %v)", prev)
		}
		prev = f.At
		if f.For < 0 || (f.For > 0 && f.Action != ActionFreeze && f.Action != ActionBlackhole) {
			return bad("for: only freeze and blackhole take a positive duration")
		}
		kind, n, err := parseTarget(f.Target)
		switch f.Action {
		case ActionAddGWC:
			if f.Target != "" {
				return bad("add-gwc takes no target (the new GWC is gwc-%d)", gwcs+1)
			}
			gwcs++
			continue
		case ActionKillRegistrar:
			if s.Topology.Registrars == 0 {
				return bad("the topology has no separate registrar (registrars: 0 embeds it in the SG)")
			}
			if f.Target == "" {
				if regKilled++; regKilled >= s.Topology.Registrars {
					return bad("no registrar would be left alive")
				}
				continue
			}
			if err != nil || kind != "registrar" {
				return bad("target %q: want registrar-N", f.Target)
			}
		case ActionKill, ActionFreeze, ActionResume, ActionBlackhole, ActionHeal:
			if err != nil {
				return bad("%v", err)
			}
		default:
			return bad("unknown action %q (want one of %s)", f.Action, strings.Join(actions, ", "))
		}
		switch kind {
		case "gwc":
			if n > gwcs {
				return bad("target %s does not exist at %v (%d GWCs then)", f.Target, f.At, gwcs)
			}
		case "registrar":
			if n > s.Topology.Registrars {
				return bad("target %s does not exist (%d registrars)", f.Target, s.Topology.Registrars)
			}
			if f.Action == ActionBlackhole || f.Action == ActionHeal {
				return bad("blackhole and heal act on the SG-GWC path: target gwc-N")
			}
		}
		st := state[f.Target]
		if st == killed {
			return bad("%s was killed earlier", f.Target)
		}
		switch f.Action {
		case ActionKill, ActionKillRegistrar:
			state[f.Target] = killed
			if kind == "registrar" {
				if regKilled++; regKilled >= s.Topology.Registrars {
					return bad("no registrar would be left alive")
				}
			}
		case ActionFreeze:
			if st == frozen {
				return bad("%s is frozen already", f.Target)
			}
			if f.For == 0 {
				state[f.Target] = frozen
			}
		case ActionResume:
			if st != frozen {
				return bad("%s is not frozen", f.Target)
			}
			state[f.Target] = running
		case ActionBlackhole:
			if holed[f.Target] {
				return bad("the path to %s is cut off already", f.Target)
			}
			holed[f.Target] = f.For == 0
		case ActionHeal:
			if !holed[f.Target] {
				return bad("the path to %s is not cut off", f.Target)
			}
			holed[f.Target] = false
		}
	}
	return nil
}

func parseTarget(t string) (kind string, n int, err error) {
	for _, k := range []string{"gwc", "registrar"} {
		if rest, ok := strings.CutPrefix(t, k+"-"); ok {
			n, err := strconv.Atoi(rest)
			if err != nil || n < 1 {
				break
			}
			return k, n, nil
		}
	}
	return "", 0, fmt.Errorf("target %q: want gwc-N or registrar-N (N from 1)", t)
}

func (s *Scenario) validateExpectations() error {
	e := s.Expect
	check := func(b *Bound, key string, wantTime bool, lo, hi float64) error {
		if b == nil {
			return nil
		}
		kind := "a number"
		if wantTime {
			kind = "a duration"
		}
		if b.IsTime != wantTime {
			return &FileError{Line: b.Line, Reason: fmt.Sprintf("expect.%s %q: the limit must be %s", key, b, kind)}
		}
		if b.Value < lo || b.Value > hi {
			return &FileError{Line: b.Line, Reason: fmt.Sprintf("expect.%s %q: the limit must be from %g to %g", key, b, lo, hi)}
		}
		return nil
	}
	for _, c := range []struct {
		b        *Bound
		key      string
		wantTime bool
		lo, hi   float64
	}{
		{e.CallSuccessRatio, "call_success_ratio", false, 0, 1},
		{e.DialogueSuccessRatio, "dialogue_success_ratio", false, 0, 1},
		{e.FailoverTime, "failover_time", true, 0, 3600},
		{e.MessagesLost, "messages_lost", false, 0, 1e12},
		{e.LatencyP50, "latency_p50", true, 0, 3600},
		{e.LatencyP99, "latency_p99", true, 0, 3600},
		{e.Throughput, "throughput", false, 0, 1e9},
	} {
		if err := check(c.b, c.key, c.wantTime, c.lo, c.hi); err != nil {
			return err
		}
	}
	if e.CallSuccessRatio != nil && s.Traffic.ISUP == nil {
		return &FileError{Line: e.CallSuccessRatio.Line, Reason: "expect.call_success_ratio needs traffic.isup"}
	}
	if e.DialogueSuccessRatio != nil && s.Traffic.TCAP == nil {
		return &FileError{Line: e.DialogueSuccessRatio.Line, Reason: "expect.dialogue_success_ratio needs traffic.tcap"}
	}
	if e.FailoverTime != nil {
		ok := false
		for _, f := range s.Faults {
			if (f.Action == ActionKill || f.Action == ActionFreeze || f.Action == ActionBlackhole) && strings.HasPrefix(f.Target, "gwc-") {
				ok = true
			}
		}
		if !ok {
			return &FileError{Line: e.FailoverTime.Line, Reason: "expect.failover_time needs a GWC fault (kill, freeze or blackhole of gwc-N)"}
		}
	}
	return nil
}

// Scaled returns a copy of the scenario with its duration and fault times
// multiplied by f (0 < f <= 1), the short form `make test` runs: traffic
// rates and expectations stay as written.
func (s *Scenario) Scaled(f float64) (*Scenario, error) {
	if f <= 0 || f > 1 {
		return nil, fmt.Errorf("scenario %s: scale %v: want 0 < f <= 1", s.Name, f)
	}
	c := *s
	scale := func(d time.Duration) time.Duration { return time.Duration(float64(d) * f) }
	c.Duration = scale(s.Duration)
	c.Faults = make([]Fault, len(s.Faults))
	for i, ft := range s.Faults {
		ft.At, ft.For = scale(ft.At), scale(ft.For)
		c.Faults[i] = ft
	}
	if err := c.validateTimeline(); err != nil {
		return nil, err
	}
	return &c, nil
}
