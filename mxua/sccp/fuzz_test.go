package sccp

import (
	"bytes"
	"reflect"
	"testing"
)

// FuzzDecodeSCCP: decoding never panics; whatever decodes re-encodes to
// bytes that decode to the same message, and Peek agrees with Decode.
func FuzzDecodeSCCP(f *testing.F) {
	for _, g := range goldens {
		f.Add(hx(g.hex))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		s, perr := Peek(b)
		m, err := Decode(b)
		if err != nil {
			return
		}
		if perr != nil {
			t.Fatalf("Decode accepts what Peek rejects: %v", perr)
		}
		called, data := calledAndData(m)
		if !bytes.Equal(s.Data, data) || s.HasSSN != (called.SSN != nil) || (s.HasSSN && s.CalledSSN != *called.SSN) {
			t.Fatalf("Peek %+v disagrees with Decode %v", s, called)
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
