// Package tsharktest is the shared scaffolding of sigpool's tshark
// conformance tests: write frames as a synthetic SCTP capture, have tshark
// dissect it, and fail (rather than skip) where the tools are required.
package tsharktest

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/sigpool/sigpool/internal/sctppcap"
	"github.com/sigpool/sigpool/internal/tshark"
)

// Require skips the test when tshark is missing, except where the tools are
// required (make test sets SIGPOOL_REQUIRE_TOOLS=1, CI sets CI): there a
// missing tshark fails the test. Inside the kernel SCTP VM (VMTEST set),
// which runs whole package binaries but carries no tshark, conformance is
// left to the host run of the same package.
func Require(t testing.TB) {
	t.Helper()
	if os.Getenv("VMTEST") != "" {
		t.Skip("tshark conformance runs on the host, not in the VM")
	}
	if _, err := tshark.Path(); err != nil {
		if os.Getenv("SIGPOOL_REQUIRE_TOOLS") != "" || os.Getenv("CI") != "" {
			t.Fatal(err)
		}
		t.Skip(err)
	}
}

// Dissect writes frames to a capture named name and returns tshark's
// dissection, one packet per frame; extra are further tshark options. With
// SIGPOOL_KEEP_PCAP set to a directory the capture is also kept there, to
// be opened in Wireshark.
func Dissect(t testing.TB, name string, frames []sctppcap.Frame, extra ...string) []tshark.Packet {
	t.Helper()
	Require(t)
	var buf bytes.Buffer
	w, err := sctppcap.NewWriter(&buf)
	if err != nil {
		t.Fatal(err)
	}
	for i, f := range frames {
		if err := w.WriteFrame(f); err != nil {
			t.Fatalf("frame %d: %v", i, err)
		}
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	if dir := os.Getenv("SIGPOOL_KEEP_PCAP"); dir != "" {
		if err := os.WriteFile(filepath.Join(dir, name), buf.Bytes(), 0o644); err != nil {
			t.Logf("keep capture: %v", err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	pkts, err := tshark.Decode(ctx, path, extra...)
	if err != nil {
		t.Fatal(err)
	}
	if len(pkts) != len(frames) {
		t.Fatalf("tshark returned %d packets for %d frames", len(pkts), len(frames))
	}
	return pkts
}
