package handlespace

import (
	"fmt"
	"math/rand/v2"
	"testing"

	"github.com/sigpool/sigpool/wire"
)

type key struct {
	h  string
	id wire.PEIdentifier
}

func TestPagingWalksInOrderWithMoreFlag(t *testing.T) {
	h := newHS(Config{})
	ns := h.Namespace("")
	for i := range 25 {
		mustRegister(t, ns, fmt.Sprintf("pool-%d", i%4), element(wire.PEIdentifier(100-i), 1, rr), t0)
	}
	var all []key
	var c Cursor
	for pages := 0; ; pages++ {
		page, next, more := ns.Page(c, 7, nil, nil)
		for _, pe := range page {
			all = append(all, key{pe.PoolHandle().String(), pe.Identifier()})
		}
		if !more {
			if len(page) != 25-7*pages {
				t.Errorf("last page has %d", len(page))
			}
			break
		}
		if len(page) != 7 {
			t.Fatalf("page of %d with more set", len(page))
		}
		c = next
	}
	if len(all) != 25 {
		t.Fatalf("walked %d PEs", len(all))
	}
	for i := 1; i < len(all); i++ {
		if a, b := all[i-1], all[i]; a.h > b.h || (a.h == b.h && a.id >= b.id) {
			t.Fatalf("out of order: %v then %v", a, b)
		}
	}
	// Exactly a page's worth: more is false.
	if _, _, more := ns.Page(Cursor{}, 25, nil, nil); more {
		t.Error("more set when everything fit")
	}
	if _, _, more := ns.Page(Cursor{}, 0, nil, nil); !more {
		t.Error("max 0 should report more")
	}
}

func TestPageFiltersByOwner(t *testing.T) {
	h := newHS(Config{})
	ns := h.Namespace("")
	for id := wire.PEIdentifier(1); id <= 20; id++ {
		mustRegister(t, ns, "p", element(id, uint32(id%2), rr), t0)
	}
	mine := func(pe *PoolElement) bool { return pe.HomeRegistrar() == 1 }
	page, c, more := ns.Page(Cursor{}, 6, mine, nil)
	page, _, more2 := ns.Page(c, 6, mine, page)
	if len(page) != 10 || !more || more2 {
		t.Fatalf("got %d owned PEs, more %v %v", len(page), more, more2)
	}
	for _, pe := range page {
		if pe.HomeRegistrar() != 1 {
			t.Errorf("foreign PE %v", pe)
		}
	}
}

// PEs registered for the whole walk are returned exactly once, in order,
// whatever joins and leaves between pages (including the cursor's own PE and
// pool).
func TestPagingCursorStableUnderModification(t *testing.T) {
	h := newHS(Config{})
	ns := h.Namespace("")
	r := rand.New(rand.NewPCG(9, 9))
	handle := func() string { return fmt.Sprintf("h%02d", r.IntN(12)) }
	stable := map[key]bool{}
	for id := wire.PEIdentifier(1); id <= 300; id++ {
		ph := handle()
		if _, ok := ns.Lookup(wire.PoolHandle(ph), id); ok {
			continue
		}
		mustRegister(t, ns, ph, element(id, 1, rr), t0)
		stable[key{ph, id}] = true
	}
	// Churn uses identifiers above 1000, plus removing the stable PE at the cursor
	// (which is then no longer "stable").
	seen := map[key]int{}
	var prev key
	var c Cursor
	for {
		page, next, more := ns.Page(c, 9, nil, nil)
		for _, pe := range page {
			k := key{pe.PoolHandle().String(), pe.Identifier()}
			if k.h < prev.h || (k.h == prev.h && k.id <= prev.id) {
				t.Fatalf("%v after %v", k, prev)
			}
			prev = k
			seen[k]++
		}
		for range 5 {
			id := wire.PEIdentifier(1000 + r.IntN(500))
			ph := handle()
			if r.IntN(2) == 0 {
				ns.Register(wire.PoolHandle(ph), element(id, 1, rr), t0)
			} else {
				ns.Deregister(wire.PoolHandle(ph), id)
			}
		}
		if len(page) > 0 && r.IntN(3) == 0 {
			last := page[len(page)-1]
			delete(stable, key{last.PoolHandle().String(), last.Identifier()})
			ns.Remove(last)
		}
		if !more {
			break
		}
		c = next
	}
	for k := range stable {
		if seen[k] != 1 {
			t.Errorf("stable PE %v seen %d times", k, seen[k])
		}
	}
	for k, n := range seen {
		if n != 1 {
			t.Errorf("PE %v seen %d times", k, n)
		}
	}
}
