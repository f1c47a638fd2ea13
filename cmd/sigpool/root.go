package main

import (
	"github.com/spf13/cobra"
)

func newRootCommand() *cobra.Command {
	root := &cobra.Command{
		Use:           "sigpool",
		Short:         "RSerPool (ENRP/ASAP) and a pool-based SS7-over-IP signaling gateway",
		SilenceUsage:  true,
		SilenceErrors: true,
	}
	root.AddCommand(newVersionCommand())
	root.AddCommand(newPECommand())
	root.AddCommand(newPUCommand())
	root.AddCommand(newENRPCommand())
	root.AddCommand(newPoolCommand())
	root.AddCommand(newCertCommand())
	root.AddCommand(newGWCCommand())
	root.AddCommand(newScenarioCommand())
	root.AddCommand(newLabCommand())
	root.AddCommand(newSGCommand())
	return root
}
