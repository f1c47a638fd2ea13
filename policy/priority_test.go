package policy

import (
	"slices"
	"testing"

	"github.com/sigpool/sigpool/wire"
)

func TestPriorityPrefersHighestAndRotatesAmongEquals(t *testing.T) {
	p := build(wire.Policy{Priority: 1}, wire.Policy{Priority: 7}, wire.Policy{Priority: 7}, wire.Policy{Priority: 3})
	var got []wire.PEIdentifier
	for range 4 {
		got = append(got, ids(p, Priority{}.Select(p, Request{N: 1}, nil, nil))...)
	}
	if want := []wire.PEIdentifier{2, 3, 2, 3}; !slices.Equal(got, want) {
		t.Errorf("picks %v, want %v", got, want)
	}
	list := ids(p, Priority{}.Select(p, Request{N: 4}, nil, nil))
	if want := []wire.PEIdentifier{2, 3, 4, 1}; !slices.Equal(list, want) {
		t.Errorf("full list %v, want %v (descending priority)", list, want)
	}
}
