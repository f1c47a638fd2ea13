package enrp

import (
	"context"
	"net/netip"
	"testing"
	"time"

	"github.com/sigpool/sigpool/internal/transporttest"
	"github.com/sigpool/sigpool/transport"
	"github.com/sigpool/sigpool/wire"
)

// rsplibLikeRegistrar answers Handle Table Requests as RSPLIB 3.4.4 does:
// rejected unless a Presence from the sender's server ID came first. It
// returns what it received.
func rsplibLikeRegistrar(t *testing.T, scheme string) (string, <-chan []wire.Message) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	t.Cleanup(cancel)
	cfg := transport.Config{Framing: transport.FramingRSerPool, PPID: wire.PPIDENRP}
	ln, err := transport.Listen(ctx, scheme+"://127.0.0.1:0", cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { ln.Close() })
	got := make(chan []wire.Message, 1)
	go func() {
		var seen []wire.Message
		defer func() { got <- seen }()
		a, err := ln.Accept(ctx)
		if err != nil {
			return
		}
		defer a.Abort()
		peers := map[uint32]bool{}
		for {
			m, err := a.Recv(ctx)
			if err != nil {
				return
			}
			msg, _, err := wire.DecodeENRP(m.Data)
			if err != nil {
				return
			}
			seen = append(seen, msg)
			var resp *wire.HandleTableResponse
			switch msg := msg.(type) {
			case *wire.Presence:
				if msg.ServerInformation != nil && len(msg.ServerInformation.Transport.Addresses) > 0 {
					peers[msg.SenderServerID] = true
				}
				continue
			case *wire.HandleTableRequest:
				resp = &wire.HandleTableResponse{SenderServerID: 0x77, ReceiverServerID: msg.SenderServerID, Reject: !peers[msg.SenderServerID]}
				if !resp.Reject {
					resp.Entries = []wire.PoolEntry{{PoolHandle: wire.PoolHandle("EchoPool"), PoolElements: []wire.PoolElement{{
						Identifier: 0x1234, HomeRegistrar: 0x77, RegistrationLife: 90000,
						UserTransport: wire.Transport{Kind: wire.TransportSCTP, Port: 7, Addresses: []netip.Addr{ln.Addrs()[0].Addr()}},
						Policy:        wire.Policy{Type: wire.PolicyRoundRobin},
					}}}}
				}
			default:
				continue
			}
			b, err := wire.Marshal(resp)
			if err != nil || a.Send(ctx, transport.Message{PPID: wire.PPIDENRP, Data: b}) != nil {
				return
			}
		}
	}()
	return scheme + "://" + ln.Addrs()[0].String(), got
}

func TestFetchHandleTableAsPeerIntroducesItself(t *testing.T) {
	transporttest.ForEach(t, func(t *testing.T, scheme string) {
		addr, got := rsplibLikeRegistrar(t, scheme)
		id, entries, err := Client{}.FetchHandleTableAsPeer(t.Context(), addr, 0x5eed)
		if err != nil {
			t.Fatal(err)
		}
		if id != 0x77 || len(entries) != 1 || string(entries[0].PoolHandle) != "EchoPool" || len(entries[0].PoolElements) != 1 {
			t.Fatalf("registrar %#x, entries %+v", id, entries)
		}
		seen := <-got
		if len(seen) < 2 {
			t.Fatalf("registrar saw %v", seen)
		}
		p, ok := seen[0].(*wire.Presence)
		if !ok || p.SenderServerID != 0x5eed || p.ServerInformation == nil || p.ServerInformation.ServerID != 0x5eed ||
			p.ServerInformation.Transport.Port == 0 {
			t.Fatalf("first message %+v: want a Presence from 0x5eed with its transport", seen[0])
		}
		if r, ok := seen[1].(*wire.HandleTableRequest); !ok || r.SenderServerID != 0x5eed {
			t.Fatalf("second message %+v: want a Handle Table Request from 0x5eed", seen[1])
		}
	})
}

func TestFetchHandleTableAsPeerRejected(t *testing.T) {
	transporttest.ForEach(t, func(t *testing.T, scheme string) {
		addr, _ := rsplibLikeRegistrar(t, scheme)
		// The plain request carries sender 0, which this registrar refuses.
		if _, _, err := (Client{}).FetchHandleTable(t.Context(), addr); err == nil {
			t.Fatal("a Handle Table Request from an unknown peer was answered")
		}
	})
}

func TestFetchHandleTableAsPeerFromSigpoolRegistrar(t *testing.T) {
	transporttest.ForEach(t, func(t *testing.T, scheme string) {
		r := startRegistrarOn(t, scheme, Config{ServerID: 0x4242}, transport.Profile{})
		id, entries, err := Client{}.FetchHandleTableAsPeer(t.Context(), r.Addrs(wire.ProtocolENRP)[0], 0)
		if err != nil || id != 0x4242 || len(entries) != 0 {
			t.Fatalf("registrar %#x, entries %v, %v", id, entries, err)
		}
	})
}
