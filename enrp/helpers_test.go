package enrp

import (
	"context"
	"encoding/binary"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/sigpool/sigpool/wire"
)

// startRegistrar runs a registrar on loopback TCP (bare ASAP framing) with
// an ENRP listener, stopped at the end of the test.
func startRegistrar(t testing.TB, cfg Config) *Registrar {
	t.Helper()
	if cfg.ServerID == 0 {
		cfg.ServerID = 0xabcd
	}
	r, err := Start(context.Background(), Options{Core: cfg, Listen: []string{"tcp://127.0.0.1:0"}, ENRPListen: []string{"tcp://127.0.0.1:0"}})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

func asapAddr(r *Registrar) string { return r.Addrs(wire.ProtocolASAP)[0] }

// rawConn is a plain TCP ASAP peer, as a non-sigpool implementation is.
type rawConn struct {
	t testing.TB
	c net.Conn
}

func dialRaw(t testing.TB, r *Registrar) *rawConn {
	t.Helper()
	addr := strings.TrimPrefix(asapAddr(r), "tcp://")
	c, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	return &rawConn{t: t, c: c}
}

func (rc *rawConn) write(b []byte) {
	rc.t.Helper()
	if _, err := rc.c.Write(b); err != nil {
		rc.t.Fatal(err)
	}
}

func (rc *rawConn) send(m wire.Message) {
	rc.t.Helper()
	b, err := wire.Marshal(m)
	if err != nil {
		rc.t.Fatal(err)
	}
	rc.write(b)
}

// read returns the next ASAP message, or an error (io.EOF or a reset when
// the registrar closed the connection, a timeout when it stays silent).
func (rc *rawConn) read(timeout time.Duration) (wire.Message, error) {
	rc.c.SetReadDeadline(time.Now().Add(timeout))
	var h [4]byte
	if _, err := io.ReadFull(rc.c, h[:]); err != nil {
		return nil, err
	}
	n := int(binary.BigEndian.Uint16(h[2:]))
	b := make([]byte, n)
	copy(b, h[:])
	if _, err := io.ReadFull(rc.c, b[4:]); err != nil {
		return nil, err
	}
	m, _, err := wire.DecodeASAP(b)
	return m, err
}

// closed reports whether the registrar ended the connection.
func (rc *rawConn) closed(timeout time.Duration) bool {
	_, err := rc.read(timeout)
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return false
	}
	return err != nil
}

func tlv(typ uint16, val []byte) []byte {
	b := binary.BigEndian.AppendUint16(nil, typ)
	b = binary.BigEndian.AppendUint16(b, uint16(4+len(val)))
	b = append(b, val...)
	for len(b)%4 != 0 {
		b = append(b, 0)
	}
	return b
}

func asapMsg(typ, flags byte, params ...[]byte) []byte {
	b := []byte{typ, flags, 0, 0}
	for _, p := range params {
		b = append(b, p...)
	}
	binary.BigEndian.PutUint16(b[2:], uint16(len(b)))
	return b
}

func mustParam(t testing.TB, p wire.Parameter) []byte {
	t.Helper()
	b, err := p.AppendTo(nil)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func listenUDPLoopback() (*net.UDPConn, error) {
	return net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
}
