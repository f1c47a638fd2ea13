package wire

import "testing"

func TestCookieGolden(t *testing.T) {
	checkParamGolden(t, Cookie("abcde"), "000d 0009 6162636465 000000")
	checkParamGolden(t, Cookie{1, 2, 3, 4}, "000d 0008 01020304")
	checkParamGolden(t, Cookie(nil), "000d 0004")
}
