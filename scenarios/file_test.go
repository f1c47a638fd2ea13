package scenarios

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

const good = `name: gwc-crash
description: one GWC killed under load
duration: 20s
topology:
  registrars: 2
  gwcs: 3
  gwc:
    answer_delay: 50ms
traffic:
  isup:
    calls_per_second: 50
    hold_time: 2s
  tcap:
    dialogues_per_second: 100
faults:
  - at: 5s
    action: kill
    target: gwc-1
  - at: 8s
    action: freeze
    target: gwc-2
    for: 1s
  - at: 10s
    action: add-gwc
  - at: 12s
    action: kill
    target: gwc-4
expect:
  call_success_ratio: ">= 0.99"
  failover_time: "<= 300ms"
  messages_lost: "== 0"
`

func TestParseGood(t *testing.T) {
	s, err := Parse("gwc-crash.yaml", []byte(good))
	if err != nil {
		t.Fatal(err)
	}
	if s.Duration != 20*time.Second || s.Topology.GWCs != 3 || s.Topology.Transport != "tcp" || s.Topology.Profile != "carrier" {
		t.Errorf("decoded %+v", s.Topology)
	}
	if len(s.Faults) != 4 || s.Faults[0].Line != 16 || s.Faults[1].For != time.Second {
		t.Errorf("faults %+v", s.Faults)
	}
	if b := s.Expect.FailoverTime; b == nil || !b.IsTime || b.Duration != 300*time.Millisecond || !b.Holds(0.25) || b.Holds(0.31) {
		t.Errorf("failover_time %+v", b)
	}
	if b := s.Expect.MessagesLost; !b.Holds(0) || b.Holds(1) {
		t.Errorf("messages_lost %+v", b)
	}
}

// Every refusal names the file, the line and the reason.
func TestParseRefusals(t *testing.T) {
	repl := func(old, new string) string {
		if !strings.Contains(good, old) {
			t.Fatalf("test setup: %q not in the good scenario", old)
		}
		return strings.Replace(good, old, new, 1)
	}
	for _, tt := range []struct {
		name, doc string
		line      int
		reason    string
	}{
		{"unknown top key", good + "colour: blue\n", 32, `unknown key "colour" in the scenario`},
		{"unknown nested key", repl("    answer_delay: 50ms", "    answer_dalay: 50ms"), 8, `unknown key "answer_dalay" in topology.gwc`},
		{"unknown key in a fault", repl("    target: gwc-1", "    traget: gwc-1"), 18, `unknown key "traget" in faults[0]`},
		{"wrong type", repl("  gwcs: 3", "  gwcs: three"), 6, "cannot unmarshal"},
		{"bad duration", repl("duration: 20s", "duration: twenty"), 3, "cannot unmarshal"},
		{"fault after the end", repl("  - at: 12s", "  - at: 25s"), 25, "within the run"},
		{"out of order", repl("  - at: 8s", "  - at: 1s"), 19, "time order"},
		{"resume not frozen", repl("    action: freeze\n    target: gwc-2\n    for: 1s", "    action: resume\n    target: gwc-2"), 19, "not frozen"},
		{"target missing", repl("    target: gwc-4", "    target: gwc-5"), 25, "does not exist"},
		{"killed twice", repl("    target: gwc-4", "    target: gwc-1"), 25, "killed earlier"},
		{"bad action", repl("    action: add-gwc", "    action: explode"), 23, `unknown action "explode"`},
		{"bad target", repl("    target: gwc-1", "    target: sg"), 16, "want gwc-N or registrar-N"},
		{"bound syntax", repl(`">= 0.99"`, `"about 0.99"`), 29, "want a comparison"},
		{"bound kind", repl(`"<= 300ms"`, `"<= 0.3"`), 30, "must be a duration"},
		{"ratio range", repl(`">= 0.99"`, `">= 99"`), 29, "from 0 to 1"},
		{"isup over sua", repl("  gwcs: 3", "  gwcs: 3\n  protocol: sua"), 11, "needs protocol m3ua"},
		{"too few circuits", repl("    hold_time: 2s", "    hold_time: 2s\n    cics: 1-10"), 10, "circuits"},
		{"no traffic", "name: x\nduration: 1s\ntopology:\n  gwcs: 1\n", 0, "want at least one of"},
		{"no gwcs", "name: x\nduration: 1s\ntopology:\n  gwcs: 0\ntraffic:\n  tcap:\n    dialogues_per_second: 1\n", 4, "gwcs 0"},
		{"kill the last registrar", repl("  registrars: 2", "  registrars: 1") + "", 0, ""},
		{"empty", "", 0, "empty scenario file"},
		{"not a mapping", "- a\n- b\n", 1, "mapping of keys"},
		{"two documents", good + "---\nname: y\n", 32, "more than one YAML document"},
		{"syntax", "name: [unclosed\n", 0, ""},
	} {
		t.Run(tt.name, func(t *testing.T) {
			if tt.name == "kill the last registrar" {
				tt.doc = strings.Replace(good, "  registrars: 2", "  registrars: 1", 1)
				tt.doc = strings.Replace(tt.doc, "  - at: 12s\n    action: kill\n    target: gwc-4", "  - at: 12s\n    action: kill-registrar", 1)
				tt.line, tt.reason = 25, "no registrar would be left alive"
			}
			_, err := Parse("s.yaml", []byte(tt.doc))
			if err == nil {
				t.Fatal("accepted")
			}
			fe, ok := err.(*FileError)
			if !ok {
				t.Fatalf("error %T %v, want *FileError", err, err)
			}
			if fe.File != "s.yaml" || (tt.line > 0 && fe.Line != tt.line) || !strings.Contains(fe.Reason, tt.reason) {
				t.Errorf("got %q (line %d), want line %d containing %q", err, fe.Line, tt.line, tt.reason)
			}
		})
	}
}

func TestLoadPCAPRelativeToFile(t *testing.T) {
	dir := t.TempDir()
	doc := "name: replay\nduration: 2s\ntopology:\n  gwcs: 1\ntraffic:\n  pcap:\n    file: cap.pcap\n"
	path := filepath.Join(dir, "replay.yaml")
	if err := os.WriteFile(path, []byte(doc), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Load(path); err == nil || !strings.Contains(err.Error(), "replay.yaml:7") {
		t.Fatalf("missing capture: %v", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "cap.pcap"), []byte{0}, 0o644); err != nil {
		t.Fatal(err)
	}
	s, err := Load(path)
	if err != nil {
		t.Fatal(err)
	}
	if s.PCAPPath() != filepath.Join(dir, "cap.pcap") || s.Traffic.PCAP.Speed != 1 {
		t.Errorf("pcap %q speed %v", s.PCAPPath(), s.Traffic.PCAP.Speed)
	}
	if _, err := Load(filepath.Join(dir, "missing.yaml")); err == nil {
		t.Error("missing file accepted")
	}
}

func TestParseBound(t *testing.T) {
	for _, tt := range []struct {
		in   string
		v    float64
		hold bool
	}{
		{"< 1ms", 0.0005, true}, {"< 1ms", 0.001, false}, {">=0.5", 0.5, true}, {"> 10", 10, false}, {"== 0", 0, true},
	} {
		b, err := ParseBound(tt.in)
		if err != nil {
			t.Fatalf("%q: %v", tt.in, err)
		}
		if b.Holds(tt.v) != tt.hold {
			t.Errorf("%q holds for %v: %v", tt.in, tt.v, !tt.hold)
		}
	}
	for _, in := range []string{"", "<", "5ms", "<= fast", "=> 1"} {
		if _, err := ParseBound(in); err == nil {
			t.Errorf("%q accepted", in)
		}
	}
}
