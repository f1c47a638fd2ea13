package asap

import (
	"net/netip"
	"testing"

	"github.com/sigpool/sigpool/wire"
)

func TestAdvertisedUserTransport(t *testing.T) {
	for _, in := range []string{"tcp://192.0.2.7:2905", "mux+tcp://192.0.2.7:2905"} {
		ut, err := advertised(in)
		if err != nil {
			t.Fatalf("%s: %v", in, err)
		}
		if ut.Kind != wire.TransportTCP || ut.Port != 2905 || len(ut.Addresses) != 1 ||
			ut.Addresses[0] != netip.MustParseAddr("192.0.2.7") || ut.Use != wire.TransportUseDataPlusControl {
			t.Errorf("%s: %+v", in, ut)
		}
	}
	ut, err := advertised("sctp://10.0.0.1,10.0.1.1:2905")
	if err != nil || ut.Kind != wire.TransportSCTP || len(ut.Addresses) != 2 {
		t.Errorf("multi-homed SCTP: %+v, %v", ut, err)
	}
	for _, bad := range []string{"tcp://gwc.example:2905", "tcp://192.0.2.7:0", "tcp://:2905", "nonsense"} {
		if _, err := advertised(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
}
