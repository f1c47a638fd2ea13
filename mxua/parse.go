package mxua

import (
	"fmt"
	"strconv"
	"strings"
)

// ParsePointCode reads a point code as operators write it: decimal, 0x
// hex, or ITU zone-area-signalling point (3-8-3 bits, e.g. 2-100-3).
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
func ParseProtocol(s string) (Protocol, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "m3ua":
		return M3UA, nil
	case "sua":
		return SUA, nil
	}
	return 0, fmt.Errorf("protocol %q: want m3ua or sua", s)
}
