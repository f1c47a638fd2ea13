package sccp

import "testing"

func BenchmarkDecodeUDT(b *testing.B) {
	msg := hx(goldens[3].hex) // GT + SSN addresses, TCAP Begin
	b.ReportAllocs()
	b.SetBytes(int64(len(msg)))
	for b.Loop() {
		if _, err := Decode(msg); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkPeekUDT(b *testing.B) {
	msg := hx(goldens[3].hex)
	b.ReportAllocs()
	b.SetBytes(int64(len(msg)))
	for b.Loop() {
		if s, err := Peek(msg); err != nil || s.CalledSSN != 6 {
			b.Fatal(err)
		}
	}
}

func BenchmarkEncodeUDT(b *testing.B) {
	m, _ := Decode(hx(goldens[3].hex))
	buf := make([]byte, 0, 128)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := m.AppendTo(buf[:0]); err != nil {
			b.Fatal(err)
		}
	}
}
