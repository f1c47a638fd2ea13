package main

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sigpool/sigpool/gwc"
	"github.com/sigpool/sigpool/internal/transporttest"
	"github.com/sigpool/sigpool/sg"
	"github.com/sigpool/sigpool/transport"
)

// labCerts makes a CA and certificates for names with `sigpool cert`, and
// returns the directory holding them.
func labCerts(t *testing.T, names ...string) string {
	t.Helper()
	dir := t.TempDir()
	if out, err := runRoot(t, "cert", "ca", "--dir", dir); err != nil {
		t.Fatalf("cert ca: %v\n%s", err, out)
	}
	for _, n := range names {
		if out, err := runRoot(t, "cert", "issue", n, "--ca", dir, "--dir", dir, "--host", "127.0.0.1"); err != nil {
			t.Fatalf("cert issue %s: %v\n%s", n, err, out)
		}
	}
	return dir
}

func tlsArgs(dir, name string) []string {
	return []string{"--tls-cert", filepath.Join(dir, name+".crt"), "--tls-key", filepath.Join(dir, name+".key"), "--tls-ca", filepath.Join(dir, "ca.crt")}
}

const labPolicy = `default: deny
rules:
  - identity: "gwc-*"
    register: ["gwc"]
  - identity: "sg-*"
    resolve: ["gwc"]
`

func TestSecurityFlagErrors(t *testing.T) {
	dir := labCerts(t, "registrar-1")
	policy := filepath.Join(dir, "policy.yaml")
	if err := os.WriteFile(policy, []byte(labPolicy), 0o600); err != nil {
		t.Fatal(err)
	}
	crt := filepath.Join(dir, "registrar-1.crt")
	route := []string{"--route", "dpc=2:gwc"}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"enrp", "--tls-cert", crt}, "--tls-cert"},
		{[]string{"enrp", "--authz", policy}, "--authz needs"},
		{append([]string{"enrp", "--authz", filepath.Join(dir, "none.yaml")}, tlsArgs(dir, "registrar-1")...), "--authz"},
		{[]string{"enrp", "--max-message-size", "20"}, "--max-message-size"},
		{[]string{"enrp", "--first-message-timeout", "-1s"}, "negative"},
		{[]string{"enrp", "--max-pes-per-pool", "-1"}, "negative"},
		{[]string{"enrp", "--pcap", filepath.Join(dir, "no", "such", "dir.pcap")}, "--pcap"},
		{append([]string{"sg", "--upstream-tls"}, route...), "--upstream-tls needs"},
		{append([]string{"sg", "--authz", policy}, route...), "--authz needs"},
		{append(append([]string{"sg", "--enrp", "remote", "--registrar", "tcp://127.0.0.1:1", "--authz", policy}, route...), tlsArgs(dir, "registrar-1")...), "--enrp embedded"},
		{[]string{"gwc", "--registrar", "tcp://127.0.0.1:3863", "--tls-key", crt}, "--tls-cert"},
		{[]string{"pe", "echo", "--pool", "p", "--registrar", "tcp://127.0.0.1:3863", "--tls-ca", crt}, "--tls-cert"},
		{[]string{"pu", "echo", "--pool", "p", "--registrar", "tcp://127.0.0.1:3863", "--tls-ca", crt}, "--tls-cert"},
		{[]string{"pool", "ls", "--registrar", "tcp://127.0.0.1:9901", "--tls-cert", crt}, "--tls-cert"},
	} {
		_, err := runSigpoolENRP(t, t.Context(), tc.args...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: got %v, want an error mentioning %q", tc.args, err, tc.want)
		}
	}
	// YAML keys reach the options.
	o, err := enrpOptions(enrpFile{TLSCert: crt, TLSKey: filepath.Join(dir, "registrar-1.key"), TLSCA: filepath.Join(dir, "ca.crt"), Authz: policy,
		MaxPEsPerPool: 7, MaxPoolsPerNamespace: 9, MaxAddresses: 4, MaxMessageSize: 4096, FirstMessageTimeout: time.Second, IdleTimeout: time.Minute, PaceOverLimit: true})
	if err != nil {
		t.Fatal(err)
	}
	c := o.Core
	if o.TLSServer == nil || o.TLSClient == nil || c.Authorization == nil || c.Handlespace.MaxPEsPerPool != 7 || c.Handlespace.MaxPoolsPerNamespace != 9 ||
		c.Handlespace.MaxAddresses != 4 || o.MaxMessageSize != 4096 || c.FirstMessageTimeout != time.Second || c.IdleTimeout != time.Minute || !c.PaceOverLimit {
		t.Fatalf("options: %+v", o)
	}
}

// A registrar's YAML file that leaves the new limits out keeps the flags'
// defaults (first-message timeout, pacing on).
func TestENRPFileKeepsLimitDefaults(t *testing.T) {
	p := filepath.Join(t.TempDir(), "enrp.yaml")
	if err := os.WriteFile(p, []byte("server_id: 5\nidle_timeout: 1m\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	cmd := newENRPCommand()
	if err := cmd.ParseFlags(nil); err != nil {
		t.Fatal(err)
	}
	var flags enrpFile
	flags.FirstMessageTimeout, _ = cmd.Flags().GetDuration("first-message-timeout")
	flags.PaceOverLimit, _ = cmd.Flags().GetBool("pace-over-limit")
	f, err := loadENRPFileOver(p, flags)
	if err != nil {
		t.Fatal(err)
	}
	o, err := enrpOptions(f)
	if err != nil {
		t.Fatal(err)
	}
	if o.Core.FirstMessageTimeout != 10*time.Second || !o.Core.PaceOverLimit || o.Core.IdleTimeout != time.Minute {
		t.Fatalf("first %v pace %v idle %v", o.Core.FirstMessageTimeout, o.Core.PaceOverLimit, o.Core.IdleTimeout)
	}
}

// An SG (embedded registrar with an authorization policy) and a GWC built
// from the command-line flags: the GWC registers and the SG reaches it over
// mutually authenticated TLS, a GWC without TLS never registers, and
// --pcap records the associations.
func TestSecureSGAndGWCFromFlags(t *testing.T) {
	transporttest.TCPOnly(t, "TLS runs over TCP")
	dir := labCerts(t, "sg-1", "gwc-1", "gwc-2")
	scfg := secureSGConfig(t, dir)
	pcap := filepath.Join(dir, "sg.pcap")
	var err error
	if scfg.Capture, err = openCapture(pcap); err != nil {
		t.Fatal(err)
	}
	ctx, s := startTestSG(t, scfg)
	gwcFor := func(name string, tls bool) gwc.Config {
		f := gwcFile{Registrars: s.RegistrarAddrs(), Listen: "tcp://127.0.0.1:0", Pool: "gwc", Policy: "roundrobin", Profile: "carrier",
			Protocol: "m3ua", Capacity: 10, LogLevel: "warn"}
		if tls {
			f.TLSCert, f.TLSKey, f.TLSCA = filepath.Join(dir, name+".crt"), filepath.Join(dir, name+".key"), filepath.Join(dir, "ca.crt")
		}
		c, _, err := gwcConfig(f)
		if err != nil {
			t.Fatal(err)
		}
		return c
	}
	g, err := gwc.Start(ctx, gwcFor("gwc-1", true))
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	if err := g.Registered(ctx); err != nil {
		t.Fatalf("TLS GWC: %v", err)
	}
	if err := s.WaitActive(ctx, "gwc", 1); err != nil {
		t.Fatalf("the SG did not reach the GWC over TLS: %v", err)
	}
	plain, err := gwc.Start(ctx, gwcFor("gwc-2", false))
	if err != nil {
		t.Fatal(err)
	}
	defer plain.Close()
	rctx, rcancel := context.WithTimeout(ctx, 1500*time.Millisecond)
	err = plain.Registered(rctx)
	rcancel()
	if err == nil {
		t.Fatal("a GWC without TLS registered with a TLS registrar")
	}
	g.Close()
	plain.Close()
	s.Close()
	if err := closeCapture(scfg.Capture); err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(pcap); err != nil || st.Size() <= 24+16 {
		t.Fatalf("capture: %v, %v bytes", err, st)
	}
}

// Without TLS files a component says once, at warn level, that it runs
// plain and unauthenticated.
func TestPlainRunWarnsOnce(t *testing.T) {
	transporttest.TCPOnly(t, "the registrar listens on tcp://")
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	pr, pw := io.Pipe()
	root := newRootCommand()
	root.SetOut(io.Discard)
	root.SetErr(pw)
	root.SetArgs([]string{"enrp", "--listen", "tcp://127.0.0.1:0", "--enrp-listen", "", "--server-id", "7"})
	done := make(chan error, 1)
	go func() {
		done <- root.ExecuteContext(ctx)
		pw.Close()
	}()
	lines := bufio.NewScanner(pr)
	warnings := 0
	for lines.Scan() {
		l := lines.Text()
		if strings.Contains(l, "WARN") && strings.Contains(l, "plain") && strings.Contains(l, "unauthenticated") {
			warnings++
		}
		if strings.Contains(l, "registrar started") {
			break
		}
	}
	// The warning follows the start line.
	if lines.Scan() && strings.Contains(lines.Text(), "plain") && strings.Contains(lines.Text(), "unauthenticated") {
		warnings++
	}
	cancel()
	for lines.Scan() {
	}
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	if warnings != 1 {
		t.Fatalf("%d plain-mode warnings, want 1", warnings)
	}
}

// secureSGConfig is the configuration `sigpool sg` builds from flags for
// sg-1 of dir's lab CA: TLS, an embedded registrar with labPolicy (written
// to dir/policy.yaml).
func secureSGConfig(t *testing.T, dir string) sg.Config {
	t.Helper()
	policy := filepath.Join(dir, "policy.yaml")
	if err := os.WriteFile(policy, []byte(labPolicy), 0o600); err != nil {
		t.Fatal(err)
	}
	c, _, err := sgConfig(sgFile{M3UAListen: "tcp://127.0.0.1:0", Routes: []string{"dpc=2:gwc"}, ENRP: "embedded",
		ENRPListen: "tcp://127.0.0.1:0", Profile: "carrier", LogLevel: "warn", Authz: policy,
		TLSCert: filepath.Join(dir, "sg-1.crt"), TLSKey: filepath.Join(dir, "sg-1.key"), TLSCA: filepath.Join(dir, "ca.crt")})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// gwc --authz serves the SGs the policy lets resolve its pool and turns
// away any other certificate holder of the CA at once.
func TestGWCAuthorizesSGs(t *testing.T) {
	transporttest.TCPOnly(t, "TLS runs over TCP")
	dir := labCerts(t, "sg-1", "gwc-1", "rogue-1")
	scfg := secureSGConfig(t, dir)
	policy := filepath.Join(dir, "policy.yaml")
	ctx, s := startTestSG(t, scfg)
	gcfg, _, err := gwcConfig(gwcFile{Registrars: s.RegistrarAddrs(), Listen: "tcp://127.0.0.1:0", Pool: "gwc", Policy: "roundrobin",
		Profile: "carrier", Protocol: "m3ua", Capacity: 10, LogLevel: "warn", Authz: policy,
		TLSCert: filepath.Join(dir, "gwc-1.crt"), TLSKey: filepath.Join(dir, "gwc-1.key"), TLSCA: filepath.Join(dir, "ca.crt")})
	if err != nil {
		t.Fatal(err)
	}
	if gcfg.Authorization == nil {
		t.Fatal("--authz gave the GWC no policy")
	}
	g, err := gwc.Start(ctx, gcfg)
	if err != nil {
		t.Fatal(err)
	}
	defer g.Close()
	if err := s.WaitActive(ctx, "gwc", 1); err != nil {
		t.Fatalf("the authorized SG did not reach the GWC: %v", err)
	}
	// Another certificate of the same CA, allowed nothing by the policy.
	_, rogue, err := loadTLS(filepath.Join(dir, "rogue-1.crt"), filepath.Join(dir, "rogue-1.key"), filepath.Join(dir, "ca.crt"))
	if err != nil {
		t.Fatal(err)
	}
	ut := g.UserTransport()
	a, err := transport.Dial(ctx, fmt.Sprintf("tcp://%v:%d", ut.Addresses[0], ut.Port), transport.Config{TLS: rogue})
	if err != nil {
		t.Fatalf("TLS itself refused the CA's certificate: %v", err)
	}
	defer a.Abort()
	rctx, rcancel := context.WithTimeout(ctx, 5*time.Second)
	defer rcancel()
	if m, err := a.Recv(rctx); err == nil || rctx.Err() != nil {
		t.Fatalf("the unauthorized peer's association lives on: got %v, %v", m, err)
	}
	if st := g.Stats(); st.Refused != 1 || len(st.Peers) != 1 {
		t.Fatalf("refused %d, serving %d SG associations; want 1 and 1", st.Refused, len(st.Peers))
	}
	// The plain path is closed too: no certificate, no name.
	if _, _, err := gwcConfig(gwcFile{Registrars: []string{"tcp://127.0.0.1:1"}, Listen: "tcp://127.0.0.1:0", Pool: "gwc",
		Policy: "roundrobin", Profile: "carrier", Protocol: "m3ua", Capacity: 10, LogLevel: "warn", Authz: policy}); err == nil || !strings.Contains(err.Error(), "--authz needs") {
		t.Fatalf("--authz without TLS: %v", err)
	}
}

// startTestSG starts an SG for a test of at most 20 s; it is closed when
// the test ends.
func startTestSG(t *testing.T, scfg sg.Config) (context.Context, *sg.SG) {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	t.Cleanup(cancel)
	s, err := sg.Start(ctx, scfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.Close() })
	return ctx, s
}
