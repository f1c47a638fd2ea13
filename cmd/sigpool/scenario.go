package main

import (
	"errors"
	"fmt"
	"os"

	"github.com/spf13/cobra"

	"github.com/sigpool/sigpool/scenarios"
)

// errExpectations makes the exit code non-zero when a run's expectations
// did not all hold; the report has already said which.
var errExpectations = errors.New("expectations not met")

func newScenarioCommand() *cobra.Command {
	cmd := &cobra.Command{
		Use:   "scenario",
		Short: "Run scenario files: processes on loopback, SS7 traffic, faults on a timeline, a report",
	}
	var opt runFlags
	run := &cobra.Command{
		Use:   "run FILE",
		Short: "Run a scenario file (or a built-in one by name) and write report.json and report.html",
		Args:  cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			s, err := loadScenario(args[0])
			if err != nil {
				return err
			}
			return opt.run(cmd, s)
		},
	}
	opt.register(run)
	check := &cobra.Command{
		Use:   "check FILE...",
		Short: "Check scenario files without running them",
		Args:  cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			for _, f := range args {
				if _, err := scenarios.Load(f); err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "%s: ok\n", f)
			}
			return nil
		},
	}
	list := &cobra.Command{
		Use:   "list",
		Short: "List the built-in scenarios",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			for _, n := range scenarios.BuiltinNames() {
				s, err := scenarios.Builtin(n)
				if err != nil {
					return err
				}
				fmt.Fprintf(cmd.OutOrStdout(), "%-16s %s\n", n, s.Description)
			}
			return nil
		},
	}
	cmd.AddCommand(run, check, list)
	return cmd
}

// loadScenario reads a file, or a built-in scenario when no such file exists.
func loadScenario(arg string) (*scenarios.Scenario, error) {
	if _, err := os.Stat(arg); err == nil {
		return scenarios.Load(arg)
	}
	if s, err := scenarios.Builtin(arg); err == nil {
		return s, nil
	}
	return scenarios.Load(arg) // says the file is missing
}

type runFlags struct {
	dir, binary, pcap string
}

func (f *runFlags) register(c *cobra.Command) {
	c.Flags().StringVar(&f.dir, "dir", "", "directory for the components' logs and the reports (default: a new temporary directory)")
	c.Flags().StringVar(&f.binary, "binary", "", "sigpool binary the components run as (default: this one)")
	c.Flags().StringVar(&f.pcap, "pcap", "", "record the SS7 side's M3UA/SUA to this pcap file (synthetic SCTP frames for tshark)")
}

func (f *runFlags) run(cmd *cobra.Command, s *scenarios.Scenario) error {
	out := cmd.OutOrStdout()
	progress := false
	if fd, ok := out.(*os.File); ok {
		if st, err := fd.Stat(); err == nil && st.Mode()&os.ModeCharDevice != 0 {
			progress = true // a terminal: redraw one progress line
		}
	}
	rep, err := scenarios.RunScenario(cmd.Context(), s, scenarios.RunOptions{Dir: f.dir, Binary: f.binary, Capture: f.pcap, Out: out, Progress: progress})
	if err != nil {
		return fmt.Errorf("scenario %s: %w", s.Name, err)
	}
	if !rep.Pass {
		return fmt.Errorf("scenario %s: %w", s.Name, errExpectations)
	}
	return nil
}

func newLabCommand() *cobra.Command {
	var opt runFlags
	c := &cobra.Command{
		Use:   "lab",
		Short: "Run the built-in lab: 2 registrars, 3 GWCs, an SG, ISUP and TCAP traffic, a GWC killed midway",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			s, err := scenarios.Builtin("lab")
			if err != nil {
				return err
			}
			return opt.run(cmd, s)
		},
	}
	opt.register(c)
	return c
}
