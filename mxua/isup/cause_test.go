package isup

import (
	"errors"
	"reflect"
	"testing"
)

func TestCauseIndicators(t *testing.T) {
	for _, c := range []struct {
		hex string
		c   CauseIndicators
	}{
		{`80 90`, CauseIndicators{Value: CauseNormalClearing, Diagnostics: []byte{}}},
		{`82 a9`, CauseIndicators{Location: LocationPublicLocal, Value: CauseTemporaryFailure, Diagnostics: []byte{}}},
		// Coding standard national (2), octet 1a present.
		{`41 81 9f 01 02`, CauseIndicators{CodingStandard: 2, Location: LocationPrivateLocal, Recommendation: u8(1), Value: CauseNormalUnspecified, Diagnostics: []byte{1, 2}}},
	} {
		v := hx(c.hex)
		got, err := decodeCauseIndicators(v, 0)
		if err != nil || !reflect.DeepEqual(got, c.c) {
			t.Errorf("decode %s: %+v, %v; want %+v", c.hex, got, err, c.c)
		}
		if enc, err := c.c.AppendTo(nil); err != nil || string(enc) != string(v) {
			t.Errorf("encode %+v: % x, %v; want %s", c.c, enc, err, c.hex)
		}
	}
	if _, err := (&CauseIndicators{Location: 16}).AppendTo(nil); !errors.Is(err, ErrInvalidValue) {
		t.Errorf("location 16: %v", err)
	}
}
