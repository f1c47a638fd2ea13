package sg

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/sigpool/sigpool/mxua"
	"github.com/sigpool/sigpool/mxua/isup"
	"github.com/sigpool/sigpool/mxua/tcap"
	"github.com/sigpool/sigpool/wire"
)

func benchCore(b *testing.B, pes int) *Core {
	b.Helper()
	c, err := NewCore(CoreConfig{Pools: []PoolConfig{{Handle: tPool}}, Routes: []Route{mustRoute(b, "dpc=2:"+tPool)},
		Rand: rand.New(rand.NewPCG(1, 2))})
	if err != nil {
		b.Fatal(err)
	}
	var elems []wire.PoolElement
	for i := 1; i <= pes; i++ {
		elems = append(elems, element(wire.PEIdentifier(i)))
	}
	c.Start(t0)
	c.Resolved(t0, tPool, elems, wire.PolicyRoundRobin, false)
	for i := 1; i <= pes; i++ {
		c.PEConnected(t0, tPool, wire.PEIdentifier(i), mxua.AssocID(i))
		c.ASPState(t0, mxua.M3UA, mxua.AssocID(i), mxua.ASPActive)
	}
	return c
}

// BenchmarkCoreISUPCall runs whole ISUP calls through the core (IAM and
// REL from the SS7 side, ACM, ANM and RLC from the pool): the routing,
// binding and policy work per MSU, without I/O.
func BenchmarkCoreISUPCall(b *testing.B) {
	c := benchCore(b, 4)
	const calls = 1024
	type call struct{ iam, acm, anm, rel, rlc *mxua.Message }
	cs := make([]call, calls)
	for i := range cs {
		cic := uint16(i)
		cs[i] = call{isupData(mxua.FromSS7, cic, isup.MsgIAM), isupData(mxua.FromPool, cic, isup.MsgACM),
			isupData(mxua.FromPool, cic, isup.MsgANM), isupData(mxua.FromSS7, cic, isup.MsgREL), isupData(mxua.FromPool, cic, isup.MsgRLC)}
	}
	now := t0
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		k := &cs[i%calls]
		acts := c.FromSS7(now, mxua.M3UA, 100, 7, k.iam)
		pe := acts[0].Assoc
		c.FromPool(now, mxua.M3UA, pe, k.acm)
		c.FromPool(now, mxua.M3UA, pe, k.anm)
		c.FromSS7(now, mxua.M3UA, 100, 7, k.rel)
		c.FromPool(now, mxua.M3UA, pe, k.rlc)
	}
	b.StopTimer()
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(5*b.N), "ns/msu")
	if st := c.Stats(); st.Bindings != 0 || st.ToPool != uint64(2*b.N) {
		b.Fatalf("bindings=%d %+v", st.Bindings, st.Counters)
	}
}

// BenchmarkCoreTCAPDialogue runs TCAP dialogues: Begin from the SS7 side,
// Continue from the pool, End from the SS7 side (found by the pool TID),
// with 1024 dialogues open at a time.
func BenchmarkCoreTCAPDialogue(b *testing.B) {
	c := benchCore(b, 4)
	const open = 1024
	type dlg struct{ begin, cont, end *mxua.Message }
	ds := make([]dlg, open)
	for i := range ds {
		s, p := uint32(0x10000+i), uint32(0x20000+i)
		ds[i] = dlg{tcapData(b, mxua.FromSS7, tcap.Begin, s, 0), tcapData(b, mxua.FromPool, tcap.Continue, p, s), tcapData(b, mxua.FromSS7, tcap.End, 0, p)}
	}
	pes := make([]mxua.AssocID, open)
	now := t0
	for i := range ds {
		pes[i] = c.FromSS7(now, mxua.M3UA, 100, 7, ds[i].begin)[0].Assoc
		c.FromPool(now, mxua.M3UA, pes[i], ds[i].cont)
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		k := i % open
		c.FromSS7(now, mxua.M3UA, 100, 7, ds[k].end)
		pes[k] = c.FromSS7(now, mxua.M3UA, 100, 7, ds[k].begin)[0].Assoc
		c.FromPool(now, mxua.M3UA, pes[k], ds[k].cont)
	}
	b.StopTimer()
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(3*b.N), "ns/msu")
	if st := c.Stats(); st.Bindings != open || st.Unbound != 0 {
		b.Fatalf("bindings=%d %+v", st.Bindings, st.Counters)
	}
}

// BenchmarkCoreFailover moves 10,000 bindings with call state off a lost
// GWC (Cookie Echo actions for each).
func BenchmarkCoreFailover(b *testing.B) {
	const n = 10000
	for i := 0; i < b.N; i++ {
		b.StopTimer()
		c := benchCore(b, 2)
		now := t0
		for j := range n {
			k := mxua.BindingKey{Kind: mxua.BindingTransaction, SS7PC: 1, PoolPC: 2, ID: uint32(j)}
			c.Cookie(now, mxua.M3UA, 1, mxua.BindingCookie{Key: k, State: []byte("s")}.Marshal())
		}
		b.StartTimer()
		acts := c.Disconnected(now.Add(time.Second), mxua.M3UA, 1, "lost", true)
		if len(acts) < n {
			b.Fatalf("%d actions", len(acts))
		}
	}
}
