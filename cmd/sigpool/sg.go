package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"go.uber.org/zap/zapcore"

	"github.com/sigpool/sigpool/asap"
	"github.com/sigpool/sigpool/mxua"
	"github.com/sigpool/sigpool/sg"
	"github.com/sigpool/sigpool/transport"
)

// SG addresses by default: loopback, M3UA on its RFC port, the embedded
// registrar on the ASAP port.
const (
	defaultSGM3UAListen = "tcp://127.0.0.1:2905"
	defaultSGENRPListen = "tcp://127.0.0.1:3863"
)

// sgFile is the SG's YAML configuration (--config): the keys are the long
// flag names with underscores (route and pool are lists). Flags given on
// the command line override it; keys it leaves out take the flags'
// defaults.
type sgFile struct {
	M3UAListen      string        `yaml:"m3ua_listen"`
	SUAListen       string        `yaml:"sua_listen"`
	M3UAUplinks     []string      `yaml:"m3ua_uplink"`
	SUAUplinks      []string      `yaml:"sua_uplink"`
	Routes          []string      `yaml:"route"`
	Pools           []string      `yaml:"pool"`
	ENRP            string        `yaml:"enrp"`
	Registrars      []string      `yaml:"registrar"`
	ENRPListen      string        `yaml:"enrp_listen"`
	Profile         string        `yaml:"profile"`
	PointCode       string        `yaml:"point_code"`
	RoutingContext  uint32        `yaml:"routing_context"`
	ResolveInterval time.Duration `yaml:"resolve_interval"`
	FailoverHold    time.Duration `yaml:"failover_hold"`
	BindingIdle     time.Duration `yaml:"binding_idle"`
	MaxBindings     int           `yaml:"max_bindings"`
	MaxBuffered     int           `yaml:"max_buffered"`
	Metrics         string        `yaml:"metrics"`
	TLSCert         string        `yaml:"tls_cert"`
	TLSKey          string        `yaml:"tls_key"`
	TLSCA           string        `yaml:"tls_ca"`
	UpstreamTLS     bool          `yaml:"upstream_tls"`
	Authz           string        `yaml:"authz"`
	PCAP            string        `yaml:"pcap"`
	LogLevel        string        `yaml:"log_level"`
}

// sgConfig checks the merged configuration and builds the SG's.
func sgConfig(f sgFile) (sg.Config, zapcore.Level, error) {
	var c sg.Config
	if f.M3UAListen == "" && f.SUAListen == "" && len(f.M3UAUplinks)+len(f.SUAUplinks) == 0 {
		return c, 0, errors.New("--m3ua-listen and --sua-listen are both empty and there is no --m3ua-uplink or --sua-uplink: the SS7 side needs one")
	}
	for _, u := range []struct {
		flag  string
		addrs []string
		proto mxua.Protocol
	}{{"m3ua-uplink", f.M3UAUplinks, mxua.M3UA}, {"sua-uplink", f.SUAUplinks, mxua.SUA}} {
		for _, a := range u.addrs {
			if _, _, err := transport.ParseFramedAddress(a, transport.FramingMux); err != nil {
				return c, 0, fmt.Errorf("--%s %q: %w", u.flag, a, err)
			}
			c.Uplinks = append(c.Uplinks, sg.Uplink{Address: a, Protocol: u.proto})
		}
	}
	for name, a := range map[string]string{"m3ua-listen": f.M3UAListen, "sua-listen": f.SUAListen} {
		if a == "" {
			continue
		}
		if _, err := transport.ParseAddress(a); err != nil {
			return c, 0, fmt.Errorf("--%s %q: %w", name, a, err)
		}
	}
	if len(f.Routes) == 0 {
		return c, 0, errors.New(`at least one --route is required, e.g. --route "dpc=2,si=5,cic=0-4095:gwc"`)
	}
	for _, s := range f.Routes {
		r, err := sg.ParseRoute(s)
		if err != nil {
			return c, 0, fmt.Errorf("--route: %w", err)
		}
		c.Routes = append(c.Routes, r)
	}
	for _, s := range f.Pools {
		p, err := sg.ParsePool(s)
		if err != nil {
			return c, 0, fmt.Errorf("--pool: %w", err)
		}
		c.Pools = append(c.Pools, p)
	}
	switch f.ENRP {
	case "embedded":
		if len(f.Registrars) > 0 {
			return c, 0, errors.New("--registrar needs --enrp remote (embedded runs its own registrar)")
		}
		if _, _, err := transport.ParseFramedAddress(f.ENRPListen, transport.FramingRSerPool); err != nil {
			return c, 0, fmt.Errorf("--enrp-listen %q: %w", f.ENRPListen, err)
		}
		c.ENRPListen = f.ENRPListen
	case "remote":
		if len(f.Registrars) == 0 {
			return c, 0, errors.New("--enrp remote needs at least one --registrar")
		}
		if err := asap.ValidateRegistrars(f.Registrars); err != nil {
			return c, 0, fmt.Errorf("--registrar: %w", err)
		}
		c.Registrars = f.Registrars
	default:
		return c, 0, fmt.Errorf("--enrp %q: want embedded or remote", f.ENRP)
	}
	prof, err := transport.ParseProfile(f.Profile)
	if err != nil {
		return c, 0, fmt.Errorf("--profile: %w", err)
	}
	if f.PointCode != "" {
		if c.PointCode, err = mxua.ParsePointCode(f.PointCode); err != nil {
			return c, 0, fmt.Errorf("--point-code: %w", err)
		}
	}
	for name, d := range map[string]time.Duration{"resolve-interval": f.ResolveInterval, "failover-hold": f.FailoverHold, "binding-idle": f.BindingIdle} {
		if d < 0 {
			return c, 0, fmt.Errorf("--%s %v: must not be negative", name, d)
		}
	}
	if f.MaxBindings < 0 || f.MaxBuffered < 0 {
		return c, 0, errors.New("--max-bindings and --max-buffered must not be negative")
	}
	level, err := zapcore.ParseLevel(f.LogLevel)
	if err != nil {
		return c, 0, fmt.Errorf("--log-level %q: want debug, info, warn or error", f.LogLevel)
	}
	c.M3UAListen, c.SUAListen = f.M3UAListen, f.SUAListen
	c.Profile, c.UpstreamRoutingContext = prof, f.RoutingContext
	c.ResolveInterval, c.FailoverHold, c.BindingIdle = f.ResolveInterval, f.FailoverHold, f.BindingIdle
	c.MaxBindings, c.MaxBuffered = f.MaxBindings, f.MaxBuffered
	c.Metrics = f.Metrics
	if c.TLSServer, c.TLSClient, err = loadTLS(f.TLSCert, f.TLSKey, f.TLSCA); err != nil {
		return c, 0, err
	}
	if f.UpstreamTLS {
		if c.TLSServer == nil {
			return c, 0, errors.New("--upstream-tls needs --tls-cert, --tls-key and --tls-ca")
		}
		c.UpstreamTLS = c.TLSServer
	}
	if f.Authz != "" {
		if f.ENRP != "embedded" {
			return c, 0, errors.New("--authz is the embedded registrar's policy: it needs --enrp embedded")
		}
		if c.TLSServer == nil {
			return c, 0, errors.New("--authz needs --tls-cert, --tls-key and --tls-ca: identities come from certificates")
		}
		if c.Authorization, err = loadAuthz(f.Authz); err != nil {
			return c, 0, err
		}
	}
	return c, level, nil
}

func newSGCommand() *cobra.Command {
	var (
		flags   sgFile
		cfgPath string
	)
	cmd := &cobra.Command{
		Use:   "sg",
		Short: "Run the signalling gateway: M3UA/SUA from the SS7 side, shared over a pool of GWCs found by ASAP",
		Long: `Run the signalling gateway (SG). SS7-side ASPs (SEPs, STPs) connect to
--m3ua-listen / --sua-listen (SGP role), or the SG dials an STP as an ASP
(--m3ua-uplink, --sua-uplink; the STP's AS is --routing-context). Each
--route maps traffic to a pool
("dpc=2,si=5,cic=0-4095:gwc"; fields dpc, opc, si, ssn, cic, each a number
or lo-hi, repeatable; the most specific route wins). The SG resolves each
pool through a registrar (--enrp embedded runs one in-process on
--enrp-listen, where the GWCs register; --enrp remote uses --registrar),
dials every GWC and shares the traffic by the pool's policy, keeping each
ISUP call, TCAP dialogue and SLS on one GWC. A GWC lost (association, M3UA
BEAT, ASAP) hands its calls to a survivor with their ASAP Cookie; traffic
waits meanwhile. When a pool has no GWC its point codes are announced
unavailable (DUNA), and available (DAVA) when one returns. --pool sets a
pool's protocol, routing context and point codes ("gwc,protocol=sua,rc=1,
pc=2"). --metrics serves Prometheus metrics at /metrics. Flags override the
--config YAML file, whose keys are the flag names with underscores.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			merged, err := configFromFlags(cmd.Flags(), cfgPath, flags)
			if err != nil {
				return err
			}
			cfg, level, err := sgConfig(merged)
			if err != nil {
				return err
			}
			log := consoleLogger(cmd.ErrOrStderr(), level)
			defer log.Sync()
			cfg.Logger = log
			if cfg.Capture, err = openCapture(merged.PCAP); err != nil {
				return err
			}
			return errors.Join(runSG(cmd.Context(), cmd.OutOrStdout(), cfg), closeCapture(cfg.Capture))
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&cfgPath, "config", "", "YAML configuration file (flags override it)")
	fl.StringVar(&flags.M3UAListen, "m3ua-listen", defaultSGM3UAListen, "M3UA listener for the SS7 side (tcp:// uses the mux framing, sctp://, auto://; empty: none)")
	fl.StringVar(&flags.SUAListen, "sua-listen", "", "SUA listener for the SS7 side (empty: none)")
	fl.StringArrayVar(&flags.M3UAUplinks, "m3ua-uplink", nil, "STP to dial as an M3UA ASP, in its AS --routing-context: sctp://10.0.0.5:2905, sigtran+tcp:// (repeatable)")
	fl.StringArrayVar(&flags.SUAUplinks, "sua-uplink", nil, "STP to dial as an SUA ASP (repeatable)")
	fl.StringArrayVar(&flags.Routes, "route", nil, `route "fields:pool", e.g. "dpc=2,si=5,cic=0-4095:gwc" (repeatable; required)`)
	fl.StringArrayVar(&flags.Pools, "pool", nil, `pool options "handle[,protocol=m3ua|sua][,rc=N][,pc=PC]" (repeatable; default: m3ua, rc 1, the routes' DPCs)`)
	fl.StringVar(&flags.ENRP, "enrp", "embedded", "registrar: embedded (in-process, on --enrp-listen) or remote (--registrar)")
	fl.StringArrayVar(&flags.Registrars, "registrar", nil, "remote registrar address, e.g. tcp://10.0.0.5:3863 (repeatable; with --enrp remote)")
	fl.StringVar(&flags.ENRPListen, "enrp-listen", defaultSGENRPListen, "ASAP address of the embedded registrar, where GWCs register (mux+tcp:// for the mux framing)")
	fl.StringVar(&flags.Profile, "profile", "carrier", "heartbeat profile: "+strings.Join(transport.ProfileNames(), ", ")+", with overrides (carrier,rto_max=300ms)")
	fl.StringVar(&flags.PointCode, "point-code", "", "the SG's point code (announced for a pool without one): decimal, 0x hex or zone-area-point (2-100-3)")
	fl.Uint32Var(&flags.RoutingContext, "routing-context", sg.DefaultUpstreamRoutingContext, "routing context of the AS the SS7-side ASPs serve (and the SG's AS at an uplink STP)")
	fl.DurationVar(&flags.ResolveInterval, "resolve-interval", sg.DefaultResolveInterval, "how often each pool is resolved (new and gone GWCs)")
	fl.DurationVar(&flags.FailoverHold, "failover-hold", sg.DefaultFailoverHold, "how long traffic waits for a GWC while a pool has none")
	fl.DurationVar(&flags.BindingIdle, "binding-idle", sg.DefaultBindingIdle, "forget a call or dialogue unused this long")
	fl.IntVar(&flags.MaxBindings, "max-bindings", sg.DefaultMaxBindings, "most calls and dialogues tracked (beyond: shared without stickiness)")
	fl.IntVar(&flags.MaxBuffered, "max-buffered", sg.DefaultMaxBuffered, "most messages held during failovers")
	fl.StringVar(&flags.Metrics, "metrics", "", "serve Prometheus metrics at http://ADDR/metrics (e.g. 127.0.0.1:9102)")
	registerTLSFlags(fl, &flags.TLSCert, &flags.TLSKey, &flags.TLSCA)
	fl.BoolVar(&flags.UpstreamTLS, "upstream-tls", false, "also run the M3UA/SUA listeners over mutually authenticated TLS (SS7-side peers need certificates)")
	fl.StringVar(&flags.Authz, "authz", "", "authorization policy file (YAML) of the embedded registrar (needs TLS)")
	registerPCAPFlag(fl, &flags.PCAP)
	fl.StringVar(&flags.LogLevel, "log-level", "info", "log level: debug, info, warn, error")
	return cmd
}

func runSG(ctx context.Context, out io.Writer, cfg sg.Config) error {
	s, err := sg.Start(ctx, cfg)
	if err != nil {
		return err
	}
	defer s.Close()
	if a := s.M3UAAddr(); a != "" {
		fmt.Fprintf(out, "M3UA listening on %s\n", a)
	}
	if a := s.SUAAddr(); a != "" {
		fmt.Fprintf(out, "SUA listening on %s\n", a)
	}
	for _, u := range cfg.Uplinks {
		fmt.Fprintf(out, "%v uplink to %s\n", u.Protocol, u.Address)
	}
	if r := s.RegistrarAddrs(); len(r) > 0 {
		fmt.Fprintf(out, "registrar (embedded) on %s\n", strings.Join(r, " "))
	}
	if a := s.MetricsAddr(); a != "" {
		fmt.Fprintf(out, "metrics on http://%s/metrics\n", a)
	}
	<-ctx.Done()
	st := s.Stats()
	if err := s.Close(); err != nil {
		fmt.Fprintf(out, "shutdown: %v\n", err)
	}
	fmt.Fprintf(out, "messages from SS7 %d, to pool %d, from pool %d, to SS7 %d; failovers %d, lost %d, dropped %d; bye\n",
		st.FromSS7, st.ToPool, st.FromPool, st.ToSS7, st.Failovers, st.Lost, st.Dropped)
	return nil
}
