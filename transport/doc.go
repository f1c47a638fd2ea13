// Package transport carries RSerPool (ASAP, ENRP) and SIGTRAN (M3UA, SUA)
// messages over message-oriented associations: kernel SCTP where the kernel
// has it, TCP with message framing where it does not.
//
// One interface serves both: an Association sends and receives whole
// messages labelled with an SCTP stream identifier and a Payload Protocol
// Identifier (PPID), reports Up, Down, Restart and PeerDead events, and ends
// gracefully (Close, SCTP SHUTDOWN or TCP FIN after all data) or at once
// (Abort, SCTP ABORT or TCP RST). Listen and Dial pick the backend from the
// address scheme: "sctp://", "tcp://", or "auto://" and bare "host:port"
// (kernel SCTP when available, else TCP, logged once).
//
// Liveness is set by one named heartbeat Profile (rfc4960, carrier, wan, or
// a field-by-field override such as "carrier,rto_max=300ms"). The profile is
// applied to SCTP with SCTP_RTOINFO, SCTP_PEER_ADDR_PARAMS, SCTP_ASSOCINFO
// and SCTP_INITMSG, and mapped onto TCP_USER_TIMEOUT and TCP keepalive. It
// also carries the application heartbeat (ASAP keep-alive, M3UA BEAT) that
// the protocol layers run, since a frozen peer process (SIGSTOP) is still
// acknowledged by its kernel and only an application heartbeat notices it.
//
// docs/transport.md describes the TCP framings byte by byte, the error
// behaviour and how profiles map onto socket options.
package transport
