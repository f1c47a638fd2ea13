package mxua

// SUA ASP traffic maintenance messages (RFC 3868 section 3.6): ASP Active
// may carry TID and DRN loadsharing labels.
func init() {
	register(SUA, KindASPAC, opt(fTrafficMode), opt(fRoutingContext), opt(fTIDLabel), opt(fDRNLabel), opt(fInfoString))
	register(SUA, KindASPACAck, opt(fTrafficMode), opt(fRoutingContext), opt(fInfoString))
	register(SUA, KindASPIA, opt(fRoutingContext), opt(fInfoString))
	register(SUA, KindASPIAAck, opt(fRoutingContext), opt(fInfoString))
}
