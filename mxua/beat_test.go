package mxua

import (
	"testing"
	"time"
)

// A peer that never answers a BEAT but keeps sending is alive: what it
// sends counts as a BEAT ACK would, whether the core sees the messages
// (MessageIn) or the driver only reports them (PeerHeard, for traffic it
// delivered by itself). Once it falls silent it is declared lost within
// the carrier profile's (AppHBMiss+1) x AppHBInterval, after AppHBMiss
// unanswered BEATs. Both cores, both kinds of proof.
func TestBEATPeerHeardKeepsPeerAlive(t *testing.T) {
	cores := []struct {
		name  string
		start func(t *testing.T) (*rig, AssocID, func() bool)
	}{
		{"ASP", func(t *testing.T) (*rig, AssocID, func() bool) {
			a, r := aspRig(t, func(c *ASPConfig) { c.Profile = carrierProfile(t) })
			r.activate()
			return r, 1, func() bool { return a.State() == ASPActive }
		}},
		{"SGP", func(t *testing.T) (*rig, AssocID, func() bool) {
			s, r := sgpRig(t, TrafficModeLoadshare, func(c *SGPConfig) { c.Profile = carrierProfile(t) })
			r.up(3, 0)
			r.active(3, TrafficModeLoadshare, 10)
			r.take()
			return r, 3, func() bool { return s.ASPState(3) == ASPActive }
		}},
	}
	proofs := []struct {
		name string
		ev   func(assoc AssocID) Event
	}{
		// The peer's own BEAT: a message the core handles.
		{"message", func(assoc AssocID) Event {
			return MessageIn{Assoc: assoc, Msg: &Message{Protocol: M3UA, Kind: KindBEAT, HeartbeatData: []byte("own")}}
		}},
		{"PeerHeard", func(assoc AssocID) Event { return PeerHeard{Assoc: assoc} }},
	}
	p := carrierProfile(t)
	budget := time.Duration(p.AppHBMiss+1)*p.AppHBInterval + 10*time.Millisecond
	for _, c := range cores {
		for _, pr := range proofs {
			t.Run(c.name+"/"+pr.name, func(t *testing.T) {
				r, assoc, alive := c.start(t)
				lost := func(acts []Action) bool {
					for _, n := range notifies(acts, NotifyPeerLost) {
						if n.Assoc == assoc {
							return true
						}
					}
					return false
				}
				// Two seconds (20 BEAT periods) of traffic, no BEAT ACK.
				beats := 0
				for range 200 {
					r.advance(10 * time.Millisecond)
					r.step(pr.ev(assoc))
					acts := r.take()
					for _, m := range sentTo(acts, assoc) {
						if m.Kind == KindBEAT {
							beats++
						}
					}
					if lost(acts) || !alive() {
						t.Fatalf("a peer sending every 10 ms declared lost at %v", r.now.Sub(t0))
					}
				}
				if beats < 15 {
					t.Fatalf("%d BEATs in 2 s with a %v interval: the test proves nothing", beats, p.AppHBInterval)
				}
				// Silence.
				silent := r.now
				beats = 0
				var at time.Time
				for r.now.Sub(silent) < time.Second && at.IsZero() {
					r.advance(10 * time.Millisecond)
					acts := r.take()
					for _, m := range sentTo(acts, assoc) {
						if m.Kind == KindBEAT {
							beats++
						}
					}
					if lost(acts) {
						at = r.now
					}
				}
				if at.IsZero() || at.Sub(silent) > budget || beats != p.AppHBMiss {
					t.Fatalf("silent peer: lost after %v (budget %v) with %d BEATs (want %d)", at.Sub(silent), budget, beats, p.AppHBMiss)
				}
				if alive() {
					t.Fatal("lost peer's ASP still active")
				}
			})
		}
	}
}
