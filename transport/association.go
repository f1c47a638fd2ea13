package transport

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"time"

	"go.uber.org/zap"
)

// Message is one user message with its SCTP labels. Over TCP the mux
// framing carries Stream and PPID; bare framings carry neither.
type Message struct {
	// Stream is the SCTP stream identifier; order is kept per stream.
	Stream uint16
	// PPID is the Payload Protocol Identifier (ASAP 11, ENRP 12, M3UA 3,
	// SUA 4), in host order here and in network order on the wire.
	PPID uint32
	// Data is the whole message, protocol header included.
	Data []byte
}

// Association is a message-oriented association with one peer.
//
// Send and Recv may be called from several goroutines. Events reports the
// life of the association; Recv's error, once the association has ended,
// says why: io.EOF (the peer shut down gracefully, after all its data was
// received), ErrAborted (the peer aborted), ErrPeerDead (no acknowledgement
// within the profile's budget; errors.As gives *PeerDeadError with the
// reason), ErrFraming (the peer sent an impossible frame) or ErrClosed
// (closed here).
type Association interface {
	// Send queues one message. It returns once the message is handed to
	// the kernel, or queued behind messages being handed over; ctx bounds
	// the wait for room when the peer reads slowly.
	Send(ctx context.Context, m Message) error
	// Recv returns the next message, or the error that ended the
	// association once every message received before the end is read.
	// The message's Data belongs to the caller: the association never
	// reads or writes it again (decoders may keep slices of it).
	Recv(ctx context.Context) (Message, error)
	// Events delivers Up first, Restart and path changes while the
	// association lives, and one final Down or PeerDead, after which the
	// channel is closed. Events are dropped, never blocked on, when nobody
	// reads them; the final event always has room.
	Events() <-chan Event
	// LocalAddrs and RemoteAddrs list the association's addresses, several
	// with SCTP multi-homing.
	LocalAddrs() []netip.AddrPort
	RemoteAddrs() []netip.AddrPort
	// Streams returns the number of outbound and inbound streams in use:
	// over SCTP what the association negotiated (SCTP_STATUS at
	// establishment; the peer's INIT may grant fewer than Config.Streams),
	// over TCP Config.Streams both ways with the mux framing and 1 with a
	// bare framing, which carries no stream number (only stream 0 reaches
	// the peer as such). Over SCTP and mux, Send refuses streams from out on.
	Streams() (out, in uint16)
	// Close ends the association gracefully: data already sent is
	// delivered, then the peer sees the end (SCTP SHUTDOWN, TCP FIN).
	// Close waits for the peer's acknowledgement of the end, bounded by the
	// profile's dead-peer time.
	Close() error
	// Abort ends the association at once (SCTP ABORT, TCP RST); data not
	// yet delivered is lost.
	Abort() error
}

// Batcher is implemented by associations that can send several messages
// at the cost of one: over TCP one write(2) for the batch. SendBatch either
// sends every message in order or, when one is invalid, none.
type Batcher interface {
	SendBatch(ctx context.Context, msgs []Message) error
}

// SendBatch sends msgs on a in order: in one go when a is a Batcher (TCP:
// one write; kernel SCTP: checked first, then one sendmsg each), else one
// by one.
func SendBatch(ctx context.Context, a Association, msgs []Message) error {
	if b, ok := a.(Batcher); ok {
		return b.SendBatch(ctx, msgs)
	}
	for _, m := range msgs {
		if err := a.Send(ctx, m); err != nil {
			return err
		}
	}
	return nil
}

// Listener accepts associations.
type Listener interface {
	// Accept waits for the next association.
	Accept(ctx context.Context) (Association, error)
	// Addrs lists the bound addresses, with the port chosen by the kernel
	// when the address asked for port 0.
	Addrs() []netip.AddrPort
	// Close stops listening and frees the port, also while Accept waits.
	Close() error
}

// Errors that end an association. Match them with errors.Is.
var (
	// ErrClosed: the association or listener was closed (or aborted) here.
	ErrClosed = errors.New("association closed")
	// ErrAborted: the peer aborted the association (SCTP ABORT, TCP RST).
	ErrAborted = errors.New("aborted by peer")
	// ErrPeerDead: the peer stopped acknowledging within the profile's
	// budget. The error is a *PeerDeadError.
	ErrPeerDead = errors.New("peer dead")
	// ErrFraming: a TCP peer sent a frame that cannot be valid.
	ErrFraming = errors.New("framing error")
	// ErrMessageSize: a message is empty or larger than Config.MaxMessageSize.
	ErrMessageSize = errors.New("message size out of range")
	// ErrUnsupported: the address asks for kernel SCTP on a kernel without it.
	ErrUnsupported = errors.New("kernel SCTP unavailable")
)

// PeerDeadError says how a dead peer was detected.
type PeerDeadError struct {
	Reason string
}

func (e *PeerDeadError) Error() string { return "peer dead: " + e.Reason }

// Is makes errors.Is(err, ErrPeerDead) hold.
func (e *PeerDeadError) Is(target error) bool { return target == ErrPeerDead }

// EventKind classifies an Event.
type EventKind int

// Event kinds.
const (
	// EventUp: the association is established (SCTP COMM_UP).
	EventUp EventKind = iota + 1
	// EventDown: the association ended without a timeout: shut down or
	// aborted by either side, or closed after a framing error. Final.
	EventDown
	// EventRestart: the peer restarted and re-established the association
	// (SCTP_RESTART); its protocol state is gone, so re-register.
	EventRestart
	// EventPeerDead: the peer stopped acknowledging (SCTP COMM_LOST after
	// Association.Max.Retrans, TCP_USER_TIMEOUT or keepalive). Final.
	EventPeerDead
	// EventPathDown and EventPathUp: one destination address of a
	// multi-homed SCTP association became unreachable or reachable again.
	EventPathDown
	EventPathUp
)

func (k EventKind) String() string {
	switch k {
	case EventUp:
		return "up"
	case EventDown:
		return "down"
	case EventRestart:
		return "restart"
	case EventPeerDead:
		return "peer-dead"
	case EventPathDown:
		return "path-down"
	case EventPathUp:
		return "path-up"
	}
	return fmt.Sprintf("event(%d)", int(k))
}

// Event is a change in an association's life.
type Event struct {
	Kind   EventKind
	Reason string
	// Addr is the peer address of a path event.
	Addr netip.AddrPort
	Time time.Time
}

func (e Event) String() string {
	s := e.Kind.String()
	if e.Addr.IsValid() {
		s += " " + e.Addr.String()
	}
	if e.Reason != "" {
		s += ": " + e.Reason
	}
	return s
}

// Framing says how TCP delimits messages. SCTP keeps message boundaries
// itself and ignores it.
type Framing int

// Framings.
const (
	// FramingMux prefixes every message with a 16-byte header carrying
	// stream, PPID and length (docs/transport.md), so one TCP connection
	// carries several protocols as an SCTP association does. The default.
	FramingMux Framing = iota
	// FramingRSerPool delimits bare ASAP and ENRP messages by the 16-bit
	// Message Length at bytes 2-3 of their 4-byte header (RFC 5352, 5353).
	FramingRSerPool
	// FramingSIGTRAN delimits bare M3UA and SUA messages by the 32-bit
	// Message Length at bytes 4-7 of their 8-byte common header (RFC 4666,
	// RFC 3868).
	FramingSIGTRAN
)

func (f Framing) String() string {
	switch f {
	case FramingMux:
		return "mux"
	case FramingRSerPool:
		return "rserpool"
	case FramingSIGTRAN:
		return "sigtran"
	}
	return fmt.Sprintf("framing(%d)", int(f))
}

// ParseFraming reads a framing name: mux; rserpool (also asap, enrp);
// sigtran (also m3ua, sua).
// ParseFramedAddress reads an address that may name its TCP framing as a
// prefix, "mux+tcp://127.0.0.1:3863" or "rserpool+tcp://...", and returns
// the address without it and the framing; without a prefix the framing is
// def. The prefix lets one flag or config value say both where a peer is
// and how it delimits messages; SCTP ignores the framing.
func ParseFramedAddress(s string, def Framing) (string, Framing, error) {
	framing := def
	if name, rest, ok := strings.Cut(s, "+"); ok && !strings.ContainsAny(name, ":/[") {
		f, err := ParseFraming(name)
		if err != nil {
			return "", 0, fmt.Errorf("transport: address %q: %w", s, err)
		}
		s, framing = rest, f
	}
	if _, err := ParseAddress(s); err != nil {
		return "", 0, err
	}
	return s, framing, nil
}

func ParseFraming(s string) (Framing, error) {
	switch s {
	case "mux":
		return FramingMux, nil
	case "rserpool", "asap", "enrp":
		return FramingRSerPool, nil
	case "sigtran", "m3ua", "sua":
		return FramingSIGTRAN, nil
	}
	return 0, fmt.Errorf("transport: unknown framing %q (want mux, rserpool or sigtran)", s)
}

// Defaults used for zero Config fields.
const (
	DefaultStreams        = 32
	DefaultMaxMessageSize = 64 << 10
)

// Config tunes Listen and Dial. The zero value is usable: the rfc4960
// profile, mux framing over TCP, DefaultStreams, DefaultMaxMessageSize and
// no logging.
type Config struct {
	// Profile sets retransmission and heartbeat timers. Zero = rfc4960.
	Profile Profile
	// Framing delimits messages over TCP.
	Framing Framing
	// PPID labels messages received with a bare framing, and is the only
	// PPID (besides 0) such an association sends.
	PPID uint32
	// Streams is the number of outbound streams requested and inbound
	// streams accepted (SCTP INIT); Send rejects higher stream numbers.
	Streams int
	// MaxMessageSize bounds every message sent and received.
	MaxMessageSize int
	// LocalAddrs binds Dial to these local addresses (several: SCTP
	// multi-homing); empty lets the kernel choose.
	LocalAddrs []netip.Addr
	// Logger receives association events; nil logs nothing.
	Logger *zap.Logger
	// TLS, when set, runs every TCP association over TLS with this
	// configuration (a server configuration for Listen, a client one for
	// Dial; see TLSFiles). Kernel SCTP addresses are refused with it.
	TLS *tls.Config
	// Capture, when set, records every message of the associations in a
	// pcap file as synthetic SCTP frames.
	Capture *Capture
}

// withDefaults fills zero fields and validates the rest.
func (c Config) withDefaults() (Config, error) {
	if c.Profile == (Profile{}) {
		c.Profile, _ = builtinProfile("rfc4960")
	}
	if err := c.Profile.Validate(); err != nil {
		return c, fmt.Errorf("transport: profile %s: %w", c.Profile.Name, err)
	}
	if c.Streams == 0 {
		c.Streams = DefaultStreams
	}
	if c.Streams < 1 || c.Streams > 65535 {
		return c, fmt.Errorf("transport: streams=%d: must be from 1 to 65535", c.Streams)
	}
	if c.MaxMessageSize == 0 {
		c.MaxMessageSize = DefaultMaxMessageSize
	}
	if c.MaxMessageSize < 16 || c.MaxMessageSize > 16<<20 {
		return c, fmt.Errorf("transport: max message size %d: must be from 16 bytes to 16 MiB", c.MaxMessageSize)
	}
	switch c.Framing {
	case FramingMux, FramingSIGTRAN:
	case FramingRSerPool:
		// The 16-bit Message Length cannot say more.
		c.MaxMessageSize = min(c.MaxMessageSize, 65535)
	default:
		return c, fmt.Errorf("transport: unknown framing %d", int(c.Framing))
	}
	if c.Logger == nil {
		c.Logger = zap.NewNop()
	}
	return c, nil
}

// Listen listens on address ("sctp://127.0.0.1,127.0.0.2:3863",
// "tcp://[::1]:2905", "auto://:3863", "localhost:0").
func Listen(ctx context.Context, address string, cfg Config) (Listener, error) {
	a, err := ParseAddress(address)
	if err != nil {
		return nil, err
	}
	if cfg, err = cfg.withDefaults(); err != nil {
		return nil, err
	}
	scheme, err := chooseScheme(a, cfg, "listen")
	if err != nil {
		return nil, err
	}
	addrs, err := a.resolve(ctx)
	if err != nil {
		return nil, err
	}
	if len(addrs) == 0 {
		addrs = nil // unspecified address
	}
	if scheme == SchemeSCTP && cfg.TLS != nil {
		return nil, fmt.Errorf("transport: listen %s: %w", a, ErrTLSOverSCTP)
	}
	var l Listener
	if scheme == SchemeSCTP {
		l, err = listenSCTP(ctx, addrs, a.Port, cfg)
	} else {
		l, err = listenTCP(ctx, addrs, a.Port, cfg)
	}
	if err != nil || cfg.Capture == nil {
		return l, err
	}
	return &capturedListener{Listener: l, c: cfg.Capture}, nil
}

// Dial establishes an association with the peer at address; several hosts
// are the peer's multi-homing addresses (over TCP, tried in order).
func Dial(ctx context.Context, address string, cfg Config) (Association, error) {
	a, err := ParseAddress(address)
	if err != nil {
		return nil, err
	}
	if len(a.Hosts) == 0 {
		return nil, fmt.Errorf("transport: dial %q: no host to dial", address)
	}
	if a.Port == 0 {
		return nil, fmt.Errorf("transport: dial %q: port 0", address)
	}
	if cfg, err = cfg.withDefaults(); err != nil {
		return nil, err
	}
	scheme, err := chooseScheme(a, cfg, "dial")
	if err != nil {
		return nil, err
	}
	addrs, err := a.resolve(ctx)
	if err != nil {
		return nil, err
	}
	if scheme == SchemeSCTP && cfg.TLS != nil {
		return nil, fmt.Errorf("transport: dial %s: %w", a, ErrTLSOverSCTP)
	}
	var as Association
	if scheme == SchemeSCTP {
		as, err = dialSCTP(ctx, addrs, cfg)
	} else {
		as, err = dialTCP(ctx, addrs, a.Hosts[0], cfg)
	}
	if err != nil || cfg.Capture == nil {
		return as, err
	}
	return &capturedAssoc{Association: as, c: cfg.Capture}, nil
}

// chooseScheme resolves auto to sctp or tcp, saying so in one log line when
// it falls back to TCP.
func chooseScheme(a Address, cfg Config, op string) (Scheme, error) {
	switch a.Scheme {
	case SchemeSCTP:
		if err := kernelSCTP(); err != nil {
			return "", fmt.Errorf("transport: %s %s: %w", op, a, err)
		}
		return SchemeSCTP, nil
	case SchemeTCP:
		return SchemeTCP, nil
	}
	if cfg.TLS != nil {
		return SchemeTCP, nil // TLS runs over TCP only
	}
	if err := kernelSCTP(); err != nil {
		cfg.Logger.Info("kernel SCTP unavailable, using TCP instead",
			zap.String("op", op), zap.Stringer("address", a),
			zap.Stringer("framing", cfg.Framing), zap.String("cause", err.Error()))
		return SchemeTCP, nil
	}
	return SchemeSCTP, nil
}

// KernelSCTP reports whether this kernel offers SCTP sockets, and if not,
// why.
func KernelSCTP() error { return kernelSCTP() }
