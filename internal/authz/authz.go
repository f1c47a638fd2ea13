// Package authz decides what a peer, named by its TLS certificate, may do:
// which pool handles it may register (serve) and resolve, and whether it
// may peer as a registrar. Rules come from a YAML policy file:
//
//	default: deny            # or allow: what an identity no rule names may do
//	rules:
//	  - identity: "gwc-*"    # certificate common name or DNS SAN, glob
//	    register: ["gwc"]    # pool handles, globs; "*" is every handle
//	    resolve: ["*"]
//	  - identity: "sg-*"
//	    resolve: ["gwc"]
//	  - identity: "registrar-*"
//	    peer: true
//
// The first rule whose identity matches one of the peer's names decides.
// A peer without a certificate (plain TCP or SCTP) has no name: only the
// default applies to it.
package authz

import (
	"bytes"
	"crypto/tls"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"strings"

	"go.yaml.in/yaml/v3"
)

// Action is something a peer asks to do.
type Action int

// Actions a policy decides.
const (
	Register Action = iota + 1 // register (serve) a pool handle
	Resolve                    // resolve a pool handle
	Peer                       // take part in ENRP as a registrar
)

func (a Action) String() string {
	switch a {
	case Register:
		return "register"
	case Resolve:
		return "resolve"
	case Peer:
		return "peer"
	}
	return fmt.Sprintf("Action(%d)", int(a))
}

// Rule grants one identity pattern its actions.
type Rule struct {
	Identity string   `yaml:"identity"`
	Register []string `yaml:"register"`
	Resolve  []string `yaml:"resolve"`
	Peer     bool     `yaml:"peer"`
}

// Policy is a parsed policy file.
type Policy struct {
	Default string `yaml:"default"` // allow or deny (default deny)
	Rules   []Rule `yaml:"rules"`
}

// Load reads a policy file.
func Load(file string) (*Policy, error) {
	b, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("authorization policy: %w", err)
	}
	p, err := Parse(b)
	if err != nil {
		return nil, fmt.Errorf("authorization policy %s: %w", file, err)
	}
	return p, nil
}

// Parse parses a policy; unknown keys and bad patterns are errors.
func Parse(b []byte) (*Policy, error) {
	dec := yaml.NewDecoder(bytes.NewReader(b))
	dec.KnownFields(true)
	var p Policy
	if err := dec.Decode(&p); err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	switch p.Default {
	case "":
		p.Default = "deny"
	case "allow", "deny":
	default:
		return nil, fmt.Errorf("default %q: want allow or deny", p.Default)
	}
	for i, r := range p.Rules {
		if r.Identity == "" {
			return nil, fmt.Errorf("rules[%d]: identity missing", i)
		}
		for _, pat := range append(append([]string{r.Identity}, r.Register...), r.Resolve...) {
			if _, err := path.Match(pat, ""); err != nil {
				return nil, fmt.Errorf("rules[%d]: pattern %q: %w", i, pat, err)
			}
		}
	}
	return &p, nil
}

// Allows decides whether a peer with names may do action on handle
// (ignored for Peer). A nil policy allows everything: authorization off.
func (p *Policy) Allows(names []string, action Action, handle string) bool {
	if p == nil {
		return true
	}
	for _, r := range p.Rules {
		if !matchesAny(r.Identity, names) {
			continue
		}
		switch action {
		case Register:
			return matchesHandle(r.Register, handle)
		case Resolve:
			return matchesHandle(r.Resolve, handle)
		case Peer:
			return r.Peer
		}
		return false
	}
	return p.Default == "allow"
}

func matchesAny(pattern string, names []string) bool {
	for _, n := range names {
		if ok, _ := path.Match(pattern, n); ok {
			return true
		}
	}
	return false
}

func matchesHandle(patterns []string, handle string) bool {
	for _, pat := range patterns {
		// Handles may hold any byte; path.Match treats '/' specially, so
		// a handle with one only matches "*" or itself.
		if pat == "*" || pat == handle {
			return true
		}
		if !strings.Contains(handle, "/") {
			if ok, _ := path.Match(pat, handle); ok {
				return true
			}
		}
	}
	return false
}

// Names returns the identities a TLS peer proved: its certificate's
// common name and DNS names. None without a verified certificate.
func Names(st tls.ConnectionState) []string {
	if len(st.VerifiedChains) == 0 || len(st.PeerCertificates) == 0 {
		return nil
	}
	c := st.PeerCertificates[0]
	names := make([]string, 0, 1+len(c.DNSNames))
	if c.Subject.CommonName != "" {
		names = append(names, c.Subject.CommonName)
	}
	return append(names, c.DNSNames...)
}
