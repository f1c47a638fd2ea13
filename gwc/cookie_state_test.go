package gwc

import (
	"errors"
	"reflect"
	"testing"
	"time"
)

// Both state kinds survive a round trip, with their times relative to the
// cookie's creation.
func TestStateRoundTrip(t *testing.T) {
	na := uint32(9)
	c := &call{cic: 4095, state: callReleasing, cause: 16, attempts: 2,
		r:        route{OPC: 0xffffff, DPC: 1, NI: 3, MP: 2, SLS: 15, RC: []uint32{1, 2}, NA: &na},
		answered: t0.Add(-90 * time.Second), due: t0.Add(15 * time.Second)}
	st, err := parseState(c.snapshot(t0))
	if err != nil {
		t.Fatal(err)
	}
	cs := st.(*circuitState)
	back := cs.call(circuit42, cs.base(t0))
	back.key = c.key
	if !reflect.DeepEqual(back, c) {
		t.Fatalf("circuit state round trip:\n got %+v\nwant %+v", back, c)
	}
	// Not answered, no deadline.
	c = &call{cic: 1, state: callAlerting}
	cs = must(parseState(c.snapshot(t0))).(*circuitState)
	if cs.AnsweredAgo >= 0 || cs.DueIn >= 0 || cs.Route.NA != nil || cs.Route.RC != nil {
		t.Fatalf("empty times and route came back as %+v", cs)
	}

	d := &dialogue{ss7TID: tidOf(t, 1, 2), poolTID: 0xdeadbeef, sent: 3, limit: 7}
	ds := must(parseState(d.snapshot(t0))).(*dialogueState)
	if ds.SS7TID != d.ss7TID || ds.PoolTID != d.poolTID || ds.Sent != 3 || ds.Limit != 7 || !ds.Created.Equal(t0) {
		t.Fatalf("dialogue state round trip: %+v", ds)
	}
}

func must[T any](v T, err error) T {
	if err != nil {
		panic(err)
	}
	return v
}

// Every truncation and every corrupted field is an error wrapping
// errState, never a panic or a wrong call.
func TestStateRejectsBadInput(t *testing.T) {
	good := [][]byte{
		(&call{cic: 42, state: callAnswered, r: route{RC: []uint32{1}}, answered: t0, due: t0.Add(time.Second)}).snapshot(t0),
		(&dialogue{ss7TID: tidOf(t, 1, 2, 3, 4), poolTID: 5}).snapshot(t0),
	}
	for _, g := range good {
		for n := range len(g) {
			if _, err := parseState(g[:n]); !errors.Is(err, errState) {
				t.Fatalf("state cut to %d of %d bytes: %v", n, len(g), err)
			}
		}
	}
	corrupt := func(b []byte, at int, v byte) []byte {
		c := append([]byte{}, b...)
		c[at] = v
		return c
	}
	for name, b := range map[string][]byte{
		"version":         corrupt(good[0], 0, 2),
		"kind":            corrupt(good[0], 1, 9),
		"call state":      corrupt(good[0], 10, 4),
		"cause":           corrupt(good[0], 11, 0x80),
		"CIC":             corrupt(good[0], 24, 0x10),
		"answered ago":    corrupt(good[0], 26, 0x7f),
		"NA flag":         corrupt(good[0], 42, 2),
		"RC count":        corrupt(good[0], 47, 200),
		"TID length":      corrupt(good[1], 10, 5),
		"zero TID length": corrupt(good[1], 10, 0),
		"trailing (call)": append(append([]byte{}, good[0]...), 0),
		"trailing (dlg.)": append(append([]byte{}, good[1]...), 0),
	} {
		if _, err := parseState(b); !errors.Is(err, errState) {
			t.Errorf("%s: %v", name, err)
		}
	}
}

// The state parser never panics and what it accepts encodes back the same.
func FuzzParseState(f *testing.F) {
	f.Add((&call{cic: 42, state: callAnswered, answered: t0, due: t0.Add(time.Second)}).snapshot(t0))
	f.Add((&dialogue{ss7TID: tidOf(f, 1), poolTID: 5}).snapshot(t0))
	f.Fuzz(func(t *testing.T, b []byte) {
		st, err := parseState(b)
		if err != nil {
			return
		}
		var again []byte
		switch s := st.(type) {
		case *circuitState:
			again = s.marshal()
		case *dialogueState:
			again = s.marshal()
		}
		if _, err := parseState(again); err != nil {
			t.Fatalf("re-encoded state refused: %v", err)
		}
	})
}
