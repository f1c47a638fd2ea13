package scenarios

import (
	"bytes"
	"embed"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
)

// examples are the scenario files shipped in scenarios/examples.
//
//go:embed examples/*.yaml examples/*.pcap
var examples embed.FS

// Builtin returns a shipped scenario by name ("lab", "gwc-crash", ...).
func Builtin(name string) (*Scenario, error) {
	b, err := examples.ReadFile(path.Join("examples", name+".yaml"))
	if err != nil {
		return nil, fmt.Errorf("no built-in scenario %q (have: %s)", name, strings.Join(BuiltinNames(), ", "))
	}
	s, err := parseBuiltin(name, b)
	if err != nil {
		return nil, err
	}
	return s, nil
}

// parseBuiltin parses an embedded scenario; one that replays a capture
// gets the capture written to a temporary directory, where its relative
// file name then resolves.
func parseBuiltin(name string, b []byte) (*Scenario, error) {
	file := "examples/" + name + ".yaml"
	if !bytes.Contains(b, []byte("pcap:")) {
		return Parse(file, b)
	}
	dir, err := os.MkdirTemp("", "sigpool-builtin-")
	if err != nil {
		return nil, err
	}
	entries, _ := examples.ReadDir("examples")
	for _, e := range entries {
		if !strings.HasSuffix(e.Name(), ".pcap") {
			continue
		}
		data, err := examples.ReadFile(path.Join("examples", e.Name()))
		if err != nil {
			return nil, err
		}
		if err := os.WriteFile(filepath.Join(dir, e.Name()), data, 0o644); err != nil {
			return nil, err
		}
	}
	return Parse(filepath.Join(dir, name+".yaml"), b)
}

// BuiltinNames lists the shipped scenarios.
func BuiltinNames() []string {
	entries, _ := examples.ReadDir("examples")
	var names []string
	for _, e := range entries {
		if n, ok := strings.CutSuffix(e.Name(), ".yaml"); ok {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	return names
}
