package tcap

import (
	"reflect"
	"testing"
)

// FuzzTransactionIDs: neither TransactionIDs nor Decode panics; whatever
// Decode accepts, TransactionIDs reads the same way, and it re-encodes to
// bytes that decode to the same message.
func FuzzTransactionIDs(f *testing.F) {
	for _, g := range goldens {
		f.Add(hx(g.hex))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		tr, terr := TransactionIDs(b)
		m, err := Decode(b)
		if err != nil {
			return
		}
		if terr != nil || tr != (Transaction{m.Type, m.OTID, m.DTID}) {
			t.Fatalf("TransactionIDs %+v (%v) disagrees with Decode %+v", tr, terr, m)
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
