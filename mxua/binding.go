package mxua

// Bindings tie the messages of one call, dialogue or link selection
// together so that a signalling gateway sharing traffic over a pool keeps
// them on one pool member, and can hand them to another with the call's
// state when that member is lost. An ISUP call is bound by its circuit
// (point-code pair + CIC, Q.763), a TCAP dialogue by the transaction ID the
// SS7 side chose (Q.773), anything else by the signalling link selection.

import (
	"encoding/binary"
	"errors"
	"fmt"

	"github.com/sigpool/sigpool/mxua/isup"
	"github.com/sigpool/sigpool/mxua/sccp"
	"github.com/sigpool/sigpool/mxua/tcap"
)

// Direction says which way a message crosses the gateway.
type Direction uint8

const (
	FromSS7  Direction = iota + 1 // SEP/STP -> SG -> pool
	FromPool                      // pool member -> SG -> SS7
)

func (d Direction) String() string {
	switch d {
	case FromSS7:
		return "from-ss7"
	case FromPool:
		return "from-pool"
	}
	return fmt.Sprintf("direction(%d)", uint8(d))
}

// BindingKind says what a binding follows.
type BindingKind uint8

const (
	BindingNone        BindingKind = iota
	BindingCircuit                 // ISUP: point codes + CIC
	BindingTransaction             // TCAP: point codes + SS7-side transaction ID
	BindingSLS                     // anything else: point codes + SLS
)

func (k BindingKind) String() string {
	switch k {
	case BindingNone:
		return "none"
	case BindingCircuit:
		return "circuit"
	case BindingTransaction:
		return "transaction"
	case BindingSLS:
		return "sls"
	}
	return fmt.Sprintf("binding-kind(%d)", uint8(k))
}

// BindingKey names one call, dialogue or link selection; it is the same for
// the messages of both directions.
type BindingKey struct {
	Kind          BindingKind
	SS7PC, PoolPC uint32 // point code of the SS7-side end and of the pool-side end (0 if none, e.g. SUA by GT)
	ID            uint32 // CIC; the SS7-side TCAP transaction ID; or SLS
}

// BindingKeyLen is the size of a key's binary form: kind, the two point
// codes and the ID.
const BindingKeyLen = 13

// ErrBinding is the reason every binding error wraps.
var ErrBinding = errors.New("binding")

func (k BindingKey) String() string {
	switch k.Kind {
	case BindingCircuit:
		return fmt.Sprintf("circuit ss7=%d pool=%d cic=%d", k.SS7PC, k.PoolPC, k.ID)
	case BindingTransaction:
		return fmt.Sprintf("transaction ss7=%d pool=%d tid=%08x", k.SS7PC, k.PoolPC, k.ID)
	case BindingSLS:
		return fmt.Sprintf("sls ss7=%d pool=%d sls=%d", k.SS7PC, k.PoolPC, k.ID)
	}
	return fmt.Sprintf("%v ss7=%d pool=%d id=%d", k.Kind, k.SS7PC, k.PoolPC, k.ID)
}

// valid checks what a key of its kind can hold.
func (k BindingKey) valid() error {
	switch k.Kind {
	case BindingCircuit:
		if k.ID > isup.MaxCIC {
			return fmt.Errorf("%w: circuit key with CIC %d beyond 12 bits", ErrBinding, k.ID)
		}
	case BindingTransaction:
	case BindingSLS:
		if k.ID > 0xff {
			return fmt.Errorf("%w: SLS key with SLS %d beyond 8 bits", ErrBinding, k.ID)
		}
	default:
		return fmt.Errorf("%w: key of kind %v", ErrBinding, k.Kind)
	}
	return nil
}

// AppendBinary appends the key's fixed 13-byte form: kind, SS7-side point
// code, pool-side point code, ID, big-endian.
func (k BindingKey) AppendBinary(b []byte) ([]byte, error) {
	if err := k.valid(); err != nil {
		return b, err
	}
	b = append(b, byte(k.Kind))
	b = binary.BigEndian.AppendUint32(b, k.SS7PC)
	b = binary.BigEndian.AppendUint32(b, k.PoolPC)
	return binary.BigEndian.AppendUint32(b, k.ID), nil
}

// ParseBindingKey reads a key's 13-byte form; b must be exactly that long.
func ParseBindingKey(b []byte) (BindingKey, error) {
	if len(b) != BindingKeyLen {
		return BindingKey{}, fmt.Errorf("%w: key of %d bytes, want %d", ErrBinding, len(b), BindingKeyLen)
	}
	k := BindingKey{
		Kind:   BindingKind(b[0]),
		SS7PC:  binary.BigEndian.Uint32(b[1:]),
		PoolPC: binary.BigEndian.Uint32(b[5:]),
		ID:     binary.BigEndian.Uint32(b[9:]),
	}
	if err := k.valid(); err != nil {
		return BindingKey{}, err
	}
	return k, nil
}

// Binding is what one M3UA DATA or SUA CLDT, CLDR or connection-oriented
// message says about its dialogue.
type Binding struct {
	Kind                  BindingKind
	SS7PC, PoolPC         uint32
	CIC                   uint16
	SLS                   uint8
	SS7TID, PoolTID       uint32 // TCAP transaction IDs chosen by the SS7 side and by the pool side
	HasSS7TID, HasPoolTID bool   // (TIDs longer than 4 bytes: low 32 bits)
	Begins, Ends          bool   // this message opens (ISUP IAM, TCAP Begin) / closes (ISUP RLC, TCAP End/Abort, Unidirectional) the dialogue
}

// ssnSCMG is SCCP management's subsystem: its messages are not TCAP.
const ssnSCMG = 1

// BindingOf reads the binding of a transfer message travelling in
// direction d: M3UA DATA carrying ISUP (SI 5) binds by circuit, DATA
// carrying a SCCP UDT/XUDT with TCAP (SI 3) and SUA CLDT/CLDR with TCAP
// bind by transaction, everything else by SLS. In a SUA CLDR (and so a
// returned message) the TCAP message travelled the other way, so its
// transaction IDs are read as such, and it neither begins nor ends the
// dialogue. SUA connection-oriented messages all bind by SLS 0, which keeps
// a connection on one pool member. Malformed ISUP, SCCP or TCAP gives an
// error wrapping ErrBinding. It does not allocate unless it fails.
func BindingOf(m *Message, d Direction) (Binding, error) {
	if m == nil {
		return Binding{}, fmt.Errorf("%w: nil message", ErrBinding)
	}
	if d != FromSS7 && d != FromPool {
		return Binding{}, fmt.Errorf("%w: %v", ErrBinding, d)
	}
	switch {
	case m.Kind == KindDATA && m.Protocol == M3UA:
		if m.ProtocolData == nil {
			return Binding{}, fmt.Errorf("%w: DATA without protocol data", ErrBinding)
		}
		return dataBinding(m.ProtocolData, d)
	case m.Protocol == SUA && (m.Kind.Class() == ClassCL || m.Kind.Class() == ClassCO):
		if m.SUA == nil {
			return Binding{}, fmt.Errorf("%w: %v without SUA content", ErrBinding, m.Kind)
		}
		return suaBinding(m.Kind, m.SUA, d)
	}
	return Binding{}, fmt.Errorf("%w: %v %v is not a transfer message", ErrBinding, m.Protocol, m.Kind)
}

func dataBinding(pd *ProtocolData, d Direction) (Binding, error) {
	b := Binding{Kind: BindingSLS, SLS: pd.SLS, SS7PC: pd.OPC, PoolPC: pd.DPC}
	if d == FromPool {
		b.SS7PC, b.PoolPC = pd.DPC, pd.OPC
	}
	switch pd.SI & 0x0f {
	case siISUP:
		cic, err := isup.CIC(pd.Payload)
		if err != nil {
			return Binding{}, fmt.Errorf("%w: ISUP in DATA: %w", ErrBinding, err)
		}
		b.Kind, b.CIC = BindingCircuit, cic
		switch isup.MessageType(pd.Payload[2]) {
		case isup.MsgIAM:
			b.Begins = true
		case isup.MsgRLC:
			b.Ends = true
		}
	case siSCCP:
		p := pd.Payload
		if len(p) == 0 {
			return Binding{}, fmt.Errorf("%w: SCCP in DATA: empty payload", ErrBinding)
		}
		// Only unitdata carries TCAP the gateway can read; other SCCP
		// messages (services, connection-oriented) follow the SLS.
		if t := sccp.MessageType(p[0]); t != sccp.MsgUDT && t != sccp.MsgXUDT {
			return b, nil
		}
		s, err := sccp.Peek(p)
		if err != nil {
			return Binding{}, fmt.Errorf("%w: SCCP in DATA: %w", ErrBinding, err)
		}
		if s.HasSSN && s.CalledSSN == ssnSCMG {
			return b, nil
		}
		if err := tcapBinding(&b, s.Data, d, false); err != nil {
			return Binding{}, err
		}
	}
	return b, nil
}

func suaBinding(k Kind, s *SUAData, d Direction) (Binding, error) {
	b := Binding{Kind: BindingSLS}
	src, dst := addrPC(s.Source), addrPC(s.Destination)
	b.SS7PC, b.PoolPC = src, dst
	if d == FromPool {
		b.SS7PC, b.PoolPC = dst, src
	}
	if k.Class() == ClassCO {
		return b, nil
	}
	b.SLS = uint8(s.SequenceControl)
	if s.Destination != nil && s.Destination.SSN != nil && *s.Destination.SSN == ssnSCMG {
		return b, nil
	}
	if err := tcapBinding(&b, s.Data, d, k == KindCLDR); err != nil {
		return Binding{}, err
	}
	return b, nil
}

func addrPC(a *SCCPAddress) uint32 {
	if a == nil || a.PointCode == nil {
		return 0
	}
	return *a.PointCode
}

// tcapBinding fills in the transaction part when data is TCAP: data whose
// first octet is a TCAP message tag must parse as one; other user data is
// left bound by SLS. returned means data is a message sent the other way
// and handed back (SCCP return on error).
func tcapBinding(b *Binding, data []byte, d Direction, returned bool) error {
	if len(data) == 0 {
		return nil
	}
	switch tcap.MessageType(data[0]) {
	case tcap.Unidirectional, tcap.Begin, tcap.End, tcap.Continue, tcap.Abort:
	default:
		return nil
	}
	tr, err := tcap.TransactionIDs(data)
	if err != nil {
		return fmt.Errorf("%w: TCAP: %w", ErrBinding, err)
	}
	b.Kind = BindingTransaction
	// The originating TID is the sender's own.
	fromSS7 := (d == FromSS7) != returned
	own, peer := &b.PoolTID, &b.SS7TID
	hasOwn, hasPeer := &b.HasPoolTID, &b.HasSS7TID
	if fromSS7 {
		own, peer = peer, own
		hasOwn, hasPeer = hasPeer, hasOwn
	}
	if tr.OTID.Valid() {
		*own, *hasOwn = tr.OTID.Uint32(), true
	}
	if tr.DTID.Valid() {
		*peer, *hasPeer = tr.DTID.Uint32(), true
	}
	if !returned {
		switch tr.Type {
		case tcap.Begin:
			b.Begins = true
		case tcap.End, tcap.Abort, tcap.Unidirectional:
			b.Ends = true
		}
	}
	return nil
}

// Key returns the stickiness key when this message alone determines it:
// always for a circuit; for a transaction when the SS7-side TID is present
// (a Unidirectional, which has no TIDs, falls back to the SLS); the SLS
// otherwise. It returns false for, e.g., an SS7-side TCAP End that carries
// only the pool-side TID: the gateway knows that dialogue's key from the
// pool-side TID it saw earlier.
func (b Binding) Key() (BindingKey, bool) {
	k := BindingKey{Kind: b.Kind, SS7PC: b.SS7PC, PoolPC: b.PoolPC}
	switch b.Kind {
	case BindingCircuit:
		k.ID = uint32(b.CIC)
	case BindingTransaction:
		switch {
		case b.HasSS7TID:
			k.ID = b.SS7TID
		case b.HasPoolTID:
			return BindingKey{}, false
		default:
			k.Kind, k.ID = BindingSLS, uint32(b.SLS)
		}
	case BindingSLS:
		k.ID = uint32(b.SLS)
	default:
		return BindingKey{}, false
	}
	return k, true
}

// BindingCookie is the value of the ASAP Cookie a pool member sends the
// gateway whenever a call or dialogue changes state: the binding and the
// member's opaque state of it. An empty State says the call has finished.
type BindingCookie struct {
	Key   BindingKey
	State []byte
}

// Binding cookie framing: magic, version, key, state to the end.
const (
	bindingCookieMagic   = "SGPB"
	bindingCookieVersion = 1
	bindingCookieHeader  = len(bindingCookieMagic) + 1 + BindingKeyLen
)

// Marshal returns the cookie's wire form: "SGPB", version 1, the 13-byte
// key and the state. A key that cannot be encoded is written as it is, and
// ParseBindingCookie then rejects it.
func (c BindingCookie) Marshal() []byte {
	b := make([]byte, 0, bindingCookieHeader+len(c.State))
	b = append(b, bindingCookieMagic...)
	b = append(b, bindingCookieVersion, byte(c.Key.Kind))
	b = binary.BigEndian.AppendUint32(b, c.Key.SS7PC)
	b = binary.BigEndian.AppendUint32(b, c.Key.PoolPC)
	b = binary.BigEndian.AppendUint32(b, c.Key.ID)
	return append(b, c.State...)
}

// ParseBindingCookie reads a cookie written by Marshal. The state is a copy
// (nil when empty), so the cookie outlives b.
func ParseBindingCookie(b []byte) (BindingCookie, error) {
	if len(b) < bindingCookieHeader {
		return BindingCookie{}, fmt.Errorf("%w: cookie of %d bytes, the header needs %d", ErrBinding, len(b), bindingCookieHeader)
	}
	if string(b[:4]) != bindingCookieMagic {
		return BindingCookie{}, fmt.Errorf("%w: cookie magic %q, want %q", ErrBinding, b[:4], bindingCookieMagic)
	}
	if b[4] != bindingCookieVersion {
		return BindingCookie{}, fmt.Errorf("%w: cookie version %d, want %d", ErrBinding, b[4], bindingCookieVersion)
	}
	k, err := ParseBindingKey(b[5:bindingCookieHeader])
	if err != nil {
		return BindingCookie{}, fmt.Errorf("cookie: %w", err)
	}
	c := BindingCookie{Key: k}
	if len(b) > bindingCookieHeader {
		c.State = append([]byte(nil), b[bindingCookieHeader:]...)
	}
	return c, nil
}
