package wire

import (
	"net/netip"
	"testing"
)

// benchHRR is a Handle Resolution Response with n PEs, each with an IPv4
// SCTP transport and a Least Used policy.
func benchHRR(n int) []byte {
	m := &HandleResolutionResponse{PoolHandle: PoolHandle("gwc-pool"), Policy: &Policy{Type: PolicyLeastUsed}}
	for i := 0; i < n; i++ {
		m.PoolElements = append(m.PoolElements, PoolElement{
			Identifier:       PEIdentifier(0x1000 + i),
			HomeRegistrar:    0x11111111,
			RegistrationLife: 90000,
			UserTransport: Transport{Kind: TransportSCTP, Port: 2905, Use: TransportUseDataPlusControl,
				Addresses: []netip.Addr{netip.AddrFrom4([4]byte{10, 0, byte(i >> 8), byte(i)})}},
			Policy: Policy{Type: PolicyLeastUsed, Load: FractionOf(float64(i%10) / 10)},
		})
	}
	b, err := Marshal(m)
	if err != nil {
		panic(err)
	}
	return b
}

func benchmarkDecodeHRR(b *testing.B, n int) {
	in := benchHRR(n)
	b.ReportAllocs()
	b.SetBytes(int64(len(in)))
	for b.Loop() {
		m, _, err := DecodeASAP(in)
		if err != nil || len(m.(*HandleResolutionResponse).PoolElements) != n {
			b.Fatal(err)
		}
	}
}

func BenchmarkDecodeHandleResolutionResponse3(b *testing.B)   { benchmarkDecodeHRR(b, 3) }
func BenchmarkDecodeHandleResolutionResponse128(b *testing.B) { benchmarkDecodeHRR(b, 128) }

func BenchmarkEncodeRegistration(b *testing.B) {
	m := &Registration{PoolHandle: PoolHandle("gwc-pool"), PoolElement: goldenPE()}
	buf := make([]byte, 0, 256)
	b.ReportAllocs()
	for b.Loop() {
		var err error
		if buf, err = m.AppendTo(buf[:0]); err != nil {
			b.Fatal(err)
		}
	}
}

// The acceptance bound on allocations, checked on every test run (the
// time bound is measured by the benchmark).
func TestAllocations(t *testing.T) {
	in := benchHRR(3)
	allocs := testing.AllocsPerRun(200, func() {
		if _, _, err := DecodeASAP(in); err != nil {
			t.Fatal(err)
		}
	})
	if allocs >= 20 {
		t.Fatalf("decoding a 3-PE Handle Resolution Response takes %v allocations, want < 20", allocs)
	}
	m := &Registration{PoolHandle: PoolHandle("gwc-pool"), PoolElement: goldenPE()}
	buf := make([]byte, 0, 256)
	if allocs := testing.AllocsPerRun(200, func() { buf, _ = m.AppendTo(buf[:0]) }); allocs != 0 {
		t.Fatalf("encoding into a large enough buffer takes %v allocations", allocs)
	}
}
