//go:build !race

package enrp

// raceEnabled: the race detector slows the registrar several times.
const raceEnabled = false
