package wire

import (
	"fmt"
	"unicode/utf8"
)

// PoolHandle is the Pool Handle parameter (RFC 5354, section 3.9): an
// opaque byte string naming a pool. The codec imposes no length limit
// beyond the 16-bit length field (RSPLIB caps handles at 32 bytes; that is
// policy for the handlespace, not the wire).
type PoolHandle []byte

// ParamType returns ParamPoolHandle.
func (PoolHandle) ParamType() ParamType { return ParamPoolHandle }

// AppendTo appends the pool handle parameter.
func (h PoolHandle) AppendTo(b []byte) ([]byte, error) {
	e := paramEncoder(b)
	e.poolHandle(h)
	return e.result()
}

// String returns the handle as text when it is printable UTF-8, else as hex.
func (h PoolHandle) String() string {
	if utf8.Valid(h) {
		printable := true
		for _, r := range string(h) {
			if r < 0x20 || r == 0x7f {
				printable = false
				break
			}
		}
		if printable {
			return string(h)
		}
	}
	return fmt.Sprintf("0x%x", []byte(h))
}

func (e *encoder) poolHandle(h PoolHandle) {
	s := e.begin(ParamPoolHandle)
	e.b = append(e.b, h...)
	e.end(s, ParamPoolHandle)
}

func (d *decoder) poolHandle(t tlv) PoolHandle {
	return PoolHandle(cloneBytes(d.b[t.val:t.end]))
}
