package mxua

// M3UA ASP state maintenance messages (RFC 4666 section 3.5.1-3.5.6). RFC
// 4666 added the ASP Identifier to ASP Up Ack.
func init() {
	register(M3UA, KindASPUP, opt(fASPID), opt(fInfoString))
	register(M3UA, KindASPUPAck, opt(fASPID), opt(fInfoString))
	register(M3UA, KindASPDN, opt(fInfoString))
	register(M3UA, KindASPDNAck, opt(fInfoString))
	register(M3UA, KindBEAT, opt(fHeartbeat))
	register(M3UA, KindBEATAck, opt(fHeartbeat))
}
