package mxua

// SUA connectionless messages (RFC 3868 section 3.3.1). RFC 3868 draws
// Routing Context as mandatory, but a single-AS peer (osmo-stp with no
// routing context configured, for one) omits it; the codec leaves the
// requirement to the state machine.
func init() {
	register(SUA, KindCLDT, opt(fRoutingContext), mand(fProtocolClass), mand(fSrcAddr), mand(fDstAddr),
		mand(fSeqControl), opt(fHopCounter), opt(fImportance), opt(fMsgPriority), opt(fCorrelationID),
		opt(fSegmentation), mand(fData))
	register(SUA, KindCLDR, opt(fRoutingContext), mand(fCause), mand(fSrcAddr), mand(fDstAddr),
		opt(fHopCounter), opt(fImportance), opt(fSegmentation), opt(fData))
}
