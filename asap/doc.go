// Package asap implements the two endpoints of the Aggregate Server Access
// Protocol (RFC 5352): the pool element (PE), which registers with an ENRP
// registrar, answers its keep-alives and serves pool users, and the pool
// user (PU), which resolves pool handles, selects a PE by the pool's
// policy and keeps a session to it across PE failures.
//
// Each endpoint is split as the rest of sigpool is (docs in
// /work/shared/design.md): a sans-I/O core and a thin driver.
//
//   - PECore and PUCore are pure state machines. They take events (an
//     association came up or went down, a dial failed, a message arrived,
//     time passed, the application asked for something) together with the
//     current time, and return Actions: dial registrar i, send a message on
//     an association, close one, report an event, hand a resolution to its
//     waiters. A core keeps its own deadlines; NextDeadline says when the
//     driver must call Tick next. No goroutines, sockets or clocks inside,
//     so tests drive them with a fake clock and scripted registrar messages.
//   - PoolElement, PoolUser and Session are the drivers: they own the
//     transport associations, one goroutine per core (an event loop), one
//     reader goroutine per association and the timer.
//
// Timers follow RFC 5352 section 5 where the RFC fixes them and RSPLIB's
// defaults where it leaves them open (re-registration every 30 s,
// registration life 3 x that); the rest derive from the heartbeat profile
// (transport.Profile) so that one profile sets a component's whole
// failover budget. See Timers and TimersFor.
//
// Transport. A PE registers over an association to a registrar (PPID 11;
// over TCP the mux framing by default, so a sigpool registrar can tell ASAP
// from ENRP). Its user transport, where PUs reach it, is its own
// transport.Listen address; the PE announces it with transport use
// "data plus control": ASAP control (Cookie, Cookie Echo, Business Card,
// and a registrar's Endpoint Keep-Alive after a takeover) travels on PPID
// 11 beside the application's data on the same association.
package asap
