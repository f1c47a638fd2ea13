package scenarios

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/sigpool/sigpool/mxua"
	"github.com/sigpool/sigpool/transport"
)

// replayer plays the user messages of a capture (M3UA DATA or SUA CLDT
// sent by the capture's SS7 side) into the SG at their original spacing,
// scaled, as one more SS7-side ASP. Answers are counted, not matched: a
// capture's requests carry whatever transaction IDs they carried.
type replayer struct {
	asp      *mxua.ASPEndpoint
	cancel   context.CancelFunc
	wg       sync.WaitGroup
	sent     atomic.Int64
	answered atomic.Int64
	interval atomic.Int64
}

// replayMessages picks the messages to replay: user traffic of the
// scenario's protocol from the address that sent the capture's first one.
func replayMessages(s *Scenario) ([]CapturedMessage, []*mxua.Message, error) {
	ppid, proto := uint32(PPIDM3UA), mxua.M3UA
	if s.Topology.Protocol == "sua" {
		ppid, proto = PPIDSUA, mxua.SUA
	}
	caps, _, err := ReadCapture(s.PCAPPath(), ppid)
	if err != nil {
		return nil, nil, err
	}
	var keep []CapturedMessage
	var msgs []*mxua.Message
	for _, c := range caps {
		m, err := mxua.Decode(proto, c.Data)
		if err != nil || !isUserTraffic(m) {
			continue
		}
		if len(keep) > 0 && c.Src != keep[0].Src {
			continue // the other direction: answers
		}
		// The SG assigns routing contexts of its own.
		m.RoutingContexts = nil
		keep = append(keep, c)
		msgs = append(msgs, m)
	}
	if len(msgs) == 0 {
		return nil, nil, fmt.Errorf("capture %s: no %v user traffic to replay", s.PCAPPath(), proto)
	}
	return keep, msgs, nil
}

func isUserTraffic(m *mxua.Message) bool {
	switch m.Kind {
	case mxua.KindDATA, mxua.KindCLDT:
		return true
	}
	return false
}

func startReplay(ctx context.Context, s *Scenario, addr string, tcfg transport.Config) (*replayer, error) {
	caps, msgs, err := replayMessages(s)
	if err != nil {
		return nil, err
	}
	proto := mxua.M3UA
	if s.Topology.Protocol == "sua" {
		proto = mxua.SUA
	}
	a, framing, err := transport.ParseFramedAddress(addr, tcfg.Framing)
	if err != nil {
		return nil, err
	}
	tcfg.Framing = framing
	dctx, dcancel := context.WithTimeout(ctx, 10*time.Second)
	defer dcancel()
	asp, err := mxua.DialASP(dctx, mxua.ASPEndpointConfig{Address: a, Transport: tcfg, ASP: mxua.ASPConfig{Protocol: proto}})
	if err != nil {
		return nil, fmt.Errorf("pcap replay: %w", err)
	}
	if err := asp.WaitState(dctx, mxua.ASPActive); err != nil {
		asp.Close()
		return nil, fmt.Errorf("pcap replay: ASP not ACTIVE: %w", err)
	}
	rctx, cancel := context.WithCancel(ctx)
	r := &replayer{asp: asp, cancel: cancel}
	r.wg.Add(2)
	go r.count(rctx)
	go r.play(rctx, caps, msgs, s.Traffic.PCAP.Speed, s.Traffic.PCAP.Loop)
	return r, nil
}

func (r *replayer) count(ctx context.Context) {
	defer r.wg.Done()
	for {
		select {
		case n, ok := <-r.asp.Notifications():
			if !ok {
				return
			}
			if n.Kind == mxua.NotifyDeliver {
				r.answered.Add(1)
				r.interval.Add(1)
			}
		case <-ctx.Done():
			return
		}
	}
}

func (r *replayer) play(ctx context.Context, caps []CapturedMessage, msgs []*mxua.Message, speed float64, loop bool) {
	defer r.wg.Done()
	for {
		start := time.Now()
		for i, m := range msgs {
			due := start.Add(time.Duration(float64(caps[i].Time.Sub(caps[0].Time)) / speed))
			if d := time.Until(due); d > 0 {
				select {
				case <-time.After(d):
				case <-ctx.Done():
					return
				}
			}
			if err := r.asp.Send(ctx, m); err != nil {
				if errors.Is(err, context.Canceled) {
					return
				}
				continue
			}
			r.sent.Add(1)
		}
		if !loop {
			return
		}
	}
}

func (r *replayer) takeInterval() int64 { return r.interval.Swap(0) }

func (r *replayer) counts() (sent, answered int64) { return r.sent.Load(), r.answered.Load() }

func (r *replayer) close() {
	r.cancel()
	r.wg.Wait()
	_ = r.asp.Close()
}
