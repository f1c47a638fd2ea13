package transport

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"os"
	"time"
)

// errTLSWriteCut marks a TLS write a cancelled context interrupted: the
// association cannot continue after it.
var errTLSWriteCut = errors.New("TLS write interrupted")

// ErrTLSOverSCTP is returned when a TLS configuration meets a kernel SCTP
// address: sigpool carries TLS over TCP associations only.
var ErrTLSOverSCTP = errors.New("TLS is carried over TCP associations only; use a tcp:// address")

// tlsHandshakeTimeout bounds a TLS handshake: the profile's dead-peer time,
// within 1 to 5 seconds, as for closing.
func tlsHandshakeTimeout(p Profile) time.Duration { return closeTimeoutFor(p) }

func tcpName(cfg Config) string {
	if cfg.TLS != nil {
		return "tcp+tls"
	}
	return "tcp"
}

// clientHandshake runs the client side of TLS on conn. Without a server
// name in the configuration the certificate is checked against the host
// the address named (an IP literal is checked against IP SANs).
func clientHandshake(ctx context.Context, conn *net.TCPConn, serverName string, cfg Config) (*tls.Conn, error) {
	tc := cfg.TLS
	if tc.ServerName == "" && !tc.InsecureSkipVerify {
		tc = tc.Clone()
		tc.ServerName = serverName
	}
	ctx, cancel := context.WithTimeout(ctx, tlsHandshakeTimeout(cfg.Profile))
	defer cancel()
	c := tls.Client(conn, tc)
	if err := c.HandshakeContext(ctx); err != nil {
		return nil, fmt.Errorf("TLS handshake: %w", err)
	}
	return c, nil
}

// TLSState returns the TLS session of an association that runs over TLS:
// the peer's verified certificate chain names who it is.
func TLSState(a Association) (tls.ConnectionState, bool) {
	t, ok := a.(interface {
		TLSConnectionState() (tls.ConnectionState, bool)
	})
	if !ok {
		return tls.ConnectionState{}, false
	}
	return t.TLSConnectionState()
}

// TLSConnectionState implements the interface TLSState looks for.
func (a *tcpAssoc) TLSConnectionState() (tls.ConnectionState, bool) {
	if a.tls == nil {
		return tls.ConnectionState{}, false
	}
	return a.tls.ConnectionState(), true
}

// TLSFiles names the PEM files of one side of mutually authenticated TLS:
// its certificate (chain) and key, and the CA certificates it trusts for
// the other side.
type TLSFiles struct {
	Cert, Key, CA string
}

// Enabled reports whether any file is named.
func (f TLSFiles) Enabled() bool { return f.Cert != "" || f.Key != "" || f.CA != "" }

// Load builds a TLS configuration from the files. Both sides present a
// certificate and verify the other's against CA: a server requires and
// verifies client certificates. TLS 1.3 only: every peer is sigpool.
func (f TLSFiles) Load(server bool) (*tls.Config, error) {
	if f.Cert == "" || f.Key == "" || f.CA == "" {
		return nil, fmt.Errorf("transport: TLS needs a certificate, its key and a CA file (have cert %q, key %q, ca %q)", f.Cert, f.Key, f.CA)
	}
	cert, err := tls.LoadX509KeyPair(f.Cert, f.Key)
	if err != nil {
		return nil, fmt.Errorf("transport: TLS certificate %s with key %s: %w", f.Cert, f.Key, err)
	}
	pem, err := os.ReadFile(f.CA)
	if err != nil {
		return nil, fmt.Errorf("transport: TLS CA: %w", err)
	}
	pool := x509.NewCertPool()
	if !pool.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("transport: TLS CA %s: no PEM certificate in it", f.CA)
	}
	c := &tls.Config{
		MinVersion:   tls.VersionTLS13,
		Certificates: []tls.Certificate{cert},
	}
	if server {
		c.ClientCAs = pool
		c.ClientAuth = tls.RequireAndVerifyClientCert
	} else {
		c.RootCAs = pool
	}
	return c, nil
}
