// Package interop holds sigpool's interoperability cases against real peers
// over kernel SCTP: RSPLIB 3.4.4 (rspregistrar, rspserver, rspterminal,
// hsdump) and osmo-stp 1.6.0, as Debian builds them.
//
// The cases are tests that run only inside the VM that scripts/interop.sh
// (make interop) boots: it stages the peers' binaries, their libraries and a
// static sigpool binary in testdata/peers and sets SIGPOOL_INTEROP=1.
// Anywhere else they skip. docs/interop.md lists the cases, the peer versions
// and the peers' deviations with their workarounds.
package interop
