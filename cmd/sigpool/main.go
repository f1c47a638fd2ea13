// Command sigpool is the single binary of sigpool: registrars (enrp), gateway
// controllers (gwc), the signaling gateway (sg), the lab and scenario player,
// and pool inspection tools.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := newRootCommand().ExecuteContext(ctx); err != nil {
		fmt.Fprintln(os.Stderr, "sigpool:", err)
		os.Exit(1)
	}
}
