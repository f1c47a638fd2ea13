package policy

import (
	"slices"
	"testing"

	"github.com/sigpool/sigpool/wire"
)

func TestPriorityLeastUsedRanksByLoadAfterOneMoreRequest(t *testing.T) {
	p := build(
		wire.Policy{Load: load(0.2), LoadDegradation: load(0.3)}, // 0.5
		wire.Policy{Load: load(0.3), LoadDegradation: load(0.1)}, // 0.4
	)
	for range 3 { // no state: always the same
		if got := ids(p, PriorityLeastUsed{}.Select(p, Request{N: 1}, nil, nil)); got[0] != 2 {
			t.Fatalf("picked %v, want PE 2", got)
		}
	}
}

func TestPriorityLeastUsedWithDegradation(t *testing.T) {
	p := build(
		wire.Policy{Load: load(0.1), LoadDegradation: load(0.2)}, // 0.3, +0.2 per pick
		wire.Policy{Load: load(0.3), LoadDegradation: load(0.1)}, // 0.4, +0.1 per pick
	)
	var got []wire.PEIdentifier
	for range 4 {
		got = append(got, ids(p, PriorityLeastUsedWithDegradation{}.Select(p, Request{N: 1}, nil, nil))...)
	}
	// 0.3/0.4 -> 1; 0.5/0.4 -> 2; 0.5/0.5 tie -> 1 (selected longer ago); 0.7/0.5 -> 2.
	if want := []wire.PEIdentifier{1, 2, 1, 2}; !slices.Equal(got, want) {
		t.Errorf("picks %v, want %v", got, want)
	}
}
