package mxua

import (
	"bytes"
	"reflect"
	"testing"
)

func FuzzDecodeM3UA(f *testing.F) { fuzzDecode(f, M3UA) }
func FuzzDecodeSUA(f *testing.F)  { fuzzDecode(f, SUA) }

// fuzzDecode feeds the decoder arbitrary bytes: it must never panic, and
// whatever it accepts must encode, decode back to the same message and
// encode to the same bytes again.
func fuzzDecode(f *testing.F, p Protocol) {
	for _, g := range allCodecGoldens(p) {
		f.Add(cdcHex(g.hex))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		m, err := Decode(p, b)
		if err != nil {
			if _, ok := err.(*DecodeError); !ok {
				t.Fatalf("error of type %T: %v", err, err)
			}
			return
		}
		enc, err := Encode(m)
		if err != nil {
			t.Fatalf("decoded %s but cannot encode it: %v", dumpMessage(m), err)
		}
		m2, err := Decode(p, enc)
		if err != nil {
			t.Fatalf("cannot decode our own encoding % x: %v", enc, err)
		}
		if !reflect.DeepEqual(m, m2) {
			t.Fatalf("round trip changed the message:\n%s\n%s", dumpMessage(m), dumpMessage(m2))
		}
		enc2, err := Encode(m2)
		if err != nil || !bytes.Equal(enc, enc2) {
			t.Fatalf("encoding is not stable: % x / % x (%v)", enc, enc2, err)
		}
	})
}
