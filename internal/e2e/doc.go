// Package e2e holds sigpool's end-to-end tests and the SG benchmark: a
// SEP simulator (internal/sepsim) plays ISUP calls and TCAP dialogues
// through the signalling gateway to a pool of gateway controllers found
// through ASAP, in-process or as real `sigpool` processes that the tests
// kill and freeze. The benchmark measures the SG next to the bare relay
// baseline (internal/relay) in the same run. It has no code outside its
// tests.
package e2e
