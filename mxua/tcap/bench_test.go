package tcap

import "testing"

func BenchmarkTransactionIDs(b *testing.B) {
	msg := hx(goldens[1].hex) // Continue: both IDs
	b.ReportAllocs()
	b.SetBytes(int64(len(msg)))
	for b.Loop() {
		if tr, err := TransactionIDs(msg); err != nil || !tr.DTID.Valid() {
			b.Fatal(err)
		}
	}
}

func BenchmarkEncodeContinue(b *testing.B) {
	m := goldens[1].msg
	b.ReportAllocs()
	buf := make([]byte, 0, 64)
	for b.Loop() {
		if _, err := m.AppendTo(buf[:0]); err != nil {
			b.Fatal(err)
		}
	}
}
