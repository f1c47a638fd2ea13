package sg

import (
	"context"
	"fmt"
	"time"

	"go.uber.org/zap"

	"github.com/sigpool/sigpool/internal/logburst"
	"github.com/sigpool/sigpool/mxua"
	"github.com/sigpool/sigpool/transport"
)

// Uplink is an SS7-side SGP (an STP such as osmo-stp) the SG dials as an
// ASP, instead of (or besides) SS7-side ASPs dialling the SG's listeners:
// the STP puts the SG in one of its ASes and sends it the pool's traffic;
// the answers go back on the same association. The SG brings its ASP up
// and active, answers and sends BEAT (the heartbeat profile), and dials
// again after a loss.
type Uplink struct {
	// Address of the STP's listener: "sctp://10.0.0.5:2905"; over TCP
	// "sigtran+tcp://..." for plain SIGTRAN framing (a foreign STP),
	// "tcp://..." for sigpool's mux framing.
	Address string
	// Protocol is M3UA (the default) or SUA.
	Protocol mxua.Protocol
	// RoutingContext of the AS the STP serves the SG in, sent in ASP
	// Active and in every message (default Config.UpstreamRoutingContext).
	RoutingContext uint32
}

// uplinkBase marks the core's upstream IDs of uplinks: an SGP server
// numbers its associations from 1 and never reaches it.
const uplinkBase mxua.AssocID = 1 << 62

// uplink is one configured Uplink at run time.
type uplink struct {
	cfg Uplink
	id  mxua.AssocID      // the core's upstream ID
	ep  *mxua.ASPEndpoint // nil until the first dial succeeded (s.mu)
	asp mxua.ASPState     // as last notified (s.mu)
}

// uplinkOf returns the uplink a core upstream ID names, or nil.
func (s *SG) uplinkOf(id mxua.AssocID) *uplink {
	if id&uplinkBase == 0 {
		return nil
	}
	if i := int(id &^ uplinkBase); i < len(s.uplinks) {
		return s.uplinks[i]
	}
	return nil
}

// activeUplink returns an ACTIVE uplink of proto (the first configured),
// for traffic from the pool that has no SS7-side origin to follow back.
func (s *SG) activeUplink(proto mxua.Protocol) *uplink {
	for _, u := range s.uplinks {
		if u.cfg.Protocol == proto && u.ep != nil && u.asp == mxua.ASPActive {
			return u
		}
	}
	return nil
}

// sendUplink hands m to u's ASP (lock held; Send queues when ACTIVE).
func (s *SG) sendUplink(u *uplink, m *mxua.Message) {
	if u.ep == nil {
		s.dcnt.UpstreamDropped++
		return
	}
	if err := u.ep.Send(s.ctx, m); err != nil {
		s.dcnt.UpstreamDropped++
		s.log.Debug("send to uplink failed", zap.String("uplink", u.cfg.Address), zap.Error(err))
	}
}

// runUplink dials u until it answers, then feeds its traffic and ASP
// states to the core until the SG closes. The endpoint redials by itself
// after a loss.
func (s *SG) runUplink(u *uplink) {
	defer s.nwg.Done()
	log := s.log.With(zap.String("uplink", u.cfg.Address))
	// checkUplinks parsed it: "sigtran+tcp://" for a foreign STP over TCP.
	addr, framing, _ := transport.ParseFramedAddress(u.cfg.Address, transport.FramingMux)
	cfg := mxua.ASPEndpointConfig{
		Address:   addr,
		Transport: transport.Config{Profile: s.cfg.Profile, Framing: framing, Logger: quiet(s.log), Capture: s.cfg.Capture},
		ASP: mxua.ASPConfig{Protocol: u.cfg.Protocol, RoutingContexts: []uint32{u.cfg.RoutingContext},
			Profile: s.cfg.Profile},
		Logger: s.log.Named("uplink"),
	}
	var ep *mxua.ASPEndpoint
	for wait := time.Second; ; wait = min(2*wait, 30*time.Second) {
		ctx, cancel := context.WithTimeout(s.ctx, 10*time.Second)
		e, err := mxua.DialASP(ctx, cfg)
		cancel()
		if err == nil {
			ep = e
			break
		}
		if s.ctx.Err() != nil {
			return
		}
		log.Warn("uplink not reachable; dialling again", zap.Error(err), zap.Duration("in", wait))
		select {
		case <-s.ctx.Done():
			return
		case <-time.After(wait):
		}
	}
	s.mu.Lock()
	if s.closed {
		s.mu.Unlock()
		_ = ep.Close()
		return
	}
	u.ep = ep
	s.mu.Unlock()
	log.Info("uplink connected")
	go func() {
		<-s.ctx.Done()
		_ = ep.Close() // ends Notifications, and with it readNotes
	}()
	proto := u.cfg.Protocol
	var discards logburst.Counter // this reader's own
	s.readNotes(ep.Notifications(), func(now time.Time, n mxua.Notify) []Action {
		switch n.Kind {
		case mxua.NotifyDeliver:
			return s.core.FromSS7(now, proto, u.id, n.RoutingContext, n.Msg)
		case mxua.NotifyASPState:
			u.asp = n.ASP
			log.Info("uplink ASP", zap.Stringer("protocol", proto), zap.Stringer("state", n.ASP), zap.String("reason", n.Reason))
			return s.core.UpstreamASP(now, proto, u.id, n.ASP)
		case mxua.NotifyDiscarded:
			s.upstreamDiscarded(now, &discards, log, "uplink ASP discarded traffic", n)
		case mxua.NotifyPeerLost, mxua.NotifyError, mxua.NotifyRequestFailed:
			log.Warn("uplink ASP: "+n.Kind.String(), zap.String("reason", n.Reason))
		}
		return nil
	})
}

// checkUplinks validates and completes the configured uplinks.
func checkUplinks(ups []Uplink, rc uint32) ([]Uplink, error) {
	out := make([]Uplink, len(ups))
	for i, u := range ups {
		if u.Address == "" {
			return nil, fmt.Errorf("sg: uplink %d: no address", i+1)
		}
		if _, _, err := transport.ParseFramedAddress(u.Address, transport.FramingMux); err != nil {
			return nil, fmt.Errorf("sg: uplink %d: %w", i+1, err)
		}
		if u.Protocol == 0 {
			u.Protocol = mxua.M3UA
		}
		if u.Protocol != mxua.M3UA && u.Protocol != mxua.SUA {
			return nil, fmt.Errorf("sg: uplink %s: protocol %v: want M3UA or SUA", u.Address, u.Protocol)
		}
		if u.RoutingContext == 0 {
			u.RoutingContext = rc
		}
		out[i] = u
	}
	return out, nil
}
