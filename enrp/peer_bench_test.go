package enrp

import (
	"context"
	"fmt"
	"net/netip"
	"testing"
	"time"

	"github.com/sigpool/sigpool/transport"
	"github.com/sigpool/sigpool/wire"
)

const (
	benchRegistrars = 5
	benchPeerPEs    = 5000
)

// benchMesh runs registrars peered over loopback TCP, each knowing the
// others' ENRP addresses.
type benchMesh struct {
	b     *testing.B
	regs  []*Registrar
	cfgs  []Config
	enrps []string
}

func (m *benchMesh) start(i int) {
	var peers []string
	for j, a := range m.enrps {
		if j != i && a != "" {
			peers = append(peers, a)
		}
	}
	listen := m.enrps[i]
	if listen == "" {
		listen = "tcp://127.0.0.1:0"
	}
	r, err := Start(context.Background(), Options{Core: m.cfgs[i], Listen: []string{"tcp://127.0.0.1:0"}, ENRPListen: []string{listen}, Peers: peers})
	if err != nil {
		m.b.Fatal(err)
	}
	m.regs[i] = r
	m.enrps[i] = r.Addrs(wire.ProtocolENRP)[0]
}

func (m *benchMesh) len(i int) int {
	var n int
	m.regs[i].Do(func(c *Core) { n = c.Namespace().Len() })
	return n
}

// registerMany registers n PEs over one association (keep-alives are
// answered by a reader goroutine until ctx ends).
func registerMany(ctx context.Context, b *testing.B, r *Registrar, first, n int) {
	a, err := transport.Dial(ctx, asapAddr(r), transport.Config{Framing: transport.FramingRSerPool, PPID: wire.PPIDASAP})
	if err != nil {
		b.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer a.Abort()
		got := 0
		for {
			msg, err := a.Recv(ctx)
			if err != nil {
				return
			}
			m, _, err := wire.DecodeASAP(msg.Data)
			if err != nil {
				continue
			}
			switch m := m.(type) {
			case *wire.RegistrationResponse:
				if got++; got == n {
					close(done)
				}
			case *wire.EndpointKeepAlive:
				ack, _ := wire.Marshal(&wire.EndpointKeepAliveAck{PoolHandle: m.PoolHandle, PEIdentifier: *m.PEIdentifier})
				a.Send(ctx, transport.Message{PPID: wire.PPIDASAP, Data: ack})
			}
		}
	}()
	for k := first; k < first+n; k++ {
		p := wire.PoolElement{Identifier: wire.PEIdentifier(k + 1), RegistrationLife: 300000,
			UserTransport: wire.Transport{Kind: wire.TransportTCP, Port: uint16(1024 + k%60000), Use: wire.TransportUseDataPlusControl,
				Addresses: []netip.Addr{netip.AddrFrom4([4]byte{127, 1, byte(k >> 8), byte(k)})}},
			Policy: wire.Policy{Type: wire.PolicyRoundRobin}}
		msg, _ := wire.Marshal(&wire.Registration{PoolHandle: wire.PoolHandle(fmt.Sprintf("pool-%03d", k%100)), PoolElement: p})
		if err := a.Send(ctx, transport.Message{PPID: wire.PPIDASAP, Data: msg}); err != nil {
			b.Fatal(err)
		}
	}
	select {
	case <-done:
	case <-time.After(30 * time.Second):
		b.Fatal("registrations not answered")
	}
}

// BenchmarkPeerRestartSync: 5 registrars peered over TCP hold 5,000 PEs
// (registered at four of them); the fifth restarts with an empty
// handlespace. Reported: the time until it holds all 5,000 PEs (mentor
// discovery, List and Handle Table download with the M flag; target under
// 5 s) and the ENRP bytes per second each registrar sends in steady state
// (Presence only: re-registrations that change nothing cost nothing).
func BenchmarkPeerRestartSync(b *testing.B) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	m := &benchMesh{b: b, regs: make([]*Registrar, benchRegistrars), cfgs: make([]Config, benchRegistrars), enrps: make([]string, benchRegistrars)}
	for i := range benchRegistrars {
		m.cfgs[i] = Config{ServerID: uint32(0x1000 + i), MentorDiscoveryTimeout: time.Second}
		m.start(i)
	}
	defer func() {
		for _, r := range m.regs {
			r.Close()
		}
	}()
	per := benchPeerPEs / (benchRegistrars - 1)
	for i := range benchRegistrars - 1 {
		registerMany(ctx, b, m.regs[i], i*per, per)
	}
	waitAll := func(limit time.Duration) {
		deadline := time.Now().Add(limit)
		for {
			ok := true
			for i := range benchRegistrars {
				if m.len(i) != benchPeerPEs {
					ok = false
				}
			}
			if ok {
				return
			}
			if time.Now().After(deadline) {
				b.Fatalf("registrars not in sync after %v", limit)
			}
			time.Sleep(5 * time.Millisecond)
		}
	}
	waitAll(30 * time.Second)

	// Steady state: ENRP bytes each registrar sends per second.
	window := 3 * DefaultPeerHeartbeatCycle
	before := make([]uint64, benchRegistrars)
	for i, r := range m.regs {
		r.Do(func(c *Core) { before[i] = c.ENRPBytesSent() })
	}
	time.Sleep(window)
	var total uint64
	for i, r := range m.regs {
		r.Do(func(c *Core) { total += c.ENRPBytesSent() - before[i] })
	}
	steady := float64(total) / benchRegistrars / window.Seconds()

	last := benchRegistrars - 1
	var sum time.Duration
	b.ResetTimer()
	for range b.N {
		m.regs[last].Close()
		start := time.Now()
		m.start(last)
		for m.len(last) != benchPeerPEs {
			if time.Since(start) > 30*time.Second {
				b.Fatalf("restarted registrar holds %d of %d PEs after 30 s", m.len(last), benchPeerPEs)
			}
			time.Sleep(time.Millisecond)
		}
		sum += time.Since(start)
	}
	b.StopTimer()
	b.ReportMetric(sum.Seconds()/float64(b.N), "s-restart-to-full-handlespace")
	b.ReportMetric(steady, "ENRP-B/s-per-registrar")
}
