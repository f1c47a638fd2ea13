package transport

import (
	"bufio"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
)

// Mux frame header (docs/transport.md):
//
//	0      1      2      3      4      5      6      7
//	+------+------+------+------+------+------+------+------+
//	| 'S'  | 'P'  | ver  |flags |   stream    |  reserved   |
//	+------+------+------+------+------+------+------+------+
//	|            PPID           |    payload length         |
//	+------+------+------+------+------+------+------+------+
const (
	muxHeaderLen = 16
	muxMagic0    = 'S'
	muxMagic1    = 'P'
	muxVersion   = 1
)

// Bare header lengths and where their length field sits.
const (
	rserpoolHeaderLen = 4 // type, flags, 16-bit length (whole message)
	sigtranHeaderLen  = 8 // version, reserved, class, type, 32-bit length
)

// headerLen is the number of bytes read before the frame's length is known.
func (f Framing) headerLen() int {
	switch f {
	case FramingRSerPool:
		return rserpoolHeaderLen
	case FramingSIGTRAN:
		return sigtranHeaderLen
	}
	return muxHeaderLen
}

// appendMuxHeader appends the mux header of m.
func appendMuxHeader(b []byte, m Message) []byte {
	var h [muxHeaderLen]byte
	h[0], h[1], h[2] = muxMagic0, muxMagic1, muxVersion
	binary.BigEndian.PutUint16(h[4:], m.Stream)
	binary.BigEndian.PutUint32(h[8:], m.PPID)
	binary.BigEndian.PutUint32(h[12:], uint32(len(m.Data)))
	return append(b, h[:]...)
}

// frameSpec is what a header says about the frame it starts.
type frameSpec struct {
	stream uint16
	ppid   uint32
	// rest is how many bytes follow the header.
	rest int
	// keepHeader: the header is part of the message (bare framings).
	keepHeader bool
}

// parseHeader validates a header of f.headerLen() bytes. It rejects
// lengths that cannot be valid before anything is allocated for them.
func (f Framing) parseHeader(h []byte, maxSize int, ppid uint32) (frameSpec, error) {
	switch f {
	case FramingRSerPool:
		n := int(binary.BigEndian.Uint16(h[2:4]))
		if n < rserpoolHeaderLen || n > maxSize {
			return frameSpec{}, lengthError(fmt.Sprintf("ASAP/ENRP message length %d (type 0x%02x)", n, h[0]), n > maxSize, rserpoolHeaderLen, maxSize)
		}
		return frameSpec{ppid: ppid, rest: n - rserpoolHeaderLen, keepHeader: true}, nil
	case FramingSIGTRAN:
		n := uint64(binary.BigEndian.Uint32(h[4:8]))
		if n < sigtranHeaderLen || n > uint64(maxSize) {
			return frameSpec{}, lengthError(fmt.Sprintf("M3UA/SUA message length %d (version %d, class %d, type %d)", n, h[0], h[2], h[3]), n > uint64(maxSize), sigtranHeaderLen, maxSize)
		}
		return frameSpec{ppid: ppid, rest: int(n) - sigtranHeaderLen, keepHeader: true}, nil
	}
	if h[0] != muxMagic0 || h[1] != muxMagic1 {
		return frameSpec{}, fmt.Errorf("%w: mux header starts % x, not %q (peer not using mux framing?)", ErrFraming, h[:2], "SP")
	}
	if h[2] != muxVersion {
		return frameSpec{}, fmt.Errorf("%w: mux version %d, want %d", ErrFraming, h[2], muxVersion)
	}
	if h[3] != 0 || h[6] != 0 || h[7] != 0 {
		return frameSpec{}, fmt.Errorf("%w: mux flags 0x%02x or reserved 0x%02x%02x not zero", ErrFraming, h[3], h[6], h[7])
	}
	n := uint64(binary.BigEndian.Uint32(h[12:16]))
	if n < 1 || n > uint64(maxSize) {
		return frameSpec{}, lengthError(fmt.Sprintf("mux payload length %d", n), n > uint64(maxSize), 1, maxSize)
	}
	return frameSpec{
		stream: binary.BigEndian.Uint16(h[4:6]),
		ppid:   binary.BigEndian.Uint32(h[8:12]),
		rest:   int(n),
	}, nil
}

// lengthError reports an impossible length field; one above the maximum
// also matches ErrMessageSize, as an oversized SCTP message does.
func lengthError(what string, tooLarge bool, min, max int) error {
	if tooLarge {
		return fmt.Errorf("%w: %w: %s above the maximum %d", ErrFraming, ErrMessageSize, what, max)
	}
	return fmt.Errorf("%w: %s below the minimum %d", ErrFraming, what, min)
}

// checkBare verifies that a message sent with a bare framing carries the
// length its own header announces, since the peer delimits by that field;
// a mismatch would desynchronise the byte stream for every later message.
func (f Framing) checkBare(data []byte) error {
	switch f {
	case FramingRSerPool:
		if len(data) < rserpoolHeaderLen {
			return fmt.Errorf("%w: %d bytes is shorter than the 4-byte ASAP/ENRP header", ErrFraming, len(data))
		}
		if n := int(binary.BigEndian.Uint16(data[2:4])); n != len(data) {
			return fmt.Errorf("%w: ASAP/ENRP Message Length says %d, message has %d bytes", ErrFraming, n, len(data))
		}
	case FramingSIGTRAN:
		if len(data) < sigtranHeaderLen {
			return fmt.Errorf("%w: %d bytes is shorter than the 8-byte M3UA/SUA common header", ErrFraming, len(data))
		}
		if n := uint64(binary.BigEndian.Uint32(data[4:8])); n != uint64(len(data)) {
			return fmt.Errorf("%w: M3UA/SUA Message Length says %d, message has %d bytes", ErrFraming, n, len(data))
		}
	}
	return nil
}

// frameReader reads frames from a byte stream. A read interrupted by a
// deadline keeps what it has read, and the next call resumes the frame, so
// that a cancelled Recv never loses stream position.
type frameReader struct {
	br      *bufio.Reader
	framing Framing
	maxSize int
	ppid    uint32

	hdr    []byte
	hdrN   int
	inBody bool
	spec   frameSpec
	data   []byte // message being read (header included for bare framings)
	dataN  int
}

func newFrameReader(r io.Reader, cfg Config) *frameReader {
	return &frameReader{
		br:      bufio.NewReaderSize(r, 64<<10),
		framing: cfg.Framing,
		maxSize: cfg.MaxMessageSize,
		ppid:    cfg.PPID,
		hdr:     make([]byte, cfg.Framing.headerLen()),
	}
}

// next returns the next message. readErr is the stream's error (io.EOF at
// a frame boundary, io.ErrUnexpectedEOF inside a frame); frameErr reports
// an impossible header, after which the stream is unusable. With discard
// the payload is skipped and no message returned.
func (r *frameReader) next(discard bool) (m Message, readErr, frameErr error) {
	for r.hdrN < len(r.hdr) {
		n, err := r.br.Read(r.hdr[r.hdrN:])
		r.hdrN += n
		if err != nil {
			if errors.Is(err, io.EOF) && r.hdrN > 0 {
				err = io.ErrUnexpectedEOF
			}
			return m, err, nil
		}
	}
	if !r.inBody {
		spec, err := r.framing.parseHeader(r.hdr, r.maxSize, r.ppid)
		if err != nil {
			return m, nil, err
		}
		r.spec, r.inBody, r.dataN = spec, true, 0
		switch {
		case discard:
			r.data = nil
		case spec.keepHeader:
			r.data = make([]byte, len(r.hdr)+spec.rest)
			r.dataN = copy(r.data, r.hdr)
		default:
			r.data = make([]byte, spec.rest)
		}
	}
	if discard && r.data == nil {
		for r.spec.rest > 0 {
			n, err := r.br.Discard(r.spec.rest)
			r.spec.rest -= n
			if err != nil {
				if errors.Is(err, io.EOF) {
					err = io.ErrUnexpectedEOF
				}
				return m, err, nil
			}
		}
	}
	for r.dataN < len(r.data) {
		n, err := r.br.Read(r.data[r.dataN:])
		r.dataN += n
		if err != nil {
			if errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			return m, err, nil
		}
	}
	m = Message{Stream: r.spec.stream, PPID: r.spec.ppid, Data: r.data}
	r.hdrN, r.inBody, r.data = 0, false, nil
	if discard {
		m = Message{}
	}
	return m, nil, nil
}

// buffered reports whether a whole frame can be read without waiting (a
// bad header counts: reading it fails at once).
func (r *frameReader) buffered() bool {
	if r.hdrN != 0 || r.inBody || r.br.Buffered() < len(r.hdr) {
		return false
	}
	h, _ := r.br.Peek(len(r.hdr))
	spec, err := r.framing.parseHeader(h, r.maxSize, r.ppid)
	return err != nil || r.br.Buffered() >= len(r.hdr)+spec.rest
}
