// Package enrp is the sigpool registrar: the ASAP server side of RFC 5352
// (registration, re-registration, deregistration, handle resolution,
// endpoint keep-alive, unreachable reports, Server Announce) and the
// ENRP of RFC 5353 between registrars (peer.go: Presence, peer timers,
// List, Handle Update; sync.go: handle-table transfer, mentor discovery,
// checksum audit; takeover.go: takeover and its after-the-fact
// tie-break). docs/enrp.md describes the choices.
//
// Core is sans-I/O: methods take the time and an event (association up or
// down, a decoded message, a decode error, a timer tick) and fill an Actions
// (encoded messages to send, associations to abort, notes to log).
// NextDeadline says when Tick is due; Actions.Dials asks the driver for
// associations (to peers it learnt of, to PEs it took over). Registrar is
// the driver: listeners, configured peers dialled with back-off, one reader
// goroutine per association (and an ordered send queue on peer and dialled
// ones), a timer goroutine.
//
// Decisions (where the RFCs leave room):
//   - Timers follow the heartbeat profile: keep-alive interval =
//     AppHBInterval, timeout = AppHBInterval x AppHBMiss (carrier: 100 ms +
//     300 ms); without a profile RSPLIB's 5 s / 5 s. A keep-alive goes to a
//     PE after KeepAliveInterval without a registration or ack; an
//     unanswered one removes the PE after KeepAliveTimeout. An ack also
//     renews the registration life (as RSPLIB).
//   - A PE whose ASAP association ends is removed at once (default; a
//     live PE re-registers when it reconnects). KeepOnAssociationLoss keeps
//     RSPLIB's behaviour (removal by keep-alive or lifetime).
//   - Endpoint Unreachable: MaxBadPEReports (3) reports within
//     BadPEReportWindow (30 s), each from a different reporter (its
//     certificate identity, else its address), remove the PE; the first
//     report sends the PE a keep-alive at once, so a dead PE goes at the
//     keep-alive timeout whoever reported it.
//   - Handle resolution: 3 PEs by default; the Handle Resolution Option
//     asks for more, capped at HandleResolutionItemsCap (128), AllItems
//     included; 0 means the default.
//   - Rate limits (per association, token buckets, off by default):
//     with PaceOverLimit (ConfigForProfile and the CLI turn it on) the
//     driver stops reading an association whose resolution or unreachable
//     bucket ran dry until a token is back (ReadPause), so its excess waits
//     in its own socket; without it resolutions over the limit are
//     answered with an Operation Error "lack of resources" and unreachable
//     reports over the limit are dropped. Registrations over the limit, or
//     beyond MaxPEsPerAssociation, are rejected with "lack of resources".
//   - Accepted associations that send no valid message within
//     FirstMessageTimeout, or hold no PE and stay silent for IdleTimeout,
//     are closed (Accepted marks them; peers and dials are exempt).
//     docs/security.md lists every limit.
//   - Deregistration is accepted only on the association the PE registered
//     over ("rejection due to security" otherwise); an unknown PE in a known
//     pool is confirmed, an unknown pool gets "unknown pool handle".
//   - Messages the codec refuses: the Operation Error it says is owed
//     (unrecognized message or parameter) in an ASAP Error; a stop-action
//     unknown parameter is dropped silently; other malformed messages get
//     "invalid values" (a rejected Registration Response for registrations).
//     Messages a registrar never receives (responses, Business Card, Cookie,
//     Server Announce) get "unrecognized message"; ASAP Errors are never
//     answered. Framing errors close the connection (transport).
//   - TCP framing: bare ASAP/ENRP by default, so plain RSerPool peers
//     interoperate; "mux+tcp://" listens with the mux framing, where each
//     message's PPID selects ASAP or ENRP (as over SCTP). Over SCTP and the
//     mux framing, PPID 11 is ASAP and 12 ENRP on any listener; PPID 0
//     (unspecified) is the listener's protocol; messages with any other PPID
//     are dropped unanswered.
//   - Server Announce is off unless Options.Announce is set (any UDP
//     address; DefaultAnnounceAddress is the RFC multicast group).
//
// Hot path: the reader goroutine of each association decodes, holds the
// core's mutex only for the handlespace work and the encoding into its own
// reused Actions buffer, then sends the reply itself: no goroutine hand-over
// per message, no allocation in the core for a resolution.
package enrp
