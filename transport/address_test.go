package transport

import (
	"context"
	"net/netip"
	"slices"
	"strings"
	"testing"
	"time"
)

func TestParseAddress(t *testing.T) {
	tests := []struct {
		in      string
		scheme  Scheme
		hosts   []string
		port    uint16
		wantErr string
	}{
		{in: "sctp://127.0.0.1:3863", scheme: SchemeSCTP, hosts: []string{"127.0.0.1"}, port: 3863},
		{in: "sctp://127.0.0.1,127.0.0.2:3863", scheme: SchemeSCTP, hosts: []string{"127.0.0.1", "127.0.0.2"}, port: 3863},
		{in: "tcp://127.0.0.1:3863", scheme: SchemeTCP, hosts: []string{"127.0.0.1"}, port: 3863},
		{in: "TCP://127.0.0.1:2905", scheme: SchemeTCP, hosts: []string{"127.0.0.1"}, port: 2905},
		{in: "auto://localhost:14001", scheme: SchemeAuto, hosts: []string{"localhost"}, port: 14001},
		{in: "localhost:3863", scheme: SchemeAuto, hosts: []string{"localhost"}, port: 3863},
		{in: "127.0.0.1:0", scheme: SchemeAuto, hosts: []string{"127.0.0.1"}, port: 0},
		{in: "sctp://[::1]:3863", scheme: SchemeSCTP, hosts: []string{"::1"}, port: 3863},
		{in: "sctp://[::1],127.0.0.1,[fe80::1%lo]:9", scheme: SchemeSCTP, hosts: []string{"::1", "127.0.0.1", "fe80::1%lo"}, port: 9},
		{in: "[2001:db8::1]:65535", scheme: SchemeAuto, hosts: []string{"2001:db8::1"}, port: 65535},
		{in: "tcp://:3863", scheme: SchemeTCP, port: 3863},
		{in: "sctp://a-b.example.org,c.example.org.:1", scheme: SchemeSCTP, hosts: []string{"a-b.example.org", "c.example.org."}, port: 1},

		{in: "", wantErr: "empty address"},
		{in: "udp://127.0.0.1:1", wantErr: `unknown scheme "udp"`},
		{in: "://127.0.0.1:1", wantErr: "unknown scheme"},
		{in: "tcp://127.0.0.1", wantErr: "missing port"},
		{in: "127.0.0.1", wantErr: "missing port"},
		{in: "tcp://[::1]", wantErr: "missing port"},
		{in: "tcp://127.0.0.1:", wantErr: "missing port"},
		{in: "tcp://127.0.0.1:65536", wantErr: "port \"65536\""},
		{in: "tcp://127.0.0.1:-1", wantErr: "port \"-1\""},
		{in: "tcp://127.0.0.1:http", wantErr: "port \"http\""},
		{in: "tcp://::1:3863", wantErr: "must be in brackets"},
		{in: "tcp://[::1:3863", wantErr: "missing ']'"},
		{in: "tcp://[127.0.0.1]:3863", wantErr: "IPv6 address only"},
		{in: "tcp://[::ffff:127.0.0.1]:3863", wantErr: "IPv6 address only"},
		{in: "tcp://a]b:1", wantErr: "misplaced bracket"},
		{in: "tcp://127.0.0.1,,127.0.0.2:1", wantErr: "empty host"},
		{in: "tcp://127.0.0.1,:1", wantErr: "empty host"},
		{in: "tcp://,127.0.0.1:1", wantErr: "empty host"},
		{in: "tcp://127.0.0.1,127.0.0.1:1", wantErr: "given twice"},
		{in: "tcp://[::1],[0::1]:1", wantErr: "given twice"},
		{in: "tcp://127.0.0.1:1/path", wantErr: "unexpected character"},
		{in: "tcp://user@127.0.0.1:1", wantErr: "unexpected character"},
		{in: "tcp://127.0.0.1:1?x=y", wantErr: "unexpected character"},
		{in: "tcp:// 127.0.0.1:1", wantErr: "unexpected character"},
		{in: "tcp://256.1.1.1:1", wantErr: "neither an IP address nor a host name"},
		{in: "tcp://exa_mple:1", wantErr: "neither an IP address nor a host name"},
		{in: "tcp://-bad.example:1", wantErr: "neither an IP address nor a host name"},
		{in: "sctp://" + strings.Repeat("a", 64) + ":1", wantErr: "neither an IP address nor a host name"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			a, err := ParseAddress(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("ParseAddress(%q) = %+v, %v; want error containing %q", tt.in, a, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatalf("ParseAddress(%q): %v", tt.in, err)
			}
			if a.Scheme != tt.scheme || !slices.Equal(a.Hosts, tt.hosts) || a.Port != tt.port {
				t.Fatalf("ParseAddress(%q) = %+v; want %s %v %d", tt.in, a, tt.scheme, tt.hosts, tt.port)
			}
			back, err := ParseAddress(a.String())
			if err != nil || back.Scheme != a.Scheme || !slices.Equal(back.Hosts, a.Hosts) || back.Port != a.Port {
				t.Fatalf("round trip via %q: %+v, %v", a.String(), back, err)
			}
		})
	}
}

func TestResolveAddress(t *testing.T) {
	a, err := ParseAddress("sctp://127.0.0.1,[::1],127.0.0.2:7")
	if err != nil {
		t.Fatal(err)
	}
	got, err := a.resolve(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	want := []netip.AddrPort{
		netip.MustParseAddrPort("127.0.0.1:7"),
		netip.MustParseAddrPort("[::1]:7"),
		netip.MustParseAddrPort("127.0.0.2:7"),
	}
	if !slices.Equal(got, want) {
		t.Fatalf("resolve = %v, want %v", got, want)
	}
}

// Listen and Dial refuse bad addresses and configurations with an error
// saying what is wrong, before touching the network.
func TestListenDialErrors(t *testing.T) {
	ctx := testCtx(t, 5*time.Second)
	for _, tt := range []struct {
		name    string
		do      func() error
		wantErr string
	}{
		{"bad address", func() error { _, err := Listen(ctx, "tcp://nope", Config{}); return err }, "missing port"},
		{"dial without host", func() error { _, err := Dial(ctx, "tcp://:3863", Config{}); return err }, "no host"},
		{"dial port 0", func() error { _, err := Dial(ctx, "tcp://127.0.0.1:0", Config{}); return err }, "port 0"},
		{"bad profile", func() error {
			p, _ := LookupProfile("carrier")
			p.RTOMin = 0
			_, err := Listen(ctx, "tcp://127.0.0.1:0", Config{Profile: p})
			return err
		}, "rto_min"},
		{"streams", func() error { _, err := Listen(ctx, "tcp://127.0.0.1:0", Config{Streams: 70000}); return err }, "streams"},
		{"max size", func() error { _, err := Listen(ctx, "tcp://127.0.0.1:0", Config{MaxMessageSize: 8}); return err }, "max message size"},
		{"framing", func() error { _, err := Listen(ctx, "tcp://127.0.0.1:0", Config{Framing: 9}); return err }, "framing"},
	} {
		err := tt.do()
		if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
			t.Errorf("%s: %v, want error containing %q", tt.name, err, tt.wantErr)
		}
	}
}

func TestParseFramedAddress(t *testing.T) {
	for _, tc := range []struct {
		in, addr string
		framing  Framing
		bad      bool
	}{
		{in: "tcp://127.0.0.1:3863", addr: "tcp://127.0.0.1:3863", framing: FramingRSerPool},
		{in: "mux+tcp://127.0.0.1:3863", addr: "tcp://127.0.0.1:3863", framing: FramingMux},
		{in: "m3ua+tcp://127.0.0.1:2905", addr: "tcp://127.0.0.1:2905", framing: FramingSIGTRAN},
		{in: "rserpool+[::1]:3863", addr: "[::1]:3863", framing: FramingRSerPool},
		{in: "127.0.0.1:3863", addr: "127.0.0.1:3863", framing: FramingRSerPool},
		{in: "bogus+tcp://127.0.0.1:1", bad: true},
		{in: "mux+", bad: true},
		{in: "mux+tcp://nohost", bad: true},
	} {
		addr, f, err := ParseFramedAddress(tc.in, FramingRSerPool)
		if tc.bad {
			if err == nil {
				t.Errorf("%q: want an error, got %q %v", tc.in, addr, f)
			}
			continue
		}
		if err != nil || addr != tc.addr || f != tc.framing {
			t.Errorf("%q: got %q %v %v, want %q %v", tc.in, addr, f, err, tc.addr, tc.framing)
		}
	}
}
