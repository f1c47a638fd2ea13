package wire

import (
	"errors"
	"testing"
)

func TestPEIdentifierGolden(t *testing.T) {
	checkParamGolden(t, PEIdentifier(0x1234), hexPEID)
	checkParamGolden(t, PEIdentifier(0xffffffff), "000e 0008 ffffffff")
	if _, _, _, err := DecodeParameter(hx("000e 0006 1234 0000")); !errors.Is(err, ErrLength) {
		t.Fatal(err)
	}
	if PEIdentifier(0x1234).String() != "$00001234" {
		t.Fatal(PEIdentifier(0x1234).String())
	}
}
