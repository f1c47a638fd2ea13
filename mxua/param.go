package mxua

import "fmt"

// Tag is a parameter tag. Tags 0x0000-0x003f are common to the SIGTRAN
// adaptation layers; M3UA's own start at 0x0200 (RFC 4666 section 3.2),
// SUA's at 0x0101 and its address parts at 0x8001 (RFC 3868 section 3.10).
type Tag uint16

// Common parameter tags (RFC 4666 section 3.2, RFC 3868 section 3.10).
const (
	TagInfoString        Tag = 0x0004
	TagRoutingContext    Tag = 0x0006
	TagDiagnosticInfo    Tag = 0x0007
	TagHeartbeatData     Tag = 0x0009
	TagTrafficModeType   Tag = 0x000b
	TagErrorCode         Tag = 0x000c
	TagStatus            Tag = 0x000d
	TagASPIdentifier     Tag = 0x0011
	TagAffectedPointCode Tag = 0x0012
	TagCorrelationID     Tag = 0x0013
)

// M3UA-specific parameter tags (RFC 4666 section 3.2). Circuit Range is
// RFC 3332's 0x020f, which RFC 4666 dropped; Wireshark still knows it.
const (
	TagM3UANetworkAppearance     Tag = 0x0200
	TagM3UAUserCause             Tag = 0x0204
	TagM3UACongestionIndications Tag = 0x0205
	TagM3UAConcernedDestination  Tag = 0x0206
	TagM3UARoutingKey            Tag = 0x0207
	TagM3UARegistrationResult    Tag = 0x0208
	TagM3UADeregistrationResult  Tag = 0x0209
	TagM3UALocalRKIdentifier     Tag = 0x020a
	TagM3UADestinationPointCode  Tag = 0x020b
	TagM3UAServiceIndicators     Tag = 0x020c
	TagM3UAOPCList               Tag = 0x020e
	TagM3UACircuitRange          Tag = 0x020f
	TagM3UAProtocolData          Tag = 0x0210
	TagM3UARegistrationStatus    Tag = 0x0212
	TagM3UADeregistrationStatus  Tag = 0x0213
)

// SUA-specific parameter tags (RFC 3868 section 3.10). SUA puts the RKM
// sub-parameters in the common range (0x0014-0x0018), unlike M3UA.
const (
	TagSUARegistrationResult    Tag = 0x0014
	TagSUADeregistrationResult  Tag = 0x0015
	TagSUARegistrationStatus    Tag = 0x0016
	TagSUADeregistrationStatus  Tag = 0x0017
	TagSUALocalRKIdentifier     Tag = 0x0018
	TagSUAHopCounter            Tag = 0x0101
	TagSUASourceAddress         Tag = 0x0102
	TagSUADestinationAddress    Tag = 0x0103
	TagSUASourceReference       Tag = 0x0104
	TagSUADestinationReference  Tag = 0x0105
	TagSUASCCPCause             Tag = 0x0106
	TagSUASequenceNumber        Tag = 0x0107
	TagSUAReceiveSequenceNumber Tag = 0x0108
	TagSUAASPCapabilities       Tag = 0x0109
	TagSUACredit                Tag = 0x010a
	TagSUAData                  Tag = 0x010b
	TagSUAUserCause             Tag = 0x010c
	TagSUANetworkAppearance     Tag = 0x010d
	TagSUARoutingKey            Tag = 0x010e
	TagSUADRNLabel              Tag = 0x010f
	TagSUATIDLabel              Tag = 0x0110
	TagSUAAddressRange          Tag = 0x0111
	TagSUASMI                   Tag = 0x0112
	TagSUAImportance            Tag = 0x0113
	TagSUAMessagePriority       Tag = 0x0114
	TagSUAProtocolClass         Tag = 0x0115
	TagSUASequenceControl       Tag = 0x0116
	TagSUASegmentation          Tag = 0x0117
	TagSUACongestionLevel       Tag = 0x0118
	TagSUAGlobalTitle           Tag = 0x8001
	TagSUAPointCode             Tag = 0x8002
	TagSUASubsystemNumber       Tag = 0x8003
	TagSUAIPv4Address           Tag = 0x8004
	TagSUAHostname              Tag = 0x8005
	TagSUAIPv6Address           Tag = 0x8006
)

var commonTagNames = map[Tag]string{
	TagInfoString: "INFO String", TagRoutingContext: "Routing Context", TagDiagnosticInfo: "Diagnostic Information",
	TagHeartbeatData: "Heartbeat Data", TagTrafficModeType: "Traffic Mode Type", TagErrorCode: "Error Code",
	TagStatus: "Status", TagASPIdentifier: "ASP Identifier", TagAffectedPointCode: "Affected Point Code",
	TagCorrelationID: "Correlation ID",
}

var m3uaTagNames = map[Tag]string{
	TagM3UANetworkAppearance: "Network Appearance", TagM3UAUserCause: "User/Cause",
	TagM3UACongestionIndications: "Congestion Indications", TagM3UAConcernedDestination: "Concerned Destination",
	TagM3UARoutingKey: "Routing Key", TagM3UARegistrationResult: "Registration Result",
	TagM3UADeregistrationResult: "Deregistration Result", TagM3UALocalRKIdentifier: "Local Routing Key Identifier",
	TagM3UADestinationPointCode: "Destination Point Code", TagM3UAServiceIndicators: "Service Indicators",
	TagM3UAOPCList: "Originating Point Code List", TagM3UACircuitRange: "Circuit Range",
	TagM3UAProtocolData: "Protocol Data", TagM3UARegistrationStatus: "Registration Status",
	TagM3UADeregistrationStatus: "Deregistration Status",
}

var suaTagNames = map[Tag]string{
	TagSUARegistrationResult: "Registration Result", TagSUADeregistrationResult: "Deregistration Result",
	TagSUARegistrationStatus: "Registration Status", TagSUADeregistrationStatus: "Deregistration Status",
	TagSUALocalRKIdentifier: "Local Routing Key Identifier", TagSUAHopCounter: "SS7 Hop Counter",
	TagSUASourceAddress: "Source Address", TagSUADestinationAddress: "Destination Address",
	TagSUASourceReference: "Source Reference Number", TagSUADestinationReference: "Destination Reference Number",
	TagSUASCCPCause: "SCCP Cause", TagSUASequenceNumber: "Sequence Number",
	TagSUAReceiveSequenceNumber: "Receive Sequence Number", TagSUAASPCapabilities: "ASP Capabilities",
	TagSUACredit: "Credit", TagSUAData: "Data", TagSUAUserCause: "User/Cause",
	TagSUANetworkAppearance: "Network Appearance", TagSUARoutingKey: "Routing Key", TagSUADRNLabel: "DRN Label",
	TagSUATIDLabel: "TID Label", TagSUAAddressRange: "Address Range", TagSUASMI: "SMI",
	TagSUAImportance: "Importance", TagSUAMessagePriority: "Message Priority", TagSUAProtocolClass: "Protocol Class",
	TagSUASequenceControl: "Sequence Control", TagSUASegmentation: "Segmentation",
	TagSUACongestionLevel: "Congestion Level", TagSUAGlobalTitle: "Global Title", TagSUAPointCode: "Point Code",
	TagSUASubsystemNumber: "Subsystem Number", TagSUAIPv4Address: "IPv4 Address", TagSUAHostname: "Hostname",
	TagSUAIPv6Address: "IPv6 Address",
}

// knownTag reports whether p defines t anywhere (message level or nested).
func knownTag(p Protocol, t Tag) bool {
	if _, ok := commonTagNames[t]; ok {
		return true
	}
	if p == M3UA {
		_, ok := m3uaTagNames[t]
		return ok
	}
	_, ok := suaTagNames[t]
	return ok
}

func (t Tag) name(p Protocol) string {
	n, ok := commonTagNames[t]
	if !ok && p == M3UA {
		n, ok = m3uaTagNames[t]
	}
	if !ok && p == SUA {
		n, ok = suaTagNames[t]
	}
	if !ok {
		return fmt.Sprintf("0x%04x", uint16(t))
	}
	return fmt.Sprintf("%s (0x%04x)", n, uint16(t))
}

// field is a message-level parameter as the Message model sees it,
// whatever tag the protocol gives it (Network Appearance is 0x0200 in M3UA
// and 0x010d in SUA, for instance). Nested parameters (inside addresses,
// routing keys and results) are handled by their container.
type field uint8

const (
	fNone field = iota
	fInfoString
	fRoutingContext
	fDiagnostic
	fHeartbeat
	fTrafficMode
	fErrorCode
	fStatus
	fASPID
	fAPC
	fCorrelationID
	fNetworkAppearance
	fUserCause
	fCongestion
	fConcernedDest
	fRoutingKey
	fRegResult
	fDeregResult
	fProtocolData // M3UA
	// SUA.
	fSSN
	fSMI
	fASPCapabilities
	fTIDLabel
	fDRNLabel
	fHopCounter
	fSrcAddr
	fDstAddr
	fSrcRef
	fDstRef
	fCause
	fSeqNum
	fRecvSeqNum
	fCredit
	fData
	fImportance
	fMsgPriority
	fProtocolClass
	fSeqControl
	fSegmentation
	fCount
)

func bit(f field) uint64 { return 1 << f }

// valueFields are kept in non-pointer Message fields: they count as present
// whenever the schema has them, so they are never "unexpected".
const valueFields = 1<<fErrorCode | 1<<fProtocolClass | 1<<fSeqControl

var commonTags = [...]Tag{
	fInfoString: TagInfoString, fRoutingContext: TagRoutingContext, fDiagnostic: TagDiagnosticInfo,
	fHeartbeat: TagHeartbeatData, fTrafficMode: TagTrafficModeType, fErrorCode: TagErrorCode,
	fStatus: TagStatus, fASPID: TagASPIdentifier, fAPC: TagAffectedPointCode, fCorrelationID: TagCorrelationID,
}

var m3uaTags = [fCount]Tag{
	fNetworkAppearance: TagM3UANetworkAppearance, fUserCause: TagM3UAUserCause,
	fCongestion: TagM3UACongestionIndications, fConcernedDest: TagM3UAConcernedDestination,
	fRoutingKey: TagM3UARoutingKey, fRegResult: TagM3UARegistrationResult, fDeregResult: TagM3UADeregistrationResult,
	fProtocolData: TagM3UAProtocolData,
}

var suaTags = [fCount]Tag{
	fNetworkAppearance: TagSUANetworkAppearance, fUserCause: TagSUAUserCause, fCongestion: TagSUACongestionLevel,
	fRoutingKey: TagSUARoutingKey, fRegResult: TagSUARegistrationResult, fDeregResult: TagSUADeregistrationResult,
	fSSN: TagSUASubsystemNumber, fSMI: TagSUASMI, fASPCapabilities: TagSUAASPCapabilities,
	fTIDLabel: TagSUATIDLabel, fDRNLabel: TagSUADRNLabel, fHopCounter: TagSUAHopCounter,
	fSrcAddr: TagSUASourceAddress, fDstAddr: TagSUADestinationAddress, fSrcRef: TagSUASourceReference,
	fDstRef: TagSUADestinationReference, fCause: TagSUASCCPCause, fSeqNum: TagSUASequenceNumber,
	fRecvSeqNum: TagSUAReceiveSequenceNumber, fCredit: TagSUACredit, fData: TagSUAData,
	fImportance: TagSUAImportance, fMsgPriority: TagSUAMessagePriority, fProtocolClass: TagSUAProtocolClass,
	fSeqControl: TagSUASequenceControl, fSegmentation: TagSUASegmentation,
}

// tagOf returns the tag p gives f.
func tagOf(p Protocol, f field) Tag {
	if int(f) < len(commonTags) && commonTags[f] != 0 {
		return commonTags[f]
	}
	if p == M3UA {
		return m3uaTags[f]
	}
	return suaTags[f]
}

var m3uaFields, suaFields = fieldMap(M3UA), fieldMap(SUA)

func fieldMap(p Protocol) map[Tag]field {
	m := make(map[Tag]field)
	for f := fNone + 1; f < fCount; f++ {
		if t := tagOf(p, f); t != 0 {
			m[t] = f
		}
	}
	return m
}

// commonByTag maps the common tags (all below 0x20) to their fields.
var commonByTag = func() (t [0x20]field) {
	for f, ct := range commonTags {
		if ct != 0 {
			t[ct] = field(f)
		}
	}
	return t
}()

// fieldOf returns the message-level field p carries under t, or fNone.
func fieldOf(p Protocol, t Tag) field {
	if t < Tag(len(commonByTag)) && commonByTag[t] != fNone {
		return commonByTag[t] // the hot tags skip the map
	}
	if p == M3UA {
		if t == TagM3UAProtocolData {
			return fProtocolData
		}
		return m3uaFields[t]
	}
	return suaFields[t]
}

// spec is one parameter of a message: mandatory or optional, once or
// repeated.
type spec struct {
	f     field
	mand  bool
	multi bool
}

func opt(f field) spec   { return spec{f: f} }
func mand(f field) spec  { return spec{f: f, mand: true} }
func multi(f field) spec { return spec{f: f, mand: true, multi: true} }

// schema lists a message's parameters in the order the RFC draws them,
// which is the order the encoder writes them in.
type schema struct {
	specs   []spec
	allowed uint64
	mand    uint64
	multi   uint64
}

var schemas [3][16][16]*schema // protocol, class, type

// register adds the schema of one message kind; the per-family files call
// it from init.
func register(p Protocol, k Kind, specs ...spec) {
	s := &schema{specs: specs}
	for _, sp := range specs {
		s.allowed |= bit(sp.f)
		if sp.mand {
			s.mand |= bit(sp.f)
		}
		if sp.multi {
			s.multi |= bit(sp.f)
		}
	}
	if schemas[p][k.Class()][k.Type()] != nil {
		panic(fmt.Sprintf("mxua: %v %v registered twice", p, k))
	}
	schemas[p][k.Class()][k.Type()] = s
}

func schemaFor(p Protocol, k Kind) *schema {
	if (p != M3UA && p != SUA) || k.Class() >= 16 || k.Type() >= 16 {
		return nil
	}
	return schemas[p][k.Class()][k.Type()]
}

// classKnown reports whether p defines any message of class c.
func classKnown(p Protocol, c uint8) bool {
	if (p != M3UA && p != SUA) || c >= 16 {
		return false
	}
	for _, s := range schemas[p][c] {
		if s != nil {
			return true
		}
	}
	return false
}

// Kinds returns every message kind p defines, in class and type order.
func Kinds(p Protocol) []Kind {
	var ks []Kind
	if p != M3UA && p != SUA {
		return nil
	}
	for c := range 16 {
		for t := range 16 {
			if schemas[p][c][t] != nil {
				ks = append(ks, NewKind(uint8(c), uint8(t)))
			}
		}
	}
	return ks
}
