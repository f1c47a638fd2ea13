package transport

import (
	"bytes"
	"crypto/tls"
	"crypto/x509"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/sigpool/sigpool/internal/pki"
)

// tlsLab is a CA and the TLS configurations of components it issued.
type tlsLab struct {
	ca  *pki.Authority
	dir string
}

func newTLSLab(t *testing.T) *tlsLab {
	t.Helper()
	ca, err := pki.NewAuthority("test CA", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	if _, _, err := pki.WriteFiles(dir, "ca", ca.CertPEM, ca.KeyPEM); err != nil {
		t.Fatal(err)
	}
	return &tlsLab{ca: ca, dir: dir}
}

// config issues a certificate for name (valid for 127.0.0.1) and loads it
// as a server or client configuration trusting the lab's CA.
func (l *tlsLab) config(t *testing.T, name string, server bool) *tls.Config {
	t.Helper()
	is, err := l.ca.Issue(pki.Request{Name: name, IPs: []net.IP{net.IPv4(127, 0, 0, 1)}, Validity: time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	cert, key, err := pki.WriteFiles(l.dir, name, is.CertPEM, is.KeyPEM)
	if err != nil {
		t.Fatal(err)
	}
	c, err := TLSFiles{Cert: cert, Key: key, CA: filepath.Join(l.dir, "ca.crt")}.Load(server)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestTLSMessagesAndPeerIdentity(t *testing.T) {
	tcpOnly(t)
	lab := newTLSLab(t)
	for _, f := range []Framing{FramingMux, FramingSIGTRAN} {
		t.Run(f.String(), func(t *testing.T) {
			ctx := testCtx(t, 20*time.Second)
			b := backend{scheme: "tcp", framing: f}
			scfg, ccfg := testConfig(b), testConfig(b)
			scfg.PPID, ccfg.PPID = 3, 3
			scfg.TLS = lab.config(t, "registrar-1", true)
			ccfg.TLS = lab.config(t, "gwc-7", false)
			l, addr := listen(t, ctx, b, scfg)
			c, s := pairOn(t, ctx, l, addr, ccfg)
			st, ok := TLSState(s)
			if !ok || len(st.PeerCertificates) == 0 {
				t.Fatalf("server side: no TLS state or no client certificate (ok=%v)", ok)
			}
			if cn := st.PeerCertificates[0].Subject.CommonName; cn != "gwc-7" {
				t.Errorf("client identity %q, want gwc-7", cn)
			}
			if st, _ := TLSState(c); st.PeerCertificates[0].Subject.CommonName != "registrar-1" {
				t.Errorf("server identity %q, want registrar-1", st.PeerCertificates[0].Subject.CommonName)
			}
			// Many messages, some larger than a TLS record (16 KiB).
			const n = 500
			go func() {
				for i := range n {
					data := bytes.Repeat([]byte{byte(i)}, 12+i*97%40000)
					binary.BigEndian.PutUint32(data, 0x01000101) // M3UA-looking header for sigtran framing
					binary.BigEndian.PutUint32(data[4:], uint32(len(data)))
					if err := c.Send(ctx, Message{PPID: 3, Data: data}); err != nil {
						t.Errorf("send %d: %v", i, err)
						return
					}
				}
			}()
			for i := range n {
				m, err := s.Recv(ctx)
				if err != nil {
					t.Fatalf("recv %d: %v", i, err)
				}
				if want := 12 + i*97%40000; len(m.Data) != want || m.Data[len(m.Data)-1] != byte(i) {
					t.Fatalf("message %d: %d bytes ending %#x, want %d bytes ending %#x", i, len(m.Data), m.Data[len(m.Data)-1], want, byte(i))
				}
			}
		})
	}
}

func TestTLSGracefulClose(t *testing.T) {
	tcpOnly(t)
	lab := newTLSLab(t)
	ctx := testCtx(t, 20*time.Second)
	b := backend{scheme: "tcp", framing: FramingMux}
	scfg, ccfg := testConfig(b), testConfig(b)
	scfg.TLS, ccfg.TLS = lab.config(t, "s", true), lab.config(t, "c", false)
	l, addr := listen(t, ctx, b, scfg)
	c, s := pairOn(t, ctx, l, addr, ccfg)
	for i := range 100 {
		if err := c.Send(ctx, Message{PPID: 11, Data: []byte(fmt.Sprint(i))}); err != nil {
			t.Fatal(err)
		}
	}
	done := make(chan error, 1)
	go func() {
		for i := range 100 {
			if m, err := s.Recv(ctx); err != nil || string(m.Data) != fmt.Sprint(i) {
				done <- fmt.Errorf("message %d: %q, %v", i, m.Data, err)
				return
			}
		}
		_, err := s.Recv(ctx)
		done <- err
	}()
	if err := c.Close(); err != nil {
		t.Fatalf("close: %v", err)
	}
	if err := <-done; !errors.Is(err, io.EOF) {
		t.Fatalf("server after the messages: %v, want io.EOF", err)
	}
	if ev := finalEvent(t, s, 5*time.Second); ev.Kind != EventDown {
		t.Errorf("server final event %v, want down", ev)
	}
}

// A client without a certificate, or with one from another CA, gets no
// association: the listener never hands it to Accept.
func TestTLSRefusesUnauthenticatedClients(t *testing.T) {
	tcpOnly(t)
	lab, rogue := newTLSLab(t), newTLSLab(t)
	ctx := testCtx(t, 20*time.Second)
	b := backend{scheme: "tcp", framing: FramingMux}
	scfg := testConfig(b)
	scfg.TLS = lab.config(t, "registrar", true)
	l, addr := listen(t, ctx, b, scfg)

	noCert := lab.config(t, "x", false).Clone()
	noCert.Certificates = nil
	// Trusts the right CA but presents a certificate the server cannot verify.
	rogueCert := lab.config(t, "y", false).Clone()
	rogueCert.Certificates = rogue.config(t, "rogue", false).Certificates
	for name, cc := range map[string]*tls.Config{
		"no certificate":            noCert,
		"certificate of another CA": rogueCert,
	} {
		cfg := testConfig(b)
		cfg.TLS = cc
		a, err := Dial(ctx, addr, cfg)
		if err == nil {
			// TLS 1.3: the client may finish before the server's verdict;
			// the server's alert then ends the association.
			if _, err = a.Recv(ctx); err == nil {
				t.Errorf("%s: association usable", name)
			}
			_ = a.Abort()
		}
		t.Logf("%s: %v", name, err)
	}
	if a, err := l.Accept(testCtx(t, 300*time.Millisecond)); err == nil {
		t.Fatalf("listener accepted an unauthenticated client from %v", a.RemoteAddrs())
	}
	// A legitimate client still gets through afterwards.
	good := testConfig(b)
	good.TLS = lab.config(t, "pe", false)
	pairOn(t, ctx, l, addr, good)
}

func TestTLSClientChecksServerName(t *testing.T) {
	tcpOnly(t)
	lab := newTLSLab(t)
	ctx := testCtx(t, 10*time.Second)
	b := backend{scheme: "tcp", framing: FramingMux}
	scfg, ccfg := testConfig(b), testConfig(b)
	scfg.TLS = lab.config(t, "s", true)
	ccfg.TLS = lab.config(t, "c", false)
	_, addr := listen(t, ctx, b, scfg)
	ccfg.TLS.ServerName = "registrar.example"
	if _, err := Dial(ctx, addr, ccfg); err == nil {
		t.Fatal("dial succeeded although the server certificate does not name registrar.example")
	}
}

// Over TLS nothing of the messages is visible on the wire.
func TestTLSOnTheWire(t *testing.T) {
	tcpOnly(t)
	lab := newTLSLab(t)
	ctx := testCtx(t, 10*time.Second)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	cfg := testConfig(backend{scheme: "tcp", framing: FramingMux})
	cfg.TLS = lab.config(t, "c", false)
	go func() { _, _ = Dial(ctx, "tcp://"+ln.Addr().String(), cfg) }()
	conn, err := ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetReadDeadline(time.Now().Add(5 * time.Second))
	hdr := make([]byte, 3)
	if _, err := io.ReadFull(conn, hdr); err != nil {
		t.Fatal(err)
	}
	// A TLS handshake record: content type 22, legacy version 3.x.
	if hdr[0] != 0x16 || hdr[1] != 3 {
		t.Fatalf("first bytes % x: not a TLS handshake record", hdr)
	}
}

func TestTLSConfigErrors(t *testing.T) {
	lab := newTLSLab(t)
	if _, err := (TLSFiles{Cert: "x"}).Load(false); err == nil {
		t.Error("incomplete file set accepted")
	}
	if _, err := (TLSFiles{Cert: "/nonexistent.crt", Key: "/nonexistent.key", CA: "/nonexistent"}).Load(true); err == nil {
		t.Error("missing files accepted")
	}
	empty := filepath.Join(t.TempDir(), "empty.pem")
	if err := os.WriteFile(empty, []byte("not pem"), 0o600); err != nil {
		t.Fatal(err)
	}
	is, _ := lab.ca.Issue(pki.Request{Name: "n", Validity: time.Hour})
	cert, key, _ := pki.WriteFiles(lab.dir, "n", is.CertPEM, is.KeyPEM)
	if _, err := (TLSFiles{Cert: cert, Key: key, CA: empty}).Load(true); err == nil {
		t.Error("CA file without a certificate accepted")
	}
	cfg := Config{TLS: lab.config(t, "s", true)}
	if _, err := Listen(testCtx(t, time.Second), "sctp://127.0.0.1:0", cfg); !errors.Is(err, ErrTLSOverSCTP) && KernelSCTP() == nil {
		t.Errorf("TLS over sctp://: %v, want ErrTLSOverSCTP", err)
	}
}

// memTLSConfigs makes a server and a client configuration from a fresh CA
// without touching the file system.
func memTLSConfigs(tb testing.TB) (server, client *tls.Config) {
	tb.Helper()
	ca, err := pki.NewAuthority("bench CA", time.Hour)
	if err != nil {
		tb.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(ca.Cert)
	pair := func(name string) tls.Certificate {
		is, err := ca.Issue(pki.Request{Name: name, IPs: []net.IP{net.IPv4(127, 0, 0, 1)}, Validity: time.Hour})
		if err != nil {
			tb.Fatal(err)
		}
		c, err := tls.X509KeyPair(is.CertPEM, is.KeyPEM)
		if err != nil {
			tb.Fatal(err)
		}
		return c
	}
	server = &tls.Config{MinVersion: tls.VersionTLS13, Certificates: []tls.Certificate{pair("server")}, ClientCAs: pool, ClientAuth: tls.RequireAndVerifyClientCert}
	client = &tls.Config{MinVersion: tls.VersionTLS13, Certificates: []tls.Certificate{pair("client")}, RootCAs: pool}
	return server, client
}
