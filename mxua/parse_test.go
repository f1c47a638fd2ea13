package mxua

import "testing"

func TestParsePointCode(t *testing.T) {
	for in, want := range map[string]uint32{"2": 2, " 0x3e9 ": 1001, "2-100-3": 2<<11 | 100<<3 | 3, "7-255-7": 0x3fff, "16777215": 1<<24 - 1} {
		if got, err := ParsePointCode(in); err != nil || got != want {
			t.Errorf("%q: %d, %v; want %d", in, got, err, want)
		}
	}
	for _, bad := range []string{"", "x", "8-0-0", "0-256-0", "1-2", "16777216", "-1"} {
		if _, err := ParsePointCode(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}

func TestParseProtocol(t *testing.T) {
	if p, err := ParseProtocol(" SUA "); err != nil || p != SUA {
		t.Errorf("SUA: %v, %v", p, err)
	}
	if p, err := ParseProtocol("m3ua"); err != nil || p != M3UA {
		t.Errorf("m3ua: %v, %v", p, err)
	}
	if _, err := ParseProtocol("isup"); err == nil {
		t.Error("isup accepted")
	}
}
