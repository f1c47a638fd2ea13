package wire

import (
	"errors"
	"testing"
)

func TestServerInformationGolden(t *testing.T) {
	checkParamGolden(t, goldenServerInfo(), hexServerInfo)
	if s := goldenServerInfo().String(); s != "server $11111111 SCTP port 9901 data plus control [10.0.0.1]" {
		t.Fatal(s)
	}
}

func TestServerInformationErrors(t *testing.T) {
	for _, tc := range []struct {
		in     string
		reason error
	}{
		{"000b 0006 1111 0000", ErrLength},
		{"000b 0008 11111111", ErrMissingParameter},
		{"000b 0028 11111111 " + hexSCTPUser + hexSCTPUser, ErrDuplicateParameter},
		{"000b 0010 11111111 " + hexPEID, ErrUnexpectedParameter},
	} {
		_, _, _, err := DecodeParameter(hx(tc.in))
		if !errors.Is(err, tc.reason) {
			t.Errorf("%s: %v", tc.in, err)
		}
	}
}
