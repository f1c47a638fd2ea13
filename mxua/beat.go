package mxua

import (
	"encoding/binary"
	"time"

	"github.com/sigpool/sigpool/transport"
)

// beat runs the BEAT procedure (RFC 4666 section 4.3.4.6) on one
// association, in every ASP state: go-m3ua beats only in ASP-ACTIVE and so
// never notices a peer that freezes while INACTIVE (a standby GWC).
//
// Every interval a BEAT goes out carrying a sequence number as Heartbeat
// Data; any BEAT ACK echoing data we sent resets the miss count, and so
// does any other message from the peer (heard): a peer busy answering
// traffic is alive even when its BEAT ACKs wait behind that traffic in a
// queue, and declaring it lost then would move a healthy GWC's load onto
// the others in the middle of an overload. (SCTP reasons the same way: it
// heartbeats idle paths only.) When a period ends with miss BEATs
// unanswered and nothing else heard the peer is declared lost: with
// the carrier profile (100 ms x 3) a peer frozen right after answering is
// declared lost 400 ms later, AppHBInterval x (AppHBMiss+1), the figure
// transport.Profile.WorstCaseDetection reports.
type beater struct {
	interval time.Duration
	miss     int
	seq      uint64
	unacked  int
	lost     bool
	running  bool
}

func newBeat(p transport.Profile) beater {
	return beater{interval: p.AppHBInterval, miss: p.AppHBMiss}
}

// start arms the first BEAT one interval after the association came up.
func (b *beater) start(out *[]Action, t timerSet, assoc AssocID, now time.Time) {
	if b.interval <= 0 {
		return
	}
	b.unacked, b.lost, b.running = 0, false, true
	t.set(out, TimerID{Kind: TimerBeat, Assoc: assoc}, now.Add(b.interval))
}

func (b *beater) stop(out *[]Action, t timerSet, assoc AssocID) {
	b.running = false
	t.cancel(out, TimerID{Kind: TimerBeat, Assoc: assoc})
}

// expire handles the BEAT timer: it returns true when the peer is lost,
// otherwise sends the next BEAT and re-arms.
func (b *beater) expire(out *[]Action, t timerSet, p Protocol, assoc AssocID, now time.Time) (lost bool) {
	if !b.running {
		return false
	}
	if b.miss > 0 && b.unacked >= b.miss {
		b.lost, b.running = true, false
		return true
	}
	b.seq++
	m := fsmNewMsg(p, KindBEAT)
	m.HeartbeatData = binary.BigEndian.AppendUint64(nil, b.seq)
	b.unacked++
	*out = append(*out, SendMessage{Assoc: assoc, Stream: 0, Msg: m})
	t.set(out, TimerID{Kind: TimerBeat, Assoc: assoc}, now.Add(b.interval))
	return false
}

// ack handles a BEAT ACK: data we sent (any of the outstanding sequence
// numbers) proves the peer alive.
func (b *beater) ack(m *Message) {
	if len(m.HeartbeatData) != 8 {
		return
	}
	s := binary.BigEndian.Uint64(m.HeartbeatData)
	if s != 0 && s <= b.seq && b.seq-s < uint64(max(b.miss, 1))+1 {
		b.unacked = 0
	}
}

// heard notes that the peer sent something (PeerHeard, or a message the
// core handled): alive, as a BEAT ACK would show.
func (b *beater) heard() { b.unacked = 0 }

// beatAck answers a BEAT with a BEAT ACK echoing its Heartbeat Data
// unchanged (RFC 4666 section 3.5.6), whatever the ASP state.
func beatAck(p Protocol, in *Message) *Message {
	m := fsmNewMsg(p, KindBEATAck)
	m.HeartbeatData = append([]byte(nil), in.HeartbeatData...)
	return m
}
