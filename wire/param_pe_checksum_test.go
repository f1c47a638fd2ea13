package wire

import (
	"errors"
	"testing"
)

func TestPEChecksumGolden(t *testing.T) {
	// Length 6, padded to 8 (RFC 5354, section 3.14).
	checkParamGolden(t, PEChecksum(0x434b), "000f 0006 434b 0000")
	if _, _, _, err := DecodeParameter(hx("000f 0008 434b 0000")); !errors.Is(err, ErrLength) {
		t.Fatal(err)
	}
	// The padding of a parameter that ends the buffer may be absent.
	p, n, _, err := DecodeParameter(hx("000f 0006 434b"))
	if err != nil || n != 6 || p.(PEChecksum) != 0x434b {
		t.Fatal(p, n, err)
	}
}
