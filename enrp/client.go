package enrp

import (
	"context"
	"crypto/tls"
	"fmt"

	"github.com/sigpool/sigpool/transport"
	"github.com/sigpool/sigpool/wire"
)

// maxTableBlocks bounds a handle-table download, so that a registrar that
// keeps setting the M flag cannot keep a client forever.
const maxTableBlocks = 100000

// Client reaches a registrar as a one-shot tool does (sigpool pool): one
// association per call, with its heartbeat profile and, when TLS is set,
// mutually authenticated TLS (a client configuration).
type Client struct {
	Profile transport.Profile
	TLS     *tls.Config
}

func dialProto(ctx context.Context, address string, proto wire.Protocol, c Client) (transport.Association, error) {
	addr, framing, err := ParseListenAddress(address)
	if err != nil {
		return nil, fmt.Errorf("registrar address %q: %w", address, err)
	}
	a, err := transport.Dial(ctx, addr, transport.Config{Profile: c.Profile, Framing: framing, PPID: proto.PPID(), TLS: c.TLS})
	if err != nil {
		return nil, fmt.Errorf("connecting to registrar %s: %w", address, err)
	}
	return a, nil
}

// FetchHandleTable reads a registrar's whole handlespace with ENRP Handle
// Table Requests (RFC 5353 section 3.2.2, as RSPLIB's hsdump does) on its
// ENRP address, following the M flag. PEs carry their ASAP transports.
func FetchHandleTable(ctx context.Context, address string, profile transport.Profile) (serverID uint32, entries []wire.PoolEntry, err error) {
	return Client{Profile: profile}.FetchHandleTable(ctx, address)
}

// FetchHandleTable is the package's FetchHandleTable with c's settings.
func (c Client) FetchHandleTable(ctx context.Context, address string) (serverID uint32, entries []wire.PoolEntry, err error) {
	a, err := dialProto(ctx, address, wire.ProtocolENRP, c)
	if err != nil {
		return 0, nil, err
	}
	defer a.Close()
	return fetchTable(ctx, a, address, 0)
}

// fetchTable reads the handle table over a: Handle Table Requests, sent
// from server ID sender (0: none, as tools do), while the registrar says
// it has more to send.
func fetchTable(ctx context.Context, a transport.Association, address string, sender uint32) (serverID uint32, entries []wire.PoolEntry, err error) {
	from := ""
	if sender != 0 {
		from = fmt.Sprintf(" from peer 0x%08x", sender)
	}
	for range maxTableBlocks {
		req := wire.HandleTableRequest{SenderServerID: sender}
		if sender != 0 {
			req.ReceiverServerID = serverID
		}
		b, _ := wire.Marshal(&req)
		if err := a.Send(ctx, transport.Message{PPID: wire.PPIDENRP, Data: b}); err != nil {
			return 0, nil, fmt.Errorf("sending Handle Table Request to %s: %w", address, err)
		}
		resp, err := recvENRP(ctx, a, address)
		if err != nil {
			return 0, nil, err
		}
		if resp.Reject {
			return 0, nil, fmt.Errorf("registrar %s (0x%08x) rejected the Handle Table Request%s", address, resp.SenderServerID, from)
		}
		serverID = resp.SenderServerID
		for _, e := range resp.Entries {
			if n := len(entries); n > 0 && string(entries[n-1].PoolHandle) == string(e.PoolHandle) {
				entries[n-1].PoolElements = append(entries[n-1].PoolElements, e.PoolElements...)
				continue
			}
			entries = append(entries, e)
		}
		if !resp.MoreToSend {
			return serverID, entries, nil
		}
	}
	return 0, nil, fmt.Errorf("registrar %s sent more than %d handle-table blocks", address, maxTableBlocks)
}

func recvENRP(ctx context.Context, a transport.Association, address string) (*wire.HandleTableResponse, error) {
	for {
		m, err := a.Recv(ctx)
		if err != nil {
			return nil, fmt.Errorf("waiting for Handle Table Response from %s: %w", address, err)
		}
		msg, _, err := wire.DecodeENRP(m.Data)
		if err != nil {
			return nil, fmt.Errorf("Handle Table Response from %s: %w", address, err)
		}
		switch msg := msg.(type) {
		case *wire.HandleTableResponse:
			return msg, nil
		case *wire.ENRPErrorMessage:
			return nil, fmt.Errorf("registrar %s answered with an error: %v", address, msg.Error)
		}
	}
}

// Resolve sends one ASAP Handle Resolution to a registrar's ASAP address;
// items 0 leaves the number to the registrar (no Handle Resolution Option).
// A response carrying an Operation Error is returned with an error that
// wraps the cause (wire.ErrorCause).
func Resolve(ctx context.Context, address string, profile transport.Profile, handle wire.PoolHandle, items uint32) (*wire.HandleResolutionResponse, error) {
	return Client{Profile: profile}.Resolve(ctx, address, handle, items)
}

// Resolve is the package's Resolve with c's settings.
func (c Client) Resolve(ctx context.Context, address string, handle wire.PoolHandle, items uint32) (*wire.HandleResolutionResponse, error) {
	a, err := dialProto(ctx, address, wire.ProtocolASAP, c)
	if err != nil {
		return nil, err
	}
	defer a.Close()
	req := &wire.HandleResolution{PoolHandle: handle}
	if items > 0 {
		req.Option = &wire.HandleResolutionOption{Items: items}
	}
	b, err := wire.Marshal(req)
	if err != nil {
		return nil, fmt.Errorf("encoding Handle Resolution for %v: %w", handle, err)
	}
	if err := a.Send(ctx, transport.Message{PPID: wire.PPIDASAP, Data: b}); err != nil {
		return nil, fmt.Errorf("sending Handle Resolution to %s: %w", address, err)
	}
	for {
		m, err := a.Recv(ctx)
		if err != nil {
			return nil, fmt.Errorf("waiting for Handle Resolution Response from %s: %w", address, err)
		}
		msg, _, err := wire.DecodeASAP(m.Data)
		if err != nil {
			return nil, fmt.Errorf("Handle Resolution Response from %s: %w", address, err)
		}
		switch msg := msg.(type) {
		case *wire.HandleResolutionResponse:
			if msg.Error != nil && len(msg.Error.Causes) > 0 {
				return msg, fmt.Errorf("registrar %s cannot resolve %v: %w", address, handle, msg.Error.Causes[0])
			}
			return msg, nil
		case *wire.ASAPErrorMessage:
			return nil, fmt.Errorf("registrar %s answered with an error: %v", address, msg.Error)
		}
	}
}
