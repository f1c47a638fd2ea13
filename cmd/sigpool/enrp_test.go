package main

import (
	"bytes"
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/sigpool/sigpool/enrp"
	"github.com/sigpool/sigpool/transport"
	"github.com/sigpool/sigpool/wire"
)

func runSigpoolENRP(t *testing.T, ctx context.Context, args ...string) (string, error) {
	t.Helper()
	root := newRootCommand()
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&out)
	root.SetArgs(args)
	err := root.ExecuteContext(ctx)
	return out.String(), err
}

func TestENRPBadFlagsAndConfig(t *testing.T) {
	dir := t.TempDir()
	bad := filepath.Join(dir, "bad.yaml")
	os.WriteFile(bad, []byte("listen:\n  - tcp://127.0.0.1:0\nkeepalive_intervall: 1s\n"), 0o600)
	badDur := filepath.Join(dir, "dur.yaml")
	os.WriteFile(badDur, []byte("keepalive_interval: soon\n"), 0o600)
	cases := []struct {
		args []string
		want string
	}{
		{[]string{"enrp", "--config", bad}, "line 3"},
		{[]string{"enrp", "--config", badDur}, "line 1"},
		{[]string{"enrp", "--config", filepath.Join(dir, "missing.yaml")}, "no such file"},
		{[]string{"enrp", "--server-id", "0"}, "--server-id"},
		{[]string{"enrp", "--server-id", "0x1FFFFFFFF"}, "--server-id"},
		{[]string{"enrp", "--listen", "udp://1.2.3.4:5"}, "--listen"},
		{[]string{"enrp", "--profile", "nope"}, "--profile"},
		{[]string{"enrp", "--max-items", "200"}, "--max-items"},
		{[]string{"enrp", "--keepalive-timeout", "-1s"}, "negative"},
		{[]string{"pool", "ls", "--registrar", "tcp://nope"}, "--registrar"},
		{[]string{"pool", "resolve", "x", "--items", "many"}, "--items"},
		{[]string{"pool", "resolve"}, "arg"},
	}
	for _, tc := range cases {
		_, err := runSigpoolENRP(t, t.Context(), tc.args...)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%v: got %v, want error mentioning %q", tc.args, err, tc.want)
		}
	}
}

func TestENRPConfigFileAndFlagsOverride(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "enrp.yaml")
	os.WriteFile(p, []byte("server_id: 0x99\nkeepalive_interval: 2s\nkeepalive_timeout: 3s\nmax_items: 5\n"), 0o600)
	f, err := loadENRPFile(p)
	if err != nil {
		t.Fatal(err)
	}
	o, err := enrpOptions(f)
	if err != nil {
		t.Fatal(err)
	}
	if o.Core.ServerID != 0x99 || o.Core.KeepAliveInterval != 2*time.Second || o.Core.KeepAliveTimeout != 3*time.Second || o.Core.MaxHandleResolutionItems != 5 {
		t.Fatalf("file not applied: %+v", o.Core)
	}
	// A registrar from file + flag override, answering pool ls/resolve.
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error, 1)
	go func() {
		_, err := runSigpoolENRP(t, ctx, "enrp", "--config", p, "--server-id", "0x77", "--listen", "tcp://127.0.0.1:23863", "--enrp-listen", "tcp://127.0.0.1:29901", "--profile", "carrier")
		done <- err
	}()
	defer func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	}()
	var out string
	deadline := time.Now().Add(3 * time.Second)
	for {
		out, err = runSigpoolENRP(t, t.Context(), "pool", "ls", "--registrar", "tcp://127.0.0.1:29901", "--json")
		if err == nil || time.Now().After(deadline) {
			break
		}
		time.Sleep(20 * time.Millisecond)
	}
	if err != nil || strings.TrimSpace(out) != "[]" {
		t.Fatalf("pool ls: %q %v", out, err)
	}
	// register a PE over raw ASAP
	resp, err := enrp.Resolve(t.Context(), "tcp://127.0.0.1:23863", pflZero(), wire.PoolHandle("none"), 0)
	if err == nil || resp == nil {
		t.Fatalf("unknown pool resolved: %v", err)
	}
	_, entries, err := enrp.FetchHandleTable(t.Context(), "tcp://127.0.0.1:29901", pflZero())
	if err != nil || len(entries) != 0 {
		t.Fatal(err)
	}
	id, _, _ := enrp.FetchHandleTable(t.Context(), "tcp://127.0.0.1:29901", pflZero())
	if id != 0x77 {
		t.Fatalf("flag did not override the file: server ID 0x%x", id)
	}
	if _, err := runSigpoolENRP(t, t.Context(), "pool", "resolve", "none", "--registrar", "tcp://127.0.0.1:23863"); err == nil || !strings.Contains(err.Error(), "unknown pool handle") {
		t.Fatalf("resolve unknown: %v", err)
	}
}

func TestPoolRowsJSON(t *testing.T) {
	var b bytes.Buffer
	p := wire.PoolElement{Identifier: 7, HomeRegistrar: 9, RegistrationLife: 30000, Policy: wire.Policy{Type: wire.PolicyLeastUsed, Load: wire.FractionOf(0.5)}}
	if err := printRows(&b, []poolRow{rowOf(wire.PoolHandle("gwc"), p)}, true); err != nil {
		t.Fatal(err)
	}
	var rows []map[string]any
	if err := json.Unmarshal(b.Bytes(), &rows); err != nil || rows[0]["load"] != "50.0%" || rows[0]["pe_id"] != "0x00000007" {
		t.Fatalf("%s %v", b.String(), err)
	}
	b.Reset()
	printRows(&b, []poolRow{rowOf(wire.PoolHandle("gwc"), p)}, false)
	if !strings.Contains(b.String(), "POOL HANDLE") || !strings.Contains(b.String(), "Least Used") {
		t.Fatal(b.String())
	}
}

func pflZero() transport.Profile { return transport.Profile{} }
