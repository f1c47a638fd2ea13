package asap

import (
	"net/netip"
	"testing"
	"time"

	"github.com/sigpool/sigpool/transport"
	"github.com/sigpool/sigpool/wire"
)

var t0 = time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)

var testTimers = Timers{
	ReregistrationInterval: 30 * time.Second,
	ResponseTimeout:        time.Second,
	MaxRequestRetransmit:   2,
	ReconnectMin:           100 * time.Millisecond,
	ReconnectMax:           time.Second,
	DeregistrationTimeout:  2 * time.Second,
	CacheTTL:               5 * time.Second,
	UnreachableHold:        10 * time.Second,
}

func testElement(id wire.PEIdentifier, port uint16) wire.PoolElement {
	return wire.PoolElement{
		Identifier: id,
		UserTransport: wire.Transport{Kind: wire.TransportTCP, Port: port, Use: wire.TransportUseDataPlusControl,
			Addresses: []netip.Addr{netip.MustParseAddr("127.0.0.1")}},
		Policy: wire.Policy{Type: wire.PolicyRoundRobin},
	}
}

// only returns the single action of type T in acts, failing otherwise.
func only[T Action](t *testing.T, acts []Action) T {
	t.Helper()
	var found []T
	for _, a := range acts {
		if x, ok := a.(T); ok {
			found = append(found, x)
		}
	}
	if len(found) != 1 {
		var zero T
		t.Fatalf("want exactly one %T in %#v, got %d", zero, acts, len(found))
	}
	return found[0]
}

func none[T Action](t *testing.T, acts []Action) {
	t.Helper()
	for _, a := range acts {
		if _, ok := a.(T); ok {
			t.Fatalf("unexpected %T in %#v", a, acts)
		}
	}
}

func sentMsg[M wire.Message](t *testing.T, acts []Action, assoc AssocID) M {
	t.Helper()
	var found []M
	for _, a := range acts {
		if s, ok := a.(Send); ok {
			if m, ok := s.Msg.(M); ok {
				if s.Assoc != assoc {
					t.Fatalf("%T sent on association %d, want %d", m, s.Assoc, assoc)
				}
				found = append(found, m)
			}
		}
	}
	if len(found) != 1 {
		var zero M
		t.Fatalf("want one %T sent in %#v, got %d", zero, acts, len(found))
	}
	return found[0]
}

func mustProfile(t *testing.T, name string) transport.Profile {
	t.Helper()
	p, err := transport.LookupProfile(name)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func zeroProfileForTest() transport.Profile { return transport.Profile{} }
