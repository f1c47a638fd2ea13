//go:build !linux || 386

package transport

import (
	"context"
	"fmt"
	"net/netip"
)

// kernelSCTP: the SCTP backend is written against the Linux socket API
// (and, like the library, not for 386, which multiplexes socketcall).
func kernelSCTP() error {
	return fmt.Errorf("%w: the SCTP backend supports Linux (not 386) only", ErrUnsupported)
}

func listenSCTP(context.Context, []netip.AddrPort, uint16, Config) (Listener, error) {
	return nil, kernelSCTP()
}

func dialSCTP(context.Context, []netip.AddrPort, Config) (Association, error) {
	return nil, kernelSCTP()
}
