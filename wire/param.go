package wire

import "fmt"

// ParamType is the 16-bit type of an RSerPool parameter (RFC 5354, section
// 2). Its top two bits tell a receiver what to do with a type it does not
// know; see Action.
type ParamType uint16

// Parameter types of RFC 5354, and the Handle Resolution Option of
// draft-dreibholz-rserpool-asap-hropt that RSPLIB sends.
const (
	ParamIPv4Address               ParamType = 0x0001
	ParamIPv6Address               ParamType = 0x0002
	ParamDCCPTransport             ParamType = 0x0003
	ParamSCTPTransport             ParamType = 0x0004
	ParamTCPTransport              ParamType = 0x0005
	ParamUDPTransport              ParamType = 0x0006
	ParamUDPLiteTransport          ParamType = 0x0007
	ParamPoolMemberSelectionPolicy ParamType = 0x0008
	ParamPoolHandle                ParamType = 0x0009
	ParamPoolElement               ParamType = 0x000a
	ParamServerInformation         ParamType = 0x000b
	ParamOperationError            ParamType = 0x000c
	ParamCookie                    ParamType = 0x000d
	ParamPEIdentifier              ParamType = 0x000e
	ParamPEChecksum                ParamType = 0x000f
	ParamHandleResolutionOption    ParamType = 0x803f
)

var paramNames = [...]string{
	ParamIPv4Address:               "IPv4 Address",
	ParamIPv6Address:               "IPv6 Address",
	ParamDCCPTransport:             "DCCP Transport",
	ParamSCTPTransport:             "SCTP Transport",
	ParamTCPTransport:              "TCP Transport",
	ParamUDPTransport:              "UDP Transport",
	ParamUDPLiteTransport:          "UDP-Lite Transport",
	ParamPoolMemberSelectionPolicy: "Pool Member Selection Policy",
	ParamPoolHandle:                "Pool Handle",
	ParamPoolElement:               "Pool Element",
	ParamServerInformation:         "Server Information",
	ParamOperationError:            "Operation Error",
	ParamCookie:                    "Cookie",
	ParamPEIdentifier:              "PE Identifier",
	ParamPEChecksum:                "PE Checksum",
}

func (t ParamType) String() string {
	if int(t) < len(paramNames) && paramNames[t] != "" {
		return paramNames[t]
	}
	if t == ParamHandleResolutionOption {
		return "Handle Resolution Option"
	}
	return fmt.Sprintf("unknown parameter 0x%04x", uint16(t))
}

// ParamAction is what a receiver does with a parameter type it does not
// recognize: the top two bits of the type.
type ParamAction uint8

// Actions of RFC 5354, section 2.
const (
	ActionStop       ParamAction = 0 // stop processing, discard the message
	ActionStopReport ParamAction = 1 // as ActionStop, and report the parameter
	ActionSkip       ParamAction = 2 // skip the parameter, continue
	ActionSkipReport ParamAction = 3 // skip, continue, and report the parameter
)

// Action returns the unrecognized-parameter action encoded in t.
func (t ParamType) Action() ParamAction { return ParamAction(t >> 14) }

// One bit per known parameter type, for the allowed/required sets of a
// message body.
const (
	bitIPv4Address            = 1 << ParamIPv4Address
	bitIPv6Address            = 1 << ParamIPv6Address
	bitTransports             = 1<<ParamDCCPTransport | 1<<ParamSCTPTransport | 1<<ParamTCPTransport | 1<<ParamUDPTransport | 1<<ParamUDPLiteTransport
	bitPolicy                 = 1 << ParamPoolMemberSelectionPolicy
	bitPoolHandle             = 1 << ParamPoolHandle
	bitPoolElement            = 1 << ParamPoolElement
	bitServerInformation      = 1 << ParamServerInformation
	bitOperationError         = 1 << ParamOperationError
	bitCookie                 = 1 << ParamCookie
	bitPEIdentifier           = 1 << ParamPEIdentifier
	bitPEChecksum             = 1 << ParamPEChecksum
	bitHandleResolutionOption = 1 << 16
)

func paramBit(t ParamType) uint32 {
	switch {
	case t >= ParamIPv4Address && t <= ParamPEChecksum:
		return 1 << t
	case t == ParamHandleResolutionOption:
		return bitHandleResolutionOption
	}
	return 0
}

func (t ParamType) known() bool { return paramBit(t) != 0 }

func isTransport(t ParamType) bool { return t >= ParamDCCPTransport && t <= ParamUDPLiteTransport }

// Parameter is any RSerPool parameter value. AppendTo appends the complete
// parameter (header, value and padding).
type Parameter interface {
	ParamType() ParamType
	AppendTo(b []byte) ([]byte, error)
}

// UnknownParameter is a parameter whose type this package does not know, as
// returned by DecodeParameter. Value excludes the header and padding.
type UnknownParameter struct {
	Type  ParamType
	Value []byte
}

// ParamType returns u.Type.
func (u UnknownParameter) ParamType() ParamType { return u.Type }

// AppendTo appends u as it was received.
func (u UnknownParameter) AppendTo(b []byte) ([]byte, error) {
	e := paramEncoder(b)
	s := e.begin(u.Type)
	e.b = append(e.b, u.Value...)
	e.end(s, u.Type)
	return e.result()
}

// DecodeParameter decodes the parameter at the start of b and returns it
// with the number of bytes it occupies, padding included (the padding of a
// parameter that ends b may be absent). A parameter of unknown type comes
// back as an UnknownParameter, since the caller asked for exactly this one;
// unknown parameters nested inside follow their action bits, and reports
// are returned for those marked "skip and report".
//
// The concrete types returned are IPAddress, Transport, Policy, PoolHandle,
// PoolElement, ServerInformation, OperationError, Cookie, PEIdentifier,
// PEChecksum, HandleResolutionOption and UnknownParameter (values, not
// pointers).
func DecodeParameter(b []byte) (Parameter, int, []ErrorCause, error) {
	d := decoder{b: b}
	t, err := d.readTLV(0, len(b), 0, true)
	if err != nil {
		return nil, 0, nil, err
	}
	var p Parameter
	switch {
	case t.typ == ParamIPv4Address || t.typ == ParamIPv6Address:
		a, err := d.address(t)
		if err != nil {
			return nil, 0, nil, err
		}
		p = IPAddress{Addr: a}
	case isTransport(t.typ):
		var tr Transport
		if err := d.transport(t, &tr); err != nil {
			return nil, 0, nil, err
		}
		p = tr
	case t.typ == ParamPoolMemberSelectionPolicy:
		var pol Policy
		if err := d.policy(t, &pol); err != nil {
			return nil, 0, nil, err
		}
		p = pol
	case t.typ == ParamPoolHandle:
		p = d.poolHandle(t)
	case t.typ == ParamPoolElement:
		var pe PoolElement
		if err := d.poolElement(t, &pe); err != nil {
			return nil, 0, nil, err
		}
		p = pe
	case t.typ == ParamServerInformation:
		var si ServerInformation
		if err := d.serverInformation(t, &si); err != nil {
			return nil, 0, nil, err
		}
		p = si
	case t.typ == ParamOperationError:
		var oe OperationError
		if err := d.operationError(t, &oe); err != nil {
			return nil, 0, nil, err
		}
		p = oe
	case t.typ == ParamCookie:
		p = d.cookie(t)
	case t.typ == ParamPEIdentifier:
		id, err := d.peIdentifier(t)
		if err != nil {
			return nil, 0, nil, err
		}
		p = id
	case t.typ == ParamPEChecksum:
		c, err := d.peChecksum(t)
		if err != nil {
			return nil, 0, nil, err
		}
		p = c
	case t.typ == ParamHandleResolutionOption:
		o, err := d.handleResolutionOption(t)
		if err != nil {
			return nil, 0, nil, err
		}
		p = o
	default:
		p = UnknownParameter{Type: t.typ, Value: cloneBytes(d.b[t.val:t.end])}
	}
	return p, t.next, d.reports, nil
}
