// Package relay is the "bare relay" baseline of sigpool's SG benchmark:
// what forwarding SIGTRAN traffic costs with no ASAP, no M3UA state and no
// per-call stickiness, measured with the same simulator and the same
// figures (MSU/s, p50/p99) as the SG.
//
// A Relay accepts upstream associations (TCP, bare SIGTRAN framing by
// default) and, per upstream, dials N downstream ones; each message from
// upstream goes to the next downstream in turn, undecoded, and whatever a
// downstream sends goes back to its upstream. A Responder is the downstream:
// it turns each request into its answer from the message alone (Answer):
// acknowledgements for ASP management, swapped routing labels and the
// answering ISUP or TCAP message for traffic.
package relay
