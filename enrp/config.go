package enrp

import (
	"fmt"
	"time"

	"github.com/sigpool/sigpool/handlespace"
	"github.com/sigpool/sigpool/internal/authz"
	"github.com/sigpool/sigpool/transport"
)

// RSPLIB registrar defaults, used where RFC 5352 leaves the value open.
const (
	DefaultKeepAliveInterval        = 5 * time.Second
	DefaultKeepAliveTimeout         = 5 * time.Second
	DefaultMaxBadPEReports          = 3
	DefaultMaxHandleResolutionItems = 3
	DefaultHandleResolutionItemsCap = 128
	DefaultHandleTableBlock         = 128 // PEs per Handle Table Response
	// DefaultBadPEReportWindow: reports older than this no longer count
	// (RSPLIB never forgets them; a window keeps a PE that failed one PU an
	// hour ago from being removed by two reports today).
	DefaultBadPEReportWindow = 30 * time.Second
	DefaultAnnounceInterval  = 1 * time.Second
	DefaultAnnounceAddress   = "239.0.0.50:3863"

	// ENRP peering (RSPLIB's registrar defaults).
	DefaultPeerHeartbeatCycle     = 2440 * time.Millisecond
	DefaultPeerMaxTimeLastHeard   = 5 * time.Second
	DefaultPeerMaxTimeNoResponse  = 5 * time.Second
	DefaultMentorDiscoveryTimeout = 5 * time.Second
	DefaultTakeoverExpiry         = 5 * time.Second
	// DefaultPresenceAddress is the RFC 5353 ENRP multicast group.
	DefaultPresenceAddress = "239.0.0.51:9901"

	// DefaultFirstMessageTimeout closes an accepted association that has
	// sent nothing valid this long after connecting: every sigpool and
	// RSPLIB client speaks first, at once, so only a half-open or hostile
	// connection waits.
	DefaultFirstMessageTimeout = 10 * time.Second
)

// Config tunes the registrar core. Zero fields take the defaults; see
// Defaults and ConfigForProfile.
type Config struct {
	// ServerID is this registrar's ENRP server identifier: the home
	// registrar ID of every PE registered here and the sender ID of its
	// keep-alives. Zero is invalid (NewCore rejects it; the CLI draws one).
	ServerID uint32
	// KeepAliveInterval is how long a PE may stay silent before the
	// registrar sends it an Endpoint Keep-Alive.
	KeepAliveInterval time.Duration
	// KeepAliveTimeout is how long the registrar waits for the Endpoint
	// Keep-Alive Ack before removing the PE.
	KeepAliveTimeout time.Duration
	// MaxBadPEReports Endpoint Unreachable reports within BadPEReportWindow,
	// each from a different reporter (its certificate identity, else its
	// address), remove a PE. The first report also sends the PE an
	// Endpoint Keep-Alive at once, so a PE that is really gone goes at
	// the keep-alive timeout whoever reported it, while forged reports
	// from one client cannot remove a live PE.
	MaxBadPEReports   int
	BadPEReportWindow time.Duration
	// Authorization, when set, decides by the peer's certificate identity
	// which pool handles it may register and resolve and whether it may
	// peer: refused registrations and resolutions get "rejected due to
	// security", ENRP messages from unauthorized peers are ignored (a
	// Handle Table Request needs the right to resolve "*"). Nil: off.
	Authorization *authz.Policy
	// MaxHandleResolutionItems is how many PEs a Handle Resolution without
	// the Handle Resolution Option gets; HandleResolutionItemsCap bounds what
	// the option may ask for (AllItems included).
	MaxHandleResolutionItems int
	HandleResolutionItemsCap int
	// HandleTableBlock bounds the PEs of one ENRP Handle Table Response.
	HandleTableBlock int
	// KeepOnAssociationLoss keeps a PE whose ASAP association ended until
	// its keep-alive or lifetime fails (RSPLIB); false (the default) removes
	// it at once, which is faster and safe: the PE re-registers when it
	// reconnects.
	KeepOnAssociationLoss bool
	// Per-association rate limits (token buckets, rate per second, burst);
	// rate 0 turns a limit off. Off by default.
	ResolutionRate    float64
	ResolutionBurst   float64
	UnreachableRate   float64
	UnreachableBurst  float64
	RegistrationRate  float64
	RegistrationBurst float64
	// MaxPEsPerAssociation bounds the PEs registered over one association
	// (0: no bound beyond the handlespace limits).
	MaxPEsPerAssociation int
	// PaceOverLimit, with a resolution or unreachable rate limit set,
	// paces an association that exhausted its bucket: ReadPause tells the
	// driver to stop reading it until a token is back, so its excess
	// waits in its own socket (TCP backpressure) instead of costing the
	// registrar a decode and an error reply each. Off in the zero Config;
	// ConfigForProfile and the CLI turn it on.
	PaceOverLimit bool
	// FirstMessageTimeout closes an accepted association that sent no
	// valid message this long after it came up (half-open, or a client
	// that only holds a socket); IdleTimeout closes one that holds no PE
	// and sent no valid message this long. Associations the registrar
	// opened itself (peers, taken-over PEs) are exempt. Zero: off;
	// ConfigForProfile gives DefaultFirstMessageTimeout and no idle limit
	// (a sigpool PU takes a closed registrar association for a failure and
	// backs off, so idle closing is for registrars facing the open).
	FirstMessageTimeout time.Duration
	IdleTimeout         time.Duration
	// Handlespace limits.
	Handlespace handlespace.Config

	// ENRP peering (RFC 5353). PeerHeartbeatCycle is the Presence period
	// (each one jittered x[0.875, 1.125], as RSPLIB); a peer not heard
	// from for PeerMaxTimeLastHeard gets a Presence with the R flag, and
	// one that does not answer within PeerMaxTimeNoResponse is taken over.
	// MentorDiscoveryTimeout bounds the wait for a first peer at start-up;
	// TakeoverExpiry is how long a takeover waits for Init Takeover Acks
	// (and how long a registrar that acked waits for the Takeover Server).
	PeerHeartbeatCycle     time.Duration
	PeerMaxTimeLastHeard   time.Duration
	PeerMaxTimeNoResponse  time.Duration
	MentorDiscoveryTimeout time.Duration
	TakeoverExpiry         time.Duration
	// Rand draws the Presence jitter; nil: a PCG seeded from ServerID
	// (deterministic, as the cores are tested; drivers pass a seeded one).
	Rand Rand
}

// Rand is the random source of the peering timers.
type Rand interface {
	Float64() float64
}

// ConfigForProfile returns the defaults with the keep-alive timers taken
// from the heartbeat profile: interval = AppHBInterval, timeout =
// AppHBInterval x AppHBMiss, so a dead or frozen PE disappears within
// AppHBInterval x (AppHBMiss+1) (400 ms with carrier). A profile whose
// application heartbeat is off gives RSPLIB's 5 s / 5 s.
func ConfigForProfile(p transport.Profile) Config {
	c := Config{FirstMessageTimeout: DefaultFirstMessageTimeout, PaceOverLimit: true}
	if p.AppHBInterval > 0 {
		c.KeepAliveInterval = p.AppHBInterval
		miss := p.AppHBMiss
		if miss < 1 {
			miss = 1
		}
		c.KeepAliveTimeout = p.AppHBInterval * time.Duration(miss)
		// Peering follows the profile when it is faster than RSPLIB's
		// cycle: a silent peer is probed after AppHBMiss+1 cycles and
		// taken over AppHBMiss cycles later (carrier: 400 ms + 300 ms).
		if p.AppHBInterval < DefaultPeerHeartbeatCycle {
			c.PeerHeartbeatCycle = p.AppHBInterval
			c.PeerMaxTimeLastHeard = p.AppHBInterval * time.Duration(miss+1)
			c.PeerMaxTimeNoResponse = p.AppHBInterval * time.Duration(miss)
			c.TakeoverExpiry = p.AppHBInterval * time.Duration(miss)
			c.MentorDiscoveryTimeout = p.AppHBInterval * time.Duration(miss+1)
		}
	}
	return c.withDefaults()
}

func (c Config) withDefaults() Config {
	if c.KeepAliveInterval <= 0 {
		c.KeepAliveInterval = DefaultKeepAliveInterval
	}
	if c.KeepAliveTimeout <= 0 {
		c.KeepAliveTimeout = DefaultKeepAliveTimeout
	}
	if c.MaxBadPEReports <= 0 {
		c.MaxBadPEReports = DefaultMaxBadPEReports
	}
	if c.BadPEReportWindow <= 0 {
		c.BadPEReportWindow = DefaultBadPEReportWindow
	}
	if c.MaxHandleResolutionItems <= 0 {
		c.MaxHandleResolutionItems = DefaultMaxHandleResolutionItems
	}
	if c.HandleResolutionItemsCap <= 0 {
		c.HandleResolutionItemsCap = DefaultHandleResolutionItemsCap
	}
	if c.HandleTableBlock <= 0 {
		c.HandleTableBlock = DefaultHandleTableBlock
	}
	if c.ResolutionRate > 0 && c.ResolutionBurst < 1 {
		c.ResolutionBurst = c.ResolutionRate
	}
	if c.UnreachableRate > 0 && c.UnreachableBurst < 1 {
		c.UnreachableBurst = c.UnreachableRate
	}
	if c.RegistrationRate > 0 && c.RegistrationBurst < 1 {
		c.RegistrationBurst = c.RegistrationRate
	}
	if c.PeerHeartbeatCycle <= 0 {
		c.PeerHeartbeatCycle = DefaultPeerHeartbeatCycle
	}
	if c.PeerMaxTimeLastHeard <= 0 {
		c.PeerMaxTimeLastHeard = DefaultPeerMaxTimeLastHeard
	}
	if c.PeerMaxTimeNoResponse <= 0 {
		c.PeerMaxTimeNoResponse = DefaultPeerMaxTimeNoResponse
	}
	if c.MentorDiscoveryTimeout <= 0 {
		c.MentorDiscoveryTimeout = DefaultMentorDiscoveryTimeout
	}
	if c.TakeoverExpiry <= 0 {
		c.TakeoverExpiry = DefaultTakeoverExpiry
	}
	return c
}

// Validate reports the first inconsistent field.
func (c Config) Validate() error {
	switch {
	case c.ServerID == 0:
		return fmt.Errorf("server ID 0 is invalid: it means \"no registrar\" in ENRP")
	case c.MaxHandleResolutionItems > c.HandleResolutionItemsCap && c.HandleResolutionItemsCap > 0:
		return fmt.Errorf("max handle-resolution items %d above the cap %d", c.MaxHandleResolutionItems, c.HandleResolutionItemsCap)
	case c.ResolutionRate < 0 || c.UnreachableRate < 0 || c.RegistrationRate < 0:
		return fmt.Errorf("rate limits must not be negative")
	case c.FirstMessageTimeout < 0 || c.IdleTimeout < 0:
		return fmt.Errorf("first-message and idle timeouts must not be negative")
	case c.MaxPEsPerAssociation < 0:
		return fmt.Errorf("max PEs per association must not be negative")
	case c.KeepAliveInterval < 0 || c.KeepAliveTimeout < 0 || c.BadPEReportWindow < 0:
		return fmt.Errorf("keep-alive timers must not be negative")
	case c.PeerHeartbeatCycle < 0 || c.PeerMaxTimeLastHeard < 0 || c.PeerMaxTimeNoResponse < 0 ||
		c.MentorDiscoveryTimeout < 0 || c.TakeoverExpiry < 0:
		return fmt.Errorf("peer timers must not be negative")
	case c.PeerMaxTimeLastHeard > 0 && c.PeerHeartbeatCycle > 0 && c.PeerMaxTimeLastHeard < c.PeerHeartbeatCycle:
		return fmt.Errorf("peer max time last heard %v is below the heartbeat cycle %v: every peer would look dead", c.PeerMaxTimeLastHeard, c.PeerHeartbeatCycle)
	}
	return nil
}
