package mxua

// M3UA management messages (RFC 4666 section 3.8). The conditional
// parameters of ERR (Routing Context, Network Appearance, Affected Point
// Code) and NTFY (ASP Identifier) are optional to the codec; when they are
// required is the state machine's business.
func init() {
	register(M3UA, KindERR, mand(fErrorCode), opt(fRoutingContext), opt(fNetworkAppearance), opt(fAPC), opt(fDiagnostic))
	register(M3UA, KindNTFY, mand(fStatus), opt(fASPID), opt(fRoutingContext), opt(fInfoString))
}
