package mxua

// SUA connection-oriented messages (RFC 3868 section 3.3.2). Routing
// Context is optional to the codec, as for CLDT. COAK accepts a Source
// Address as well as a Destination Address (the responding address).
func init() {
	register(SUA, KindCORE, opt(fRoutingContext), mand(fProtocolClass), mand(fSrcRef), mand(fDstAddr),
		mand(fSeqControl), opt(fHopCounter), opt(fSrcAddr), opt(fCredit), opt(fImportance),
		opt(fMsgPriority), opt(fCorrelationID), opt(fData))
	register(SUA, KindCOAK, opt(fRoutingContext), mand(fProtocolClass), mand(fDstRef), mand(fSrcRef),
		mand(fSeqControl), opt(fCredit), opt(fDstAddr), opt(fSrcAddr), opt(fImportance),
		opt(fMsgPriority), opt(fCorrelationID), opt(fData))
	register(SUA, KindCOREF, opt(fRoutingContext), mand(fDstRef), mand(fCause), opt(fDstAddr),
		opt(fImportance), opt(fData))
	register(SUA, KindRELRE, opt(fRoutingContext), mand(fDstRef), mand(fSrcRef), mand(fCause),
		opt(fImportance), opt(fData))
	register(SUA, KindRELCO, opt(fRoutingContext), mand(fDstRef), mand(fSrcRef), opt(fImportance))
	register(SUA, KindRESCO, opt(fRoutingContext), mand(fDstRef), mand(fSrcRef), opt(fImportance))
	register(SUA, KindRESRE, opt(fRoutingContext), mand(fDstRef), mand(fSrcRef), mand(fCause), opt(fImportance))
	register(SUA, KindCODT, opt(fRoutingContext), opt(fSeqNum), mand(fDstRef), opt(fMsgPriority),
		opt(fCorrelationID), mand(fData))
	register(SUA, KindCODA, opt(fRoutingContext), mand(fDstRef), opt(fRecvSeqNum), opt(fCredit))
	register(SUA, KindCOERR, opt(fRoutingContext), mand(fDstRef), mand(fCause))
	register(SUA, KindCOIT, opt(fRoutingContext), mand(fProtocolClass), mand(fSrcRef), mand(fDstRef),
		opt(fSeqNum), opt(fCredit))
}
