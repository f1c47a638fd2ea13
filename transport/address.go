package transport

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
)

// Scheme selects the backend of an address.
type Scheme string

// Schemes accepted in addresses.
const (
	// SchemeAuto uses kernel SCTP when the kernel has it, else TCP.
	SchemeAuto Scheme = "auto"
	// SchemeSCTP uses kernel SCTP and fails where the kernel has none.
	SchemeSCTP Scheme = "sctp"
	// SchemeTCP uses TCP with the configured Framing.
	SchemeTCP Scheme = "tcp"
)

// Address is a parsed transport address: a scheme, one or more hosts (more
// than one means SCTP multi-homing; over TCP they are tried or bound one by
// one) and a port. An empty Hosts list means the unspecified address and is
// only valid for Listen.
type Address struct {
	Scheme Scheme
	Hosts  []string
	Port   uint16
}

// ParseAddress parses "scheme://host[,host...]:port". The scheme is sctp,
// tcp or auto; without "scheme://" it is auto. Hosts are IP literals (IPv6
// in brackets, as "[::1]") or DNS names; the list may be empty (":3863") to
// mean every local address.
func ParseAddress(s string) (Address, error) {
	var a Address
	if s == "" {
		return a, errors.New("transport: empty address")
	}
	rest := s
	a.Scheme = SchemeAuto
	if i := strings.Index(s, "://"); i >= 0 {
		switch sc := Scheme(strings.ToLower(s[:i])); sc {
		case SchemeAuto, SchemeSCTP, SchemeTCP:
			a.Scheme = sc
		default:
			return Address{}, fmt.Errorf("transport: address %q: unknown scheme %q (want sctp, tcp or auto)", s, s[:i])
		}
		rest = s[i+3:]
	}
	if strings.ContainsAny(rest, "/?#@ \t\r\n") {
		return Address{}, fmt.Errorf("transport: address %q: unexpected character after the scheme (want host[,host...]:port)", s)
	}
	colon := strings.LastIndexByte(rest, ':')
	if colon < 0 || strings.HasSuffix(rest, "]") {
		return Address{}, fmt.Errorf("transport: address %q: missing port", s)
	}
	hostList, portStr := rest[:colon], rest[colon+1:]
	if portStr == "" {
		return Address{}, fmt.Errorf("transport: address %q: missing port", s)
	}
	port, err := strconv.ParseUint(portStr, 10, 16)
	if err != nil {
		return Address{}, fmt.Errorf("transport: address %q: port %q is not a number from 0 to 65535", s, portStr)
	}
	a.Port = uint16(port)
	if hostList == "" {
		return a, nil
	}
	seen := make(map[string]bool)
	for _, h := range strings.Split(hostList, ",") {
		host, err := parseHost(h)
		if err != nil {
			return Address{}, fmt.Errorf("transport: address %q: %w", s, err)
		}
		key := strings.ToLower(host)
		if ip, err := netip.ParseAddr(host); err == nil {
			key = ip.String()
		}
		if seen[key] {
			return Address{}, fmt.Errorf("transport: address %q: host %q given twice", s, host)
		}
		seen[key] = true
		a.Hosts = append(a.Hosts, host)
	}
	return a, nil
}

// parseHost checks one host of a host list and strips IPv6 brackets.
func parseHost(h string) (string, error) {
	switch {
	case h == "":
		return "", errors.New("empty host in host list")
	case strings.HasPrefix(h, "["):
		if !strings.HasSuffix(h, "]") {
			return "", fmt.Errorf("host %q: missing ']'", h)
		}
		ip, err := netip.ParseAddr(h[1 : len(h)-1])
		if err != nil || !ip.Is6() || ip.Is4In6() {
			return "", fmt.Errorf("host %q: brackets hold an IPv6 address only", h)
		}
		return h[1 : len(h)-1], nil
	case strings.ContainsAny(h, "[]"):
		return "", fmt.Errorf("host %q: misplaced bracket", h)
	case strings.Contains(h, ":"):
		return "", fmt.Errorf("host %q: an IPv6 address must be in brackets, as [%s]", h, h)
	}
	if _, err := netip.ParseAddr(h); err == nil {
		return h, nil
	}
	if !validHostname(h) {
		return "", fmt.Errorf("host %q: neither an IP address nor a host name", h)
	}
	return h, nil
}

// validHostname reports whether h is a syntactically valid DNS name
// (RFC 1123 labels), so that typos fail at parse time, not at resolution.
func validHostname(h string) bool {
	if len(h) > 253 {
		return false
	}
	for _, label := range strings.Split(strings.TrimSuffix(h, "."), ".") {
		if label == "" || len(label) > 63 || label[0] == '-' || label[len(label)-1] == '-' {
			return false
		}
		for _, c := range label {
			if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
				return false
			}
		}
	}
	// All-numeric names are mistyped IPv4 addresses, not host names.
	for _, c := range h {
		if (c < '0' || c > '9') && c != '.' {
			return true
		}
	}
	return false
}

// String formats the address so that ParseAddress reads it back.
func (a Address) String() string {
	var b strings.Builder
	b.WriteString(string(a.Scheme))
	b.WriteString("://")
	for i, h := range a.Hosts {
		if i > 0 {
			b.WriteByte(',')
		}
		if strings.Contains(h, ":") {
			b.WriteString("[" + h + "]")
		} else {
			b.WriteString(h)
		}
	}
	b.WriteByte(':')
	b.WriteString(strconv.Itoa(int(a.Port)))
	return b.String()
}

// resolve turns the hosts into IP addresses, in order and without
// duplicates. Names may yield several addresses, all of which are kept
// (for SCTP they become multi-homing addresses).
func (a Address) resolve(ctx context.Context) ([]netip.AddrPort, error) {
	var out []netip.AddrPort
	seen := make(map[netip.Addr]bool)
	add := func(ip netip.Addr) {
		ip = ip.Unmap()
		if !seen[ip] {
			seen[ip] = true
			out = append(out, netip.AddrPortFrom(ip, a.Port))
		}
	}
	for _, h := range a.Hosts {
		if ip, err := netip.ParseAddr(h); err == nil {
			add(ip)
			continue
		}
		ips, err := net.DefaultResolver.LookupNetIP(ctx, "ip", h)
		if err != nil {
			return nil, fmt.Errorf("transport: resolve %q: %w", h, err)
		}
		for _, ip := range ips {
			add(ip)
		}
	}
	return out, nil
}

// addrsString formats addresses for logs and errors.
func addrsString(addrs []netip.AddrPort) string {
	parts := make([]string, len(addrs))
	for i, a := range addrs {
		parts[i] = a.String()
	}
	return strings.Join(parts, ",")
}
