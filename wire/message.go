package wire

import (
	"encoding/binary"
	"fmt"
)

// Protocol is ASAP or ENRP.
type Protocol uint8

// Protocols, with the SCTP payload protocol identifiers they travel under.
const (
	ProtocolASAP Protocol = 1
	ProtocolENRP Protocol = 2

	PPIDASAP = 11
	PPIDENRP = 12
)

func (p Protocol) String() string {
	switch p {
	case ProtocolASAP:
		return "ASAP"
	case ProtocolENRP:
		return "ENRP"
	}
	return fmt.Sprintf("protocol %d", uint8(p))
}

// PPID returns the SCTP payload protocol identifier of p.
func (p Protocol) PPID() uint32 {
	switch p {
	case ProtocolASAP:
		return PPIDASAP
	case ProtocolENRP:
		return PPIDENRP
	}
	return 0
}

// MessageType names a message: the protocol in the high byte, the wire type
// code in the low byte (ASAP and ENRP codes overlap).
type MessageType uint16

// ASAP message types (RFC 5352, section 2.2).
const (
	ASAPRegistration             MessageType = 0x0101
	ASAPDeregistration           MessageType = 0x0102
	ASAPRegistrationResponse     MessageType = 0x0103
	ASAPDeregistrationResponse   MessageType = 0x0104
	ASAPHandleResolution         MessageType = 0x0105
	ASAPHandleResolutionResponse MessageType = 0x0106
	ASAPEndpointKeepAlive        MessageType = 0x0107
	ASAPEndpointKeepAliveAck     MessageType = 0x0108
	ASAPEndpointUnreachable      MessageType = 0x0109
	ASAPServerAnnounce           MessageType = 0x010a
	ASAPCookie                   MessageType = 0x010b
	ASAPCookieEcho               MessageType = 0x010c
	ASAPBusinessCard             MessageType = 0x010d
	ASAPError                    MessageType = 0x010e
)

// ENRP message types (RFC 5353, section 2).
const (
	ENRPPresence            MessageType = 0x0201
	ENRPHandleTableRequest  MessageType = 0x0202
	ENRPHandleTableResponse MessageType = 0x0203
	ENRPHandleUpdate        MessageType = 0x0204
	ENRPListRequest         MessageType = 0x0205
	ENRPListResponse        MessageType = 0x0206
	ENRPInitTakeover        MessageType = 0x0207
	ENRPInitTakeoverAck     MessageType = 0x0208
	ENRPTakeoverServer      MessageType = 0x0209
	ENRPError               MessageType = 0x020a
)

var asapNames = [...]string{
	"", "Registration", "Deregistration", "Registration Response",
	"Deregistration Response", "Handle Resolution", "Handle Resolution Response",
	"Endpoint Keep-Alive", "Endpoint Keep-Alive Ack", "Endpoint Unreachable",
	"Server Announce", "Cookie", "Cookie Echo", "Business Card", "Error",
}

var enrpNames = [...]string{
	"", "Presence", "Handle Table Request", "Handle Table Response",
	"Handle Update", "List Request", "List Response", "Init Takeover",
	"Init Takeover Ack", "Takeover Server", "Error",
}

// Protocol returns the protocol of t.
func (t MessageType) Protocol() Protocol { return Protocol(t >> 8) }

// Code returns the type code in the message header.
func (t MessageType) Code() uint8 { return uint8(t) }

func (t MessageType) String() string {
	var names []string
	switch t.Protocol() {
	case ProtocolASAP:
		names = asapNames[:]
	case ProtocolENRP:
		names = enrpNames[:]
	}
	if c := int(t.Code()); c < len(names) && names[c] != "" {
		return t.Protocol().String() + " " + names[c]
	}
	return fmt.Sprintf("%s message type 0x%02x", t.Protocol(), t.Code())
}

// Message is a decoded or to-be-encoded ASAP or ENRP message. The concrete
// types are pointers to the message structs of this package.
type Message interface {
	// Type returns the message type.
	Type() MessageType
	// AppendTo appends the encoded message to b.
	AppendTo(b []byte) ([]byte, error)
	// decode fills the message from the body [off, end) of d's buffer.
	decode(d *decoder, flags uint8, off, end int) error
}

// Marshal encodes m into a new slice.
func Marshal(m Message) ([]byte, error) {
	return m.AppendTo(make([]byte, 0, 128))
}

// Flag bits (RFC 5352, RFC 5353, and RSPLIB's takeover-suggested bit).
const (
	flagReject          = 0x01 // Registration Response, Handle Table Response, List Response
	flagHome            = 0x01 // Endpoint Keep-Alive: sender becomes the home registrar
	flagReplyRequired   = 0x01 // Presence
	flagOwnChildrenOnly = 0x01 // Handle Table Request
	flagMoreToSend      = 0x02 // Handle Table Response
	flagTakeover        = 0x01 // Handle Update: takeover suggested
)

func flag(set bool, bit uint8) uint8 {
	if set {
		return bit
	}
	return 0
}

// newMessageEncoder starts a message: header with a length to fill in.
// Flags not defined for a message type are sent as zero and ignored on
// receipt.
func newMessageEncoder(b []byte, t MessageType, flags uint8) encoder {
	e := encoder{b: b, start: len(b), msg: t}
	e.b = append(e.b, t.Code(), flags, 0, 0)
	return e
}

// finish fills in the message length, which includes the padding of the
// last parameter, and returns the buffer.
func (e *encoder) finish() ([]byte, error) {
	if e.err == nil {
		l := len(e.b) - e.start
		if l > maxLength {
			e.fail(0, ErrTooLong, "message is %d bytes", l)
		} else {
			binary.BigEndian.PutUint16(e.b[e.start+2:], uint16(l))
		}
	}
	return e.result()
}

// DecodeASAP decodes one ASAP message that fills b exactly. Reports are the
// "skip and report" causes the receiver owes the sender; see the package
// documentation.
func DecodeASAP(b []byte) (Message, []ErrorCause, error) {
	return decodeMessage(b, ProtocolASAP)
}

// DecodeENRP decodes one ENRP message that fills b exactly.
func DecodeENRP(b []byte) (Message, []ErrorCause, error) {
	return decodeMessage(b, ProtocolENRP)
}

// decodeBody decodes the body of a message of type t, or returns nil for
// an unknown type. The calls are concrete, not through the Message
// interface, so the decoder stays on the stack.
func decodeBody(d *decoder, t MessageType, flags uint8, off, end int) (Message, error) {
	switch t {
	case ASAPRegistration:
		m := new(Registration)
		return m, m.decode(d, flags, off, end)
	case ASAPDeregistration:
		m := new(Deregistration)
		return m, m.decode(d, flags, off, end)
	case ASAPRegistrationResponse:
		m := new(RegistrationResponse)
		return m, m.decode(d, flags, off, end)
	case ASAPDeregistrationResponse:
		m := new(DeregistrationResponse)
		return m, m.decode(d, flags, off, end)
	case ASAPHandleResolution:
		m := new(HandleResolution)
		return m, m.decode(d, flags, off, end)
	case ASAPHandleResolutionResponse:
		m := new(HandleResolutionResponse)
		return m, m.decode(d, flags, off, end)
	case ASAPEndpointKeepAlive:
		m := new(EndpointKeepAlive)
		return m, m.decode(d, flags, off, end)
	case ASAPEndpointKeepAliveAck:
		m := new(EndpointKeepAliveAck)
		return m, m.decode(d, flags, off, end)
	case ASAPEndpointUnreachable:
		m := new(EndpointUnreachable)
		return m, m.decode(d, flags, off, end)
	case ASAPServerAnnounce:
		m := new(ServerAnnounce)
		return m, m.decode(d, flags, off, end)
	case ASAPCookie:
		m := new(CookieMessage)
		return m, m.decode(d, flags, off, end)
	case ASAPCookieEcho:
		m := new(CookieEcho)
		return m, m.decode(d, flags, off, end)
	case ASAPBusinessCard:
		m := new(BusinessCard)
		return m, m.decode(d, flags, off, end)
	case ASAPError:
		m := new(ASAPErrorMessage)
		return m, m.decode(d, flags, off, end)
	case ENRPPresence:
		m := new(Presence)
		return m, m.decode(d, flags, off, end)
	case ENRPHandleTableRequest:
		m := new(HandleTableRequest)
		return m, m.decode(d, flags, off, end)
	case ENRPHandleTableResponse:
		m := new(HandleTableResponse)
		return m, m.decode(d, flags, off, end)
	case ENRPHandleUpdate:
		m := new(HandleUpdate)
		return m, m.decode(d, flags, off, end)
	case ENRPListRequest:
		m := new(ListRequest)
		return m, m.decode(d, flags, off, end)
	case ENRPListResponse:
		m := new(ListResponse)
		return m, m.decode(d, flags, off, end)
	case ENRPInitTakeover:
		m := new(InitTakeover)
		return m, m.decode(d, flags, off, end)
	case ENRPInitTakeoverAck:
		m := new(InitTakeoverAck)
		return m, m.decode(d, flags, off, end)
	case ENRPTakeoverServer:
		m := new(TakeoverServer)
		return m, m.decode(d, flags, off, end)
	case ENRPError:
		m := new(ENRPErrorMessage)
		return m, m.decode(d, flags, off, end)
	}
	return nil, nil
}

// maxReportedMessage keeps an "unrecognized message" cause small enough for
// an ENRP Error (message header 4, server IDs 8, parameter header 4) to
// carry it with its cause header and padding.
const maxReportedMessage = (maxLength-16)&^3 - causeHeaderLen

func decodeMessage(b []byte, p Protocol) (Message, []ErrorCause, error) {
	d := decoder{b: b}
	if len(b) > 0 {
		d.msg = MessageType(p)<<8 | MessageType(b[0])
	}
	if len(b) < messageHeaderLen {
		return nil, nil, d.fail(0, 0, ErrTruncated, "%d bytes, a message header needs 4", len(b))
	}
	l := int(d.be16(2))
	switch {
	case l < messageHeaderLen:
		return nil, nil, d.fail(2, 0, ErrLength, "message length %d is shorter than its 4-byte header", l)
	case l > len(b):
		return nil, nil, d.fail(2, 0, ErrLength, "message length %d exceeds the %d bytes received", l, len(b))
	case l < len(b):
		return nil, nil, d.fail(l, 0, ErrLength, "%d bytes follow the message of length %d", len(b)-l, l)
	}
	m, err := decodeBody(&d, d.msg, b[1], messageHeaderLen, l)
	switch {
	case err != nil:
		return nil, nil, err
	case m == nil:
		e := d.fail(0, 0, ErrUnrecognizedMessage, "type code 0x%02x", b[0])
		e.Reports = []ErrorCause{UnrecognizedMessageCause(b[:min(l, maxReportedMessage)])}
		return nil, nil, e
	}
	return m, d.reports, nil
}

// fixed checks that the body has n bytes of fixed fields before its
// parameters.
func (d *decoder) fixed(off, end, n int, what string) error {
	if end-off < n {
		return d.fail(off, 0, ErrTruncated, "%d bytes left, %s needs %d", end-off, what, n)
	}
	return nil
}
