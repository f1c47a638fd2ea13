package wire

import (
	"errors"
	"reflect"
	"testing"
)

func TestParamTypeNames(t *testing.T) {
	for typ, want := range map[ParamType]string{
		ParamIPv4Address:               "IPv4 Address",
		ParamUDPLiteTransport:          "UDP-Lite Transport",
		ParamPoolMemberSelectionPolicy: "Pool Member Selection Policy",
		ParamPEChecksum:                "PE Checksum",
		ParamHandleResolutionOption:    "Handle Resolution Option",
		0x0010:                         "unknown parameter 0x0010",
		0:                              "unknown parameter 0x0000",
	} {
		if got := typ.String(); got != want {
			t.Errorf("%#x: %q, want %q", uint16(typ), got, want)
		}
	}
}

func TestParamActions(t *testing.T) {
	for typ, want := range map[ParamType]ParamAction{
		0x0123: ActionStop, 0x4123: ActionStopReport, 0x8123: ActionSkip, 0xc123: ActionSkipReport,
	} {
		if typ.Action() != want {
			t.Errorf("%#x: %v", uint16(typ), typ.Action())
		}
	}
}

func TestUnknownParameterRoundTrip(t *testing.T) {
	// A bare unknown parameter comes back as such, whatever its action bits.
	for _, in := range []string{"4055 0007 aabbcc 00", "0055 0004", "c055 0008 01020304"} {
		checkParamGolden(t, func() Parameter { p, _, _, _ := DecodeParameter(hx(in)); return p }(), in)
	}
	p, _, _, _ := DecodeParameter(hx("4055 0007 aabbcc 00"))
	if !reflect.DeepEqual(p, UnknownParameter{Type: 0x4055, Value: []byte{0xaa, 0xbb, 0xcc}}) {
		t.Fatalf("%#v", p)
	}
}

func TestDecodeParameterConsumesPadding(t *testing.T) {
	in := hx("0009 0007 736731 00 000e 0008 00001234")
	p, n, _, err := DecodeParameter(in)
	if err != nil || n != 8 || string(p.(PoolHandle)) != "sg1" {
		t.Fatal(p, n, err)
	}
	p, n, _, err = DecodeParameter(in[n:])
	if err != nil || n != 8 || p.(PEIdentifier) != 0x1234 {
		t.Fatal(p, n, err)
	}
}

func TestDecodeParameterHeaderErrors(t *testing.T) {
	for _, tc := range []struct {
		in     string
		reason error
	}{
		{"", ErrTruncated},
		{"0009 00", ErrTruncated},
		{"0009 0003", ErrLength},
		{"0009 000c 6162", ErrLength},
		{"0009 0005 61 00", ErrPadding}, // padding cut short, not ending the buffer exactly
	} {
		_, _, _, err := DecodeParameter(hx(tc.in))
		var de *DecodeError
		if !errors.As(err, &de) || !errors.Is(err, tc.reason) || de.Offset != 0 || de.Message != 0 {
			t.Errorf("%q: %v", tc.in, err)
		}
	}
}
