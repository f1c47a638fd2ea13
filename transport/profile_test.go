package transport

import (
	"strings"
	"testing"
	"time"
)

func TestBuiltinProfiles(t *testing.T) {
	for _, name := range ProfileNames() {
		p, err := LookupProfile(name)
		if err != nil {
			t.Fatal(err)
		}
		if err := p.Validate(); err != nil {
			t.Errorf("%s: %v", name, err)
		}
		if p.String() != name {
			t.Errorf("%s: String() = %q", name, p.String())
		}
	}
	p, _ := LookupProfile("rfc4960")
	want := Profile{Name: "rfc4960", RTOInitial: 3 * time.Second, RTOMin: time.Second, RTOMax: 60 * time.Second,
		HBInterval: 30 * time.Second, SACKDelay: 200 * time.Millisecond, PathMaxRetrans: 5, AssocMaxRetrans: 10, MaxInitRetrans: 8,
		AppHBInterval: 30 * time.Second, AppHBMiss: 2}
	if p != want {
		t.Errorf("rfc4960 = %+v, want RFC 4960 section 15 defaults %+v", p, want)
	}
	c, _ := LookupProfile("carrier")
	if c.RTOMin != 100*time.Millisecond || c.RTOMax < 200*time.Millisecond || c.RTOMax > 400*time.Millisecond ||
		c.HBInterval < 100*time.Millisecond || c.HBInterval > 200*time.Millisecond {
		t.Errorf("carrier = %+v: want RTO.min 100ms, RTO.max 200-400ms, HB 100-200ms", c)
	}
	if d := c.WorstCaseDetection(); d.SCTPData > 500*time.Millisecond || d.TCPData > 500*time.Millisecond || d.App > 500*time.Millisecond {
		t.Errorf("carrier detects a dead peer in %+v; want within 500ms", d)
	}
}

func TestParseProfile(t *testing.T) {
	p, err := ParseProfile("carrier,rto_max=300ms,hb_interval=150ms, assoc_max_retrans = 3")
	if err != nil {
		t.Fatal(err)
	}
	if p.Name != "carrier" || p.RTOMax != 300*time.Millisecond || p.HBInterval != 150*time.Millisecond || p.AssocMaxRetrans != 3 || p.RTOMin != 100*time.Millisecond {
		t.Fatalf("got %+v", p)
	}
	if s := p.String(); s != "carrier,rto_max=300ms,hb_interval=150ms,assoc_max_retrans=3" {
		t.Fatalf("String() = %q", s)
	}
	back, err := ParseProfile(p.String())
	if err != nil || back != p {
		t.Fatalf("round trip: %+v, %v", back, err)
	}
	// Every field can be overridden by its YAML name.
	all := "wan,rto_initial=2s,rto_min=500ms,rto_max=4s,hb_interval=3s,sack_delay=50ms,path_max_retrans=2,assoc_max_retrans=4,max_init_retrans=5,app_hb_interval=1.5s,app_hb_miss=4"
	p, err = ParseProfile(all)
	if err != nil {
		t.Fatal(err)
	}
	want := Profile{Name: "wan", RTOInitial: 2 * time.Second, RTOMin: 500 * time.Millisecond, RTOMax: 4 * time.Second,
		HBInterval: 3 * time.Second, SACKDelay: 50 * time.Millisecond, PathMaxRetrans: 2, AssocMaxRetrans: 4, MaxInitRetrans: 5,
		AppHBInterval: 1500 * time.Millisecond, AppHBMiss: 4}
	if p != want {
		t.Fatalf("got %+v, want %+v", p, want)
	}

	for spec, wantErr := range map[string]string{
		"":                                 "unknown heartbeat profile",
		"fast":                             `unknown heartbeat profile "fast"`,
		"carrier,rto_maxx=1s":              `unknown profile field "rto_maxx"`,
		"carrier,rto_max":                  "not field=value",
		"carrier,rto_max=fast":             `rto_max="fast": not a duration`,
		"carrier,rto_max=300":              "not a duration",
		"carrier,path_max_retrans=two":     "not an integer",
		"carrier,path_max_retrans=0":       "path_max_retrans=0: must be from 1",
		"carrier,assoc_max_retrans=-1":     "assoc_max_retrans=-1",
		"carrier,rto_min=500ms":            "rto_min=500ms is above rto_max=200ms",
		"carrier,rto_initial=1s":           "outside rto_min..rto_max",
		"carrier,rto_min=0s":               "rto_min=0s: must be at least 1ms",
		"carrier,hb_interval=1500us":       "whole milliseconds",
		"carrier,app_hb_miss=0":            "app_hb_miss=0",
		"carrier,max_init_retrans=1e6":     "not an integer",
		"rfc4960,rto_max=2000000h":         "too large",
		"carrier,path_max_retrans=9999999": "must be from 1 to 65535",
	} {
		_, err := ParseProfile(spec)
		if err == nil || !strings.Contains(err.Error(), wantErr) {
			t.Errorf("ParseProfile(%q) = %v, want error containing %q", spec, err, wantErr)
		}
	}
}

func TestWorstCaseDetection(t *testing.T) {
	c, _ := LookupProfile("carrier")
	d := c.WorstCaseDetection()
	// 100 + 200 + 200 ms of retransmission timeouts.
	if d.SCTPData != 500*time.Millisecond || d.TCPData != 500*time.Millisecond {
		t.Errorf("carrier data path: %+v", d)
	}
	// Probes at 1 s and 2 s; user timeout passed at the second.
	if d.TCPIdle != 2*time.Second {
		t.Errorf("carrier TCP idle: %v", d.TCPIdle)
	}
	if d.App != 400*time.Millisecond {
		t.Errorf("carrier app heartbeat: %v", d.App)
	}
	// Four heartbeat periods, max(100+1.5×RTO, 200ms): RTOs 100, 100, 200, 200.
	if d.SCTPIdle != 250*time.Millisecond+250*time.Millisecond+400*time.Millisecond+400*time.Millisecond {
		t.Errorf("carrier SCTP idle: %v", d.SCTPIdle)
	}
	r, _ := LookupProfile("rfc4960")
	d = r.WorstCaseDetection()
	// 1+2+4+8+16+32+60×5 s.
	if d.SCTPData != 363*time.Second {
		t.Errorf("rfc4960 data path: %v", d.SCTPData)
	}
	if d.App != 90*time.Second {
		t.Errorf("rfc4960 app heartbeat: %v", d.App)
	}
	for _, name := range ProfileNames() {
		p, _ := LookupProfile(name)
		t.Logf("%-8s %+v", name, p.WorstCaseDetection())
	}
}

func TestTCPOptionsMapping(t *testing.T) {
	c, _ := LookupProfile("carrier")
	o, err := c.tcpOptions()
	if err != nil {
		t.Fatal(err)
	}
	if o.userTimeout != 300*time.Millisecond || o.keepIdle != time.Second || o.keepIntvl != time.Second || o.keepCnt != 2 {
		t.Fatalf("carrier TCP options %+v", o)
	}
	r, _ := LookupProfile("rfc4960")
	o, _ = r.tcpOptions()
	if o.keepIdle != 30*time.Second || o.keepIntvl != 30*time.Second || o.keepCnt != 5 || o.userTimeout != 363*time.Second-200*time.Millisecond {
		t.Fatalf("rfc4960 TCP options %+v", o)
	}
}

func TestParseFraming(t *testing.T) {
	for in, want := range map[string]Framing{"mux": FramingMux, "asap": FramingRSerPool, "enrp": FramingRSerPool,
		"rserpool": FramingRSerPool, "m3ua": FramingSIGTRAN, "sua": FramingSIGTRAN, "sigtran": FramingSIGTRAN} {
		if got, err := ParseFraming(in); err != nil || got != want {
			t.Errorf("ParseFraming(%q) = %v, %v", in, got, err)
		}
	}
	if _, err := ParseFraming("bare"); err == nil {
		t.Error("ParseFraming(bare) succeeded")
	}
}
