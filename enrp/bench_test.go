package enrp

import (
	"context"
	"crypto/tls"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/sigpool/sigpool/transport"
	"github.com/sigpool/sigpool/wire"
)

const (
	benchPools      = 500
	benchPEsPerPool = 20
)

// fillCore registers pools x pes PEs directly in the core, as if over
// pes associations per pool, without sockets: the benchmarks measure the
// resolution path, not the setup.
func fillCore(c *Core, pools, pes int) {
	var acts Actions
	now := time.Now()
	for p := range pools {
		for i := range pes {
			id := AssocID(1<<40 + p*pes + i)
			c.AssociationUp(id, wire.Transport{Kind: wire.TransportTCP, Port: 1, Addresses: pe(1, 1, rr).UserTransport.Addresses})
			m := reg(fmt.Sprintf("pool-%04d", p), pe(uint32(i+1), uint16(10000+i), rr))
			acts.Reset()
			c.HandleASAP(now, id, nil, m, nil, &acts)
		}
	}
}

func dialPU(b *testing.B, addr string) transport.Association {
	a, err := transport.Dial(context.Background(), addr, transport.Config{Framing: transport.FramingRSerPool, PPID: wire.PPIDASAP})
	if err != nil {
		b.Fatal(err)
	}
	return a
}

// requestLoad spreads b.N requests over assocs, one outstanding per
// association: request(w, i) is association w's i-th request, check judges
// each reply. It returns every round trip and the time the run took.
func requestLoad(b *testing.B, assocs []transport.Association, request func(w, i int) []byte, check func(reply []byte) error) ([]time.Duration, time.Duration) {
	lats := make([][]time.Duration, len(assocs))
	ctx := context.Background()
	b.ResetTimer()
	start := time.Now()
	var wg sync.WaitGroup
	for w := range assocs {
		n := b.N / len(assocs)
		if w < b.N%len(assocs) {
			n++
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			a := assocs[w]
			lat := make([]time.Duration, 0, n)
			for i := range n {
				t := time.Now()
				if err := a.Send(ctx, transport.Message{PPID: wire.PPIDASAP, Data: request(w, i)}); err != nil {
					b.Error(err)
					return
				}
				m, err := a.Recv(ctx)
				if err != nil {
					b.Error(err)
					return
				}
				if err := check(m.Data); err != nil {
					b.Error(err)
					return
				}
				lat = append(lat, time.Since(t))
			}
			lats[w] = lat
		}()
	}
	wg.Wait()
	elapsed := time.Since(start)
	b.StopTimer()
	return slices.Concat(lats...), elapsed
}

func reportLatency(b *testing.B, lat []time.Duration, ops int, elapsed time.Duration, unit string) {
	slices.Sort(lat)
	if len(lat) > 0 {
		b.ReportMetric(float64(lat[len(lat)/2].Nanoseconds())/1e3, "p50-µs")
		b.ReportMetric(float64(lat[len(lat)*99/100].Nanoseconds())/1e3, "p99-µs")
	}
	b.ReportMetric(float64(ops)/elapsed.Seconds(), unit)
	b.ReportMetric(0, "ns/op")
}

// BenchmarkResolve16PUs: a registrar holding 500 pools x 20 PEs; 16 PUs,
// each on its own TCP association, resolve random pools one request at a
// time (no pipelining).
func BenchmarkResolve16PUs(b *testing.B) {
	benchResolve16PUs(b, nil, nil)
}

// BenchmarkResolve16PUsTLS: the cost of TLS on resolutions, as
// BenchmarkResolve16PUs plain and with every PU association mutually
// authenticated TLS 1.3, in one run; the tls sub-benchmark reports its
// ratio to the plain one.
func BenchmarkResolve16PUsTLS(b *testing.B) {
	var plain float64
	b.Run("plain", func(b *testing.B) { plain = benchResolve16PUs(b, nil, nil) })
	b.Run("tls", func(b *testing.B) {
		l := newLab(b)
		srv, _ := l.configs("registrar-1")
		_, cli := l.configs("pu-1")
		rate := benchResolve16PUs(b, srv, cli)
		if plain > 0 {
			b.ReportMetric(rate/plain, "ratio-to-plain")
		}
	})
}

// benchResolve16PUs runs the 16-PU resolution benchmark, over TLS when
// the configurations are given, and returns the resolutions per second.
func benchResolve16PUs(b *testing.B, server, client *tls.Config) float64 {
	r, err := Start(context.Background(), Options{Core: Config{ServerID: 0xabcd, KeepAliveInterval: time.Hour},
		Listen: []string{"tcp://127.0.0.1:0"}, TLSServer: server})
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { r.Close() })
	r.Do(func(c *Core) { fillCore(c, benchPools, benchPEsPerPool) })
	addr := asapAddr(r)
	const pus = 16
	reqs := make([][]byte, benchPools)
	for i := range reqs {
		reqs[i], _ = wire.Marshal(&wire.HandleResolution{PoolHandle: wire.PoolHandle(fmt.Sprintf("pool-%04d", i))})
	}
	assocs := make([]transport.Association, pus)
	for i := range assocs {
		a, err := transport.Dial(context.Background(), addr, transport.Config{Framing: transport.FramingRSerPool, PPID: wire.PPIDASAP, TLS: client})
		if err != nil {
			b.Fatal(err)
		}
		assocs[i] = a
		defer assocs[i].Abort()
	}
	lat, elapsed := requestLoad(b, assocs, func(w, i int) []byte { return reqs[(w*7919+i*31)%benchPools] },
		func(reply []byte) error {
			if reply[0] != 0x06 {
				return fmt.Errorf("reply type 0x%02x", reply[0])
			}
			return nil
		})
	reportLatency(b, lat, b.N, elapsed, "resolutions/s")
	return float64(b.N) / elapsed.Seconds()
}

// BenchmarkRegistrations: 16 PE associations register over TCP, one request
// at a time each; every association cycles through 1000 PE identifiers, so
// a long run mixes first registrations and re-registrations (the same
// handlespace path).
func BenchmarkRegistrations(b *testing.B) {
	r := startRegistrar(b, Config{KeepAliveInterval: time.Hour})
	addr := asapAddr(r)
	const conns, idsPerConn = 16, 1000
	msgs := make([][][]byte, conns)
	for c := range conns {
		for i := range idsPerConn {
			m, _ := wire.Marshal(reg(fmt.Sprintf("reg-%02d", c), pe(uint32(i+1), uint16(10000+i), rr)))
			msgs[c] = append(msgs[c], m)
		}
	}
	assocs := make([]transport.Association, conns)
	for i := range assocs {
		assocs[i] = dialPU(b, addr)
		defer assocs[i].Abort()
	}
	lat, elapsed := requestLoad(b, assocs, func(w, i int) []byte { return msgs[w][i%idsPerConn] },
		func(reply []byte) error {
			if reply[0] != 0x03 || reply[1]&1 != 0 {
				return fmt.Errorf("registration refused: % x", reply)
			}
			return nil
		})
	reportLatency(b, lat, b.N, elapsed, "registrations/s")
}

// BenchmarkMemoryPerPE: heap growth per registered PE (handlespace record,
// policy member, registrar keep-alive state, association bookkeeping), with
// 500 pools x 20 PEs.
func BenchmarkMemoryPerPE(b *testing.B) {
	for range b.N {
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		c, err := NewCore(Config{ServerID: 1, KeepAliveInterval: time.Hour})
		if err != nil {
			b.Fatal(err)
		}
		fillCore(c, benchPools, benchPEsPerPool)
		runtime.GC()
		runtime.ReadMemStats(&after)
		n := benchPools * benchPEsPerPool
		b.ReportMetric(float64(after.HeapAlloc-before.HeapAlloc)/float64(n), "bytes/PE")
		runtime.KeepAlive(c)
	}
}

// BenchmarkCoreResolve: the core alone, one resolution of 3 PEs from a
// 20-PE pool, encoded (what the mutex is held for).
func BenchmarkCoreResolve(b *testing.B) {
	c, err := NewCore(Config{ServerID: 1, KeepAliveInterval: time.Hour})
	if err != nil {
		b.Fatal(err)
	}
	fillCore(c, benchPools, benchPEsPerPool)
	c.AssociationUp(1, wire.Transport{})
	raw, _ := wire.Marshal(&wire.HandleResolution{PoolHandle: wire.PoolHandle("pool-0042")})
	msg, _, _ := wire.DecodeASAP(raw)
	var acts Actions
	now := time.Now()
	b.ReportAllocs()
	for b.Loop() {
		acts.Reset()
		c.HandleASAP(now, 1, raw, msg, nil, &acts)
	}
}
