package main

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/spf13/cobra"
	"go.uber.org/zap"
	"go.uber.org/zap/zapcore"

	"github.com/sigpool/sigpool/asap"
	"github.com/sigpool/sigpool/transport"
	"github.com/sigpool/sigpool/wire"
)

// policyNames maps --policy values to RFC 5356 policy types.
var policyNames = map[string]wire.PolicyType{
	"roundrobin":                       wire.PolicyRoundRobin,
	"weightedroundrobin":               wire.PolicyWeightedRoundRobin,
	"random":                           wire.PolicyRandom,
	"weightedrandom":                   wire.PolicyWeightedRandom,
	"priority":                         wire.PolicyPriority,
	"leastused":                        wire.PolicyLeastUsed,
	"leastusedwithdegradation":         wire.PolicyLeastUsedWithDegradation,
	"priorityleastused":                wire.PolicyPriorityLeastUsed,
	"randomizedleastused":              wire.PolicyRandomizedLeastUsed,
	"randomizedpriorityleastused":      wire.PolicyRandomizedPriorityLeastUsed,
	"priorityleastusedwithdegradation": wire.PolicyPriorityLeastUsedWithDegradation,
}

func policyList() string {
	names := make([]string, 0, len(policyNames))
	for n := range policyNames {
		names = append(names, n)
	}
	slices.Sort(names)
	return strings.Join(names, ", ")
}

// endpointFlags are the flags pe and pu share.
type endpointFlags struct {
	pool       string
	registrars []string
	profile    string
	verbose    bool
	timers     asap.Timers
	tlsCert    string
	tlsKey     string
	tlsCA      string
	pcap       string
}

func (f *endpointFlags) register(cmd *cobra.Command) {
	fl := cmd.Flags()
	fl.StringVar(&f.pool, "pool", "", "pool handle (required)")
	fl.StringArrayVar(&f.registrars, "registrar", nil, "registrar address, e.g. tcp://127.0.0.1:3863 (bare ASAP; mux+tcp://... for the mux framing); repeat for failover; required")
	fl.StringVar(&f.profile, "profile", "rfc4960", "heartbeat profile: "+strings.Join(transport.ProfileNames(), ", ")+", with overrides (carrier,rto_max=300ms)")
	fl.BoolVarP(&f.verbose, "verbose", "v", false, "debug logging")
	fl.DurationVar(&f.timers.ResponseTimeout, "response-timeout", 0, "wait for a registrar's answer (0: from the profile)")
	fl.IntVar(&f.timers.MaxRequestRetransmit, "max-retransmit", 0, "request retransmissions before giving a registrar up (0: 2)")
	fl.DurationVar(&f.timers.ReconnectMin, "reconnect-min", 0, "first back-off after every registrar failed (0: from the profile)")
	fl.DurationVar(&f.timers.ReconnectMax, "reconnect-max", 0, "longest back-off (0: from the profile)")
	registerTLSFlags(fl, &f.tlsCert, &f.tlsKey, &f.tlsCA)
	registerPCAPFlag(fl, &f.pcap)
}

// security loads the TLS files and opens the capture (nil, nil, nil when
// neither is asked for); the caller closes the capture after use. A plain
// run says so once, at warn level.
func (f *endpointFlags) security(log *zap.Logger, what string) (server, client *tls.Config, capture *transport.Capture, err error) {
	if server, client, err = loadTLS(f.tlsCert, f.tlsKey, f.tlsCA); err != nil {
		return nil, nil, nil, err
	}
	if server == nil {
		log.Warn(what + " is plain: its associations are unauthenticated and unencrypted (use --tls-cert, --tls-key, --tls-ca for mutual TLS)")
	}
	if capture, err = openCapture(f.pcap); err != nil {
		return nil, nil, nil, err
	}
	return server, client, capture, nil
}

func (f *endpointFlags) parse() (transport.Profile, error) {
	if f.pool == "" {
		return transport.Profile{}, errors.New("--pool is required")
	}
	if len(f.pool) > 32 {
		return transport.Profile{}, fmt.Errorf("--pool %q: pool handles are at most 32 bytes", f.pool)
	}
	if len(f.registrars) == 0 {
		return transport.Profile{}, errors.New("at least one --registrar is required")
	}
	if err := asap.ValidateRegistrars(f.registrars); err != nil {
		return transport.Profile{}, fmt.Errorf("--registrar: %w", err)
	}
	p, err := transport.ParseProfile(f.profile)
	if err != nil {
		return transport.Profile{}, fmt.Errorf("--profile: %w", err)
	}
	if err := f.timers.Validate(); err != nil {
		return transport.Profile{}, err
	}
	return p, nil
}

// newLogger logs to w in console format.
func newLogger(w io.Writer, verbose bool) *zap.Logger {
	enc := zap.NewDevelopmentEncoderConfig()
	enc.EncodeTime = zapcore.TimeEncoderOfLayout("15:04:05.000")
	level := zap.InfoLevel
	if verbose {
		level = zap.DebugLevel
	}
	return zap.New(zapcore.NewCore(zapcore.NewConsoleEncoder(enc), zapcore.AddSync(w), level))
}

func newPECommand() *cobra.Command {
	pe := &cobra.Command{
		Use:   "pe",
		Short: "Run an RSerPool pool element (ASAP)",
	}
	pe.AddCommand(newPEEchoCommand())
	return pe
}

func newPEEchoCommand() *cobra.Command {
	var (
		ef       endpointFlags
		listen   string
		policy   string
		load     float64
		weight   uint32
		priority uint32
		id       uint32
		cookies  bool
	)
	cmd := &cobra.Command{
		Use:   "echo",
		Short: "Register a pool element that echoes what pool users send",
		Long: `Register a pool element under --pool with the registrars and echo every
message a pool user sends on its data association. After each echo the PE
sends an ASAP Cookie (its echo count), and logs the Cookie Echo a pool user
sends after failing over to it. Ctrl-C deregisters and exits.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			profile, err := ef.parse()
			if err != nil {
				return err
			}
			pt, ok := policyNames[strings.ToLower(policy)]
			if !ok {
				return fmt.Errorf("--policy %q: unknown; one of %s", policy, policyList())
			}
			if load < 0 || load > 1 {
				return fmt.Errorf("--load %v: must be within 0..1", load)
			}
			pol := wire.Policy{Type: pt}
			switch pt {
			case wire.PolicyWeightedRoundRobin, wire.PolicyWeightedRandom:
				pol.Weight = weight
			case wire.PolicyPriority:
				pol.Priority = priority
			case wire.PolicyRoundRobin, wire.PolicyRandom:
			default:
				pol.Load = wire.FractionOf(load)
			}
			if _, err := transport.ParseAddress(listen); err != nil {
				return fmt.Errorf("--listen %q: %w", listen, err)
			}
			log := newLogger(cmd.ErrOrStderr(), ef.verbose)
			defer log.Sync()
			server, client, capture, err := ef.security(log, "PE")
			if err != nil {
				return err
			}
			return errors.Join(runPEEcho(cmd.Context(), cmd.OutOrStdout(), log, asap.PEConfig{
				PoolHandle: ef.pool, Registrars: ef.registrars, Listen: listen, Policy: pol,
				Identifier: wire.PEIdentifier(id), Profile: profile, Timers: ef.timers,
				TLSServer: server, TLSClient: client, Capture: capture,
				Logger: log,
			}, cookies), closeCapture(capture))
		},
	}
	ef.register(cmd)
	fl := cmd.Flags()
	fl.StringVar(&listen, "listen", "tcp://127.0.0.1:0", "user transport pool users connect to")
	fl.StringVar(&policy, "policy", "roundrobin", "selection policy: "+policyList())
	fl.Float64Var(&load, "load", 0, "load 0..1 (Least Used policies)")
	fl.Uint32Var(&weight, "weight", 1, "weight (weighted policies)")
	fl.Uint32Var(&priority, "priority", 0, "priority (priority policy)")
	fl.Uint32Var(&id, "id", 0, "PE identifier (0: random)")
	fl.BoolVar(&cookies, "cookies", true, "send an ASAP Cookie after each echo")
	fl.DurationVar(&ef.timers.ReregistrationInterval, "reregistration-interval", 0, "re-registration interval (0: 30s); registration life is 3x")
	return cmd
}

func runPEEcho(ctx context.Context, out io.Writer, log *zap.Logger, cfg asap.PEConfig, cookies bool) error {
	pe, err := asap.StartPoolElement(ctx, cfg)
	if err != nil {
		return err
	}
	fmt.Fprintf(out, "PE %v of pool %q listening on %v\n", pe.Identifier(), cfg.PoolHandle, pe.UserTransport())

	var wg sync.WaitGroup
	defer wg.Wait()
	rctx, cancel := context.WithCancel(ctx)
	defer cancel()
	rejected := make(chan error, 1)
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case ev := <-pe.Events():
				switch ev.Kind {
				case asap.PERegistered:
					if ev.First {
						fmt.Fprintf(out, "registered with registrar %d (server ID %#x)\n", ev.Registrar, ev.ServerID)
					}
				case asap.PERejected:
					select {
					case rejected <- ev.Err:
					default:
					}
				case asap.PERegistrarLost:
					fmt.Fprintf(out, "registrar lost: %v\n", ev.Err)
				case asap.PEHomeChanged:
					fmt.Fprintf(out, "home registrar is now server %#x\n", ev.ServerID)
				}
			case <-rctx.Done():
				return
			}
		}
	}()
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			a, err := pe.Accept(rctx)
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				echo(rctx, out, log, a, cookies)
			}()
		}
	}()

	var runErr error
	select {
	case <-ctx.Done():
	case err := <-rejected:
		runErr = err
	}
	cancel()
	cctx, ccancel := context.WithTimeout(context.Background(), pe.Timers().DeregistrationTimeout+time.Second)
	defer ccancel()
	if err := pe.Close(cctx); err != nil {
		log.Warn("shutdown", zap.Error(err))
	}
	if runErr == nil {
		fmt.Fprintln(out, "deregistered; bye")
	}
	return runErr
}

func echo(ctx context.Context, out io.Writer, log *zap.Logger, a *asap.PEAssociation, cookies bool) {
	remote := a.Association().RemoteAddrs()
	log.Info("pool user connected", zap.Any("remote", remote))
	n := 0
	for {
		m, err := a.Recv(ctx)
		if err != nil {
			log.Info("pool user association ended", zap.Any("remote", remote), zap.Error(err))
			a.Close()
			return
		}
		switch c := m.Control.(type) {
		case *wire.CookieEcho:
			if v, err := strconv.Atoi(strings.TrimPrefix(string(c.Cookie), "echo-count=")); err == nil {
				n = v
			}
			fmt.Fprintf(out, "cookie echo from a failed-over pool user: %q\n", c.Cookie)
			continue
		case nil:
		default:
			log.Info("ASAP control from pool user", zap.Stringer("type", m.Control.Type()))
			continue
		}
		n++
		if err := a.Send(ctx, m.Message); err != nil {
			log.Warn("echo failed", zap.Error(err))
			continue
		}
		if cookies {
			_ = a.SendCookie(ctx, wire.Cookie(fmt.Sprintf("echo-count=%d", n)))
		}
	}
}
