package sg

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/sigpool/sigpool/mxua"
)

// ParsePointCode reads a point code: decimal, 0x hex, or ITU
// zone-area-signalling point (3-8-3 bits, e.g. 2-100-3).
func ParsePointCode(s string) (uint32, error) {
	s = strings.TrimSpace(s)
	if parts := strings.Split(s, "-"); len(parts) == 3 {
		var v [3]uint64
		for i, w := range []int{3, 8, 3} {
			n, err := strconv.ParseUint(parts[i], 10, w)
			if err != nil {
				return 0, fmt.Errorf("point code %q: part %d: want %d bits", s, i+1, w)
			}
			v[i] = n
		}
		return uint32(v[0]<<11 | v[1]<<3 | v[2]), nil
	}
	v, err := strconv.ParseUint(s, 0, 24)
	if err != nil {
		return 0, fmt.Errorf("point code %q: want a number below 2^24 or zone-area-point (3-8-3)", s)
	}
	return uint32(v), nil
}

// ParseProtocol reads "m3ua" or "sua".
func ParseProtocol(s string) (mxua.Protocol, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "m3ua":
		return mxua.M3UA, nil
	case "sua":
		return mxua.SUA, nil
	}
	return 0, fmt.Errorf("protocol %q: want m3ua or sua", s)
}

// ParsePool reads a pool description: the handle, then optional
// comma-separated items protocol=m3ua|sua, rc=N (routing context the GWCs
// go ACTIVE in) and pc=POINTCODE (repeatable: announced in DUNA/DAVA),
// e.g. "gwc,protocol=sua,rc=2,pc=2-100-3".
func ParsePool(s string) (PoolConfig, error) {
	items := strings.Split(s, ",")
	p := PoolConfig{Handle: strings.TrimSpace(items[0])}
	if p.Handle == "" {
		return p, fmt.Errorf("pool %q: empty handle", s)
	}
	if len(p.Handle) > 32 {
		return p, fmt.Errorf("pool %q: handles are at most 32 bytes (RSPLIB)", p.Handle)
	}
	for _, it := range items[1:] {
		k, v, ok := strings.Cut(strings.TrimSpace(it), "=")
		if !ok {
			return p, fmt.Errorf("pool %q: item %q: want key=value", s, it)
		}
		switch strings.ToLower(k) {
		case "protocol":
			proto, err := ParseProtocol(v)
			if err != nil {
				return p, fmt.Errorf("pool %q: %w", s, err)
			}
			p.Protocol = proto
		case "rc":
			rc, err := strconv.ParseUint(v, 0, 32)
			if err != nil || rc == 0 {
				return p, fmt.Errorf("pool %q: rc %q: want a non-zero 32-bit number", s, v)
			}
			p.RoutingContext = uint32(rc)
		case "pc":
			pc, err := ParsePointCode(v)
			if err != nil {
				return p, fmt.Errorf("pool %q: %w", s, err)
			}
			p.PointCodes = append(p.PointCodes, pc)
		default:
			return p, fmt.Errorf("pool %q: unknown item %q (want protocol=, rc= or pc=)", s, k)
		}
	}
	return p, nil
}
