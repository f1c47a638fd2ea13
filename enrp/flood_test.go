package enrp

import (
	"context"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sigpool/sigpool/asap"
	"github.com/sigpool/sigpool/internal/transporttest"
	"github.com/sigpool/sigpool/transport"
	"github.com/sigpool/sigpool/wire"
)

// Registrar limits of the flood test: what a registrar facing untrusted
// clients would run with.
const (
	floodResolutionRate  = 2000 // per association per second
	floodResolutionBurst = 200
	floodUnreachRate     = 100
	floodUnreachBurst    = 20
	floodPEs             = 10
	floodLegitPUs        = 4
	floodAbuseAssocs     = 2
	floodAbuseSenders    = 4       // goroutines, shared over the abusive associations
	floodAttempt         = 100_000 // resolutions per second the abusive client tries
	floodDuration        = 3 * time.Second
)

// floodP99Limit is the acceptance bound on the legitimate PUs' p99; the
// race detector slows everything several times, so it gets more room.
func floodP99Limit() time.Duration {
	if raceEnabled {
		return 50 * time.Millisecond
	}
	return 10 * time.Millisecond
}

// TestResolutionFloodAndForgedUnreachable is the acceptance test of the
// registrar's limits: one abusive client tries 100,000 resolutions/s,
// pipelined from several goroutines over a few associations, and one
// forger sends Endpoint Unreachable reports for every PE as fast as it
// can; meanwhile four legitimate PUs, each on its own association,
// resolve continuously. The legitimate PUs must get every answer with a
// p99 under 10 ms, and no PE may be removed.
func TestResolutionFloodAndForgedUnreachable(t *testing.T) {
	if testing.Short() {
		t.Skip("runs for several seconds")
	}
	// The flood is measured on the host: inside the kernel SCTP VM the
	// emulated CPU cannot generate 100,000 requests/s beside a registrar.
	transporttest.TCPOnly(t, "the resolution flood runs on the host")
	cfg := Config{ServerID: 0xf100d,
		ResolutionRate: floodResolutionRate, ResolutionBurst: floodResolutionBurst,
		UnreachableRate: floodUnreachRate, UnreachableBurst: floodUnreachBurst, PaceOverLimit: true,
		// Keep-alives run throughout (and the forged reports trigger
		// extra ones): live PEs must answer them under the flood.
		KeepAliveInterval: time.Second, KeepAliveTimeout: 2 * time.Second}
	r, err := Start(context.Background(), Options{Core: cfg, Listen: []string{"tcp://127.0.0.1:0"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	addr := asapAddr(r)
	for i := range floodPEs {
		pe, err := asap.StartPoolElement(t.Context(), asap.PEConfig{PoolHandle: "gwc", Registrars: []string{addr},
			Listen: "tcp://127.0.0.1:0", Identifier: wire.PEIdentifier(1000 + i)})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() {
			ctx, cancel := context.WithTimeout(context.Background(), time.Second)
			defer cancel()
			pe.Close(ctx)
		})
		ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
		err = pe.Registered(ctx)
		cancel()
		if err != nil {
			t.Fatal(err)
		}
	}
	resolution, _ := wire.Marshal(&wire.HandleResolution{PoolHandle: wire.PoolHandle("gwc")})

	// Legitimate PUs alone first: the baseline the flood is compared to.
	base := runLegitPUs(t, addr, resolution, time.Second)

	ctx, stop := context.WithCancel(t.Context())
	var wg sync.WaitGroup
	var abuseSent, abuseAnswered, abuseRefused, forged atomic.Int64
	abusive := make([]transport.Association, floodAbuseAssocs)
	for i := range abusive {
		abusive[i] = dialPUAssoc(t, addr)
		wg.Add(1)
		go func() { // drain the answers, counting them
			defer wg.Done()
			for {
				m, err := abusive[i].Recv(ctx)
				if err != nil {
					return
				}
				if isRefused(m.Data) {
					abuseRefused.Add(1)
				} else {
					abuseAnswered.Add(1)
				}
			}
		}()
	}
	perTick := floodAttempt / 1000 / floodAbuseSenders // every millisecond, per sender
	for g := range floodAbuseSenders {
		a := abusive[g%floodAbuseAssocs]
		wg.Add(1)
		go func() {
			defer wg.Done()
			batch := make([]transport.Message, perTick)
			for i := range batch {
				batch[i] = transport.Message{PPID: wire.PPIDASAP, Data: resolution}
			}
			tick := time.NewTicker(time.Millisecond)
			defer tick.Stop()
			for {
				select {
				case <-ctx.Done():
					return
				case <-tick.C:
				}
				if err := transport.SendBatch(ctx, a, batch); err != nil {
					return
				}
				abuseSent.Add(int64(len(batch)))
			}
		}()
	}
	forger := dialPUAssoc(t, addr)
	wg.Add(2)
	go func() { // the registrar answers no report; read anyway, in case
		defer wg.Done()
		for {
			if _, err := forger.Recv(ctx); err != nil {
				return
			}
		}
	}()
	go func() {
		defer wg.Done()
		var reports [][]byte
		for i := range floodPEs {
			b, _ := wire.Marshal(&wire.EndpointUnreachable{PoolHandle: wire.PoolHandle("gwc"), PEIdentifier: wire.PEIdentifier(1000 + i)})
			reports = append(reports, b)
		}
		batch := make([]transport.Message, 0, 100)
		for n := 0; ; n++ {
			batch = batch[:0]
			for range cap(batch) {
				batch = append(batch, transport.Message{PPID: wire.PPIDASAP, Data: reports[n%len(reports)]})
				n++
			}
			if err := transport.SendBatch(ctx, forger, batch); err != nil {
				return
			}
			forged.Add(int64(len(batch)))
		}
	}()

	time.Sleep(200 * time.Millisecond) // let the flood build up
	start := time.Now()
	sent0, answered0 := abuseSent.Load(), abuseAnswered.Load()+abuseRefused.Load()
	flood := runLegitPUs(t, addr, resolution, floodDuration)
	elapsed := time.Since(start)
	sent, answered := abuseSent.Load()-sent0, abuseAnswered.Load()+abuseRefused.Load()-answered0
	stop()
	for _, a := range abusive {
		a.Abort()
	}
	forger.Abort()
	wg.Wait()

	var st Stats
	present := 0
	r.Do(func(c *Core) {
		st = c.Stats()
		for i := range floodPEs {
			if _, ok := c.Namespace().Lookup(wire.PoolHandle("gwc"), wire.PEIdentifier(1000+i)); ok {
				present++
			}
		}
	})
	abuseRate := float64(sent) / elapsed.Seconds()
	t.Logf("abusive client: tried %d/s, its sockets took %.0f/s (buffered, unread while paced), the registrar answered %.0f/s (%d refused with lack of resources in total)",
		floodAttempt, abuseRate, float64(answered)/elapsed.Seconds(), abuseRefused.Load())
	t.Logf("forger: %d Endpoint Unreachable reports sent in total", forged.Load())
	t.Logf("legitimate PUs alone: %d resolutions, p50 %v p99 %v", base.n, base.p50, base.p99)
	t.Logf("legitimate PUs under the flood: %d resolutions, p50 %v p99 %v, %d refused, %d errors",
		flood.n, flood.p50, flood.p99, flood.refused, flood.errors)
	t.Logf("registrar: %d PEs removed, %d rate-limited, %d paced reads, %d keep-alives sent", st.Removed, st.RateLimited, st.Paused, st.KeepAlivesSent)

	if flood.errors > 0 || flood.refused > 0 || flood.n == 0 {
		t.Errorf("legitimate PUs: %d resolutions, %d refused, %d errors: every one must be answered", flood.n, flood.refused, flood.errors)
	}
	if limit := floodP99Limit(); flood.p99 > limit {
		t.Errorf("legitimate p99 under the flood %v, above %v", flood.p99, limit)
	}
	if st.Removed != 0 || present != floodPEs {
		t.Errorf("%d PEs removed, %d of %d present: forged reports removed live PEs", st.Removed, present, floodPEs)
	}
	// Pacing holds the abusive client near its limit: its associations'
	// buckets, with room for the bursts and the measuring window.
	if bound := 1.5 * floodAbuseAssocs * (floodResolutionRate + floodResolutionBurst); float64(answered)/elapsed.Seconds() > bound {
		t.Errorf("abusive client answered %.0f/s, above %.0f/s: pacing does not hold it", float64(answered)/elapsed.Seconds(), bound)
	}
	if st.Paused == 0 {
		t.Error("no read was paced")
	}
}

type legitResult struct {
	n, refused, errors int
	p50, p99           time.Duration
}

// runLegitPUs runs floodLegitPUs pool users, each on its own association,
// resolving one request at a time with a millisecond between them (well
// under their limit), for d; it returns the latencies' quantiles.
func runLegitPUs(t *testing.T, addr string, req []byte, d time.Duration) legitResult {
	t.Helper()
	var mu sync.Mutex
	var lat []time.Duration
	var res legitResult
	var wg sync.WaitGroup
	end := time.Now().Add(d)
	for range floodLegitPUs {
		a := dialPUAssoc(t, addr)
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer a.Abort()
			var mine []time.Duration
			refused, errs := 0, 0
			for time.Now().Before(end) {
				ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
				t0 := time.Now()
				err := a.Send(ctx, transport.Message{PPID: wire.PPIDASAP, Data: req})
				var m transport.Message
				if err == nil {
					m, err = a.Recv(ctx)
				}
				cancel()
				if err != nil {
					errs++
					break
				}
				mine = append(mine, time.Since(t0))
				if isRefused(m.Data) {
					refused++
				}
				time.Sleep(time.Millisecond)
			}
			mu.Lock()
			lat = append(lat, mine...)
			res.refused += refused
			res.errors += errs
			mu.Unlock()
		}()
	}
	wg.Wait()
	slices.Sort(lat)
	res.n = len(lat)
	if len(lat) > 0 {
		res.p50, res.p99 = lat[len(lat)/2], lat[len(lat)*99/100]
	}
	return res
}

func dialPUAssoc(t *testing.T, addr string) transport.Association {
	t.Helper()
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	a, err := transport.Dial(ctx, addr, transport.Config{Framing: transport.FramingRSerPool, PPID: wire.PPIDASAP})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { a.Abort() })
	return a
}

// isRefused reports whether b is a Handle Resolution Response carrying an
// Operation Error (or anything else than an answer with PEs).
func isRefused(b []byte) bool {
	m, _, err := wire.DecodeASAP(b)
	if err != nil {
		return true
	}
	r, ok := m.(*wire.HandleResolutionResponse)
	return !ok || r.Error != nil
}
