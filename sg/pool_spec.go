package sg

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/sigpool/sigpool/mxua"
)

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
			proto, err := mxua.ParseProtocol(v)
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
			pc, err := mxua.ParsePointCode(v)
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
