package policy

import (
	"slices"
	"testing"

	"github.com/sigpool/sigpool/wire"
)

func ids(p *Pool, idx []int) []wire.PEIdentifier {
	out := make([]wire.PEIdentifier, len(idx))
	for i, j := range idx {
		out[i] = p.Members[j].ID
	}
	return out
}

func TestRoundRobinIsExact(t *testing.T) {
	p := build(make([]wire.Policy, 4)...)
	var got []wire.PEIdentifier
	for range 8 {
		got = append(got, ids(p, RoundRobin{}.Select(p, Request{N: 1}, nil, nil))...)
	}
	want := []wire.PEIdentifier{1, 2, 3, 4, 1, 2, 3, 4}
	if !slices.Equal(got, want) {
		t.Errorf("sequence %v, want %v", got, want)
	}
}

func TestRoundRobinListsAdvanceByOne(t *testing.T) {
	p := build(make([]wire.Policy, 5)...)
	for _, want := range [][]wire.PEIdentifier{{1, 2, 3}, {2, 3, 4}, {3, 4, 5}, {4, 5, 1}} {
		if got := ids(p, RoundRobin{}.Select(p, Request{N: 3}, nil, nil)); !slices.Equal(got, want) {
			t.Fatalf("got %v, want %v", got, want)
		}
	}
	// Advance: 3 hands all three out: the next list starts after them.
	p = build(make([]wire.Policy, 5)...)
	for _, want := range [][]wire.PEIdentifier{{1, 2, 3}, {4, 5, 1}, {2, 3, 4}} {
		if got := ids(p, RoundRobin{}.Select(p, Request{N: 3, Advance: 3}, nil, nil)); !slices.Equal(got, want) {
			t.Fatalf("Advance 3: got %v, want %v", got, want)
		}
	}
}

func TestRoundRobinSurvivesMembershipChanges(t *testing.T) {
	p := build(make([]wire.Policy, 4)...) // PEs 1..4
	pick := func() wire.PEIdentifier { return ids(p, RoundRobin{}.Select(p, Request{N: 1}, nil, nil))[0] }
	if pick() != 1 || pick() != 2 {
		t.Fatal("bad start")
	}
	// PE 3 leaves, PE 0 joins (sorts first by ID, but queues last in the round).
	i, _ := p.Index(3)
	p.RemoveAt(i)
	p.Upsert(0, wire.Policy{})
	// A re-registration keeps the position of PE 4.
	p.Upsert(4, wire.Policy{})
	var got []wire.PEIdentifier
	for range 6 {
		got = append(got, pick())
	}
	want := []wire.PEIdentifier{4, 1, 2, 0, 4, 1}
	if !slices.Equal(got, want) {
		t.Errorf("after changes %v, want %v", got, want)
	}
}
