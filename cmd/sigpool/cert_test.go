package main

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"github.com/sigpool/sigpool/transport"
)

func runRoot(t *testing.T, args ...string) (string, error) {
	t.Helper()
	root := newRootCommand()
	var out bytes.Buffer
	root.SetOut(&out)
	root.SetErr(&out)
	root.SetArgs(args)
	err := root.Execute()
	return out.String(), err
}

func TestCertCommandMakesUsableTLSFiles(t *testing.T) {
	dir := t.TempDir()
	if out, err := runRoot(t, "cert", "ca", "--dir", dir); err != nil {
		t.Fatalf("cert ca: %v\n%s", err, out)
	}
	for _, name := range []string{"registrar-1", "gwc-1"} {
		if out, err := runRoot(t, "cert", "issue", name, "--ca", dir, "--dir", dir, "--host", "127.0.0.1", "--host", "gwc1.lab"); err != nil {
			t.Fatalf("cert issue %s: %v\n%s", name, err, out)
		}
	}
	for _, server := range []bool{true, false} {
		f := transport.TLSFiles{Cert: filepath.Join(dir, "gwc-1.crt"), Key: filepath.Join(dir, "gwc-1.key"), CA: filepath.Join(dir, "ca.crt")}
		if _, err := f.Load(server); err != nil {
			t.Fatalf("load issued files (server=%v): %v", server, err)
		}
	}
	if _, err := runRoot(t, "cert", "issue", "../evil", "--ca", dir, "--dir", dir); err == nil || !strings.Contains(err.Error(), "path") {
		t.Errorf("path in the name: %v", err)
	}
	if _, err := runRoot(t, "cert", "issue", "x", "--ca", t.TempDir(), "--dir", dir); err == nil {
		t.Error("issue without a CA succeeded")
	}
}
