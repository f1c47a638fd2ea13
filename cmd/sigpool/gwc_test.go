package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/spf13/pflag"

	"github.com/sigpool/sigpool/enrp"
	"github.com/sigpool/sigpool/gwc"
	"github.com/sigpool/sigpool/mxua"
	"github.com/sigpool/sigpool/transport"
	"github.com/sigpool/sigpool/wire"
)

func TestGWCBadFlagsAndConfig(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	unknown := write("unknown.yaml", "pool: gwc\nregistrar: [tcp://127.0.0.1:3863]\nhold_tme: 3s\n")
	badDur := write("dur.yaml", "registrar: [tcp://127.0.0.1:3863]\nanswer_delay: soon\n")
	reg := []string{"gwc", "--registrar", "tcp://127.0.0.1:3863"}
	with := func(args ...string) []string { return append(append([]string{}, reg...), args...) }
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"gwc"}, "--registrar is required"},
		{[]string{"gwc", "--registrar", "bogus://x:1"}, "--registrar"},
		{with("--pool", ""), "--pool"},
		{with("--pool", strings.Repeat("x", 33)), "32 bytes"},
		{with("--listen", "tcp://x"), "--listen"},
		{with("--policy", "fastest"), "--policy \"fastest\": unknown"},
		{with("--profile", "nope"), "--profile"},
		{with("--protocol", "m2pa"), "--protocol"},
		{with("--point-code", "16777216"), "--point-code"},
		{with("--point-code", "8-1-1"), "--point-code"},
		{with("--answer-delay", "-1s"), "negative"},
		{with("--hold-time", "-1s"), "negative"},
		{with("--tcap-continues", "-1"), "--tcap-continues"},
		{with("--capacity", "0"), "--capacity"},
		{with("--log-level", "chatty"), "--log-level"},
		{with("--routing-context", "x"), "invalid argument"},
		{with("--metrics", "256.0.0.1:x"), "metrics"},
		{[]string{"gwc", "--config", unknown}, "line 3"},
		{[]string{"gwc", "--config", badDur}, "line 2"},
		{[]string{"gwc", "--config", filepath.Join(dir, "missing.yaml")}, "no such file"},
	} {
		_, _, err := runCommand(t.Context(), tc.args...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: error %v, want it to mention %q", tc.args, err, tc.want)
		}
	}
}

// The file's keys apply (an explicit zero too), flags given override them,
// and keys it leaves out keep the flags' defaults.
func TestGWCConfigFileAndFlags(t *testing.T) {
	p := filepath.Join(t.TempDir(), "gwc.yaml")
	if err := os.WriteFile(p, []byte(`registrar: [tcp://127.0.0.1:3863, tcp://127.0.0.1:3864]
protocol: sua
point_code: 2-100-3
answer_delay: 0s
hold_time: 30s
tcap_continues: 2
capacity: 50
policy: priority
priority: 4
`), 0o600); err != nil {
		t.Fatal(err)
	}
	var flags gwcFile
	var cfgPath string
	fl := pflag.NewFlagSet("gwc", pflag.ContinueOnError)
	registerGWCFlags(fl, &flags, &cfgPath)
	if err := fl.Parse([]string{"--config", p, "--capacity", "70", "--routing-context", "9"}); err != nil {
		t.Fatal(err)
	}
	file, set, err := loadConfigFile[gwcFile](cfgPath)
	if err != nil {
		t.Fatal(err)
	}
	cfg, level, err := gwcConfig(mergeConfig(fl, file, set, flags))
	if err != nil {
		t.Fatal(err)
	}
	carrier, _ := transport.LookupProfile("carrier")
	switch {
	case len(cfg.Registrars) != 2 || cfg.Protocol != mxua.SUA || cfg.Agent.PointCode != 2<<11|100<<3|3:
		t.Fatalf("file not applied: %+v", cfg)
	case cfg.Agent.AnswerDelay != 0 || cfg.Agent.HoldTime != 30*time.Second || cfg.Agent.TCAPContinues != 2:
		t.Fatalf("agent config %+v", cfg.Agent)
	case cfg.Capacity != 70 || cfg.RoutingContext != 9:
		t.Fatalf("flags did not override: capacity %d RC %d", cfg.Capacity, cfg.RoutingContext)
	case cfg.Policy.Type != wire.PolicyPriority || cfg.Policy.Priority != 4:
		t.Fatalf("policy %+v", cfg.Policy)
	case cfg.Pool != gwc.DefaultPool || cfg.Listen != gwc.DefaultListen || cfg.Profile != carrier || level.String() != "info" ||
		cfg.Agent.ReleaseTimeout != gwc.DefaultReleaseTimeout || cfg.LoadInterval != gwc.DefaultLoadInterval:
		t.Fatalf("defaults lost: %+v (log level %v)", cfg, level)
	}
}

// `sigpool gwc` registers with a registrar under its pool, with the Least
// Used policy at load 0, serves /metrics, and deregisters at Ctrl-C.
func TestGWCCommandRegisters(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 30*time.Second)
	defer cancel()
	profile, _ := transport.LookupProfile("carrier")
	core := enrp.ConfigForProfile(profile)
	core.ServerID = 0x61
	reg, err := enrp.Start(ctx, enrp.Options{Core: core, Listen: []string{"tcp://127.0.0.1:0"}, Profile: profile})
	if err != nil {
		t.Fatal(err)
	}
	defer reg.Close()
	addr := reg.Addrs(wire.ProtocolASAP)[0]

	rctx, stop := context.WithCancel(ctx)
	var out, errOut syncBuffer
	done := make(chan error, 1)
	go func() {
		root := newRootCommand()
		root.SetOut(&out)
		root.SetErr(&errOut)
		root.SetArgs([]string{"gwc", "--registrar", addr, "--pool", "gwc-cmd", "--id", "77", "--metrics", "127.0.0.1:0", "--log-level", "debug"})
		done <- root.ExecuteContext(rctx)
	}()
	waitFor(t, "registration", func() bool { return strings.Contains(out.String(), "registered") })
	if !strings.Contains(out.String(), "metrics on http://127.0.0.1:") {
		t.Fatalf("output %q", out.String())
	}
	hr, err := enrp.Resolve(ctx, addr, profile, wire.PoolHandle("gwc-cmd"), wire.AllItems)
	if err != nil || len(hr.PoolElements) != 1 || hr.PoolElements[0].Identifier != 77 || hr.PoolElements[0].Policy.Type != wire.PolicyLeastUsed {
		t.Fatalf("resolve: %+v %v", hr, err)
	}
	stop()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("gwc exited with %v; log:\n%s", err, errOut.String())
		}
	case <-ctx.Done():
		t.Fatal("gwc did not exit")
	}
	if !strings.Contains(out.String(), "bye") {
		t.Fatalf("output %q", out.String())
	}
	waitFor(t, "deregistration", func() bool {
		hr, err := enrp.Resolve(ctx, addr, profile, wire.PoolHandle("gwc-cmd"), wire.AllItems)
		return err != nil || len(hr.PoolElements) == 0
	})
}
