package mxua

// SUA routing key management messages (RFC 3868 section 3.7), shaped as
// M3UA's with SUA's tags.
func init() {
	register(SUA, KindREGREQ, multi(fRoutingKey))
	register(SUA, KindREGRSP, multi(fRegResult))
	register(SUA, KindDEREGREQ, mand(fRoutingContext))
	register(SUA, KindDEREGRSP, multi(fDeregResult))
}
