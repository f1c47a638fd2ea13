package mxua

import (
	"context"
	"testing"
	"time"

	"github.com/sigpool/sigpool/internal/transporttest"
	"github.com/sigpool/sigpool/transport"
)

// ipspPair connects a listening and a dialing IPSP end over TCP on the
// host, kernel SCTP in the VM (testScheme).
func ipspPair(t *testing.T, listenCfg, dialCfg IPSPConfig) (listener, dialer *IPSPEndpoint) {
	t.Helper()
	ctx := driverCtx(t, 10*time.Second)
	prof := carrier(t)
	addr := make(chan string, 1)
	type result struct {
		e   *IPSPEndpoint
		err error
	}
	done := make(chan result, 1)
	go func() {
		e, err := ListenIPSP(ctx, IPSPEndpointConfig{
			Address: transporttest.Scheme(t) + "://127.0.0.1:0", Transport: transport.Config{Profile: prof}, IPSP: listenCfg,
		}, func(l transport.Listener) { addr <- transporttest.Scheme(t) + "://" + l.Addrs()[0].String() })
		done <- result{e, err}
	}()
	var a string
	select {
	case a = <-addr:
	case r := <-done:
		t.Fatalf("listen: %v", r.err)
	}
	d, err := DialIPSP(ctx, IPSPEndpointConfig{Address: a, Transport: transport.Config{Profile: prof}, IPSP: dialCfg})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = d.Close() })
	r := <-done
	if r.err != nil {
		t.Fatal(r.err)
	}
	t.Cleanup(func() { _ = r.e.Close() })
	return r.e, d
}

func TestIPSP(t *testing.T) {
	for _, c := range []struct {
		name                     string
		exchange                 IPSPExchange
		lOwn, lPeer, dOwn, dPeer ASPState
	}{
		// The dialer initiates; the listener only answers.
		{"single", IPSPSingleExchange, ASPDown, ASPActive, ASPActive, ASPDown},
		{"double", IPSPDoubleExchange, ASPActive, ASPActive, ASPActive, ASPActive},
	} {
		t.Run(c.name, func(t *testing.T) {
			ctx := driverCtx(t, 10*time.Second)
			base := IPSPConfig{Protocol: M3UA, Exchange: c.exchange, RoutingContexts: []uint32{9}, TrafficMode: TrafficModeOverride}
			lc, dc := base, base
			dc.Initiator = true
			l, d := ipspPair(t, lc, dc)
			ln, dn := notes{t, l.Notifications()}, notes{t, d.Notifications()}
			for _, e := range []*IPSPEndpoint{l, d} {
				if err := e.WaitState(ctx, ASPActive); err != nil {
					t.Fatal(err)
				}
			}
			// Both ends settle: the double exchange finishes its second
			// handshake a moment after the first made the link active.
			deadline := time.Now().Add(2 * time.Second)
			for {
				lo, lp, err1 := l.States(ctx)
				do, dp, err2 := d.States(ctx)
				if err1 != nil || err2 != nil {
					t.Fatal(err1, err2)
				}
				if lo == c.lOwn && lp == c.lPeer && do == c.dOwn && dp == c.dPeer {
					break
				}
				if time.Now().After(deadline) {
					t.Fatalf("listener own %v peer %v, dialer own %v peer %v", lo, lp, do, dp)
				}
				time.Sleep(5 * time.Millisecond)
			}
			const n = 100
			for i := range n {
				if err := d.Send(ctx, dataMsg(1, 2, uint8(i%16), i)); err != nil {
					t.Fatal(err)
				}
			}
			checkOrder(t, "dialer->listener", n, 9, func() Notify {
				return ln.wait("DATA at the listener", 3*time.Second, func(x Notify) bool {
					if x.Kind == NotifyDiscarded || x.Kind == NotifyError {
						t.Fatalf("listener: %+v", x)
					}
					return x.Kind == NotifyDeliver
				})
			})
			for i := range n {
				if err := l.Send(ctx, dataMsg(2, 1, uint8(i%16), i)); err != nil {
					t.Fatal(err)
				}
			}
			checkOrder(t, "listener->dialer", n, 9, func() Notify {
				return dn.wait("DATA at the dialer", 3*time.Second, func(x Notify) bool {
					if x.Kind == NotifyDiscarded || x.Kind == NotifyError {
						t.Fatalf("dialer: %+v", x)
					}
					return x.Kind == NotifyDeliver
				})
			})
			// BEATs go both ways and are answered once each: after several
			// carrier periods nobody has declared the other lost.
			time.Sleep(500 * time.Millisecond)
			for name, nn := range map[string]notes{"listener": ln, "dialer": dn} {
				for drained := false; !drained; {
					select {
					case x := <-nn.ch:
						if x.Kind == NotifyPeerLost || x.Kind == NotifyError {
							t.Fatalf("%s: %+v", name, x)
						}
					default:
						drained = true
					}
				}
			}
			if l.State() != ASPActive || d.State() != ASPActive {
				t.Fatalf("after BEATs: listener %v, dialer %v", l.State(), d.State())
			}
			// One end goes away: the other is down.
			_ = d.Close()
			wctx, cancel := context.WithTimeout(ctx, 2*time.Second)
			defer cancel()
			if err := l.WaitState(wctx, ASPDown); err != nil {
				t.Fatal(err)
			}
		})
	}
}
