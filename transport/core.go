package transport

import (
	"context"
	"fmt"
	"net/netip"
	"sync"
	"time"

	"go.uber.org/zap"
)

// inboxBytes bounds what the receive path buffers ahead of Recv; past it
// the reader stops reading, so the kernel's flow control (SCTP rwnd, TCP
// window) slows the peer instead of memory growing.
const inboxBytes = 1 << 20

// eventQueue is the capacity of an association's event channel.
const eventQueue = 16

// core is the backend-independent half of an association: the queue of
// received messages, the event channel and the record of why it ended.
type core struct {
	log *zap.Logger

	mu      sync.Mutex
	inbox   []Message
	head    int
	queued  int  // bytes in inbox
	waiting bool // the reader waits for room
	ended   bool
	local   bool  // ended by Close or Abort here
	endErr  error // why it ended

	ready chan struct{} // a message was queued (capacity 1)
	room  chan struct{} // the inbox has room again (capacity 1)
	done  chan struct{} // closed when the association ends

	evMu     sync.Mutex
	events   chan Event
	evClosed bool
}

func newCore(log *zap.Logger) *core {
	c := &core{
		log:    log,
		ready:  make(chan struct{}, 1),
		room:   make(chan struct{}, 1),
		done:   make(chan struct{}),
		events: make(chan Event, eventQueue),
	}
	c.emit(EventUp, "", netip.AddrPort{})
	return c
}

// Events implements Association.
func (c *core) Events() <-chan Event { return c.events }

// emit queues a non-final event, dropping it rather than blocking when
// nobody reads events; one slot stays free for the final event.
func (c *core) emit(kind EventKind, reason string, addr netip.AddrPort) {
	ev := Event{Kind: kind, Reason: reason, Addr: addr, Time: time.Now()}
	c.log.Info("association event", zap.Stringer("event", ev))
	c.evMu.Lock()
	defer c.evMu.Unlock()
	if c.evClosed || len(c.events) >= cap(c.events)-1 {
		c.log.Warn("association event dropped: nobody reads Events", zap.Stringer("event", ev))
		return
	}
	c.events <- ev
}

// end records why the association ended, unless it already had; the first
// cause wins. It delivers the final event and closes the event channel.
// local marks an end asked for here: Recv then discards what is queued.
func (c *core) end(kind EventKind, reason string, err error, local bool) bool {
	c.mu.Lock()
	if c.ended {
		c.mu.Unlock()
		return false
	}
	c.ended, c.local, c.endErr = true, local, err
	if local {
		c.inbox, c.head, c.queued = nil, 0, 0
	}
	c.mu.Unlock()
	close(c.done)

	ev := Event{Kind: kind, Reason: reason, Time: time.Now()}
	if kind == EventPeerDead {
		c.log.Warn("association event", zap.Stringer("event", ev))
	} else {
		c.log.Info("association event", zap.Stringer("event", ev))
	}
	c.evMu.Lock()
	if !c.evClosed {
		c.events <- ev // emit leaves a slot for this
		c.evClosed = true
		close(c.events)
	}
	c.evMu.Unlock()
	return true
}

// isEnded reports whether the association has ended, and why.
func (c *core) isEnded() (bool, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.ended, c.endErr
}

// deliver queues received messages for Recv, waiting while the inbox is
// full. It returns false once the association has ended here, telling the
// reader to stop delivering.
func (c *core) deliver(msgs ...Message) bool {
	c.mu.Lock()
	for !c.ended && c.queued >= inboxBytes {
		c.waiting = true
		c.mu.Unlock()
		select {
		case <-c.room:
		case <-c.done:
		}
		c.mu.Lock()
	}
	if c.ended && c.local {
		c.mu.Unlock()
		return false
	}
	for _, m := range msgs {
		c.inbox = append(c.inbox, m)
		c.queued += len(m.Data)
	}
	c.mu.Unlock()
	select {
	case c.ready <- struct{}{}:
	default:
	}
	return true
}

// pop takes the next queued message (ok), or, once the association has
// ended and nothing is queued, the error saying why.
func (c *core) pop() (Message, bool, error) {
	c.mu.Lock()
	if c.head < len(c.inbox) {
		m := c.inbox[c.head]
		c.inbox[c.head] = Message{}
		c.head++
		if c.head == len(c.inbox) {
			c.inbox, c.head = c.inbox[:0], 0
		}
		c.queued -= len(m.Data)
		wake := c.waiting && c.queued < inboxBytes
		if wake {
			c.waiting = false
		}
		more := c.head < len(c.inbox)
		c.mu.Unlock()
		if wake {
			select {
			case c.room <- struct{}{}:
			default:
			}
		}
		if more {
			// Pass the wake-up on to another Recv waiting concurrently.
			select {
			case c.ready <- struct{}{}:
			default:
			}
		}
		return m, true, nil
	}
	err := c.endErr
	c.mu.Unlock()
	return Message{}, false, err
}

// Recv implements Association for backends whose reader goroutine queues
// every message.
func (c *core) Recv(ctx context.Context) (Message, error) {
	for {
		if m, ok, err := c.pop(); ok || err != nil {
			return m, err
		}
		select {
		case <-c.ready:
		case <-c.done:
		case <-ctx.Done():
			return Message{}, fmt.Errorf("transport: recv: %w", ctx.Err())
		}
	}
}
