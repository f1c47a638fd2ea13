package authz

import (
	"crypto/tls"
	"testing"
)

const policy = `
default: deny
rules:
  - identity: "gwc-*"
    register: ["gwc"]
    resolve: ["*"]
  - identity: "sg-1"
    resolve: ["gwc", "hlr-*"]
  - identity: "registrar-*"
    peer: true
`

func TestAllows(t *testing.T) {
	p, err := Parse([]byte(policy))
	if err != nil {
		t.Fatal(err)
	}
	for _, tt := range []struct {
		names  []string
		action Action
		handle string
		want   bool
	}{
		{[]string{"gwc-1"}, Register, "gwc", true},
		{[]string{"gwc-1"}, Register, "hlr", false},
		{[]string{"gwc-1"}, Resolve, "anything", true},
		{[]string{"gwc-1"}, Peer, "", false},
		{[]string{"sg-1"}, Resolve, "hlr-east", true},
		{[]string{"sg-1"}, Register, "gwc", false},
		{[]string{"x", "registrar-2.lab"}, Peer, "", true},
		{nil, Resolve, "gwc", false},
		{[]string{"rogue"}, Register, "gwc", false},
		{[]string{"sg-1"}, Resolve, "hlr-/x", false},
	} {
		if got := p.Allows(tt.names, tt.action, tt.handle); got != tt.want {
			t.Errorf("%v %v %q: %v, want %v", tt.names, tt.action, tt.handle, got, tt.want)
		}
	}
	var off *Policy
	if !off.Allows(nil, Register, "gwc") {
		t.Error("a nil policy must allow (authorization off)")
	}
	open, _ := Parse([]byte("default: allow\n"))
	if !open.Allows(nil, Peer, "") {
		t.Error("default allow")
	}
}

func TestParseErrors(t *testing.T) {
	for _, bad := range []string{
		"default: maybe\n",
		"rules:\n  - register: [gwc]\n",
		"rules:\n  - identity: \"[\"\n",
		"rules:\n  - identity: a\n    colour: red\n",
	} {
		if _, err := Parse([]byte(bad)); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	if _, err := Load("/nonexistent/policy.yaml"); err == nil {
		t.Error("missing file accepted")
	}
}

func TestNamesNeedAVerifiedChain(t *testing.T) {
	if n := Names(tls.ConnectionState{}); n != nil {
		t.Errorf("names without a certificate: %v", n)
	}
}
