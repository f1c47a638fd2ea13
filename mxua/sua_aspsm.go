package mxua

// SUA ASP state maintenance messages (RFC 3868 section 3.5). ASP
// Capabilities (0x0109) is accepted in ASP Up, where draft SUA carried it.
func init() {
	register(SUA, KindASPUP, opt(fASPID), opt(fASPCapabilities), opt(fInfoString))
	register(SUA, KindASPUPAck, opt(fASPID), opt(fInfoString))
	register(SUA, KindASPDN, opt(fInfoString))
	register(SUA, KindASPDNAck, opt(fInfoString))
	register(SUA, KindBEAT, opt(fHeartbeat))
	register(SUA, KindBEATAck, opt(fHeartbeat))
}
