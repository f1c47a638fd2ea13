package main

import (
	"crypto/tls"
	"fmt"

	"github.com/spf13/pflag"

	"github.com/sigpool/sigpool/internal/authz"
	"github.com/sigpool/sigpool/transport"
)

// registerTLSFlags defines the mutual-TLS flags every component command
// has (--tls-cert, --tls-key, --tls-ca; YAML tls_cert, tls_key, tls_ca),
// bound to cert, key and ca: `sigpool cert` makes the files.
func registerTLSFlags(fl *pflag.FlagSet, cert, key, ca *string) {
	fl.StringVar(cert, "tls-cert", "", "PEM certificate (chain) of this component: with --tls-key and --tls-ca, every sigpool association is mutually authenticated TLS over TCP (default: plain)")
	fl.StringVar(key, "tls-key", "", "PEM private key of --tls-cert")
	fl.StringVar(ca, "tls-ca", "", "PEM CA certificate(s) the peers' certificates must chain to")
}

// registerPCAPFlag defines --pcap (YAML pcap), bound to path.
func registerPCAPFlag(fl *pflag.FlagSet, path *string) {
	fl.StringVar(path, "pcap", "", "record every association's messages in this pcap file as SCTP frames (tshark decodes ASAP, ENRP, M3UA, SUA)")
}

// loadTLS returns the server and client configurations of the files, both
// nil when none is named (plain); naming some but not all is an error.
func loadTLS(cert, key, ca string) (server, client *tls.Config, err error) {
	files := transport.TLSFiles{Cert: cert, Key: key, CA: ca}
	if !files.Enabled() {
		return nil, nil, nil
	}
	if server, err = files.Load(true); err != nil {
		return nil, nil, fmt.Errorf("--tls-cert/--tls-key/--tls-ca: %w", err)
	}
	if client, err = files.Load(false); err != nil {
		return nil, nil, fmt.Errorf("--tls-cert/--tls-key/--tls-ca: %w", err)
	}
	return server, client, nil
}

// openCapture creates the --pcap file; nil without one. The caller closes
// it once the component has stopped.
func openCapture(path string) (*transport.Capture, error) {
	if path == "" {
		return nil, nil
	}
	c, err := transport.CreateCapture(path)
	if err != nil {
		return nil, fmt.Errorf("--pcap: %w", err)
	}
	return c, nil
}

// closeCapture flushes and closes c, if any, reporting a write error.
func closeCapture(c *transport.Capture) error {
	if c == nil {
		return nil
	}
	if err := c.Close(); err != nil {
		return fmt.Errorf("--pcap: %w", err)
	}
	return nil
}

// loadAuthz reads the --authz policy file; nil without one.
func loadAuthz(path string) (*authz.Policy, error) {
	if path == "" {
		return nil, nil
	}
	p, err := authz.Load(path)
	if err != nil {
		return nil, fmt.Errorf("--authz: %w", err)
	}
	return p, nil
}
