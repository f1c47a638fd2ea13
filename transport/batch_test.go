package transport

import (
	"encoding/binary"
	"errors"
	"testing"
	"time"
)

// SendBatch delivers a batch in order, interleaved correctly with single
// sends, and refuses a batch holding an impossible message without sending
// any of it. Over SCTP it falls back to one send per message.
func TestSendBatch(t *testing.T) {
	forEachBackend(t, func(t *testing.T, b backend) {
		ctx := testCtx(t, 20*time.Second)
		c, s := pair(t, ctx, b, testConfig(b))
		msg := func(i int) Message {
			d := make([]byte, 8+i%50)
			binary.BigEndian.PutUint32(d, 0x01000101)
			binary.BigEndian.PutUint32(d[4:], uint32(len(d)))
			d[len(d)-1] = byte(i)
			return Message{Stream: uint16(i % 4), PPID: 3, Data: d}
		}
		var batch []Message
		for i := range 100 {
			batch = append(batch, msg(i))
		}
		bad := append(append([]Message(nil), msg(100)), Message{PPID: 3})
		if err := SendBatch(ctx, c, bad); !errors.Is(err, ErrMessageSize) {
			t.Fatalf("batch with an empty message: %v, want ErrMessageSize", err)
		}
		if err := SendBatch(ctx, c, batch[:60]); err != nil {
			t.Fatal(err)
		}
		if err := c.Send(ctx, batch[60]); err != nil {
			t.Fatal(err)
		}
		if err := SendBatch(ctx, c, batch[61:]); err != nil {
			t.Fatal(err)
		}
		for i := range 100 {
			m, err := s.Recv(ctx)
			if err != nil {
				t.Fatalf("recv %d: %v", i, err)
			}
			want := msg(i)
			if len(m.Data) != len(want.Data) || m.Data[len(m.Data)-1] != byte(i) {
				t.Fatalf("message %d: %d bytes ending %d (the refused batch leaked?)", i, len(m.Data), m.Data[len(m.Data)-1])
			}
			if b.framing == FramingMux && (m.Stream != want.Stream || m.PPID != 3) {
				t.Fatalf("message %d: stream %d ppid %d", i, m.Stream, m.PPID)
			}
		}
	})
}
