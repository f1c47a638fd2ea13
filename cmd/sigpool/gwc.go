package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"go.uber.org/zap/zapcore"

	"github.com/sigpool/sigpool/asap"
	"github.com/sigpool/sigpool/gwc"
	"github.com/sigpool/sigpool/internal/authz"
	"github.com/sigpool/sigpool/mxua"
	"github.com/sigpool/sigpool/transport"
	"github.com/sigpool/sigpool/wire"
)

// gwcFile is the GWC's YAML configuration (--config): the keys are the long
// flag names with underscores. Flags given on the command line override it;
// keys it leaves out take the flags' defaults.
type gwcFile struct {
	Registrars     []string      `yaml:"registrar"`
	Listen         string        `yaml:"listen"`
	Advertise      string        `yaml:"advertise"`
	Pool           string        `yaml:"pool"`
	Policy         string        `yaml:"policy"`
	Weight         uint32        `yaml:"weight"`
	Priority       uint32        `yaml:"priority"`
	ID             uint32        `yaml:"id"`
	Profile        string        `yaml:"profile"`
	Protocol       string        `yaml:"protocol"`
	PointCode      string        `yaml:"point_code"`
	RoutingContext uint32        `yaml:"routing_context"`
	AnswerDelay    time.Duration `yaml:"answer_delay"`
	HoldTime       time.Duration `yaml:"hold_time"`
	TCAPContinues  int           `yaml:"tcap_continues"`
	ReleaseTimeout time.Duration `yaml:"release_timeout"`
	Capacity       int           `yaml:"capacity"`
	LoadInterval   time.Duration `yaml:"load_interval"`
	Metrics        string        `yaml:"metrics"`
	TLSCert        string        `yaml:"tls_cert"`
	TLSKey         string        `yaml:"tls_key"`
	TLSCA          string        `yaml:"tls_ca"`
	Authz          string        `yaml:"authz"`
	PCAP           string        `yaml:"pcap"`
	LogLevel       string        `yaml:"log_level"`
}

// gwcConfig checks the merged configuration and builds the GWC's.
func gwcConfig(f gwcFile) (gwc.Config, zapcore.Level, error) {
	var c gwc.Config
	if f.Pool == "" {
		return c, 0, errors.New("--pool must not be empty")
	}
	if len(f.Pool) > 32 {
		return c, 0, fmt.Errorf("--pool %q: pool handles are at most 32 bytes", f.Pool)
	}
	if len(f.Registrars) == 0 {
		return c, 0, errors.New("at least one --registrar is required")
	}
	if err := asap.ValidateRegistrars(f.Registrars); err != nil {
		return c, 0, fmt.Errorf("--registrar: %w", err)
	}
	if _, err := transport.ParseAddress(f.Listen); err != nil {
		return c, 0, fmt.Errorf("--listen %q: %w", f.Listen, err)
	}
	pt, ok := policyNames[strings.ToLower(f.Policy)]
	if !ok {
		return c, 0, fmt.Errorf("--policy %q: unknown; one of %s", f.Policy, policyList())
	}
	pol := wire.Policy{Type: pt}
	switch pt {
	case wire.PolicyWeightedRoundRobin, wire.PolicyWeightedRandom:
		pol.Weight = f.Weight
	case wire.PolicyPriority:
		pol.Priority = f.Priority
	}
	profile, err := transport.ParseProfile(f.Profile)
	if err != nil {
		return c, 0, fmt.Errorf("--profile: %w", err)
	}
	proto, err := mxua.ParseProtocol(f.Protocol)
	if err != nil {
		return c, 0, fmt.Errorf("--protocol: %w", err)
	}
	var pc uint32
	if f.PointCode != "" { // empty: answer from the DPC each request was sent to
		if pc, err = mxua.ParsePointCode(f.PointCode); err != nil {
			return c, 0, fmt.Errorf("--point-code: %w", err)
		}
	}
	for name, d := range map[string]time.Duration{"answer-delay": f.AnswerDelay, "hold-time": f.HoldTime,
		"release-timeout": f.ReleaseTimeout, "load-interval": f.LoadInterval} {
		if d < 0 {
			return c, 0, fmt.Errorf("--%s %v: must not be negative", name, d)
		}
	}
	if f.TCAPContinues < 0 || f.TCAPContinues > 0xffff {
		return c, 0, fmt.Errorf("--tcap-continues %d: want 0..65535", f.TCAPContinues)
	}
	if f.Capacity < 1 {
		return c, 0, fmt.Errorf("--capacity %d: want at least 1", f.Capacity)
	}
	level, err := zapcore.ParseLevel(f.LogLevel)
	if err != nil {
		return c, 0, fmt.Errorf("--log-level %q: want debug, info, warn or error", f.LogLevel)
	}
	server, client, err := loadTLS(f.TLSCert, f.TLSKey, f.TLSCA)
	if err != nil {
		return c, 0, err
	}
	var policy *authz.Policy
	if f.Authz != "" {
		if server == nil {
			return c, 0, errors.New("--authz needs --tls-cert, --tls-key and --tls-ca: identities come from certificates")
		}
		if policy, err = loadAuthz(f.Authz); err != nil {
			return c, 0, err
		}
	}
	return gwc.Config{
		TLSServer: server, TLSClient: client, Authorization: policy,
		Pool: f.Pool, Registrars: f.Registrars, Listen: f.Listen, Advertise: f.Advertise, Policy: pol, Identifier: wire.PEIdentifier(f.ID),
		Profile: profile, Protocol: proto, RoutingContext: f.RoutingContext,
		Agent: gwc.AgentConfig{PointCode: pc, AnswerDelay: f.AnswerDelay, HoldTime: f.HoldTime,
			TCAPContinues: f.TCAPContinues, ReleaseTimeout: f.ReleaseTimeout},
		Capacity: f.Capacity, LoadInterval: f.LoadInterval, Metrics: f.Metrics,
	}, level, nil
}

func newGWCCommand() *cobra.Command {
	var (
		flags   gwcFile
		cfgPath string
	)
	cmd := &cobra.Command{
		Use:   "gwc",
		Short: "Run a gateway controller: an ASAP pool element serving the SG as M3UA/SUA ASP, with a call agent",
		Long: `Run a gateway controller (GWC). It registers under --pool with the
registrars, with its policy and its load (active calls / --capacity), and
serves every SG that dials its user transport (--listen) as an M3UA or SUA
ASP. Its call agent answers ISUP calls (IAM -> ACM, ANM after --answer-delay;
REL after --hold-time when set; REL -> RLC) and TCAP dialogues (Begin ->
End, or --tcap-continues Continues first). Every call state change is handed
to the SG as an ASAP Cookie; a Cookie Echo restores a call another GWC lost.
--metrics serves Prometheus metrics at /metrics. Flags override the --config
YAML file, whose keys are the flag names with underscores. Ctrl-C
deregisters and exits.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			merged, err := configFromFlags(cmd.Flags(), cfgPath, flags)
			if err != nil {
				return err
			}
			cfg, level, err := gwcConfig(merged)
			if err != nil {
				return err
			}
			log := consoleLogger(cmd.ErrOrStderr(), level)
			defer log.Sync()
			cfg.Logger = log
			if cfg.Capture, err = openCapture(merged.PCAP); err != nil {
				return err
			}
			return errors.Join(runGWC(cmd.Context(), cmd.OutOrStdout(), cfg), closeCapture(cfg.Capture))
		},
	}
	registerGWCFlags(cmd.Flags(), &flags, &cfgPath)
	return cmd
}

// registerGWCFlags defines the gwc flags, bound to flags and cfgPath.
func registerGWCFlags(fl *pflag.FlagSet, flags *gwcFile, cfgPath *string) {
	fl.StringVar(cfgPath, "config", "", "YAML configuration file (flags override it)")
	fl.StringArrayVar(&flags.Registrars, "registrar", nil, "registrar address, e.g. tcp://127.0.0.1:3863 (mux+tcp://... for the mux framing); repeat for failover; required")
	fl.StringVar(&flags.Listen, "listen", gwc.DefaultListen, "user transport the SG dials (tcp:// carries M3UA/SUA and ASAP in the mux framing; sctp://, auto://)")
	fl.StringVar(&flags.Advertise, "advertise", "", "register this address as the user transport instead of --listen's (a proxy or NAT in front; IP literals)")
	fl.StringVar(&flags.Pool, "pool", gwc.DefaultPool, "pool handle")
	fl.StringVar(&flags.Policy, "policy", "leastused", "selection policy: "+policyList())
	fl.Uint32Var(&flags.Weight, "weight", 1, "weight (weighted policies)")
	fl.Uint32Var(&flags.Priority, "priority", 0, "priority (priority policy)")
	fl.Uint32Var(&flags.ID, "id", 0, "PE identifier, also the ASP Identifier (0: random)")
	fl.StringVar(&flags.Profile, "profile", "carrier", "heartbeat profile: "+strings.Join(transport.ProfileNames(), ", ")+", with overrides (carrier,rto_max=300ms)")
	fl.StringVar(&flags.Protocol, "protocol", "m3ua", "SIGTRAN protocol toward the SG: m3ua or sua")
	fl.StringVar(&flags.PointCode, "point-code", "", "OPC of answers: decimal, 0x hex or zone-area-point (2-100-3); empty answers from the DPC each request was sent to")
	fl.Uint32Var(&flags.RoutingContext, "routing-context", 0, "routing context sent in ASP Active (0: none)")
	fl.DurationVar(&flags.AnswerDelay, "answer-delay", time.Second, "IAM to ANM (ACM goes at once); 0 sends ANM with ACM")
	fl.DurationVar(&flags.HoldTime, "hold-time", 0, "release answered calls (REL) after this long; 0: wait for the SS7 side")
	fl.IntVar(&flags.TCAPContinues, "tcap-continues", 0, "Continues answering a TCAP dialogue before its End (0: Begin -> End)")
	fl.DurationVar(&flags.ReleaseTimeout, "release-timeout", gwc.DefaultReleaseTimeout, "Q.764 T1: REL is repeated when no RLC came within it")
	fl.IntVar(&flags.Capacity, "capacity", gwc.DefaultCapacity, "calls and dialogues at load 1.0 (load = active / capacity)")
	fl.DurationVar(&flags.LoadInterval, "load-interval", gwc.DefaultLoadInterval, "shortest time between load updates to the registrar")
	fl.StringVar(&flags.Metrics, "metrics", "", "serve Prometheus metrics at http://ADDR/metrics (e.g. 127.0.0.1:9464)")
	registerTLSFlags(fl, &flags.TLSCert, &flags.TLSKey, &flags.TLSCA)
	fl.StringVar(&flags.Authz, "authz", "", "authorization policy file (YAML): serve only SGs whose certificate identity may resolve --pool, and registrars (peer); needs TLS")
	registerPCAPFlag(fl, &flags.PCAP)
	fl.StringVar(&flags.LogLevel, "log-level", "info", "log level: debug, info, warn, error")
}

func runGWC(ctx context.Context, out io.Writer, cfg gwc.Config) error {
	g, err := gwc.Start(ctx, cfg)
	if err != nil {
		return err
	}
	defer g.Close()
	fmt.Fprintf(out, "GWC %v of pool %q (%v) listening on %v\n", g.Identifier(), cfg.Pool, cfg.Protocol, g.UserTransport())
	if a := g.MetricsAddr(); a != "" {
		fmt.Fprintf(out, "metrics on http://%s/metrics\n", a)
	}
	if err := g.Registered(ctx); err != nil {
		if ctx.Err() != nil {
			return nil // interrupted before a registrar answered
		}
		return fmt.Errorf("registration: %w", err)
	}
	fmt.Fprintln(out, "registered")
	<-ctx.Done()
	s := g.Stats()
	if err := g.Close(); err != nil {
		fmt.Fprintf(out, "shutdown: %v\n", err)
	}
	fmt.Fprintf(out, "calls %d (restored %d), dialogues %d (restored %d), cookies sent %d; deregistered; bye\n",
		s.CallsStarted, s.CallsRestored, s.DialoguesStarted, s.DialoguesRestored, s.CookiesSent)
	return nil
}
