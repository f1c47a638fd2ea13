package mxua

// SUA signalling network management messages (RFC 3868 section 3.4): the
// affected destination may narrow to a subsystem (SSN) and carry its
// multiplicity indicator (SMI); SCON carries a 32-bit Congestion Level.
func init() {
	for _, k := range []Kind{KindDUNA, KindDAVA, KindDRST} {
		register(SUA, k, opt(fRoutingContext), mand(fAPC), opt(fSSN), opt(fSMI), opt(fInfoString))
	}
	register(SUA, KindDAUD, opt(fRoutingContext), mand(fAPC), opt(fSSN), opt(fUserCause), opt(fInfoString))
	register(SUA, KindSCON, opt(fRoutingContext), mand(fAPC), opt(fSSN), opt(fCongestion), opt(fSMI), opt(fInfoString))
	register(SUA, KindDUPU, opt(fRoutingContext), mand(fAPC), mand(fUserCause), opt(fInfoString))
}
