// Package gwc is sigpool's gateway controller (GWC): an ASAP pool element
// that serves a signalling gateway (SG) as an M3UA or SUA ASP and runs a
// small call agent behind it.
//
// The call agent (CallAgent) is a sans-I/O core. It takes the transfer
// messages the SG delivers (M3UA DATA carrying ISUP or SCCP, SUA CLDT) with
// the current time, and returns Actions: messages to send back, ASAP
// Cookies to hand the SG, and notes for logs. It keeps its own deadlines
// (NextDeadline, Tick), so tests drive it with a fake clock.
//
//   - ISUP (Q.764 basic call, the GWC as the terminating exchange): IAM is
//     answered with ACM at once and ANM after AgentConfig.AnswerDelay (zero sends
//     ANM right behind ACM); a positive AgentConfig.HoldTime releases the call
//     (REL) that long after answer and waits for RLC, repeating REL every
//     AgentConfig.ReleaseTimeout (Q.764 T1). REL from the SS7 side is answered
//     with RLC and frees the circuit.
//   - TCAP (Q.771-Q.774 responder): Begin is answered with End, or with
//     AgentConfig.TCAPContinues Continues (one per message from the SS7 side)
//     before the End. Each Invoke is answered with a ReturnResultLast
//     carrying its invoke ID and operation code; a Begin's AARQ
//     is answered with an AARE accepting its application context.
//   - SCCP answers swap called and calling party; M3UA answers go to the
//     request's OPC, from AgentConfig.PointCode (or the request's DPC).
//
// Every state change of a call or dialogue yields a Cookie: a
// mxua.BindingCookie whose State (cookie_state.go) is what another GWC needs
// to carry the call on. Restore takes one back from a Cookie Echo.
//
// The driver (GWC, Start) registers the pool element, serves each SG
// association (asap PEAssociation.Split, mxua.AttachASP), feeds the call
// agent from one goroutine, sends its answers and Cookies, keeps the PE's
// load (active calls / capacity) current at the registrar, and reports
// through zap and Prometheus metrics.
package gwc
