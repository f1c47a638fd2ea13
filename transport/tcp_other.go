//go:build !linux

package transport

import (
	"errors"
	"fmt"
	"net"
	"syscall"
)

// setTCPOptions applies TCP_NODELAY and keepalive; TCP_USER_TIMEOUT is
// Linux-only, so dead-peer detection with data outstanding falls back to
// the system's retransmission limit here.
func setTCPOptions(conn *net.TCPConn, o tcpOptions) error {
	if err := conn.SetNoDelay(true); err != nil {
		return fmt.Errorf("set TCP_NODELAY: %w", err)
	}
	return conn.SetKeepAliveConfig(net.KeepAliveConfig{
		Enable: true, Idle: o.keepIdle, Interval: o.keepIntvl, Count: o.keepCnt,
	})
}

func readTCPOptions(conn *net.TCPConn) (tcpOptions, bool, error) {
	return tcpOptions{}, false, errors.New("reading TCP options is implemented on Linux only")
}

// rawWrite reports a full buffer, sending every write down the poller's
// path, which honours deadlines on every system.
func rawWrite(fd uintptr, b []byte) (int, error) { return 0, syscall.EAGAIN }
