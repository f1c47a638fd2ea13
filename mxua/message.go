// Package mxua implements the SIGTRAN user adaptation layers sigpool speaks:
// M3UA (RFC 4666) and SUA (RFC 3868). Both share one message model: the
// management, SSNM, ASPSM, ASPTM and RKM messages have the same classes,
// types and common parameters, so the ASP, SGP, IPSP and AS state machines
// work on Message whatever the protocol; only the transfer messages differ
// (M3UA DATA carries MTP3 protocol data, SUA CLDT/CLDR and the
// connection-oriented messages carry SCCP addresses and user data).
package mxua

import "fmt"

// Protocol is M3UA or SUA.
type Protocol uint8

// Protocols, with their SCTP payload protocol identifiers and ports.
const (
	M3UA Protocol = 1
	SUA  Protocol = 2

	PPIDM3UA = 3
	PPIDSUA  = 4

	PortM3UA = 2905
	PortSUA  = 14001
)

func (p Protocol) String() string {
	switch p {
	case M3UA:
		return "M3UA"
	case SUA:
		return "SUA"
	}
	return fmt.Sprintf("protocol(%d)", uint8(p))
}

// PPID returns the SCTP payload protocol identifier of p.
func (p Protocol) PPID() uint32 {
	switch p {
	case M3UA:
		return PPIDM3UA
	case SUA:
		return PPIDSUA
	}
	return 0
}

// Message classes (RFC 4666 section 3.1.2, RFC 3868 section 3.1.3).
const (
	ClassMGMT     uint8 = 0
	ClassTransfer uint8 = 1 // M3UA only
	ClassSSNM     uint8 = 2
	ClassASPSM    uint8 = 3
	ClassASPTM    uint8 = 4
	ClassCL       uint8 = 7 // SUA connectionless
	ClassCO       uint8 = 8 // SUA connection-oriented
	ClassRKM      uint8 = 9
)

// Kind is a message's class and type: the class in the high byte, the type
// code in the low byte, exactly as they follow each other in the header.
type Kind uint16

// NewKind returns the Kind of a class and type code.
func NewKind(class, typ uint8) Kind { return Kind(class)<<8 | Kind(typ) }

// Class returns the message class.
func (k Kind) Class() uint8 { return uint8(k >> 8) }

// Type returns the message type code within its class.
func (k Kind) Type() uint8 { return uint8(k) }

// Message kinds common to M3UA and SUA, and those of one protocol only.
const (
	KindERR  = Kind(ClassMGMT)<<8 | 0
	KindNTFY = Kind(ClassMGMT)<<8 | 1

	KindDATA = Kind(ClassTransfer)<<8 | 1 // M3UA

	KindDUNA = Kind(ClassSSNM)<<8 | 1
	KindDAVA = Kind(ClassSSNM)<<8 | 2
	KindDAUD = Kind(ClassSSNM)<<8 | 3
	KindSCON = Kind(ClassSSNM)<<8 | 4
	KindDUPU = Kind(ClassSSNM)<<8 | 5
	KindDRST = Kind(ClassSSNM)<<8 | 6

	KindASPUP    = Kind(ClassASPSM)<<8 | 1
	KindASPDN    = Kind(ClassASPSM)<<8 | 2
	KindBEAT     = Kind(ClassASPSM)<<8 | 3
	KindASPUPAck = Kind(ClassASPSM)<<8 | 4
	KindASPDNAck = Kind(ClassASPSM)<<8 | 5
	KindBEATAck  = Kind(ClassASPSM)<<8 | 6

	KindASPAC    = Kind(ClassASPTM)<<8 | 1
	KindASPIA    = Kind(ClassASPTM)<<8 | 2
	KindASPACAck = Kind(ClassASPTM)<<8 | 3
	KindASPIAAck = Kind(ClassASPTM)<<8 | 4

	KindCLDT = Kind(ClassCL)<<8 | 1 // SUA
	KindCLDR = Kind(ClassCL)<<8 | 2 // SUA

	KindCORE  = Kind(ClassCO)<<8 | 1 // SUA connection request
	KindCOAK  = Kind(ClassCO)<<8 | 2
	KindCOREF = Kind(ClassCO)<<8 | 3
	KindRELRE = Kind(ClassCO)<<8 | 4
	KindRELCO = Kind(ClassCO)<<8 | 5
	KindRESCO = Kind(ClassCO)<<8 | 6
	KindRESRE = Kind(ClassCO)<<8 | 7
	KindCODT  = Kind(ClassCO)<<8 | 8
	KindCODA  = Kind(ClassCO)<<8 | 9
	KindCOERR = Kind(ClassCO)<<8 | 10
	KindCOIT  = Kind(ClassCO)<<8 | 11

	KindREGREQ   = Kind(ClassRKM)<<8 | 1
	KindREGRSP   = Kind(ClassRKM)<<8 | 2
	KindDEREGREQ = Kind(ClassRKM)<<8 | 3
	KindDEREGRSP = Kind(ClassRKM)<<8 | 4
)

var kindNames = map[Kind]string{
	KindERR: "ERR", KindNTFY: "NTFY", KindDATA: "DATA",
	KindDUNA: "DUNA", KindDAVA: "DAVA", KindDAUD: "DAUD", KindSCON: "SCON", KindDUPU: "DUPU", KindDRST: "DRST",
	KindASPUP: "ASPUP", KindASPDN: "ASPDN", KindBEAT: "BEAT", KindASPUPAck: "ASPUP ACK", KindASPDNAck: "ASPDN ACK", KindBEATAck: "BEAT ACK",
	KindASPAC: "ASPAC", KindASPIA: "ASPIA", KindASPACAck: "ASPAC ACK", KindASPIAAck: "ASPIA ACK",
	KindCLDT: "CLDT", KindCLDR: "CLDR",
	KindCORE: "CORE", KindCOAK: "COAK", KindCOREF: "COREF", KindRELRE: "RELRE", KindRELCO: "RELCO",
	KindRESCO: "RESCO", KindRESRE: "RESRE", KindCODT: "CODT", KindCODA: "CODA", KindCOERR: "COERR", KindCOIT: "COIT",
	KindREGREQ: "REG REQ", KindREGRSP: "REG RSP", KindDEREGREQ: "DEREG REQ", KindDEREGRSP: "DEREG RSP",
}

func (k Kind) String() string {
	if n, ok := kindNames[k]; ok {
		return n
	}
	return fmt.Sprintf("class %d type %d", k.Class(), k.Type())
}

// TrafficMode is the Traffic Mode Type parameter (RFC 4666 section 3.5.1).
type TrafficMode uint32

// Traffic modes; TrafficModeNone means the parameter is absent.
const (
	TrafficModeNone      TrafficMode = 0
	TrafficModeOverride  TrafficMode = 1
	TrafficModeLoadshare TrafficMode = 2
	TrafficModeBroadcast TrafficMode = 3
)

func (m TrafficMode) String() string {
	switch m {
	case TrafficModeNone:
		return "none"
	case TrafficModeOverride:
		return "override"
	case TrafficModeLoadshare:
		return "loadshare"
	case TrafficModeBroadcast:
		return "broadcast"
	}
	return fmt.Sprintf("traffic-mode(%d)", uint32(m))
}

// ErrorCode is the Error Code parameter of ERR (RFC 4666 section 3.8.1,
// RFC 3868 section 3.8.1; SUA uses the same values where they overlap).
type ErrorCode uint32

// Error codes.
const (
	ErrInvalidVersion            ErrorCode = 0x01
	ErrUnsupportedMessageClass   ErrorCode = 0x03
	ErrUnsupportedMessageType    ErrorCode = 0x04
	ErrUnsupportedTrafficMode    ErrorCode = 0x05
	ErrUnexpectedMessage         ErrorCode = 0x06
	ErrProtocolError             ErrorCode = 0x07
	ErrInvalidStreamIdentifier   ErrorCode = 0x09
	ErrRefusedManagementBlocking ErrorCode = 0x0d
	ErrASPIdentifierRequired     ErrorCode = 0x0e
	ErrInvalidASPIdentifier      ErrorCode = 0x0f
	ErrInvalidParameterValue     ErrorCode = 0x11
	ErrParameterFieldError       ErrorCode = 0x12
	ErrUnexpectedParameter       ErrorCode = 0x13
	ErrDestinationStatusUnknown  ErrorCode = 0x14
	ErrInvalidNetworkAppearance  ErrorCode = 0x15
	ErrMissingParameter          ErrorCode = 0x16
	ErrInvalidRoutingContext     ErrorCode = 0x19
	ErrNoConfiguredASForASP      ErrorCode = 0x1a
	ErrSubsystemStatusUnknown    ErrorCode = 0x1b // SUA
	ErrInvalidLoadsharingLabel   ErrorCode = 0x1c // SUA
)

// Status is the Status parameter of NTFY (RFC 4666 section 3.8.2).
type Status struct {
	Type uint16 // 1 AS state change, 2 other
	Info uint16
}

// NTFY status types and information values.
const (
	StatusTypeASStateChange uint16 = 1
	StatusTypeOther         uint16 = 2

	StatusASInactive uint16 = 2
	StatusASActive   uint16 = 3
	StatusASPending  uint16 = 4

	StatusInsufficientASPResources uint16 = 1
	StatusAlternateASPActive       uint16 = 2
	StatusASPFailure               uint16 = 3
)

// AffectedPointCode is one entry of the Affected Point Code parameter: a
// point code with a mask that widens it to a range (RFC 4666 section 3.4.1).
type AffectedPointCode struct {
	Mask      uint8
	PointCode uint32
}

// ProtocolData is the M3UA Protocol Data parameter (RFC 4666 section
// 3.3.1): the MTP3 routing label, service information and user payload.
type ProtocolData struct {
	OPC, DPC uint32
	SI       uint8 // service indicator: 3 SCCP, 5 ISUP, ...
	NI       uint8 // network indicator
	MP       uint8 // message priority
	SLS      uint8 // signalling link selection
	Payload  []byte
}

// Message is one M3UA or SUA message. Fields hold the parameters the
// message carries; absent optional parameters are zero (nil pointers and
// slices, empty strings). Protocol-specific transfer content sits in
// ProtocolData (M3UA DATA) or SUA (SUA CL and CO messages).
type Message struct {
	Protocol Protocol
	Kind     Kind

	// Common parameters (tags shared by RFC 4666 and RFC 3868).
	RoutingContexts    []uint32 // 0x0006
	InfoString         string   // 0x0004
	DiagnosticInfo     []byte   // 0x0007
	HeartbeatData      []byte   // 0x0009
	TrafficMode        TrafficMode
	ErrorCode          ErrorCode // 0x000c; ERR only
	Status             *Status   // 0x000d
	ASPIdentifier      *uint32   // 0x0011
	AffectedPointCodes []AffectedPointCode
	CorrelationID      *uint32 // 0x0013
	NetworkAppearance  *uint32 // M3UA 0x0200, SUA 0x010d

	// SSNM details.
	ConcernedDestination *uint32 // SCON
	CongestionLevel      *uint8  // SCON
	UserCause            *UserCause
	AffectedSSN          *uint8 // SUA SSNM
	SMI                  *uint8 // SUA SSNM: subsystem multiplicity indicator

	// SUA ASP management details.
	ASPCapabilities *uint32 // SUA ASPUP: reserved 16 bits, protocol classes, interworking
	TIDLabel        *Label  // SUA ASPAC: TCAP transaction ID loadsharing label
	DRNLabel        *Label  // SUA ASPAC: destination reference loadsharing label

	// Transfer.
	ProtocolData *ProtocolData // M3UA DATA
	SUA          *SUAData      // SUA CL/CO messages

	// RKM (REG REQ / REG RSP / DEREG REQ / DEREG RSP).
	RoutingKeys          []RoutingKeyParam
	RegistrationResults  []RegistrationResult
	DeregistrationResult []DeregistrationResult
}

// Label is a SUA TID Label or DRN Label (RFC 3868 sections 3.10.x): the
// bit range Start..End of the TCAP transaction ID or destination reference
// number that must equal Value for traffic to go to this ASP.
type Label struct {
	Start, End uint8
	Value      uint16
}

// UserCause is the User/Cause parameter of DUPU. On the wire Cause comes
// first (RFC 4666 section 3.4.5).
type UserCause struct {
	Cause uint16
	User  uint16
}
