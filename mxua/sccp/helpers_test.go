package sccp

import (
	"encoding/hex"
	"strings"
)

// hx decodes hex written with spaces and line breaks for readability.
func hx(s string) []byte {
	b, err := hex.DecodeString(strings.Join(strings.Fields(s), ""))
	if err != nil {
		panic(err)
	}
	return b
}

func pc(v uint16) *uint16 { return &v }
func ssn(v uint8) *uint8  { return &v }
