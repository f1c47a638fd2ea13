package enrp

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"fmt"
	"net/netip"

	"github.com/sigpool/sigpool/transport"
	"github.com/sigpool/sigpool/wire"
)

// FetchHandleTableAsPeer reads a registrar's handlespace as a peer
// registrar does: a Presence announcing serverID (random when 0) and the
// association's local transport, then Handle Table Requests sent from that
// server ID. RSPLIB 3.4.4 rejects a Handle Table Request whose sender is not
// in its peer list (RFC 5353 section 3.2.2 leaves the choice open), and a
// Presence is what puts a server in it; sigpool's registrar answers either
// way. hsdump works the same way.
func (c Client) FetchHandleTableAsPeer(ctx context.Context, address string, serverID uint32) (uint32, []wire.PoolEntry, error) {
	if serverID == 0 {
		var b [4]byte
		if _, err := rand.Read(b[:]); err != nil {
			return 0, nil, fmt.Errorf("choosing a server ID: %w", err)
		}
		serverID = binary.BigEndian.Uint32(b[:]) | 1
	}
	a, err := dialProto(ctx, address, wire.ProtocolENRP, c)
	if err != nil {
		return 0, nil, err
	}
	defer a.Close()
	presence, err := wire.Marshal(&wire.Presence{
		SenderServerID:    serverID,
		ServerInformation: &wire.ServerInformation{ServerID: serverID, Transport: localServerTransport(a)},
	})
	if err != nil {
		return 0, nil, fmt.Errorf("encoding Presence for %s: %w", address, err)
	}
	if err := a.Send(ctx, transport.Message{PPID: wire.PPIDENRP, Data: presence}); err != nil {
		return 0, nil, fmt.Errorf("sending Presence to %s: %w", address, err)
	}
	return fetchTable(ctx, a, address, serverID)
}

// localServerTransport describes the association's local end as a Server
// Information transport. Loopback addresses go last: RSPLIB drops them, and
// a transport left with no address is refused.
func localServerTransport(a transport.Association) wire.Transport {
	t := wire.Transport{Kind: wire.TransportSCTP, Use: wire.TransportUseDataOnly}
	if a.LocalAddrs() == nil {
		return t
	}
	var loop []netip.Addr
	for _, ap := range a.LocalAddrs() {
		t.Port = ap.Port()
		if ad := ap.Addr().Unmap(); ad.IsLoopback() {
			loop = append(loop, ad)
		} else {
			t.Addresses = append(t.Addresses, ad)
		}
	}
	t.Addresses = append(t.Addresses, loop...)
	return t
}
