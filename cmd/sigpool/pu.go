package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/spf13/cobra"
	"go.uber.org/zap"

	"github.com/sigpool/sigpool/asap"
	"github.com/sigpool/sigpool/transport"
)

// echoPPID is the PPID the echo demo's data travels under (not 11: ASAP).
const echoPPID = 0x5349_4750 // "SIGP"

func newPUCommand() *cobra.Command {
	pu := &cobra.Command{
		Use:   "pu",
		Short: "Run an RSerPool pool user (ASAP)",
	}
	pu.AddCommand(newPUEchoCommand())
	return pu
}

func newPUEchoCommand() *cobra.Command {
	var (
		ef       endpointFlags
		count    int
		interval time.Duration
		timeout  time.Duration
		stdin    bool
	)
	cmd := &cobra.Command{
		Use:   "echo",
		Short: "Resolve a pool, open a session to one of its PEs and exchange echoes",
		Long: `Resolve --pool through the registrars, open a session to a PE chosen by the
pool's policy and send --count messages (or the lines of standard input with
--stdin), printing each echo with the PE that answered. When the PE fails, the
session reports it unreachable, fails over to another PE and sends it a
Cookie Echo of the last Cookie; failovers are printed.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			profile, err := ef.parse()
			if err != nil {
				return err
			}
			if count < 0 {
				return fmt.Errorf("--count %d: must not be negative", count)
			}
			if interval < 0 || timeout <= 0 {
				return fmt.Errorf("--interval must be >= 0 and --timeout > 0")
			}
			log := newLogger(cmd.ErrOrStderr(), ef.verbose)
			defer log.Sync()
			var lines *bufio.Scanner
			if stdin {
				lines = bufio.NewScanner(cmd.InOrStdin())
			}
			_, client, capture, err := ef.security(log, "PU")
			if err != nil {
				return err
			}
			return errors.Join(runPUEcho(cmd.Context(), cmd.OutOrStdout(), log, asap.PUConfig{
				Registrars: ef.registrars, Profile: profile, Timers: ef.timers, TLS: client, Capture: capture, Logger: log,
			}, ef.pool, count, interval, timeout, lines), closeCapture(capture))
		},
	}
	ef.register(cmd)
	fl := cmd.Flags()
	fl.IntVar(&count, "count", 10, "messages to send (0: until interrupted)")
	fl.DurationVar(&interval, "interval", time.Second, "pause between messages")
	fl.DurationVar(&timeout, "timeout", 5*time.Second, "wait for each echo")
	fl.BoolVar(&stdin, "stdin", false, "send the lines of standard input instead of numbered messages")
	fl.DurationVar(&ef.timers.CacheTTL, "cache-ttl", 0, "handle resolution cache lifetime (0: 5s)")
	return cmd
}

func runPUEcho(ctx context.Context, out io.Writer, log *zap.Logger, cfg asap.PUConfig, pool string, count int, interval, timeout time.Duration, lines *bufio.Scanner) error {
	pu, err := asap.NewPoolUser(ctx, cfg)
	if err != nil {
		return err
	}
	defer pu.Close()
	r, err := pu.Resolve(ctx, pool)
	if err != nil {
		return fmt.Errorf("resolve pool %q: %w", pool, err)
	}
	fmt.Fprintf(out, "pool %q: %d PE(s), policy %v\n", pool, len(r.Elements), r.Policy)
	for _, pe := range r.Elements {
		fmt.Fprintf(out, "  PE %v at %v\n", pe.Identifier, pe.UserTransport)
	}
	dctx, cancel := context.WithTimeout(ctx, timeout)
	// The PEs take the same client certificate as the registrars.
	s, err := pu.Dial(dctx, pool, asap.SessionConfig{Transport: transport.Config{TLS: cfg.TLS}})
	cancel()
	if err != nil {
		return fmt.Errorf("open session to pool %q: %w", pool, err)
	}
	defer s.Close()
	fmt.Fprintf(out, "session to PE %v\n", s.PE().Identifier)

	failovers := 0
	report := func() {
		for {
			select {
			case ev := <-s.Events():
				switch ev.Kind {
				case asap.SessionPELost:
					fmt.Fprintf(out, "PE %v lost (%v); failing over\n", ev.PE.Identifier, ev.Err)
				case asap.SessionConnected:
					if ev.Failover {
						failovers++
						fmt.Fprintf(out, "failover: now on PE %v (cookie echoed: %q)\n", ev.PE.Identifier, s.LastCookie())
					}
				case asap.SessionConnectFailed:
					fmt.Fprintf(out, "failover attempt failed: %v\n", ev.Err)
				}
			default:
				return
			}
		}
	}
	sent, answered := 0, 0
	for i := 1; count == 0 || i <= count; i++ {
		text := fmt.Sprintf("echo #%d", i)
		if lines != nil {
			if !lines.Scan() {
				break
			}
			text = lines.Text()
			if text == "" {
				continue
			}
		}
		if ctx.Err() != nil {
			break
		}
		start := time.Now()
		mctx, cancel := context.WithTimeout(ctx, timeout)
		err := s.Send(mctx, transport.Message{PPID: echoPPID, Data: []byte(text)})
		var m transport.Message
		if err == nil {
			m, err = s.Recv(mctx)
		}
		cancel()
		report()
		sent++
		switch {
		case err == nil:
			answered++
			fmt.Fprintf(out, "%s -> %q from PE %v in %v\n", text, m.Data, s.PE().Identifier, time.Since(start).Round(time.Microsecond))
		case ctx.Err() != nil:
		case errors.Is(err, context.DeadlineExceeded):
			fmt.Fprintf(out, "%s -> no echo within %v\n", text, timeout)
		default:
			fmt.Fprintf(out, "%s -> %v\n", text, err)
		}
		if interval > 0 && (count == 0 || i < count) {
			select {
			case <-ctx.Done():
			case <-time.After(interval):
			}
		}
	}
	report()
	fmt.Fprintf(out, "%d sent, %d echoed, %d failover(s)\n", sent, answered, failovers)
	if sent > 0 && answered == 0 {
		return fmt.Errorf("no echo from pool %q", pool)
	}
	return nil
}
