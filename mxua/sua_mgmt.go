package mxua

// SUA management messages (RFC 3868 section 3.8): as in M3UA, with SUA's
// Network Appearance tag.
func init() {
	register(SUA, KindERR, mand(fErrorCode), opt(fRoutingContext), opt(fNetworkAppearance), opt(fAPC), opt(fDiagnostic))
	register(SUA, KindNTFY, mand(fStatus), opt(fASPID), opt(fRoutingContext), opt(fInfoString))
}
