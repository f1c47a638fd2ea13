package enrp

import (
	"fmt"
	"syscall"
	"testing"
	"time"

	"github.com/sigpool/sigpool/internal/transporttest"
	"github.com/sigpool/sigpool/transport"
	"github.com/sigpool/sigpool/wire"
)

// TestDeadAndFrozenPE: with the carrier profile, a PE killed (SIGKILL) or
// frozen (SIGSTOP) leaves the resolutions within keep-alive interval +
// timeout (400 ms), checked against 600 ms.
func TestDeadAndFrozenPE(t *testing.T) {
	if testing.Short() {
		t.Skip("spawns processes")
	}
	carrier, err := transport.LookupProfile("carrier")
	if err != nil {
		t.Fatal(err)
	}
	transporttest.ForEach(t, func(t *testing.T, scheme string) { testDeadAndFrozenPE(t, scheme, carrier) })
}

func testDeadAndFrozenPE(t *testing.T, scheme string, carrier transport.Profile) {
	for _, keep := range []bool{false, true} {
		name := "remove-on-association-loss"
		if keep {
			name = "keep-on-association-loss(RSPLIB)"
		}
		t.Run(name, func(t *testing.T) {
			cfg := ConfigForProfile(carrier)
			cfg.KeepOnAssociationLoss = keep
			r := startRegistrarOn(t, scheme, cfg, carrier)
			addr := asapAddr(r)
			cmds := make(map[uint32]int)
			for id := uint32(1); id <= 3; id++ {
				c := spawnPE(t, addr, "gwc", id)
				cmds[id] = c.Process.Pid
			}
			budget := cfg.KeepAliveInterval + cfg.KeepAliveTimeout
			for _, tc := range []struct {
				id  uint32
				sig syscall.Signal
			}{{1, syscall.SIGKILL}, {2, syscall.SIGSTOP}} {
				start := time.Now()
				if err := syscall.Kill(cmds[tc.id], tc.sig); err != nil {
					t.Fatal(err)
				}
				for resolvable(t.Context(), t, addr, "gwc", tc.id) {
					if time.Since(start) > 3*time.Second {
						t.Fatalf("PE %d still resolvable 3 s after %v", tc.id, tc.sig)
					}
					time.Sleep(2 * time.Millisecond)
				}
				took := time.Since(start)
				t.Logf("%s, carrier, %s: PE %d gone from resolutions %v after %v (keep-alive interval + timeout = %v)", scheme, name, tc.id, took.Round(time.Millisecond), tc.sig, budget)
				if took > 600*time.Millisecond {
					t.Errorf("PE %d took %v after %v, want <= 600 ms", tc.id, took, tc.sig)
				}
				if tc.sig == syscall.SIGSTOP {
					syscall.Kill(cmds[tc.id], syscall.SIGCONT)
				}
			}
			// the live PE stays
			time.Sleep(budget)
			if !resolvable(t.Context(), t, addr, "gwc", 3) {
				t.Fatal("live PE 3 removed")
			}
		})
	}
}

// TestPoliciesOverTCP registers 3 PEs per policy over TCP and resolves over
// TCP: round robin must cycle exactly; the others must use every PE the
// policy allows.
func TestPoliciesOverTCP(t *testing.T) {
	transporttest.TCPOnly(t, "TCP loopback test")
	r := startRegistrar(t, Config{})
	pe0 := dialRaw(t, r)
	pols := map[string][3]wire.Policy{
		"rr":   {rr, rr, rr},
		"wrr":  {{Type: wire.PolicyWeightedRoundRobin, Weight: 1}, {Type: wire.PolicyWeightedRoundRobin, Weight: 2}, {Type: wire.PolicyWeightedRoundRobin, Weight: 3}},
		"rnd":  {{Type: wire.PolicyRandom}, {Type: wire.PolicyRandom}, {Type: wire.PolicyRandom}},
		"wrd":  {{Type: wire.PolicyWeightedRandom, Weight: 1}, {Type: wire.PolicyWeightedRandom, Weight: 1}, {Type: wire.PolicyWeightedRandom, Weight: 1}},
		"lu":   {{Type: wire.PolicyLeastUsed, Load: wire.FractionOf(0.5)}, {Type: wire.PolicyLeastUsed, Load: wire.FractionOf(0.1)}, {Type: wire.PolicyLeastUsed, Load: wire.FractionOf(0.9)}},
		"pri":  {{Type: wire.PolicyPriority, Priority: 1}, {Type: wire.PolicyPriority, Priority: 9}, {Type: wire.PolicyPriority, Priority: 5}},
		"wdpf": {{Type: wire.PolicyWeightedRandomWithDPF, Weight: 1}, {Type: wire.PolicyWeightedRandomWithDPF, Weight: 1}, {Type: wire.PolicyWeightedRandomWithDPF, Weight: 1}},
	}
	// The deterministic least-used variants: with no degradation and no
	// distance, PE 2 (load 10%) is the least used at every pick.
	leastUsed := []wire.PolicyType{wire.PolicyLeastUsedWithDegradation, wire.PolicyPriorityLeastUsed,
		wire.PolicyPriorityLeastUsedWithDegradation, wire.PolicyLeastUsedWithDPF, wire.PolicyLeastUsedWithDegradationAndDPF}
	for _, typ := range leastUsed {
		pols[fmt.Sprintf("lu-%08x", uint32(typ))] = [3]wire.Policy{{Type: typ, Load: wire.FractionOf(0.5)}, {Type: typ, Load: wire.FractionOf(0.1)}, {Type: typ, Load: wire.FractionOf(0.9)}}
	}
	for name, ps := range pols {
		for i, p := range ps {
			pe0.send(reg(name, pe(uint32(i+1), uint16(7100+i), p)))
			if m, err := pe0.read(time.Second); err != nil || m.(*wire.RegistrationResponse).Reject {
				t.Fatalf("%s: %v %v", name, m, err)
			}
		}
	}
	pu := dialRaw(t, r)
	pick := func(pool string) wire.PEIdentifier {
		pu.send(&wire.HandleResolution{PoolHandle: wire.PoolHandle(pool), Option: &wire.HandleResolutionOption{Items: 1}})
		m, err := pu.read(time.Second)
		if err != nil {
			t.Fatal(err)
		}
		return m.(*wire.HandleResolutionResponse).PoolElements[0].Identifier
	}
	var seq []wire.PEIdentifier
	for range 30 {
		seq = append(seq, pick("rr"))
	}
	for i := 3; i < len(seq); i++ {
		if seq[i] != seq[i-3] || seq[i] == seq[i-1] {
			t.Fatalf("round robin over TCP not exact: %v", seq)
		}
	}
	counts := map[string]map[wire.PEIdentifier]int{}
	pools := []string{"wrr", "rnd", "wrd", "wdpf", "lu", "pri"}
	for _, typ := range leastUsed {
		pools = append(pools, fmt.Sprintf("lu-%08x", uint32(typ)))
	}
	for _, pool := range pools {
		counts[pool] = map[wire.PEIdentifier]int{}
		for range 600 {
			counts[pool][pick(pool)]++
		}
	}
	if c := counts["wrr"]; c[1] != 100 || c[2] != 200 || c[3] != 300 {
		t.Errorf("weighted round robin 1:2:3 over 600: %v", c)
	}
	for _, pool := range []string{"rnd", "wrd", "wdpf"} {
		for id := wire.PEIdentifier(1); id <= 3; id++ {
			if n := counts[pool][id]; n < 120 || n > 280 {
				t.Errorf("%s: PE %v picked %d of 600", pool, id, n)
			}
		}
	}
	for _, pool := range append([]string{"lu"}, pools[len(pools)-len(leastUsed):]...) {
		if c := counts[pool]; c[2] != 600 {
			t.Errorf("%s must pick the least loaded PE: %v", pool, c)
		}
	}
	if c := counts["pri"]; c[2] != 600 {
		t.Errorf("priority must pick the highest priority: %v", c)
	}
}

// TestServerAnnounceLoopback: announces go to a loopback UDP socket (never
// to the multicast group in tests).
func TestServerAnnounceLoopback(t *testing.T) {
	transporttest.TCPOnly(t, "TCP loopback test")
	conn, err := listenUDPLoopback()
	if err != nil {
		t.Skip(err)
	}
	defer conn.Close()
	r, err := Start(t.Context(), Options{Core: Config{ServerID: 0x77}, Listen: []string{"tcp://127.0.0.1:0"},
		Announce: conn.LocalAddr().String(), AnnounceInterval: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	buf := make([]byte, 1500)
	conn.SetReadDeadline(time.Now().Add(2 * time.Second))
	n, err := conn.Read(buf)
	if err != nil {
		t.Fatal(err)
	}
	m, _, err := wire.DecodeASAP(buf[:n])
	if err != nil {
		t.Fatal(err)
	}
	sa, ok := m.(*wire.ServerAnnounce)
	if !ok || sa.ServerID != 0x77 || len(sa.Transports) != 1 || sa.Transports[0].Kind != wire.TransportTCP {
		t.Fatalf("got %v", m)
	}
}
