package wire

import (
	"errors"
	"testing"
)

func TestDecodeErrorStrings(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		enrp     bool
	}{
		{"01 00", "wire: decode ASAP Registration at offset 0: truncated: 2 bytes, a message header needs 4", false},
		{"3f 00 0004", "wire: decode ASAP message type 0x3f at offset 0: unrecognized message type: type code 0x3f", false},
		{"05 00 000b 0009 0007 616263", "wire: decode ASAP Handle Resolution, parameter Pool Handle (0x0009) at offset 4: missing padding: parameter length 7 needs 1 padding bytes, 0 left", false},
		{"05 00 0018" + hexPoolHandle + "4040 0008 00000000", "wire: decode ASAP Handle Resolution, parameter 0x4040 at offset 16: unrecognized parameter: unknown type 0x4040 in ASAP Handle Resolution, action bits 01", false},
		{"04 00 0010 11111111 22222222 0007 0000", "wire: decode ENRP Handle Update at offset 12: invalid value: update action 7", true},
	} {
		decode := DecodeASAP
		if tc.enrp {
			decode = DecodeENRP
		}
		_, _, err := decode(hx(tc.in))
		if err == nil || err.Error() != tc.want {
			t.Errorf("%s:\n got %v\nwant %s", tc.in, err, tc.want)
		}
	}
	_, _, _, err := DecodeParameter(hx("000e 0006 0000 0000"))
	if err.Error() != "wire: decode, parameter PE Identifier (0x000e) at offset 0: invalid length: value is 2 bytes, want 4" {
		t.Error(err)
	}
}

func TestDecodeErrorIsAs(t *testing.T) {
	_, _, err := DecodeASAP(hx("05 00 0010 0009 0002 0000 0000 0000 0000"))
	var de *DecodeError
	if !errors.As(err, &de) || !errors.Is(err, ErrLength) || errors.Is(err, ErrTruncated) {
		t.Fatal(err)
	}
	if de.Unwrap() != ErrLength || de.OperationError() != nil {
		t.Fatal(de)
	}
	ee := &EncodeError{Reason: ErrTooLong}
	if !errors.Is(ee, ErrTooLong) || ee.Error() != "wire: encode: too long for a 16-bit length field" {
		t.Fatal(ee)
	}
}
