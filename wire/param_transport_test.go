package wire

import (
	"errors"
	"net/netip"
	"testing"
)

func TestTransportGolden(t *testing.T) {
	v6 := "0002 0014 20010db8 00000000 00000000 00000005"
	checkParamGolden(t, Transport{Kind: TransportSCTP, Port: 2905, Use: TransportUseDataPlusControl, Addresses: addrs("10.0.0.1", "2001:db8::5")},
		"0004 0024 0b59 0001 0001 0008 0a000001"+v6)
	checkParamGolden(t, Transport{Kind: TransportTCP, Port: 2906, Addresses: addrs("192.168.17.42")},
		"0005 0010 0b5a 0000 0001 0008 c0a8112a")
	checkParamGolden(t, Transport{Kind: TransportUDP, Port: 2907, Addresses: addrs("2001:db8::5")},
		"0006 001c 0b5b 0000"+v6)
	checkParamGolden(t, Transport{Kind: TransportUDPLite, Port: 2908, Addresses: addrs("10.0.0.1")},
		"0007 0010 0b5c 0000 0001 0008 0a000001")
	checkParamGolden(t, Transport{Kind: TransportDCCP, Port: 2909, ServiceCode: 42, Addresses: addrs("192.168.17.42")},
		"0003 0014 0b5d 0000 0000002a 0001 0008 c0a8112a")
}

func TestTransportReservedIgnored(t *testing.T) {
	// Reserved fields of UDP and DCCP are ignored on receipt.
	p, _, _, err := DecodeParameter(hx("0006 0010 0b5b ffff 0001 0008 0a000001"))
	if err != nil {
		t.Fatal(err)
	}
	if tr := p.(Transport); tr.Use != 0 || tr.Port != 2907 {
		t.Fatalf("%+v", tr)
	}
}

func TestTransportSkipsUnknownInner(t *testing.T) {
	// A skip-action parameter between addresses is skipped; skip+report is reported.
	in := hx("0004 0028 0b59 0000 0001 0008 0a000001 8123 0006 abcd 0000 c123 0005 ee 000000 0001 0008 0a000002")
	p, n, reports, err := DecodeParameter(in)
	if err != nil || n != len(in) {
		t.Fatal(n, err)
	}
	if tr := p.(Transport); len(tr.Addresses) != 2 {
		t.Fatalf("%+v", tr)
	}
	if len(reports) != 1 || reports[0].Code != CauseUnrecognizedParameter || string(reports[0].Info) != string(hx("c123 0005 ee")) {
		t.Fatalf("reports %v", reports)
	}
}

func TestTransportEncodeErrors(t *testing.T) {
	v4 := addrs("10.0.0.1")
	for _, tc := range []struct {
		tr   Transport
		want error
	}{
		{Transport{Port: 1, Addresses: v4}, ErrInvalidValue},
		{Transport{Kind: TransportSCTP, Port: 1}, ErrMissingParameter},
		{Transport{Kind: TransportTCP, Addresses: addrs("10.0.0.1", "10.0.0.2")}, ErrInvalidValue},
		{Transport{Kind: TransportUDP, Use: TransportUseDataPlusControl, Addresses: v4}, ErrInvalidValue},
		{Transport{Kind: TransportSCTP, Use: 7, Addresses: v4}, ErrInvalidValue},
		{Transport{Kind: TransportSCTP, ServiceCode: 1, Addresses: v4}, ErrInvalidValue},
		{Transport{Kind: TransportSCTP, Addresses: []netip.Addr{{}}}, ErrInvalidValue},
	} {
		b, err := tc.tr.AppendTo([]byte{1, 2})
		if !errors.Is(err, tc.want) || len(b) != 2 {
			t.Errorf("%+v: %v, %x", tc.tr, err, b)
		}
		var ee *EncodeError
		if !errors.As(err, &ee) {
			t.Errorf("%+v: not an *EncodeError: %v", tc.tr, err)
		}
	}
}

func TestTransportStrings(t *testing.T) {
	tr := Transport{Kind: TransportSCTP, Port: 2905, Use: TransportUseDataPlusControl, Addresses: addrs("10.0.0.1")}
	if got := tr.String(); got != "SCTP port 2905 data plus control [10.0.0.1]" {
		t.Fatal(got)
	}
	if TransportDCCP.String() != "DCCP" || TransportKind(9).String() != "transport 0x0009" || TransportUse(5).String() != "transport use 5" {
		t.Fatal("names")
	}
}
