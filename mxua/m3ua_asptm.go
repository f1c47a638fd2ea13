package mxua

// M3UA ASP traffic maintenance messages (RFC 4666 section 3.7).
func init() {
	register(M3UA, KindASPAC, opt(fTrafficMode), opt(fRoutingContext), opt(fInfoString))
	register(M3UA, KindASPACAck, opt(fTrafficMode), opt(fRoutingContext), opt(fInfoString))
	register(M3UA, KindASPIA, opt(fRoutingContext), opt(fInfoString))
	register(M3UA, KindASPIAAck, opt(fRoutingContext), opt(fInfoString))
}
