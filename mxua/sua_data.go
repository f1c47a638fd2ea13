package mxua

import "net/netip"

// SUAData is the content of SUA connectionless (CLDT, CLDR) and
// connection-oriented messages (RFC 3868 sections 3.3 and 3.4).
type SUAData struct {
	ProtocolClass         uint8 // 0-3; bit 7 "return message on error"
	SequenceControl       uint32
	Source                *SCCPAddress
	Destination           *SCCPAddress
	SourceReference       *uint32 // CO
	DestReference         *uint32 // CO
	SCCPCause             *uint32 // CLDR, COREF, RELRE, COERR, RESRE: type<<8 | value
	HopCounter            *uint8
	Importance            *uint8
	MessagePriority       *uint8
	SequenceNumber        *uint32 // CODT, COIT: reserved 16 bits, P(R)+more-data bit, P(S)+spare bit
	ReceiveSequenceNumber *uint32 // CODA: reserved 24 bits, P(R)+spare bit
	Credit                *uint32
	Segmentation          *uint32
	Data                  []byte // SCCP user data (e.g. TCAP)
}

// SCCPAddress is a SUA Source or Destination Address (RFC 3868 section
// 3.10.2): routing indicator, address indicator and whichever of global
// title, point code, subsystem number and hostname are present.
type SCCPAddress struct {
	RoutingIndicator uint16 // 1 route on GT, 2 route on SSN+PC, 3 hostname, 4 SSN+IP
	AddressIndicator uint16 // bit 0 SSN, bit 1 PC, bit 2 GT: include it when translating to an SCCP address
	GlobalTitle      *GlobalTitle
	PointCode        *uint32
	SSN              *uint8
	Hostname         string
	IP               netip.Addr // IPv4 (0x8004) or IPv6 (0x8006) address; zero when absent
}

// GlobalTitle is the SUA Global Title parameter (RFC 3868 section 3.10.2.3).
type GlobalTitle struct {
	GTI             uint8 // global title indicator, 1-4
	TranslationType uint8
	NumberingPlan   uint8
	NatureOfAddress uint8
	Digits          string // BCD digits 0-9; nibbles 0xa-0xf decode as 'A'-'F'

}
