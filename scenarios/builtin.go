package scenarios

import (
	"embed"
	"fmt"
	"path"
	"sort"
	"strings"
)

// examples are the scenario files shipped in scenarios/examples.
//
//go:embed examples/*.yaml
var examples embed.FS

// Builtin returns a shipped scenario by name ("lab", "gwc-crash", ...).
func Builtin(name string) (*Scenario, error) {
	b, err := examples.ReadFile(path.Join("examples", name+".yaml"))
	if err != nil {
		return nil, fmt.Errorf("no built-in scenario %q (have: %s)", name, strings.Join(BuiltinNames(), ", "))
	}
	return Parse("examples/"+name+".yaml", b)
}

// BuiltinNames lists the shipped scenarios.
func BuiltinNames() []string {
	entries, _ := examples.ReadDir("examples")
	var names []string
	for _, e := range entries {
		names = append(names, strings.TrimSuffix(e.Name(), ".yaml"))
	}
	sort.Strings(names)
	return names
}
