package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sigpool/sigpool/internal/transporttest"
	"github.com/sigpool/sigpool/mxua"
	"github.com/sigpool/sigpool/sg"
)

func TestSGBadFlagsAndConfig(t *testing.T) {
	dir := t.TempDir()
	write := func(name, body string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	unknown := write("unknown.yaml", "route:\n  - dpc=2:gwc\nfailover_hlod: 1s\n")
	badDur := write("dur.yaml", "route: [\"dpc=2:gwc\"]\nfailover_hold: soon\n")
	route := []string{"--route", "dpc=2:gwc"}
	with := func(args ...string) []string { return append(append([]string{"sg"}, route...), args...) }
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"sg", "--config", unknown}, "line 3"},
		{[]string{"sg", "--config", badDur}, "line 2"},
		{[]string{"sg", "--config", filepath.Join(dir, "missing.yaml")}, "no such file"},
		{[]string{"sg"}, "--route"},
		{[]string{"sg", "--route", "dpc=2"}, "--route"},
		{[]string{"sg", "--route", "cic=5000:gwc"}, "--route"},
		{with("--pool", "gwc,protocol=isdn"), "--pool"},
		{with("--pool", "gwc,rc=0"), "--pool"},
		{with("--pool", ",protocol=sua"), "--pool"},
		{with("--enrp", "remote"), "--registrar"},
		{with("--registrar", "tcp://127.0.0.1:3863"), "--enrp remote"},
		{with("--enrp", "remote", "--registrar", "nope"), "--registrar"},
		{with("--enrp", "both"), "--enrp"},
		{with("--enrp-listen", "udp://1.2.3.4:5"), "--enrp-listen"},
		{with("--m3ua-listen", ""), "--sua-listen"},
		{with("--m3ua-listen", "udp://x:1"), "--m3ua-listen"},
		{with("--profile", "nope"), "--profile"},
		{with("--point-code", "8-0-0"), "--point-code"},
		{with("--failover-hold", "-1s"), "negative"},
		{with("--max-bindings", "-1"), "negative"},
		{with("--log-level", "chatty"), "--log-level"},
		{with("--pool", "gwc,protocol=sua"), "no SUA listener"},
		{with("--m3ua-uplink", "udp://x:1"), "--m3ua-uplink"},
		{with("--m3ua-listen", "", "--sua-uplink", "bogus+tcp://1.2.3.4:5"), "--sua-uplink"},
	}
	for _, tc := range cases {
		_, err := runSigpoolENRP(t, t.Context(), tc.args...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: got %v, want error mentioning %q", tc.args, err, tc.want)
		}
	}
}

// An SG with no listener that dials STPs instead: each uplink flag gives
// one uplink of its protocol.
func TestSGUplinkFlags(t *testing.T) {
	c, _, err := sgConfig(sgFile{Routes: []string{"dpc=2:gwc"}, ENRP: "embedded", ENRPListen: "tcp://127.0.0.1:0",
		Profile: "carrier", LogLevel: "info", M3UAUplinks: []string{"sctp://10.0.0.5:2905", "sigtran+tcp://10.0.0.6:2905"},
		SUAUplinks: []string{"sctp://10.0.0.5:14001"}})
	if err != nil {
		t.Fatal(err)
	}
	want := []sg.Uplink{{Address: "sctp://10.0.0.5:2905", Protocol: mxua.M3UA}, {Address: "sigtran+tcp://10.0.0.6:2905", Protocol: mxua.M3UA},
		{Address: "sctp://10.0.0.5:14001", Protocol: mxua.SUA}}
	if fmt.Sprint(c.Uplinks) != fmt.Sprint(want) || c.M3UAListen != "" {
		t.Fatalf("uplinks %v (listen %q), want %v", c.Uplinks, c.M3UAListen, want)
	}
}

func TestSGConfigFileAndFlagsOverride(t *testing.T) {
	p := filepath.Join(t.TempDir(), "sg.yaml")
	body := `m3ua_listen: tcp://127.0.0.1:0
sua_listen: tcp://127.0.0.1:0
route:
  - dpc=2,si=5,cic=0-4095:gwc
  - dpc=3:tcap
pool:
  - tcap,protocol=sua,rc=4,pc=3
point_code: 2-100-3
failover_hold: 3s
log_level: debug
`
	if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
		t.Fatal(err)
	}
	file, set, err := loadConfigFile[sgFile](p)
	if err != nil {
		t.Fatal(err)
	}
	cmd := newSGCommand()
	fl := cmd.Flags()
	if err := fl.Parse([]string{"--failover-hold", "5s", "--point-code", "77"}); err != nil {
		t.Fatal(err)
	}
	var flags sgFile
	// Read the flag values back into an sgFile as RunE does.
	flags.M3UAListen, _ = fl.GetString("m3ua-listen")
	flags.ENRP, _ = fl.GetString("enrp")
	flags.ENRPListen, _ = fl.GetString("enrp-listen")
	flags.Profile, _ = fl.GetString("profile")
	flags.PointCode, _ = fl.GetString("point-code")
	flags.FailoverHold, _ = fl.GetDuration("failover-hold")
	flags.LogLevel, _ = fl.GetString("log-level")
	cfg, level, err := sgConfig(mergeConfig(fl, file, set, flags))
	if err != nil {
		t.Fatal(err)
	}
	if cfg.FailoverHold != 5*time.Second || cfg.PointCode != 77 || level.String() != "debug" {
		t.Fatalf("override: hold %v pc %d level %v", cfg.FailoverHold, cfg.PointCode, level)
	}
	if len(cfg.Routes) != 2 || cfg.Routes[0].String() != "dpc=2,si=5,cic=0-4095:gwc" || cfg.SUAListen == "" {
		t.Fatalf("routes from the file: %v", cfg.Routes)
	}
	if len(cfg.Pools) != 1 || cfg.Pools[0].Protocol != mxua.SUA || cfg.Pools[0].RoutingContext != 4 || cfg.Pools[0].PointCodes[0] != 3 {
		t.Fatalf("pools from the file: %+v", cfg.Pools)
	}
	if cfg.ENRPListen != defaultSGENRPListen || cfg.Profile.Name != "carrier" {
		t.Fatalf("defaults: %q %q", cfg.ENRPListen, cfg.Profile.Name)
	}
}

// TestSGCommandRuns starts `sigpool sg` with an embedded registrar, reads
// its addresses, scrapes its metrics and stops it.
func TestSGCommandRuns(t *testing.T) {
	transporttest.TCPOnly(t, "the SG listens on tcp://")
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	pr, pw := io.Pipe()
	root := newRootCommand()
	root.SetOut(pw)
	root.SetErr(io.Discard)
	root.SetArgs([]string{"sg", "--m3ua-listen", "tcp://127.0.0.1:0", "--enrp-listen", "tcp://127.0.0.1:0", "--metrics", "127.0.0.1:0",
		"--route", "dpc=2:gwc", "--log-level", "warn"})
	done := make(chan error, 1)
	go func() {
		done <- root.ExecuteContext(ctx)
		pw.Close()
	}()
	lines := bufio.NewScanner(pr)
	var metrics string
	var seen []string
	for lines.Scan() {
		l := lines.Text()
		seen = append(seen, l)
		if a, ok := strings.CutPrefix(l, "metrics on "); ok {
			metrics = a
			break
		}
	}
	if metrics == "" || !strings.HasPrefix(seen[0], "M3UA listening on tcp://127.0.0.1:") || !strings.HasPrefix(seen[1], "registrar (embedded) on tcp://127.0.0.1:") {
		t.Fatalf("output: %q", seen)
	}
	resp, err := http.Get(metrics)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	if !strings.Contains(string(b), `sg_pool_size{pool="gwc",state="active"} 0`) {
		t.Fatalf("metrics:\n%s", b)
	}
	cancel()
	var tail strings.Builder
	for lines.Scan() {
		tail.WriteString(lines.Text() + "\n")
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(tail.String(), "bye") {
		t.Fatalf("no goodbye: %q", tail.String())
	}
}
