package isup

import "testing"

func BenchmarkCIC(b *testing.B) {
	msg := hx(goldens[0].hex)
	b.ReportAllocs()
	for b.Loop() {
		if c, err := CIC(msg); err != nil || c != 1 {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeIAM(b *testing.B) {
	msg := hx(goldens[0].hex)
	b.ReportAllocs()
	b.SetBytes(int64(len(msg)))
	for b.Loop() {
		if _, err := Decode(msg); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkEncodeIAM(b *testing.B) {
	m := goldens[0].msg
	buf := make([]byte, 0, 64)
	b.ReportAllocs()
	for b.Loop() {
		if _, err := m.AppendTo(buf[:0]); err != nil {
			b.Fatal(err)
		}
	}
}
