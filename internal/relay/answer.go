package relay

import (
	"fmt"

	"github.com/sigpool/sigpool/mxua"
	"github.com/sigpool/sigpool/mxua/isup"
	"github.com/sigpool/sigpool/mxua/sccp"
	"github.com/sigpool/sigpool/mxua/tcap"
)

// Answer returns the answers to one M3UA or SUA message, computed from the
// message alone:
//   - ASP Up, ASP Down, ASP Active, ASP Inactive and BEAT get their Ack
//     (routing contexts, traffic mode and heartbeat data echoed), so an ASP
//     reaches ASP-ACTIVE through a relay that keeps no state;
//   - M3UA DATA goes back with OPC and DPC swapped, SUA CLDT with source
//     and destination swapped, carrying the answer of the far end: ISUP
//     IAM -> ACM and ANM, REL -> RLC; TCAP Begin or Continue -> End to the
//     sender's OTID (components echoed); other user data comes back as it
//     went;
//   - ISUP ACM, ANM, RLC, TCAP End, Abort and Unidirectional, and every
//     other message, need no answer (nil).
func Answer(m *mxua.Message) ([]*mxua.Message, error) {
	switch m.Kind {
	case mxua.KindASPUP, mxua.KindASPDN, mxua.KindASPAC, mxua.KindASPIA, mxua.KindBEAT:
		ack := &mxua.Message{Protocol: m.Protocol, Kind: mxua.NewKind(m.Kind.Class(), m.Kind.Type()+ackOffset(m.Kind)),
			RoutingContexts: m.RoutingContexts, TrafficMode: m.TrafficMode, HeartbeatData: m.HeartbeatData,
			ASPIdentifier: m.ASPIdentifier}
		if m.Kind != mxua.KindASPAC {
			ack.TrafficMode = mxua.TrafficModeNone
		}
		if m.Kind != mxua.KindASPUP {
			ack.ASPIdentifier = nil
		}
		return []*mxua.Message{ack}, nil
	case mxua.KindDATA:
		if m.ProtocolData == nil {
			return nil, fmt.Errorf("relay: DATA without protocol data")
		}
		return answerDATA(m)
	case mxua.KindCLDT:
		if m.SUA == nil {
			return nil, fmt.Errorf("relay: CLDT without SUA data")
		}
		return answerCLDT(m)
	}
	return nil, nil
}

// ackOffset is the distance from a request's type code to its Ack's
// (RFC 4666 3.1.3: ASPSM UP 1 -> 4, DN 2 -> 5, BEAT 3 -> 6; ASPTM AC 1 -> 3,
// IA 2 -> 4).
func ackOffset(k mxua.Kind) uint8 {
	if k.Class() == mxua.ClassASPSM {
		return 3
	}
	return 2
}

func answerDATA(m *mxua.Message) ([]*mxua.Message, error) {
	pd := *m.ProtocolData
	pd.OPC, pd.DPC = pd.DPC, pd.OPC
	reply := func(payload []byte) *mxua.Message {
		p := pd
		p.Payload = payload
		return &mxua.Message{Protocol: m.Protocol, Kind: mxua.KindDATA, RoutingContexts: m.RoutingContexts,
			NetworkAppearance: m.NetworkAppearance, ProtocolData: &p}
	}
	switch pd.SI {
	case 5:
		payloads, err := answerISUP(pd.Payload)
		if err != nil {
			return nil, err
		}
		out := make([]*mxua.Message, len(payloads))
		for i, p := range payloads {
			out[i] = reply(p)
		}
		return out, nil
	case 3:
		u, err := sccp.DecodeUDT(pd.Payload)
		if err != nil {
			return []*mxua.Message{reply(pd.Payload)}, nil // not a UDT: echoed
		}
		data, ok, err := answerTCAP(u.Data)
		if err != nil || !ok {
			return nil, err
		}
		u.CalledParty, u.CallingParty = u.CallingParty, u.CalledParty
		u.Data = data
		b, err := u.AppendTo(make([]byte, 0, 16+len(data)))
		if err != nil {
			return nil, fmt.Errorf("relay: encode UDT answer: %w", err)
		}
		return []*mxua.Message{reply(b)}, nil
	}
	return []*mxua.Message{reply(pd.Payload)}, nil
}

func answerCLDT(m *mxua.Message) ([]*mxua.Message, error) {
	data, ok, err := answerTCAP(m.SUA.Data)
	if err != nil || !ok {
		return nil, err
	}
	s := *m.SUA
	s.Source, s.Destination = s.Destination, s.Source
	s.Data = data
	return []*mxua.Message{{Protocol: m.Protocol, Kind: mxua.KindCLDT, RoutingContexts: m.RoutingContexts, SUA: &s}}, nil
}

func answerISUP(b []byte) ([][]byte, error) {
	cic, err := isup.CIC(b)
	if err != nil || len(b) < 3 {
		return nil, fmt.Errorf("relay: ISUP: %w", err)
	}
	var out []isup.Message
	switch isup.MessageType(b[2]) {
	case isup.MsgIAM:
		out = []isup.Message{&isup.ACM{CIC: cic, BackwardCall: 0x1416}, &isup.ANM{CIC: cic}}
	case isup.MsgREL:
		out = []isup.Message{&isup.RLC{CIC: cic}}
	}
	payloads := make([][]byte, len(out))
	for i, x := range out {
		if payloads[i], err = x.AppendTo(nil); err != nil {
			return nil, fmt.Errorf("relay: encode ISUP %v: %w", x.MessageType(), err)
		}
	}
	return payloads, nil
}

// answerTCAP returns the End that answers a Begin or Continue; ok is false
// for messages that need no answer.
func answerTCAP(b []byte) ([]byte, bool, error) {
	m, err := tcap.Decode(b)
	if err != nil {
		return nil, false, fmt.Errorf("relay: TCAP: %w", err)
	}
	switch m.Type {
	case tcap.Begin, tcap.Continue:
		end := tcap.Message{Type: tcap.End, DTID: m.OTID, Components: m.Components}
		out, err := end.AppendTo(make([]byte, 0, 8+len(m.Components)))
		if err != nil {
			return nil, false, fmt.Errorf("relay: encode TCAP End: %w", err)
		}
		return out, true, nil
	}
	return nil, false, nil
}
