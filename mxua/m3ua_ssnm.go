package mxua

// M3UA signalling network management messages (RFC 4666 section 3.4).
func init() {
	for _, k := range []Kind{KindDUNA, KindDAVA, KindDAUD, KindDRST} {
		register(M3UA, k, opt(fNetworkAppearance), opt(fRoutingContext), mand(fAPC), opt(fInfoString))
	}
	register(M3UA, KindSCON, opt(fNetworkAppearance), opt(fRoutingContext), mand(fAPC),
		opt(fConcernedDest), opt(fCongestion), opt(fInfoString))
	register(M3UA, KindDUPU, opt(fNetworkAppearance), opt(fRoutingContext), mand(fAPC), mand(fUserCause), opt(fInfoString))
}
