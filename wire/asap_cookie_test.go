package wire

import "testing"

var cookieGoldens = []messageGolden{
	{&CookieMessage{Cookie: Cookie("abcde")}, "0b 00 0010 000d 0009 6162636465 000000"},
	{&CookieEcho{Cookie: Cookie("abcde")}, "0c 00 0010 000d 0009 6162636465 000000"},
}

func TestCookieGoldens(t *testing.T) { checkMessageGoldens(t, cookieGoldens) }
