package isup

import (
	"reflect"
	"testing"
)

// FuzzDecodeISUP: decoding never panics; CIC agrees with Decode; whatever
// decodes re-encodes to bytes that decode to the same message.
func FuzzDecodeISUP(f *testing.F) {
	for _, g := range goldens {
		f.Add(hx(g.hex))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		cic, cerr := CIC(b)
		m, err := Decode(b)
		if err != nil {
			return
		}
		if cerr != nil || cic != m.CircuitID() {
			t.Fatalf("CIC %d (%v), Decode says %d", cic, cerr, m.CircuitID())
		}
		enc, err := Marshal(m)
		if err != nil {
			t.Fatalf("re-encode %#v: %v", m, err)
		}
		again, err := Decode(enc)
		if err != nil {
			t.Fatalf("decode re-encoded % x: %v", enc, err)
		}
		if !reflect.DeepEqual(m, again) {
			t.Fatalf("round trip changed the message:\n%#v\n%#v", m, again)
		}
	})
}
