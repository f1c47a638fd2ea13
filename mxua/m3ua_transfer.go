package mxua

// M3UA transfer message (RFC 4666 section 3.3.1). Routing Context is
// conditional (required when the AS has one), so optional here.
func init() {
	register(M3UA, KindDATA, opt(fNetworkAppearance), opt(fRoutingContext), mand(fProtocolData), opt(fCorrelationID))
}
