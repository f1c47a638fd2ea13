package enrp

import (
	"context"
	"net/netip"
	"strings"
	"testing"
	"time"

	"github.com/sigpool/sigpool/handlespace"
	"github.com/sigpool/sigpool/transport"
	"github.com/sigpool/sigpool/wire"
)

// aborted reports whether the last call asked the driver to abort id.
func (f *fake) aborted(id AssocID) bool {
	for _, a := range f.acts.Aborts {
		if a == id {
			return true
		}
	}
	return false
}

// advanceAborts moves the clock like advance and returns every
// association the timers asked to abort on the way; reply, if given, sees
// each message the timers sent.
func (f *fake) advanceAborts(d time.Duration, reply ...func(wire.Message)) []AssocID {
	f.t.Helper()
	end := f.now.Add(d)
	var out []AssocID
	for {
		dl, ok := f.c.NextDeadline()
		if !ok || dl.After(end) {
			break
		}
		f.now = dl
		f.acts.Reset()
		f.c.Tick(f.now, &f.acts)
		out = append(out, f.acts.Aborts...)
		if len(reply) > 0 {
			for _, m := range f.out() {
				reply[0](m)
			}
		}
	}
	f.now = end
	return out
}

func TestFirstMessageTimeout(t *testing.T) {
	f := newFake(t, Config{FirstMessageTimeout: time.Second})
	for id := AssocID(1); id <= 3; id++ {
		f.c.Accepted(f.now, id)
	}
	// 1 speaks at once, 2 sends only garbage, 3 stays silent; 4 was not
	// accepted by a listener (the registrar dialled it): exempt.
	f.in(1, &wire.HandleResolution{PoolHandle: wire.PoolHandle("p")})
	f.raw(2, []byte{0x01, 0x00, 0x00, 0x08, 0xff, 0xff, 0x00, 0x04})
	closed := f.advanceAborts(1250 * time.Millisecond)
	if len(closed) != 2 || !containsID(closed, 2) || !containsID(closed, 3) {
		t.Fatalf("closed %v, want associations 2 and 3 within 1.25 s", closed)
	}
	if st := f.c.Stats(); st.Closed != 2 {
		t.Errorf("Closed = %d, want 2", st.Closed)
	}
	// Nothing more to watch: the sweep stops asking for ticks.
	f.c.AssociationDown(f.now, 2, &f.acts)
	f.c.AssociationDown(f.now, 3, &f.acts)
	if got := f.advanceAborts(time.Hour); len(got) != 0 {
		t.Fatalf("later aborts %v", got)
	}
}

func TestIdleTimeout(t *testing.T) {
	f := newFake(t, Config{IdleTimeout: 10 * time.Second, KeepAliveInterval: time.Hour, KeepAliveTimeout: time.Hour})
	for id := AssocID(1); id <= 2; id++ {
		f.c.Accepted(f.now, id)
	}
	f.in(1, reg("p", pe(1, 5001, rr))) // a PE: never idle, keep-alives watch it
	f.in(2, &wire.HandleResolution{PoolHandle: wire.PoolHandle("p")})
	if got := f.advanceAborts(8 * time.Second); len(got) != 0 {
		t.Fatalf("closed %v before the idle timeout", got)
	}
	f.in(2, &wire.HandleResolution{PoolHandle: wire.PoolHandle("p")}) // heard again: the clock restarts
	if got := f.advanceAborts(8 * time.Second); len(got) != 0 {
		t.Fatalf("closed %v although it spoke 8 s ago", got)
	}
	got := f.advanceAborts(5 * time.Second)
	if len(got) != 1 || got[0] != 2 {
		t.Fatalf("closed %v, want the silent PU (2) only", got)
	}
}

func TestTimeoutsOffByDefault(t *testing.T) {
	f := newFake(t, Config{KeepAliveInterval: time.Hour})
	f.c.Accepted(f.now, 1)
	if got := f.advanceAborts(24 * time.Hour); len(got) != 0 {
		t.Fatalf("zero Config closed %v", got)
	}
	if c := ConfigForProfile(transport.Profile{}); c.FirstMessageTimeout != DefaultFirstMessageTimeout || !c.PaceOverLimit || c.IdleTimeout != 0 {
		t.Fatalf("ConfigForProfile: first %v, pace %v, idle %v", c.FirstMessageTimeout, c.PaceOverLimit, c.IdleTimeout)
	}
}

func containsID(ids []AssocID, id AssocID) bool {
	for _, x := range ids {
		if x == id {
			return true
		}
	}
	return false
}

func TestReadPause(t *testing.T) {
	f := newFake(t, Config{ResolutionRate: 100, ResolutionBurst: 3, UnreachableRate: 10, UnreachableBurst: 1, PaceOverLimit: true})
	res := &wire.HandleResolution{PoolHandle: wire.PoolHandle("p")}
	for i := range 3 {
		f.in(1, res)
		if d := f.c.ReadPause(f.now, 1); (i < 2 && d != 0) || (i == 2 && d != 10*time.Millisecond) {
			t.Fatalf("after resolution %d: pause %v", i+1, d)
		}
	}
	f.now = f.now.Add(4 * time.Millisecond)
	if d := f.c.ReadPause(f.now, 1); d != 6*time.Millisecond {
		t.Fatalf("4 ms later: pause %v, want 6ms", d)
	}
	f.now = f.now.Add(6 * time.Millisecond)
	if d := f.c.ReadPause(f.now, 1); d != 0 {
		t.Fatalf("token back: pause %v", d)
	}
	// The token is there: the paced reader's next request is answered.
	if r := one[*wire.HandleResolutionResponse](t, f.in(1, res)); causeOf(r.Error) == wire.CauseLackOfResources {
		t.Fatal("a paced association got an error once its token was back")
	}
	// Unreachable reports pace too; other associations are untouched.
	f.in(2, &wire.EndpointUnreachable{PoolHandle: wire.PoolHandle("p"), PEIdentifier: 1})
	if d := f.c.ReadPause(f.now, 2); d != 100*time.Millisecond {
		t.Fatalf("after an unreachable report at 10/s: pause %v", d)
	}
	if d := f.c.ReadPause(f.now, 3); d != 0 {
		t.Fatalf("fresh association paused %v", d)
	}
	// Without PaceOverLimit the excess is answered with an Operation Error.
	g := newFake(t, Config{ResolutionRate: 100, ResolutionBurst: 1})
	g.in(1, res)
	if d := g.c.ReadPause(g.now, 1); d != 0 {
		t.Fatalf("pacing off: pause %v", d)
	}
	if r := one[*wire.HandleResolutionResponse](t, g.in(1, res)); causeOf(r.Error) != wire.CauseLackOfResources {
		t.Fatalf("excess without pacing: %v", r)
	}
}

func TestPoolAndNamespaceLimits(t *testing.T) {
	f := newFake(t, Config{Handlespace: handlespace.Config{MaxPEsPerPool: 2, MaxPoolsPerNamespace: 2}})
	for i, c := range []struct {
		pool   string
		id     uint32
		reject bool
	}{{"a", 1, false}, {"a", 2, false}, {"a", 3, true}, {"b", 4, false}, {"c", 5, true}, {"a", 1, false}} {
		r := one[*wire.RegistrationResponse](t, f.in(1, reg(c.pool, pe(c.id, uint16(5000+c.id), rr))))
		if r.Reject != c.reject || (c.reject && causeOf(r.Error) != wire.CauseLackOfResources) {
			t.Errorf("registration %d (%s/%d): %+v, want reject=%v (lack of resources)", i, c.pool, c.id, r, c.reject)
		}
	}
}

func TestMaxPEsPerAssociation(t *testing.T) {
	f := newFake(t, Config{MaxPEsPerAssociation: 2})
	for id := uint32(1); id <= 3; id++ {
		r := one[*wire.RegistrationResponse](t, f.in(1, reg("p", pe(id, uint16(5000+id), rr))))
		if want := id == 3; r.Reject != want {
			t.Fatalf("PE %d: reject %v, want %v", id, r.Reject, want)
		}
	}
	// Re-registering a PE it holds is no new PE; another association has its own count.
	if r := one[*wire.RegistrationResponse](t, f.in(1, reg("p", pe(2, 5002, rr)))); r.Reject {
		t.Fatal("re-registration refused")
	}
	if r := one[*wire.RegistrationResponse](t, f.in(2, reg("p", pe(3, 5003, rr)))); r.Reject {
		t.Fatal("other association refused")
	}
}

func TestTooManyAddresses(t *testing.T) {
	f := newFake(t, Config{})
	p := pe(1, 5001, rr)
	p.UserTransport.Kind = wire.TransportSCTP // TCP carries one address only
	for i := range handlespace.DefaultMaxAddresses + 1 {
		p.UserTransport.Addresses = append(p.UserTransport.Addresses, netip.AddrFrom4([4]byte{10, 0, byte(i >> 8), byte(i + 1)}))
	}
	r := one[*wire.RegistrationResponse](t, f.in(1, reg("p", p)))
	if !r.Reject || causeOf(r.Error) != wire.CauseInvalidValues {
		t.Fatalf("registration with %d addresses: %+v", len(p.UserTransport.Addresses), r)
	}
}

// The driver closes a connection that never speaks, and one that sends a
// message larger than MaxMessageSize.
func TestDriverClosesSilentAndOversized(t *testing.T) {
	cfg := Config{ServerID: 0xabcd, FirstMessageTimeout: 200 * time.Millisecond}
	r, err := Start(context.Background(), Options{Core: cfg, Listen: []string{"tcp://127.0.0.1:0"}, MaxMessageSize: 256})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	silent, talker := dialRaw(t, r), dialRaw(t, r)
	talker.send(&wire.HandleResolution{PoolHandle: wire.PoolHandle("p")})
	if _, err := talker.read(5 * time.Second); err != nil {
		t.Fatalf("talker: %v", err)
	}
	if !silent.closed(5 * time.Second) {
		t.Fatal("a silent connection was not closed")
	}
	if talker.closed(300 * time.Millisecond) {
		t.Fatal("a connection that spoke was closed")
	}
	big := asapMsg(0x05, 0, tlv(0x0009, []byte(strings.Repeat("x", 300))))
	talker.write(big)
	if !talker.closed(5 * time.Second) {
		t.Fatal("a 300-byte message over a 256-byte limit did not end the association")
	}
	var st Stats
	r.Do(func(c *Core) { st = c.Stats() })
	if st.Closed != 1 {
		t.Errorf("Closed = %d, want 1", st.Closed)
	}
}
