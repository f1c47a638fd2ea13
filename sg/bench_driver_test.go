package sg

import (
	"context"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/sigpool/sigpool/mxua"
	"github.com/sigpool/sigpool/mxua/isup"
)

// BenchmarkSGForwardISUP runs ISUP calls (IAM -> ACM, REL -> RLC) from an
// upstream ASP through the SG to two stand-in GWCs over loopback TCP, 64
// calls in flight. One op is one call: four MSUs cross the SG. It reports
// the SG's forwarding rate (msu/s) and the request-to-answer latency
// (p50, p99). The stand-ins and the upstream ASP share the machine, so the
// rate is a floor for the SG alone.
func BenchmarkSGForwardISUP(b *testing.B) {
	ctx, cancel := context.WithTimeout(b.Context(), 5*time.Minute)
	defer cancel()
	s := startSG(b, ctx, func(c *Config) { c.Metrics = "" })
	g1 := startGWC(b, ctx, s.RegistrarAddrs(), 0xa)
	g2 := startGWC(b, ctx, s.RegistrarAddrs(), 0xb)
	defer g1.close()
	defer g2.close()
	if err := s.WaitActive(ctx, tPool, 2); err != nil {
		b.Fatal(err)
	}
	up := dialUpstream(b, ctx, s.M3UAAddr())
	const window = 64
	sent := make([]time.Time, 4096)
	lat := make([]time.Duration, 0, 2*b.N)
	send := func(cic uint16, typ isup.MessageType) {
		m := isupData(mxua.FromSS7, cic, typ)
		m.RoutingContexts = nil
		sent[cic] = time.Now()
		if err := up.asp.Send(ctx, m); err != nil {
			b.Fatal(err)
		}
	}
	b.ResetTimer()
	started, done := 0, 0
	for ; started < min(window, b.N); started++ {
		send(uint16(started), isup.MsgIAM)
	}
	next := uint16(window)
	for done < b.N {
		var m = <-up.answers
		p := m.ProtocolData.Payload
		cic := uint16(p[0]) | uint16(p[1]&0x0f)<<8
		lat = append(lat, time.Since(sent[cic]))
		switch isup.MessageType(p[2]) {
		case isup.MsgACM:
			send(cic, isup.MsgREL)
		case isup.MsgRLC:
			done++
			if started < b.N {
				started++
				send(next%4096, isup.MsgIAM)
				next++
			}
		}
		if ctx.Err() != nil {
			b.Fatal(ctx.Err())
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(4*b.N)/b.Elapsed().Seconds(), "msu/s")
	slices.Sort(lat)
	if len(lat) > 0 {
		b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
		b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
	}
	if st := s.Stats(); st.Dropped != 0 || st.SendFailures != 0 {
		b.Fatalf("drops: %+v", st.Counters)
	}
}

// BenchmarkSGForwardISUPHalfLoad paces ISUP calls at 12,500 calls/s
// (50,000 MSU/s through the SG, half the 100,000 MSU/s target) and
// reports the request-to-answer latency at that load. One op is one call.
func BenchmarkSGForwardISUPHalfLoad(b *testing.B) {
	const callsPerSecond = 12500
	ctx, cancel := context.WithTimeout(b.Context(), 5*time.Minute)
	defer cancel()
	s := startSG(b, ctx, func(c *Config) { c.Metrics = "" })
	g1 := startGWC(b, ctx, s.RegistrarAddrs(), 0xa)
	g2 := startGWC(b, ctx, s.RegistrarAddrs(), 0xb)
	defer g1.close()
	defer g2.close()
	if err := s.WaitActive(ctx, tPool, 2); err != nil {
		b.Fatal(err)
	}
	up := dialUpstream(b, ctx, s.M3UAAddr())
	var sent [4096]atomic.Int64
	send := func(cic uint16, typ isup.MessageType) {
		m := isupData(mxua.FromSS7, cic, typ)
		m.RoutingContexts = nil
		sent[cic].Store(time.Now().UnixNano())
		if err := up.asp.Send(ctx, m); err != nil {
			b.Error(err)
		}
	}
	b.ResetTimer()
	go func() {
		start := time.Now()
		t := time.NewTicker(time.Millisecond)
		defer t.Stop()
		for i := 0; i < b.N; {
			due := int(time.Since(start).Seconds() * callsPerSecond)
			for ; i < b.N && i <= due; i++ {
				send(uint16(i%4096), isup.MsgIAM)
			}
			select {
			case <-t.C:
			case <-ctx.Done():
				return
			}
		}
	}()
	lat := make([]time.Duration, 0, 2*b.N)
	for done := 0; done < b.N; {
		var m *mxua.Message
		select {
		case m = <-up.answers:
		case <-ctx.Done():
			b.Fatal(ctx.Err())
		}
		p := m.ProtocolData.Payload
		cic := uint16(p[0]) | uint16(p[1]&0x0f)<<8
		lat = append(lat, time.Duration(time.Now().UnixNano()-sent[cic].Load()))
		switch isup.MessageType(p[2]) {
		case isup.MsgACM:
			send(cic, isup.MsgREL)
		case isup.MsgRLC:
			done++
		}
	}
	b.StopTimer()
	b.ReportMetric(float64(4*b.N)/b.Elapsed().Seconds(), "msu/s")
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-µs")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-µs")
}
