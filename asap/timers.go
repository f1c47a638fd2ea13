package asap

import (
	"fmt"
	"time"

	"github.com/sigpool/sigpool/transport"
)

// RSPLIB and RFC 5352 defaults.
const (
	// DefaultReregistrationInterval is RSPLIB's PE re-registration interval.
	DefaultReregistrationInterval = 30 * time.Second
	// DefaultMaxRequestRetransmit is RFC 5352's MAX-REQUEST-RETRANSMIT:
	// how often a request (Registration, Handle Resolution) is sent again
	// before the registrar is given up.
	DefaultMaxRequestRetransmit = 2
	// DefaultCacheTTL is how long a PU trusts a handle resolution
	// (RSPLIB's cache element timeout).
	DefaultCacheTTL = 5 * time.Second
)

// Timers are the ASAP endpoint timers. A zero field takes its default
// from TimersFor.
type Timers struct {
	// ReregistrationInterval (RFC 5352 T4-reregistration): how often a PE
	// registers again, refreshing its registration and carrying its
	// current load. Registration life is 3 x this (RSPLIB).
	ReregistrationInterval time.Duration
	// ResponseTimeout bounds the wait for one answer from a registrar:
	// Registration Response (T2-registration), Deregistration Response
	// (T3-deregistration) and Handle Resolution Response (T1-ENRPrequest).
	ResponseTimeout time.Duration
	// MaxRequestRetransmit is how many times a request is repeated (on
	// another registrar when several are known) before the PE moves on
	// or the PU gives up (and serves a stale cache entry).
	MaxRequestRetransmit int
	// ReconnectMin and ReconnectMax bound the back-off between rounds of
	// connection attempts once every known registrar has failed; it
	// doubles per round. Moving to the next registrar after one failure
	// is immediate.
	ReconnectMin, ReconnectMax time.Duration
	// DeregistrationTimeout bounds the wait for the Deregistration
	// Response on shutdown.
	DeregistrationTimeout time.Duration
	// CacheTTL is how long a PU uses a handle resolution before asking
	// again. Expired entries are still served when no registrar answers.
	CacheTTL time.Duration
	// UnreachableHold is how long a PU keeps a PE it found unreachable out
	// of selection (registrars remove a PE only after several reports).
	UnreachableHold time.Duration
}

// TimersFor returns the defaults for a heartbeat profile (zero: rfc4960):
//
//   - ReregistrationInterval 30 s (RSPLIB), whatever the profile;
//   - ResponseTimeout: the profile's application-heartbeat detection time,
//     AppHBInterval x (AppHBMiss+1), within [500 ms, 15 s] (15 s is RFC
//     5352's T1-ENRPrequest); 15 s when the profile has no application
//     heartbeat. carrier: 500 ms, wan: 4 s, rfc4960: 15 s;
//   - DeregistrationTimeout = ResponseTimeout;
//   - ReconnectMin = max(RTO.Initial, 100 ms), ReconnectMax = 10 x that,
//     at most 30 s;
//   - MaxRequestRetransmit 2 (RFC 5352), CacheTTL 5 s (RSPLIB);
//   - UnreachableHold = CacheTTL.
func TimersFor(p transport.Profile) Timers {
	p = profileOrDefault(p)
	rt := 15 * time.Second
	if p.AppHBInterval > 0 {
		rt = p.AppHBInterval * time.Duration(p.AppHBMiss+1)
		rt = min(max(rt, 500*time.Millisecond), 15*time.Second)
	}
	rmin := max(p.RTOInitial, 100*time.Millisecond)
	return Timers{
		ReregistrationInterval: DefaultReregistrationInterval,
		ResponseTimeout:        rt,
		MaxRequestRetransmit:   DefaultMaxRequestRetransmit,
		ReconnectMin:           rmin,
		ReconnectMax:           min(10*rmin, 30*time.Second),
		DeregistrationTimeout:  rt,
		CacheTTL:               DefaultCacheTTL,
		UnreachableHold:        DefaultCacheTTL,
	}
}

func profileOrDefault(p transport.Profile) transport.Profile {
	if p.Name == "" && p.RTOInitial == 0 {
		if d, err := transport.LookupProfile("rfc4960"); err == nil {
			return d
		}
	}
	return p
}

// withDefaults fills zero fields from TimersFor(p).
func (t Timers) withDefaults(p transport.Profile) Timers {
	d := TimersFor(p)
	set := func(v *time.Duration, def time.Duration) {
		if *v == 0 {
			*v = def
		}
	}
	set(&t.ReregistrationInterval, d.ReregistrationInterval)
	set(&t.ResponseTimeout, d.ResponseTimeout)
	set(&t.ReconnectMin, d.ReconnectMin)
	set(&t.ReconnectMax, d.ReconnectMax)
	set(&t.DeregistrationTimeout, d.DeregistrationTimeout)
	set(&t.CacheTTL, d.CacheTTL)
	set(&t.UnreachableHold, d.UnreachableHold)
	if t.MaxRequestRetransmit == 0 {
		t.MaxRequestRetransmit = d.MaxRequestRetransmit
	}
	if t.ReconnectMax < t.ReconnectMin {
		t.ReconnectMax = t.ReconnectMin
	}
	return t
}

// Validate rejects negative durations and counts.
func (t Timers) Validate() error {
	for _, f := range []struct {
		name string
		v    time.Duration
	}{
		{"reregistration interval", t.ReregistrationInterval},
		{"response timeout", t.ResponseTimeout},
		{"reconnect min", t.ReconnectMin},
		{"reconnect max", t.ReconnectMax},
		{"deregistration timeout", t.DeregistrationTimeout},
		{"cache TTL", t.CacheTTL},
		{"unreachable hold", t.UnreachableHold},
	} {
		if f.v < 0 {
			return fmt.Errorf("asap: %s %v is negative", f.name, f.v)
		}
	}
	if t.MaxRequestRetransmit < 0 {
		return fmt.Errorf("asap: max request retransmit %d is negative", t.MaxRequestRetransmit)
	}
	if t.ReregistrationInterval > 0xffffffff*time.Millisecond/3 {
		return fmt.Errorf("asap: reregistration interval %v: registration life (3x) does not fit 32-bit milliseconds", t.ReregistrationInterval)
	}
	return nil
}
