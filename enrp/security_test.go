package enrp

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/sigpool/sigpool/asap"
	"github.com/sigpool/sigpool/internal/authz"
	"github.com/sigpool/sigpool/internal/pki"
	"github.com/sigpool/sigpool/transport"
	"github.com/sigpool/sigpool/wire"
)

// lab is a CA issuing in-memory TLS configurations.
type lab struct {
	t    testing.TB
	ca   *pki.Authority
	pool *x509.CertPool
}

func newLab(t testing.TB) *lab {
	ca, err := pki.NewAuthority("test CA", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(ca.Cert)
	return &lab{t: t, ca: ca, pool: pool}
}

func (l *lab) cert(name string) tls.Certificate {
	is, err := l.ca.Issue(pki.Request{Name: name, IPs: []net.IP{net.IPv4(127, 0, 0, 1)}, Validity: time.Hour})
	if err != nil {
		l.t.Fatal(err)
	}
	c, err := tls.X509KeyPair(is.CertPEM, is.KeyPEM)
	if err != nil {
		l.t.Fatal(err)
	}
	return c
}

// configs returns the server and client configurations of one identity.
func (l *lab) configs(name string) (server, client *tls.Config) {
	c := l.cert(name)
	return &tls.Config{MinVersion: tls.VersionTLS13, Certificates: []tls.Certificate{c}, ClientCAs: l.pool, ClientAuth: tls.RequireAndVerifyClientCert},
		&tls.Config{MinVersion: tls.VersionTLS13, Certificates: []tls.Certificate{c}, RootCAs: l.pool}
}

const securityPolicy = `
default: deny
rules:
  - identity: "gwc-*"
    register: ["gwc"]
  - identity: "sg-*"
    resolve: ["gwc"]
  - identity: "registrar-*"
    peer: true
    resolve: ["*"]
`

func startSecureRegistrar(t *testing.T, l *lab, name string, id uint32, peers ...string) *Registrar {
	t.Helper()
	pol, err := authz.Parse([]byte(securityPolicy))
	if err != nil {
		t.Fatal(err)
	}
	srv, cli := l.configs(name)
	cfg := ConfigForProfile(carrierProfile(t))
	cfg.ServerID, cfg.Authorization = id, pol
	r, err := Start(context.Background(), Options{Core: cfg, Listen: []string{"tcp://127.0.0.1:0"}, ENRPListen: []string{"tcp://127.0.0.1:0"},
		Peers: peers, Profile: carrierProfile(t), TLSServer: srv, TLSClient: cli})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

func startPE(t *testing.T, reg string, handle string, id wire.PEIdentifier, client *tls.Config) *asap.PoolElement {
	t.Helper()
	pe, err := asap.StartPoolElement(t.Context(), asap.PEConfig{PoolHandle: handle, Registrars: []string{reg}, Listen: "tcp://127.0.0.1:0",
		Identifier: id, Profile: carrierProfile(t), TLSClient: client})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		pe.Close(ctx)
	})
	return pe
}

func TestSecurityRegistration(t *testing.T) {
	l, rogue := newLab(t), newLab(t)
	r := startSecureRegistrar(t, l, "registrar-1", 0x10)
	addr := asapAddr(r)
	wait := func(pe *asap.PoolElement) error {
		ctx, cancel := context.WithTimeout(t.Context(), 1500*time.Millisecond)
		defer cancel()
		return pe.Registered(ctx)
	}
	// No TLS at all, and a certificate of another CA: no registration.
	if err := wait(startPE(t, addr, "gwc", 1, nil)); err == nil {
		t.Error("a PE without TLS registered")
	}
	_, rogueClient := rogue.configs("gwc-rogue")
	rogueClient.RootCAs = l.pool // it trusts the registrar; the registrar does not trust it
	if err := wait(startPE(t, addr, "gwc", 2, rogueClient)); err == nil {
		t.Error("a PE with a certificate of another CA registered")
	}
	// A valid certificate, but a handle it may not serve: rejected for security.
	_, gwcClient := l.configs("gwc-3")
	err := wait(startPE(t, addr, "hlr", 3, gwcClient))
	if err == nil || !strings.Contains(strings.ToLower(err.Error()), "security") {
		t.Errorf("unauthorized handle: %v, want a rejection due to security", err)
	}
	// Authorized: registers.
	if err := wait(startPE(t, addr, "gwc", 4, gwcClient)); err != nil {
		t.Fatalf("authorized PE: %v", err)
	}
	var stats Stats
	r.Do(func(c *Core) { stats = c.Stats() })
	if stats.Rejected == 0 {
		t.Error("the refused registration is not counted")
	}
	// Resolution: sg-* may resolve gwc, not hlr; a gwc-* may resolve nothing.
	resolve := func(name, handle string) (asap.Resolution, error) {
		_, cli := l.configs(name)
		pu, err := asap.NewPoolUser(t.Context(), asap.PUConfig{Registrars: []string{addr}, Profile: carrierProfile(t), TLS: cli})
		if err != nil {
			t.Fatal(err)
		}
		defer pu.Close()
		ctx, cancel := context.WithTimeout(t.Context(), 3*time.Second)
		defer cancel()
		return pu.Resolve(ctx, handle)
	}
	if res, err := resolve("sg-1", "gwc"); err != nil || len(res.Elements) != 1 || res.Elements[0].Identifier != 4 {
		t.Errorf("sg-1 resolving gwc: %+v, %v", res, err)
	}
	for _, c := range []struct{ who, handle string }{{"sg-1", "hlr"}, {"gwc-3", "gwc"}} {
		if res, err := resolve(c.who, c.handle); err == nil {
			t.Errorf("%s resolving %s: %+v, want refused", c.who, c.handle, res)
		} else if !strings.Contains(strings.ToLower(err.Error()), "security") {
			t.Errorf("%s resolving %s: %v, want a rejection due to security", c.who, c.handle, err)
		}
	}
}

// A registrar whose certificate the policy does not let peer cannot make
// the others learn its PEs; an authorized one can.
func TestSecurityRogueRegistrar(t *testing.T) {
	l := newLab(t)
	a := startSecureRegistrar(t, l, "registrar-a", 0x10)
	peerAddr := a.Addrs(wire.ProtocolENRP)[0]
	rogue := startSecureRegistrar(t, l, "rogue-b", 0x20, peerAddr)
	good := startSecureRegistrar(t, l, "registrar-c", 0x30, peerAddr)
	_, gwc := l.configs("gwc-9")
	// The rogue's policy lets its own PEs register (it runs the same file).
	startPE(t, asapAddr(rogue), "gwc", 0x666, gwc)
	startPE(t, asapAddr(good), "gwc", 0x777, gwc)
	knows := func(r *Registrar, id wire.PEIdentifier) bool {
		found := false
		r.Do(func(c *Core) { _, found = c.Namespace().Lookup(wire.PoolHandle("gwc"), id) })
		return found
	}
	deadline := time.Now().Add(5 * time.Second)
	for !knows(a, 0x777) {
		if time.Now().After(deadline) {
			t.Fatal("the authorized peer's PE never reached registrar a")
		}
		time.Sleep(10 * time.Millisecond)
	}
	// Give the rogue as long again as the good peer needed, and more.
	time.Sleep(time.Second)
	if knows(a, 0x666) {
		t.Fatal("registrar a took a Handle Update from a registrar it may not peer with")
	}
	if !knows(rogue, 0x666) {
		t.Fatal("test setup: the rogue registrar does not hold its own PE")
	}
}

func TestSecurityPolicyMustMatchCertificates(t *testing.T) {
	// Over plain TCP a registrar with a deny-by-default policy refuses all:
	// no certificate, no identity.
	pol, _ := authz.Parse([]byte(securityPolicy))
	cfg := Config{ServerID: 1, Authorization: pol}
	f := newFake(t, cfg)
	msgs := f.in(1, reg("gwc", pe(1, 5001, rr)))
	resp, ok := msgs[0].(*wire.RegistrationResponse)
	if !ok || !resp.Reject || resp.Error == nil || resp.Error.Causes[0].Code != wire.CauseRejectionDueToSecurity {
		t.Fatalf("plain registration under a deny policy: %+v", msgs[0])
	}
	f.c.SetIdentity(2, []string{"gwc-1"})
	if msgs := f.in(2, reg("gwc", pe(2, 5002, rr))); msgs[0].(*wire.RegistrationResponse).Reject {
		t.Fatal("gwc-1 refused for gwc")
	}
	// ENRP from an identity that may not peer is ignored.
	f.c.SetIdentity(3, []string{"gwc-1"})
	upd := &wire.HandleUpdate{SenderServerID: 0x99, Action: wire.UpdateActionAddPE, PoolHandle: wire.PoolHandle("gwc"), PoolElement: pe(7, 5007, rr)}
	raw, err := wire.Marshal(upd)
	if err != nil {
		t.Fatal(err)
	}
	f.acts.Reset()
	f.c.HandleENRP(f.now, 3, raw, &f.acts)
	if _, found := f.c.Namespace().Lookup(wire.PoolHandle("gwc"), 7); found {
		t.Fatal("a Handle Update from a non-peer identity was applied")
	}
}

func carrierProfile(t testing.TB) transport.Profile {
	t.Helper()
	p, err := transport.LookupProfile("carrier")
	if err != nil {
		t.Fatal(err)
	}
	return p
}
