package wire

import (
	"errors"
	"net/netip"
	"testing"
)

func addrs(s ...string) []netip.Addr {
	a := make([]netip.Addr, len(s))
	for i := range s {
		a[i] = netip.MustParseAddr(s[i])
	}
	return a
}

func TestIPAddressGolden(t *testing.T) {
	checkParamGolden(t, IPAddress{Addr: netip.MustParseAddr("10.0.0.1")}, "0001 0008 0a000001")
	checkParamGolden(t, IPAddress{Addr: netip.MustParseAddr("2001:db8::5")}, "0002 0014 20010db8 00000000 00000000 00000005")
	// An IPv4-mapped address stays IPv6, so it round-trips unchanged.
	checkParamGolden(t, IPAddress{Addr: netip.MustParseAddr("::ffff:10.0.0.1")}, "0002 0014 00000000 00000000 0000ffff 0a000001")
}

func TestIPAddressErrors(t *testing.T) {
	if _, err := (IPAddress{}).AppendTo(nil); !errors.Is(err, ErrInvalidValue) {
		t.Fatalf("zero address encoded: %v", err)
	}
	for _, in := range []string{"0001 0006 0a00 0000", "0001 000c 0a000001 00000000", "0002 0008 0a000001"} {
		_, _, _, err := DecodeParameter(hx(in))
		var de *DecodeError
		if !errors.As(err, &de) || !errors.Is(err, ErrLength) || de.Offset != 0 {
			t.Fatalf("%s: %v", in, err)
		}
	}
}
