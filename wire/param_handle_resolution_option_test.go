package wire

import (
	"errors"
	"testing"
)

func TestHandleResolutionOptionGolden(t *testing.T) {
	checkParamGolden(t, HandleResolutionOption{Items: AllItems}, "803f 0008 ffffffff")
	checkParamGolden(t, HandleResolutionOption{Items: 3}, "803f 0008 00000003")
	if _, _, _, err := DecodeParameter(hx("803f 0004")); !errors.Is(err, ErrLength) {
		t.Fatal(err)
	}
	if ParamHandleResolutionOption.Action() != ActionSkip {
		t.Fatal("0x803f must be skippable by registrars that do not know it")
	}
}
