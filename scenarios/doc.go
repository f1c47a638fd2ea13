// Package scenarios reads scenario files, runs them against real sigpool
// processes on loopback (registrars, GWCs, an SG, and the SS7 side played by
// a SEP simulator), injects faults on a timeline and writes reports.
//
// A scenario file is YAML (docs/scenarios.md): a topology, traffic, faults
// and expectations that decide pass or fail. Files are checked strictly
// before anything starts: unknown keys, wrong types and timelines that
// cannot happen are refused with the file, line and reason.
//
// The package drives processes as a user would; it never imports sg or gwc.
package scenarios
