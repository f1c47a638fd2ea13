package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/sigpool/sigpool/enrp"
	"github.com/sigpool/sigpool/transport"
	"github.com/sigpool/sigpool/wire"
)

// poolRow is one PE as `sigpool pool ls/resolve` print it.
type poolRow struct {
	PoolHandle    string  `json:"pool_handle"`
	Policy        string  `json:"policy"`
	PE            string  `json:"pe_id"`
	UserTransport string  `json:"user_transport"`
	Load          *string `json:"load,omitempty"`
	HomeRegistrar string  `json:"home_registrar"`
	// Life is the registration life the PE asked for: ENRP's handle table
	// carries it, not the time left, which only the home registrar knows.
	Life string `json:"registration_life"`
	ASAP string `json:"asap_transport,omitempty"`
}

func rowOf(ph wire.PoolHandle, p wire.PoolElement) poolRow {
	r := poolRow{
		PoolHandle:    ph.String(),
		Policy:        p.Policy.Type.String(),
		PE:            fmt.Sprintf("0x%08x", uint32(p.Identifier)),
		UserTransport: p.UserTransport.String(),
		HomeRegistrar: fmt.Sprintf("0x%08x", p.HomeRegistrar),
		Life:          (time.Duration(p.RegistrationLife) * time.Millisecond).String(),
	}
	if uint32(p.Policy.Type)&0x40000000 != 0 || p.Policy.Load != 0 {
		s := fmt.Sprintf("%.1f%%", 100*p.Policy.Load.Float64())
		r.Load = &s
	}
	if p.ASAPTransport != nil {
		r.ASAP = p.ASAPTransport.String()
	}
	return r
}

func printRows(w io.Writer, rows []poolRow, asJSON bool) error {
	if asJSON {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		if rows == nil {
			rows = []poolRow{}
		}
		return enc.Encode(rows)
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "POOL HANDLE\tPOLICY\tPE ID\tUSER TRANSPORT\tLOAD\tHOME REGISTRAR\tREG. LIFE")
	for _, r := range rows {
		load := "-"
		if r.Load != nil {
			load = *r.Load
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\n", r.PoolHandle, r.Policy, r.PE, r.UserTransport, load, r.HomeRegistrar, r.Life)
	}
	return tw.Flush()
}

type poolFlags struct {
	registrar string
	asJSON    bool
	timeout   time.Duration
	profile   string
	tlsCert   string
	tlsKey    string
	tlsCA     string
}

func (f *poolFlags) register(cmd *cobra.Command, def, what string) {
	fl := cmd.Flags()
	fl.StringVar(&f.registrar, "registrar", def, what)
	fl.BoolVar(&f.asJSON, "json", false, "print JSON instead of a table")
	fl.DurationVar(&f.timeout, "timeout", 5*time.Second, "give up after this long")
	fl.StringVar(&f.profile, "profile", "rfc4960", "heartbeat profile of the association")
	registerTLSFlags(fl, &f.tlsCert, &f.tlsKey, &f.tlsCA)
}

func (f *poolFlags) parse(ctx context.Context) (context.Context, context.CancelFunc, enrp.Client, error) {
	if _, _, err := enrp.ParseListenAddress(f.registrar); err != nil {
		return nil, nil, enrp.Client{}, fmt.Errorf("--registrar %q: %w", f.registrar, err)
	}
	if f.timeout <= 0 {
		return nil, nil, enrp.Client{}, fmt.Errorf("--timeout %v: must be positive", f.timeout)
	}
	p, err := transport.ParseProfile(f.profile)
	if err != nil {
		return nil, nil, enrp.Client{}, fmt.Errorf("--profile: %w", err)
	}
	_, client, err := loadTLS(f.tlsCert, f.tlsKey, f.tlsCA)
	if err != nil {
		return nil, nil, enrp.Client{}, err
	}
	ctx, cancel := context.WithTimeout(ctx, f.timeout)
	return ctx, cancel, enrp.Client{Profile: p, TLS: client}, nil
}

func newPoolCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "pool",
		Short: "Inspect a registrar's pools",
	}
	cmd.AddCommand(newPoolLsCommand(), newPoolResolveCommand())
	return cmd
}

func newPoolLsCommand() *cobra.Command {
	var f poolFlags
	var asPeer bool
	cmd := &cobra.Command{
		Use:   "ls",
		Short: "List every pool and PE of a registrar (ENRP Handle Table Request)",
		Long: `List a registrar's handlespace. The request is an ENRP Handle Table Request
to the registrar's ENRP address (sigpool enrp --enrp-listen; RSPLIB registrars
answer it too), repeated while the registrar sets the "more to send" flag.
RSPLIB registrars answer only registrars they know: --as-peer announces a
Presence first, as RSPLIB's hsdump does.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			ctx, cancel, client, err := f.parse(cmd.Context())
			if err != nil {
				return err
			}
			defer cancel()
			fetch := client.FetchHandleTable
			if asPeer {
				fetch = func(ctx context.Context, addr string) (uint32, []wire.PoolEntry, error) {
					return client.FetchHandleTableAsPeer(ctx, addr, 0)
				}
			}
			_, entries, err := fetch(ctx, f.registrar)
			if err != nil {
				return err
			}
			var rows []poolRow
			for _, e := range entries {
				for _, p := range e.PoolElements {
					rows = append(rows, rowOf(e.PoolHandle, p))
				}
			}
			return printRows(cmd.OutOrStdout(), rows, f.asJSON)
		},
	}
	f.register(cmd, defaultENRPListen, "registrar ENRP address")
	cmd.Flags().BoolVar(&asPeer, "as-peer", false, "announce a Presence first (RSPLIB registrars answer only peers)")
	return cmd
}

func newPoolResolveCommand() *cobra.Command {
	var (
		f     poolFlags
		items string
	)
	cmd := &cobra.Command{
		Use:   "resolve HANDLE",
		Short: "Resolve a pool handle at a registrar (ASAP Handle Resolution)",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			if args[0] == "" || len(args[0]) > 32 {
				return fmt.Errorf("pool handle %q: want 1 to 32 bytes", args[0])
			}
			var n uint32
			switch strings.ToLower(items) {
			case "", "0":
			case "all":
				n = wire.AllItems
			default:
				var v int
				if _, err := fmt.Sscan(items, &v); err != nil || v < 0 || fmt.Sprint(v) != items {
					return fmt.Errorf("--items %q: want a positive number or \"all\"", items)
				}
				n = uint32(v)
			}
			ctx, cancel, client, err := f.parse(cmd.Context())
			if err != nil {
				return err
			}
			defer cancel()
			resp, err := client.Resolve(ctx, f.registrar, wire.PoolHandle(args[0]), n)
			if err != nil {
				return err
			}
			var rows []poolRow
			for _, p := range resp.PoolElements {
				rows = append(rows, rowOf(resp.PoolHandle, p))
			}
			return printRows(cmd.OutOrStdout(), rows, f.asJSON)
		},
	}
	f.register(cmd, defaultASAPListen, "registrar ASAP address")
	cmd.Flags().StringVar(&items, "items", "", `PEs to ask for: a number or "all" (default: the registrar's choice)`)
	return cmd
}
