package gwc

import (
	"testing"
	"time"

	"github.com/sigpool/sigpool/mxua"
	"github.com/sigpool/sigpool/mxua/isup"
	"github.com/sigpool/sigpool/mxua/tcap"
)

// BenchmarkISUPCall runs whole calls through the call agent: IAM (ACM and
// ANM answered at once, a cookie) and REL (RLC, the finished cookie) on
// rotating circuits. It reports calls/s of one core.
func BenchmarkISUPCall(b *testing.B) {
	a := newAgent(b, AgentConfig{})
	const circuits = 1024
	iams, rels := make([]*mxua.Message, circuits), make([]*mxua.Message, circuits)
	for i := range circuits {
		iams[i] = isupFromSEP(b, iam(uint16(i)))
		rels[i] = isupFromSEP(b, rel(uint16(i), isup.CauseNormalClearing))
	}
	now := t0
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		c := i % circuits
		now = now.Add(time.Millisecond)
		if acts := a.Receive(now, 1, iams[c]); len(acts) < 3 {
			b.Fatalf("IAM: %v", acts)
		}
		if acts := a.Receive(now, 1, rels[c]); len(acts) < 2 {
			b.Fatalf("REL: %v", acts)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "calls/s")
}

// BenchmarkTCAPBeginEnd answers Begins (SCCP UDT in M3UA DATA, an Invoke)
// with End, the default responder. It reports dialogues/s of one core.
func BenchmarkTCAPBeginEnd(b *testing.B) {
	a := newAgent(b, AgentConfig{})
	const n = 1024
	begins := make([]*mxua.Message, n)
	for i := range n {
		begins[i] = tcapFromSEP(b, &tcap.Message{Type: tcap.Begin, OTID: tcap.TIDUint32(uint32(i + 1)), Components: invoke1})
	}
	b.ReportAllocs()
	b.ResetTimer()
	for i := range b.N {
		if acts := a.Receive(t0, 1, begins[i%n]); len(acts) < 2 {
			b.Fatalf("Begin: %v", acts)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "dialogues/s")
}
