package handlespace

import (
	"fmt"
	"runtime"
	"sync"
	"testing"

	"github.com/sigpool/sigpool/policy"
	"github.com/sigpool/sigpool/wire"
)

// fill registers namespaces x pools x perPool PEs and returns the handles.
func fill(tb testing.TB, h *Handlespace, namespaces, pools, perPool int, pol wire.Policy) []wire.PoolHandle {
	handles := make([]wire.PoolHandle, pools)
	for p := range handles {
		handles[p] = wire.PoolHandle(fmt.Sprintf("pool-%04d", p))
	}
	id := 0
	for n := range namespaces {
		ns := h.Namespace(fmt.Sprintf("ns%d", n))
		for _, ph := range handles {
			for range perPool {
				id++
				if _, _, err := ns.Register(ph, element(wire.PEIdentifier(id), uint32(id%7), pol), t0); err != nil {
					tb.Fatal(err)
				}
			}
		}
	}
	return handles
}

func BenchmarkSelect3of20(b *testing.B) {
	for _, pol := range []wire.Policy{
		{Type: wire.PolicyRoundRobin},
		{Type: wire.PolicyWeightedRandom, Weight: 5},
		{Type: wire.PolicyLeastUsed, Load: wire.FractionOf(0.3)},
		{Type: wire.PolicyLeastUsedWithDegradation, Load: wire.FractionOf(0.3), LoadDegradation: 1000},
		{Type: wire.PolicyRandomizedLeastUsed, Load: wire.FractionOf(0.3)},
	} {
		b.Run(pol.Type.String(), func(b *testing.B) {
			h := newHS(Config{})
			handles := fill(b, h, 1, 500, 20, pol)
			ns := h.Namespace("ns0")
			buf := make([]*PoolElement, 0, 3)
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				buf, _ = ns.Select(handles[i%500], policy.Request{N: 3}, buf[:0])
				i++
			}
		})
	}
}

// 16 PUs resolving concurrently through one mutex, as a registrar driver
// without its own serialisation would: the figure to hold against the
// 50,000 resolutions/s requirement.
func BenchmarkSelect3of20Parallel16(b *testing.B) {
	h := newHS(Config{})
	handles := fill(b, h, 1, 500, 20, wire.Policy{Type: wire.PolicyRoundRobin})
	ns := h.Namespace("ns0")
	var mu sync.Mutex
	b.SetParallelism(16 / max(1, runtime.GOMAXPROCS(0)))
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		buf := make([]*PoolElement, 0, 3)
		i := 0
		for pb.Next() {
			mu.Lock()
			buf, _ = ns.Select(handles[i%500], policy.Request{N: 3}, buf[:0])
			mu.Unlock()
			i++
		}
	})
}

// BenchmarkRegister: new registrations into 500 pools of 20 PEs (the
// handlespace is refilled from empty every 10,000), and re-registrations
// of those PEs.
func BenchmarkRegister(b *testing.B) {
	pes := make([]wire.PoolElement, 10000)
	handles := make([]wire.PoolHandle, 500)
	for i := range handles {
		handles[i] = wire.PoolHandle(fmt.Sprintf("pool-%04d", i))
	}
	for i := range pes {
		pes[i] = element(wire.PEIdentifier(i+1), 1, wire.Policy{Type: wire.PolicyLeastUsed})
	}
	b.Run("new", func(b *testing.B) {
		b.ReportAllocs()
		var ns *Namespace
		i := 0
		for b.Loop() {
			if i%len(pes) == 0 {
				b.StopTimer()
				ns = newHS(Config{}).Namespace("")
				b.StartTimer()
			}
			if _, _, err := ns.Register(handles[i%500], pes[i%len(pes)], t0); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
	b.Run("reregister", func(b *testing.B) {
		ns := newHS(Config{}).Namespace("")
		for i := range pes {
			ns.Register(handles[i%500], pes[i], t0)
		}
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			if _, _, err := ns.Register(handles[i%500], pes[i%len(pes)], t0); err != nil {
				b.Fatal(err)
			}
			i++
		}
	})
}

// bytesPerPE measures the heap a handlespace of 100k PEs (10 namespaces x
// 500 pools x 20 PEs, each with one SCTP user and one ASAP address) holds.
func bytesPerPE(tb testing.TB) float64 {
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	h := newHS(Config{MaxPEs: 100000})
	fill(tb, h, 10, 500, 20, wire.Policy{Type: wire.PolicyLeastUsedWithDegradation})
	runtime.GC()
	runtime.ReadMemStats(&after)
	if h.Len() != 100000 {
		tb.Fatalf("registered %d", h.Len())
	}
	per := float64(after.HeapAlloc-before.HeapAlloc) / float64(h.Len())
	runtime.KeepAlive(h)
	return per
}

func BenchmarkMemoryPerPE(b *testing.B) {
	var per float64
	for b.Loop() {
		per = bytesPerPE(b)
	}
	b.ReportMetric(per, "bytes/PE")
}

func TestMemoryPerPE(t *testing.T) {
	if testing.Short() {
		t.Skip("registers 100k PEs")
	}
	per := bytesPerPE(t)
	t.Logf("%.0f bytes per PE at 100k PEs", per)
	if per > 2048 {
		t.Errorf("%.0f bytes per PE, budget 2048", per)
	}
}
