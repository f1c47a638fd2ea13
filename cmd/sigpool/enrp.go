package main

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"
	"go.yaml.in/yaml/v3"

	"github.com/sigpool/sigpool/enrp"
	"github.com/sigpool/sigpool/handlespace"
	"github.com/sigpool/sigpool/transport"
)

// Registrar addresses by default: loopback only, ASAP on its RFC port 3863,
// ENRP on 9901.
const (
	defaultASAPListen = "tcp://127.0.0.1:3863"
	defaultENRPListen = "tcp://127.0.0.1:9901"
)

// enrpFile is the registrar's YAML configuration (--config); the keys are
// the long flag names with underscores. Flags given on the command line
// override it.
type enrpFile struct {
	Listen                []string      `yaml:"listen"`
	ENRPListen            []string      `yaml:"enrp_listen"`
	Peers                 []string      `yaml:"peers"`
	ServerID              string        `yaml:"server_id"`
	Profile               string        `yaml:"profile"`
	KeepAliveInterval     time.Duration `yaml:"keepalive_interval"`
	KeepAliveTimeout      time.Duration `yaml:"keepalive_timeout"`
	MaxBadPEReports       int           `yaml:"max_bad_pe_reports"`
	BadPEReportWindow     time.Duration `yaml:"bad_pe_report_window"`
	MaxItems              int           `yaml:"max_items"`
	MaxItemsCap           int           `yaml:"max_items_cap"`
	Announce              string        `yaml:"announce"`
	AnnounceInterval      time.Duration `yaml:"announce_interval"`
	ResolutionRate        float64       `yaml:"resolution_rate"`
	ResolutionBurst       float64       `yaml:"resolution_burst"`
	UnreachableRate       float64       `yaml:"unreachable_rate"`
	UnreachableBurst      float64       `yaml:"unreachable_burst"`
	RegistrationRate      float64       `yaml:"registration_rate"`
	RegistrationBurst     float64       `yaml:"registration_burst"`
	MaxPEsPerAssociation  int           `yaml:"max_pes_per_association"`
	KeepOnAssociationLoss bool          `yaml:"keep_on_association_loss"`
	MaxPEsPerPool         int           `yaml:"max_pes_per_pool"`
	MaxPoolsPerNamespace  int           `yaml:"max_pools"`
	MaxAddresses          int           `yaml:"max_addresses"`
	MaxMessageSize        int           `yaml:"max_message_size"`
	FirstMessageTimeout   time.Duration `yaml:"first_message_timeout"`
	IdleTimeout           time.Duration `yaml:"idle_timeout"`
	PaceOverLimit         bool          `yaml:"pace_over_limit"`
	TLSCert               string        `yaml:"tls_cert"`
	TLSKey                string        `yaml:"tls_key"`
	TLSCA                 string        `yaml:"tls_ca"`
	Authz                 string        `yaml:"authz"`
	PCAP                  string        `yaml:"pcap"`
	Verbose               bool          `yaml:"verbose"`
}

// loadENRPFile reads a YAML file strictly: an unknown key is an error
// naming its line.
func loadENRPFile(path string) (enrpFile, error) {
	return loadENRPFileOver(path, enrpFile{})
}

// loadENRPFileOver reads a YAML file over base: keys the file leaves out
// keep base's values (the flags' defaults).
func loadENRPFileOver(path string, base enrpFile) (enrpFile, error) {
	f := base
	b, err := os.ReadFile(path)
	if err != nil {
		return f, fmt.Errorf("--config: %w", err)
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	if err := dec.Decode(&f); err != nil && !errors.Is(err, io.EOF) {
		return f, fmt.Errorf("--config %s: %w", path, err)
	}
	return f, nil
}

func parseServerID(s string) (uint32, error) {
	if s == "" {
		var b [4]byte
		for {
			if _, err := rand.Read(b[:]); err != nil {
				return 0, fmt.Errorf("drawing a server ID: %w", err)
			}
			if id := binary.BigEndian.Uint32(b[:]); id != 0 {
				return id, nil
			}
		}
	}
	v, err := strconv.ParseUint(s, 0, 32)
	if err != nil || v == 0 {
		return 0, fmt.Errorf("server ID %q: want a non-zero 32-bit number (decimal or 0x hex)", s)
	}
	return uint32(v), nil
}

func newENRPCommand() *cobra.Command {
	var (
		file     enrpFile
		cfgPath  string
		announce string
	)
	cmd := &cobra.Command{
		Use:   "enrp",
		Short: "Run an ENRP registrar (ASAP server side; handle table over ENRP)",
		Long: `Run an RSerPool registrar.

PEs register and PUs resolve over ASAP on --listen (TCP: bare ASAP framing,
as plain RSerPool peers send it; prefix "mux+" for sigpool's mux framing).
--enrp-listen serves ENRP: peer registrars, and the Handle Table Requests
"sigpool pool ls" uses. --peer names another registrar's ENRP address
(repeatable; "peers" in the YAML file): the registrars exchange Presence,
Handle Updates and handle tables, and take over the PEs of one that dies.
One reachable peer is enough: the others are learnt from it.
Keep-alive timers come from --profile (interval = app_hb_interval, timeout =
app_hb_interval x app_hb_miss); without --profile RSPLIB's 5 s / 5 s apply.
Flags override the --config YAML file, whose keys are the flag names with
underscores (listen, server_id, keepalive_interval, ...).`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			fl := cmd.Flags()
			merged := file
			if cfgPath != "" {
				f, err := loadENRPFileOver(cfgPath, file)
				if err != nil {
					return err
				}
				merged = f
				overrideChanged(fl, &merged, &file)
			}
			if fl.Changed("announce") || merged.Announce == "" {
				merged.Announce = announce
			}
			opts, err := enrpOptions(merged)
			if err != nil {
				return err
			}
			opts.Logger = enrpLogger(cmd.ErrOrStderr(), merged.Verbose)
			defer opts.Logger.Sync()
			if opts.Capture, err = openCapture(merged.PCAP); err != nil {
				return err
			}
			r, err := enrp.Start(cmd.Context(), opts)
			if err != nil {
				return errors.Join(err, closeCapture(opts.Capture))
			}
			<-cmd.Context().Done()
			return errors.Join(r.Close(), closeCapture(opts.Capture))
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&cfgPath, "config", "", "YAML configuration file (flags override it)")
	fl.StringArrayVar(&file.Listen, "listen", []string{defaultASAPListen}, "ASAP address (repeatable): tcp://, sctp://, auto://, mux+tcp://")
	fl.StringArrayVar(&file.ENRPListen, "enrp-listen", []string{defaultENRPListen}, "ENRP address for handle-table requests (repeatable; empty string: none)")
	fl.StringArrayVar(&file.Peers, "peer", nil, "ENRP address of a peer registrar (repeatable): tcp://host:9901")
	fl.StringVar(&file.ServerID, "server-id", "", "server ID, decimal or 0x hex (default: random)")
	fl.StringVar(&file.Profile, "profile", "", "heartbeat profile ("+strings.Join(transport.ProfileNames(), ", ")+", with overrides); sets the keep-alive timers")
	fl.DurationVar(&file.KeepAliveInterval, "keepalive-interval", 0, "silence before an Endpoint Keep-Alive (default: profile, else 5s)")
	fl.DurationVar(&file.KeepAliveTimeout, "keepalive-timeout", 0, "wait for the Keep-Alive Ack before removing the PE (default: profile, else 5s)")
	fl.IntVar(&file.MaxBadPEReports, "max-bad-pe-reports", enrp.DefaultMaxBadPEReports, "Endpoint Unreachable reports that remove a PE")
	fl.DurationVar(&file.BadPEReportWindow, "bad-pe-report-window", enrp.DefaultBadPEReportWindow, "reports older than this no longer count")
	fl.IntVar(&file.MaxItems, "max-items", enrp.DefaultMaxHandleResolutionItems, "PEs per handle resolution without the Handle Resolution Option")
	fl.IntVar(&file.MaxItemsCap, "max-items-cap", enrp.DefaultHandleResolutionItemsCap, "most PEs a handle resolution may ask for")
	fl.StringVar(&announce, "announce", "", `send Server Announce to this UDP address ("multicast": `+enrp.DefaultAnnounceAddress+`); default off`)
	fl.DurationVar(&file.AnnounceInterval, "announce-interval", enrp.DefaultAnnounceInterval, "Server Announce period")
	fl.Float64Var(&file.ResolutionRate, "resolution-rate", 0, "handle resolutions per second per association (0: unlimited)")
	fl.Float64Var(&file.ResolutionBurst, "resolution-burst", 0, "burst of handle resolutions (0: one second's worth)")
	fl.Float64Var(&file.UnreachableRate, "unreachable-rate", 0, "Endpoint Unreachable reports per second per association (0: unlimited)")
	fl.Float64Var(&file.UnreachableBurst, "unreachable-burst", 0, "burst of Endpoint Unreachable reports")
	fl.Float64Var(&file.RegistrationRate, "registration-rate", 0, "registrations per second per association (0: unlimited)")
	fl.Float64Var(&file.RegistrationBurst, "registration-burst", 0, "burst of registrations")
	fl.IntVar(&file.MaxPEsPerAssociation, "max-pes-per-association", 0, "PEs one association may register (0: unlimited)")
	fl.BoolVar(&file.KeepOnAssociationLoss, "keep-on-association-loss", false, "keep a PE whose association ended until its keep-alive fails (RSPLIB); default removes it at once")
	fl.IntVar(&file.MaxPEsPerPool, "max-pes-per-pool", 1024, "PEs one pool may hold")
	fl.IntVar(&file.MaxPoolsPerNamespace, "max-pools", 1024, "pools the handlespace may hold")
	fl.IntVar(&file.MaxAddresses, "max-addresses", handlespace.DefaultMaxAddresses, "addresses one PE transport may register")
	fl.IntVar(&file.MaxMessageSize, "max-message-size", 65535, "largest ASAP/ENRP message accepted (bytes; a larger one ends the association)")
	fl.DurationVar(&file.FirstMessageTimeout, "first-message-timeout", enrp.DefaultFirstMessageTimeout, "close a connection that sends nothing valid this long after connecting (0: never)")
	fl.DurationVar(&file.IdleTimeout, "idle-timeout", 0, "close a connection that holds no PE and is silent this long (0: never)")
	fl.BoolVar(&file.PaceOverLimit, "pace-over-limit", true, "stop reading an association over its resolution or unreachable rate until its bucket refills (false: answer every excess resolution with an error)")
	registerTLSFlags(fl, &file.TLSCert, &file.TLSKey, &file.TLSCA)
	fl.StringVar(&file.Authz, "authz", "", "authorization policy file (YAML): which certificate identities may register, resolve and peer (needs TLS)")
	registerPCAPFlag(fl, &file.PCAP)
	fl.BoolVarP(&file.Verbose, "verbose", "v", false, "debug logging")
	return cmd
}

// overrideChanged copies into dst the fields whose flags were given.
func overrideChanged(fl *pflag.FlagSet, dst, flags *enrpFile) {
	set := map[string]func(){
		"listen":                   func() { dst.Listen = flags.Listen },
		"enrp-listen":              func() { dst.ENRPListen = flags.ENRPListen },
		"peer":                     func() { dst.Peers = flags.Peers },
		"server-id":                func() { dst.ServerID = flags.ServerID },
		"profile":                  func() { dst.Profile = flags.Profile },
		"keepalive-interval":       func() { dst.KeepAliveInterval = flags.KeepAliveInterval },
		"keepalive-timeout":        func() { dst.KeepAliveTimeout = flags.KeepAliveTimeout },
		"max-bad-pe-reports":       func() { dst.MaxBadPEReports = flags.MaxBadPEReports },
		"bad-pe-report-window":     func() { dst.BadPEReportWindow = flags.BadPEReportWindow },
		"max-items":                func() { dst.MaxItems = flags.MaxItems },
		"max-items-cap":            func() { dst.MaxItemsCap = flags.MaxItemsCap },
		"announce-interval":        func() { dst.AnnounceInterval = flags.AnnounceInterval },
		"resolution-rate":          func() { dst.ResolutionRate = flags.ResolutionRate },
		"resolution-burst":         func() { dst.ResolutionBurst = flags.ResolutionBurst },
		"unreachable-rate":         func() { dst.UnreachableRate = flags.UnreachableRate },
		"unreachable-burst":        func() { dst.UnreachableBurst = flags.UnreachableBurst },
		"registration-rate":        func() { dst.RegistrationRate = flags.RegistrationRate },
		"registration-burst":       func() { dst.RegistrationBurst = flags.RegistrationBurst },
		"max-pes-per-association":  func() { dst.MaxPEsPerAssociation = flags.MaxPEsPerAssociation },
		"keep-on-association-loss": func() { dst.KeepOnAssociationLoss = flags.KeepOnAssociationLoss },
		"max-pes-per-pool":         func() { dst.MaxPEsPerPool = flags.MaxPEsPerPool },
		"max-pools":                func() { dst.MaxPoolsPerNamespace = flags.MaxPoolsPerNamespace },
		"max-addresses":            func() { dst.MaxAddresses = flags.MaxAddresses },
		"max-message-size":         func() { dst.MaxMessageSize = flags.MaxMessageSize },
		"first-message-timeout":    func() { dst.FirstMessageTimeout = flags.FirstMessageTimeout },
		"idle-timeout":             func() { dst.IdleTimeout = flags.IdleTimeout },
		"pace-over-limit":          func() { dst.PaceOverLimit = flags.PaceOverLimit },
		"tls-cert":                 func() { dst.TLSCert = flags.TLSCert },
		"tls-key":                  func() { dst.TLSKey = flags.TLSKey },
		"tls-ca":                   func() { dst.TLSCA = flags.TLSCA },
		"authz":                    func() { dst.Authz = flags.Authz },
		"pcap":                     func() { dst.PCAP = flags.PCAP },
		"verbose":                  func() { dst.Verbose = flags.Verbose },
	}
	fl.Visit(func(f *pflag.Flag) {
		if fn, ok := set[f.Name]; ok {
			fn()
		}
	})
	// Defaults of flags not given fill what the file leaves unset.
	if dst.Listen == nil {
		dst.Listen = flags.Listen
	}
	if dst.ENRPListen == nil {
		dst.ENRPListen = flags.ENRPListen
	}
}

// enrpOptions checks the merged configuration and builds the registrar's.
func enrpOptions(f enrpFile) (enrp.Options, error) {
	var o enrp.Options
	id, err := parseServerID(f.ServerID)
	if err != nil {
		return o, fmt.Errorf("--server-id: %w", err)
	}
	if f.Listen == nil {
		f.Listen = []string{defaultASAPListen}
	}
	if f.ENRPListen == nil {
		f.ENRPListen = []string{defaultENRPListen}
	}
	if len(f.Listen) == 0 {
		return o, errors.New("--listen: at least one ASAP address is required")
	}
	for _, a := range f.Listen {
		if _, _, err := enrp.ParseListenAddress(a); err != nil {
			return o, fmt.Errorf("--listen %q: %w", a, err)
		}
	}
	var enrpAddrs []string
	for _, a := range f.ENRPListen {
		if a == "" {
			continue
		}
		if _, _, err := enrp.ParseListenAddress(a); err != nil {
			return o, fmt.Errorf("--enrp-listen %q: %w", a, err)
		}
		enrpAddrs = append(enrpAddrs, a)
	}
	for _, a := range f.Peers {
		if _, _, err := enrp.ParseListenAddress(a); err != nil {
			return o, fmt.Errorf("--peer %q: %w", a, err)
		}
	}
	var prof transport.Profile
	core := enrp.Config{}
	if f.Profile != "" {
		prof, err = transport.ParseProfile(f.Profile)
		if err != nil {
			return o, fmt.Errorf("--profile: %w", err)
		}
		core = enrp.ConfigForProfile(prof)
	}
	for name, d := range map[string]time.Duration{"keepalive-interval": f.KeepAliveInterval, "keepalive-timeout": f.KeepAliveTimeout,
		"bad-pe-report-window": f.BadPEReportWindow, "announce-interval": f.AnnounceInterval} {
		if d < 0 {
			return o, fmt.Errorf("--%s %v: must not be negative", name, d)
		}
	}
	if f.KeepAliveInterval > 0 {
		core.KeepAliveInterval = f.KeepAliveInterval
	}
	if f.KeepAliveTimeout > 0 {
		core.KeepAliveTimeout = f.KeepAliveTimeout
	}
	if f.MaxBadPEReports < 0 || f.MaxItems < 0 || f.MaxItemsCap < 0 || f.MaxPEsPerAssociation < 0 ||
		f.MaxPEsPerPool < 0 || f.MaxPoolsPerNamespace < 0 || f.MaxAddresses < 0 {
		return o, errors.New("--max-bad-pe-reports, --max-items, --max-items-cap, --max-pes-per-association, --max-pes-per-pool, --max-pools and --max-addresses must not be negative")
	}
	if f.MaxMessageSize != 0 && (f.MaxMessageSize < 64 || f.MaxMessageSize > 65535) {
		return o, fmt.Errorf("--max-message-size %d: want 64..65535 (the ASAP/ENRP length field is 16 bits)", f.MaxMessageSize)
	}
	if f.FirstMessageTimeout < 0 || f.IdleTimeout < 0 {
		return o, errors.New("--first-message-timeout and --idle-timeout must not be negative")
	}
	if f.MaxItemsCap > 0 && f.MaxItems > f.MaxItemsCap {
		return o, fmt.Errorf("--max-items %d is above --max-items-cap %d", f.MaxItems, f.MaxItemsCap)
	}
	core.ServerID = id
	core.MaxBadPEReports = f.MaxBadPEReports
	core.BadPEReportWindow = f.BadPEReportWindow
	core.MaxHandleResolutionItems = f.MaxItems
	core.HandleResolutionItemsCap = f.MaxItemsCap
	core.ResolutionRate, core.ResolutionBurst = f.ResolutionRate, f.ResolutionBurst
	core.UnreachableRate, core.UnreachableBurst = f.UnreachableRate, f.UnreachableBurst
	core.RegistrationRate, core.RegistrationBurst = f.RegistrationRate, f.RegistrationBurst
	core.MaxPEsPerAssociation = f.MaxPEsPerAssociation
	core.KeepOnAssociationLoss = f.KeepOnAssociationLoss
	core.Handlespace.MaxPEsPerPool = f.MaxPEsPerPool
	core.Handlespace.MaxPoolsPerNamespace = f.MaxPoolsPerNamespace
	core.Handlespace.MaxAddresses = f.MaxAddresses
	core.FirstMessageTimeout, core.IdleTimeout = f.FirstMessageTimeout, f.IdleTimeout
	core.PaceOverLimit = f.PaceOverLimit
	if core.Authorization, err = loadAuthz(f.Authz); err != nil {
		return o, err
	}
	server, client, err := loadTLS(f.TLSCert, f.TLSKey, f.TLSCA)
	if err != nil {
		return o, err
	}
	if core.Authorization != nil && server == nil {
		return o, errors.New("--authz needs --tls-cert, --tls-key and --tls-ca: identities come from certificates")
	}
	if err := core.Validate(); err != nil {
		return o, err
	}
	announce := f.Announce
	if announce == "multicast" {
		announce = enrp.DefaultAnnounceAddress
	}
	return enrp.Options{Core: core, Listen: f.Listen, ENRPListen: enrpAddrs, Peers: f.Peers, Profile: prof,
		Announce: announce, AnnounceInterval: f.AnnounceInterval, TLSServer: server, TLSClient: client,
		MaxMessageSize: f.MaxMessageSize}, nil
}

func enrpLogger(w io.Writer, verbose bool) *zap.Logger {
	enc := zap.NewDevelopmentEncoderConfig()
	enc.EncodeTime = zapcore.TimeEncoderOfLayout("15:04:05.000")
	level := zap.InfoLevel
	if verbose {
		level = zap.DebugLevel
	}
	return zap.New(zapcore.NewCore(zapcore.NewConsoleEncoder(enc), zapcore.AddSync(w), level))
}
