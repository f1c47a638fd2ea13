package pki

import (
	"crypto/x509"
	"encoding/pem"
	"net"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func parse(t *testing.T, p []byte) *x509.Certificate {
	t.Helper()
	b, _ := pem.Decode(p)
	if b == nil {
		t.Fatal("no PEM block")
	}
	c, err := x509.ParseCertificate(b.Bytes)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestIssueVerifiesAgainstCA(t *testing.T) {
	ca, err := NewAuthority("lab CA", 24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	is, err := ca.Issue(Request{Name: "gwc-1", DNSNames: []string{"gwc1.lab"}, IPs: []net.IP{net.IPv4(127, 0, 0, 1)}, Validity: 48 * time.Hour})
	if err != nil {
		t.Fatal(err)
	}
	c := parse(t, is.CertPEM)
	roots := x509.NewCertPool()
	roots.AddCert(ca.Cert)
	for _, usage := range []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth, x509.ExtKeyUsageClientAuth} {
		if _, err := c.Verify(x509.VerifyOptions{Roots: roots, DNSName: "gwc1.lab", KeyUsages: []x509.ExtKeyUsage{usage}}); err != nil {
			t.Errorf("verify for %v: %v", usage, err)
		}
	}
	if err := c.VerifyHostname("127.0.0.1"); err != nil {
		t.Errorf("IP SAN: %v", err)
	}
	if c.Subject.CommonName != "gwc-1" {
		t.Errorf("CN %q", c.Subject.CommonName)
	}
	if c.NotAfter.After(ca.Cert.NotAfter) {
		t.Errorf("certificate outlives its CA: %v > %v", c.NotAfter, ca.Cert.NotAfter)
	}
}

func TestAuthorityRoundTripAndErrors(t *testing.T) {
	dir := t.TempDir()
	ca, err := NewAuthority("lab CA", time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	cf, kf, err := WriteFiles(dir, "ca", ca.CertPEM, ca.KeyPEM)
	if err != nil {
		t.Fatal(err)
	}
	back, err := LoadAuthority(cf, kf)
	if err != nil {
		t.Fatal(err)
	}
	if !back.Cert.Equal(ca.Cert) {
		t.Error("loaded CA differs")
	}
	other, _ := NewAuthority("other", time.Hour)
	_, okf, _ := WriteFiles(dir, "other", other.CertPEM, other.KeyPEM)
	if _, err := LoadAuthority(cf, okf); err == nil || !strings.Contains(err.Error(), "does not belong") {
		t.Errorf("mismatched key: %v", err)
	}
	is, _ := ca.Issue(Request{Name: "leaf", Validity: time.Hour})
	lcf, lkf, _ := WriteFiles(dir, "leaf", is.CertPEM, is.KeyPEM)
	if _, err := LoadAuthority(lcf, lkf); err == nil || !strings.Contains(err.Error(), "not a CA") {
		t.Errorf("leaf as CA: %v", err)
	}
	if _, err := LoadAuthority(filepath.Join(dir, "missing.crt"), kf); err == nil {
		t.Error("missing file accepted")
	}
	if _, err := NewAuthority("", time.Hour); err == nil {
		t.Error("empty CA name accepted")
	}
	if _, err := ca.Issue(Request{Name: "", Validity: time.Hour}); err == nil {
		t.Error("empty name accepted")
	}
	if _, err := ca.Issue(Request{Name: "x"}); err == nil {
		t.Error("zero validity accepted")
	}
}
