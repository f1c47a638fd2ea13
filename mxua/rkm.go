package mxua

// RoutingKeyParam is one Routing Key of REG REQ (RFC 4666 section 3.6.1):
// what traffic an AS wants, by DPC, network appearance, service indicators,
// originating point codes and CIC ranges (SUA: SSN, GT and address ranges).
type RoutingKeyParam struct {
	LocalRKIdentifier uint32
	RoutingContext    *uint32
	TrafficMode       TrafficMode
	DPC               *uint32
	NetworkAppearance *uint32
	ServiceIndicators []uint8
	OPCs              []uint32
	CircuitRanges     []CircuitRange
	SSN               *uint8 // SUA

	// SUA only (RFC 3868 section 3.6.1). A SUA routing key names traffic by
	// SCCP addresses; DPC and SSN above are a shorthand for one Destination
	// Address routed on SSN+PC. Encoding writes that shorthand only when
	// DestinationAddresses is empty; decoding fills DPC and SSN from the
	// first Destination Address, so a decoded key re-encodes unchanged.
	DestinationAddresses []SCCPAddress
	SourceAddresses      []SCCPAddress
	AddressRanges        [][]byte // raw value of each Address Range parameter
}

// CircuitRange is one entry of the Circuit Range parameter: ISUP circuits
// LowCIC..HighCIC of one originating point code. The parameter (0x020f)
// comes from RFC 3332; RFC 4666 dropped it, but peers and Wireshark know it.
type CircuitRange struct {
	OPC     uint32
	LowCIC  uint16
	HighCIC uint16
}

// RegistrationResult is one Registration Result of REG RSP.
type RegistrationResult struct {
	LocalRKIdentifier uint32
	Status            uint32 // 0 successfully registered, ...
	RoutingContext    uint32
}

// DeregistrationResult is one Deregistration Result of DEREG RSP.
type DeregistrationResult struct {
	RoutingContext uint32
	Status         uint32 // 0 successfully deregistered, ...
}
