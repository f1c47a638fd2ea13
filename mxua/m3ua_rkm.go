package mxua

// M3UA routing key management messages (RFC 4666 section 3.6), which
// go-m3ua v0.1.10 lacks. REG REQ carries one or more Routing Keys, REG RSP
// one Registration Result per key, DEREG REQ the Routing Contexts to drop
// and DEREG RSP one Deregistration Result per context.
func init() {
	register(M3UA, KindREGREQ, multi(fRoutingKey))
	register(M3UA, KindREGRSP, multi(fRegResult))
	register(M3UA, KindDEREGREQ, mand(fRoutingContext))
	register(M3UA, KindDEREGRSP, multi(fDeregResult))
}
