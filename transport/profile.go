package transport

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Profile is a named set of liveness timers: the SCTP protocol parameters
// of RFC 4960 section 15, their mapping onto TCP, and the application
// heartbeat (ASAP keep-alive, M3UA BEAT) that the protocol layers run. One
// profile sets the whole failover budget of a component.
type Profile struct {
	// Name of the built-in profile this one started from.
	Name string `yaml:"name"`

	// RTOInitial is RTO.Initial: the retransmission timeout before any
	// round-trip time has been measured (INIT, first DATA).
	RTOInitial time.Duration `yaml:"rto_initial"`
	// RTOMin is RTO.Min, the floor of the retransmission timeout.
	RTOMin time.Duration `yaml:"rto_min"`
	// RTOMax is RTO.Max, the ceiling the doubling timeout stops at.
	RTOMax time.Duration `yaml:"rto_max"`
	// HBInterval is HB.Interval: how long an idle path waits before the
	// next HEARTBEAT (Linux adds the path's RTO and a jitter to it).
	HBInterval time.Duration `yaml:"hb_interval"`
	// SACKDelay is how long a receiver may delay a SACK (RFC 4960 section
	// 6.2: at most 500 ms, 200 ms recommended). It must stay below RTOMin,
	// or a lone message is retransmitted before its SACK can come back.
	SACKDelay time.Duration `yaml:"sack_delay"`
	// PathMaxRetrans is Path.Max.Retrans: consecutive timeouts after which
	// one destination address is marked unreachable (multi-homing failover).
	PathMaxRetrans int `yaml:"path_max_retrans"`
	// AssocMaxRetrans is Association.Max.Retrans: consecutive timeouts over
	// all paths after which the peer is declared dead.
	AssocMaxRetrans int `yaml:"assoc_max_retrans"`
	// MaxInitRetrans is Max.Init.Retransmits: INIT retransmissions before
	// an association attempt fails.
	MaxInitRetrans int `yaml:"max_init_retrans"`

	// AppHBInterval is the application heartbeat period (ASAP keep-alive,
	// M3UA BEAT); zero turns the application heartbeat off.
	AppHBInterval time.Duration `yaml:"app_hb_interval"`
	// AppHBMiss is how many consecutive unanswered application heartbeats
	// declare the peer dead.
	AppHBMiss int `yaml:"app_hb_miss"`
}

// profileFields names the fields that overrides and YAML use, in the order
// Profile.String prints them.
func profileFields() []string {
	return []string{
		"rto_initial", "rto_min", "rto_max", "hb_interval", "sack_delay",
		"path_max_retrans", "assoc_max_retrans", "max_init_retrans",
		"app_hb_interval", "app_hb_miss",
	}
}

// builtinProfile returns a fresh copy of a built-in profile.
func builtinProfile(name string) (Profile, bool) {
	switch name {
	case "rfc4960":
		// RFC 4960 section 15 defaults; the application heartbeat follows
		// common M3UA practice (T(beat) 30 s, peer down after 2 misses).
		return Profile{
			Name:       "rfc4960",
			RTOInitial: 3 * time.Second, RTOMin: time.Second, RTOMax: 60 * time.Second,
			HBInterval: 30 * time.Second, SACKDelay: 200 * time.Millisecond, PathMaxRetrans: 5, AssocMaxRetrans: 10, MaxInitRetrans: 8,
			AppHBInterval: 30 * time.Second, AppHBMiss: 2,
		}, true
	case "carrier":
		// A dead peer is detected within 500 ms of unacknowledged data
		// (100+200+200 ms of retransmission timeouts), inside the ITU-T
		// Q.704 changeover budget (T1 500-1200 ms). Path.Max.Retrans 2
		// (not 1) lets Linux move a lost path to the potentially-failed
		// state at its first timeout, so a multi-homed association fails
		// over long before its two-timeout association budget is spent.
		return Profile{
			Name:       "carrier",
			RTOInitial: 200 * time.Millisecond, RTOMin: 100 * time.Millisecond, RTOMax: 200 * time.Millisecond,
			HBInterval: 100 * time.Millisecond, SACKDelay: 40 * time.Millisecond, PathMaxRetrans: 2, AssocMaxRetrans: 2, MaxInitRetrans: 4,
			AppHBInterval: 100 * time.Millisecond, AppHBMiss: 3,
		}, true
	case "wan":
		// Long-haul links with 100-300 ms round trips and some loss: fails
		// over in seconds rather than minutes without flapping.
		return Profile{
			Name:       "wan",
			RTOInitial: time.Second, RTOMin: 300 * time.Millisecond, RTOMax: 3 * time.Second,
			HBInterval: time.Second, SACKDelay: 200 * time.Millisecond, PathMaxRetrans: 3, AssocMaxRetrans: 6, MaxInitRetrans: 8,
			AppHBInterval: time.Second, AppHBMiss: 3,
		}, true
	}
	return Profile{}, false
}

// ProfileNames lists the built-in profiles.
func ProfileNames() []string { return []string{"rfc4960", "carrier", "wan"} }

// LookupProfile returns the built-in profile with that name.
func LookupProfile(name string) (Profile, error) {
	p, ok := builtinProfile(name)
	if !ok {
		return Profile{}, fmt.Errorf("transport: unknown heartbeat profile %q (want one of %s)", name, strings.Join(ProfileNames(), ", "))
	}
	return p, nil
}

// ParseProfile reads a profile name optionally followed by field overrides:
// "carrier", "carrier,rto_max=300ms,hb_interval=150ms". Durations use Go
// syntax (300ms, 1.5s); counts are decimal integers.
func ParseProfile(spec string) (Profile, error) {
	parts := strings.Split(spec, ",")
	p, err := LookupProfile(strings.TrimSpace(parts[0]))
	if err != nil {
		return Profile{}, err
	}
	for _, kv := range parts[1:] {
		field, value, ok := strings.Cut(strings.TrimSpace(kv), "=")
		if !ok {
			return Profile{}, fmt.Errorf("transport: profile %q: override %q is not field=value", spec, kv)
		}
		if err := p.Set(strings.TrimSpace(field), strings.TrimSpace(value)); err != nil {
			return Profile{}, fmt.Errorf("transport: profile %q: %w", spec, err)
		}
	}
	if err := p.Validate(); err != nil {
		return Profile{}, fmt.Errorf("transport: profile %q: %w", spec, err)
	}
	return p, nil
}

// Set changes one field, named as in YAML, from its string form.
func (p *Profile) Set(field, value string) error {
	dur := func(d *time.Duration) error {
		v, err := time.ParseDuration(value)
		if err != nil {
			return fmt.Errorf("%s=%q: not a duration (want e.g. 300ms or 1.5s)", field, value)
		}
		*d = v
		return nil
	}
	count := func(n *int) error {
		v, err := strconv.Atoi(value)
		if err != nil {
			return fmt.Errorf("%s=%q: not an integer", field, value)
		}
		*n = v
		return nil
	}
	switch field {
	case "rto_initial":
		return dur(&p.RTOInitial)
	case "rto_min":
		return dur(&p.RTOMin)
	case "rto_max":
		return dur(&p.RTOMax)
	case "hb_interval":
		return dur(&p.HBInterval)
	case "sack_delay":
		return dur(&p.SACKDelay)
	case "path_max_retrans":
		return count(&p.PathMaxRetrans)
	case "assoc_max_retrans":
		return count(&p.AssocMaxRetrans)
	case "max_init_retrans":
		return count(&p.MaxInitRetrans)
	case "app_hb_interval":
		return dur(&p.AppHBInterval)
	case "app_hb_miss":
		return count(&p.AppHBMiss)
	}
	return fmt.Errorf("unknown profile field %q (want one of %s)", field, strings.Join(profileFields(), ", "))
}

// get returns one field in the form Set reads.
func (p Profile) get(field string) string {
	switch field {
	case "rto_initial":
		return p.RTOInitial.String()
	case "rto_min":
		return p.RTOMin.String()
	case "rto_max":
		return p.RTOMax.String()
	case "hb_interval":
		return p.HBInterval.String()
	case "sack_delay":
		return p.SACKDelay.String()
	case "path_max_retrans":
		return strconv.Itoa(p.PathMaxRetrans)
	case "assoc_max_retrans":
		return strconv.Itoa(p.AssocMaxRetrans)
	case "max_init_retrans":
		return strconv.Itoa(p.MaxInitRetrans)
	case "app_hb_interval":
		return p.AppHBInterval.String()
	case "app_hb_miss":
		return strconv.Itoa(p.AppHBMiss)
	}
	return ""
}

// String gives the spec ParseProfile reads back: the name followed by the
// fields that differ from the built-in profile of that name.
func (p Profile) String() string {
	name := p.Name
	base, ok := builtinProfile(name)
	if !ok {
		// A profile built by hand is expressed relative to the RFC defaults.
		name = "rfc4960"
		base, _ = builtinProfile(name)
	}
	var b strings.Builder
	b.WriteString(name)
	for _, f := range profileFields() {
		if v := p.get(f); v != base.get(f) {
			b.WriteString("," + f + "=" + v)
		}
	}
	return b.String()
}

// Validate checks the ranges the kernel and the protocols accept.
func (p Profile) Validate() error {
	ms := func(name string, d time.Duration, min time.Duration) error {
		if d < min {
			return fmt.Errorf("%s=%v: must be at least %v", name, d, min)
		}
		if d%time.Millisecond != 0 {
			return fmt.Errorf("%s=%v: must be whole milliseconds", name, d)
		}
		if d/time.Millisecond > math.MaxUint32 {
			return fmt.Errorf("%s=%v: too large", name, d)
		}
		return nil
	}
	cnt := func(name string, n, min, max int) error {
		if n < min || n > max {
			return fmt.Errorf("%s=%d: must be from %d to %d", name, n, min, max)
		}
		return nil
	}
	for _, err := range []error{
		ms("rto_min", p.RTOMin, time.Millisecond),
		ms("rto_max", p.RTOMax, time.Millisecond),
		ms("rto_initial", p.RTOInitial, time.Millisecond),
		ms("hb_interval", p.HBInterval, time.Millisecond),
		ms("sack_delay", p.SACKDelay, time.Millisecond),
		ms("app_hb_interval", p.AppHBInterval, 0),
		cnt("path_max_retrans", p.PathMaxRetrans, 1, math.MaxUint16),
		cnt("assoc_max_retrans", p.AssocMaxRetrans, 1, math.MaxUint16),
		cnt("max_init_retrans", p.MaxInitRetrans, 1, math.MaxUint16),
		cnt("app_hb_miss", p.AppHBMiss, 0, math.MaxUint16),
	} {
		if err != nil {
			return err
		}
	}
	if p.RTOMin > p.RTOMax {
		return fmt.Errorf("rto_min=%v is above rto_max=%v", p.RTOMin, p.RTOMax)
	}
	if p.RTOInitial < p.RTOMin || p.RTOInitial > p.RTOMax {
		return fmt.Errorf("rto_initial=%v is outside rto_min..rto_max (%v..%v)", p.RTOInitial, p.RTOMin, p.RTOMax)
	}
	if p.SACKDelay > 500*time.Millisecond {
		return fmt.Errorf("sack_delay=%v: RFC 4960 allows at most 500ms", p.SACKDelay)
	}
	if p.SACKDelay >= p.RTOMin {
		return fmt.Errorf("sack_delay=%v must be below rto_min=%v, or lone messages are retransmitted before their SACK arrives", p.SACKDelay, p.RTOMin)
	}
	if p.AppHBInterval > 0 && p.AppHBMiss < 1 {
		return fmt.Errorf("app_hb_miss=%d: must be at least 1 while app_hb_interval is set", p.AppHBMiss)
	}
	if _, err := p.tcpOptions(); err != nil {
		return err
	}
	return nil
}

// Detection holds worst-case dead-peer detection times, one per mechanism,
// for a path whose round-trip time is well below RTOMin (a LAN or loopback;
// on slower paths the RTO, and so every SCTP and TCP figure, grows).
type Detection struct {
	// SCTPData: data outstanding, peer gone. Association.Max.Retrans+1
	// retransmission timeouts, doubling from RTO.Min up to RTO.Max.
	SCTPData time.Duration
	// SCTPIdle: no data, peer gone. Association.Max.Retrans+2 heartbeat
	// periods; Linux sends a HEARTBEAT every HB.Interval + RTO/2 + a random
	// 0..RTO (at least 200 ms), backing the RTO off like retransmissions.
	SCTPIdle time.Duration
	// TCPData: data outstanding over TCP: the first retransmission after
	// Linux's 200 ms minimum RTO, then TCP_USER_TIMEOUT (SCTPData - 200 ms,
	// at least RTO.Min).
	TCPData time.Duration
	// TCPIdle: no data over TCP; keepalive probes (whole seconds only),
	// ended by TCP_USER_TIMEOUT once a probe is out.
	TCPIdle time.Duration
	// App: application heartbeat, AppHBInterval × (AppHBMiss+1): the peer
	// dies just after answering, then AppHBMiss heartbeats go unanswered.
	// The only mechanism that notices a frozen (SIGSTOPped) peer process,
	// whose kernel still acknowledges SCTP and TCP.
	App time.Duration
}

// WorstCaseDetection returns the worst-case dead-peer detection time of
// each mechanism under this profile.
func (p Profile) WorstCaseDetection() Detection {
	var d Detection
	rto := p.RTOMin
	for i := 0; i <= p.AssocMaxRetrans; i++ {
		d.SCTPData += rto
		rto = min(2*rto, p.RTOMax)
	}
	// The first heartbeat after the peer died is answered by nobody; its
	// timer expiry counts the first error, so AssocMaxRetrans+2 periods.
	rto = p.RTOMin
	for i := 0; i <= p.AssocMaxRetrans+1; i++ {
		d.SCTPIdle += max(p.HBInterval+rto+rto/2, 200*time.Millisecond)
		if i >= 1 {
			rto = min(2*rto, p.RTOMax)
		}
	}
	opts, _ := p.tcpOptions()
	d.TCPData = linuxTCPRTOMin + opts.userTimeout
	d.TCPIdle = opts.idleDetection()
	if p.AppHBInterval > 0 {
		d.App = p.AppHBInterval * time.Duration(p.AppHBMiss+1)
	}
	return d
}

// tcpOptions is the profile mapped onto TCP socket options.
type tcpOptions struct {
	userTimeout time.Duration // TCP_USER_TIMEOUT
	keepIdle    time.Duration // TCP_KEEPIDLE (whole seconds)
	keepIntvl   time.Duration // TCP_KEEPINTVL (whole seconds)
	keepCnt     int           // TCP_KEEPCNT
}

// linuxTCPRTOMin is Linux's fixed floor of the TCP retransmission timeout
// (TCP_RTO_MIN), which no socket option lowers.
const linuxTCPRTOMin = 200 * time.Millisecond

// tcpOptions maps the profile onto TCP. Linux counts TCP_USER_TIMEOUT from
// the first retransmission, which comes one TCP RTO (at least 200 ms) after
// the lost segment, so the user timeout is the SCTP retransmission budget
// less those 200 ms (but at least RTO.Min): unacknowledged data then kills
// the connection when SCTP would have declared the peer dead. Keepalive
// plays the heartbeat, rounded up to the whole seconds of TCP_KEEPIDLE and
// TCP_KEEPINTVL.
func (p Profile) tcpOptions() (tcpOptions, error) {
	var o tcpOptions
	var budget time.Duration
	rto := p.RTOMin
	for i := 0; i <= p.AssocMaxRetrans; i++ {
		budget += rto
		rto = min(2*rto, p.RTOMax)
	}
	o.userTimeout = max(budget-linuxTCPRTOMin, p.RTOMin)
	if o.userTimeout/time.Millisecond > math.MaxInt32 {
		return o, fmt.Errorf("retransmission budget %v exceeds TCP_USER_TIMEOUT's range", o.userTimeout)
	}
	secs := func(d time.Duration) time.Duration {
		s := (d + time.Second - 1) / time.Second
		return max(s, 1) * time.Second
	}
	o.keepIdle = secs(p.HBInterval)
	o.keepIntvl = secs(p.HBInterval)
	o.keepCnt = min(max(p.PathMaxRetrans, 1), 127)
	if o.keepIdle > 32767*time.Second {
		return o, fmt.Errorf("hb_interval=%v exceeds TCP_KEEPIDLE's range", p.HBInterval)
	}
	return o, nil
}

// idleDetection is when Linux gives up on an idle connection: probes go
// out at keepIdle, keepIdle+keepIntvl, ...; at each probe timer, once a
// probe is out and TCP_USER_TIMEOUT has passed since the last data was
// received, the connection is dropped.
func (o tcpOptions) idleDetection() time.Duration {
	if o.userTimeout == 0 {
		return o.keepIdle + o.keepIntvl*time.Duration(o.keepCnt)
	}
	t := o.keepIdle + o.keepIntvl
	for t < o.userTimeout {
		t += o.keepIntvl
	}
	return t
}
