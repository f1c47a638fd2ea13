//go:build linux

package transport

import (
	"fmt"
	"net"
	"syscall"
	"time"
)

// tcpUserTimeout is TCP_USER_TIMEOUT from linux/tcp.h (not in package
// syscall).
const tcpUserTimeout = 18

// setTCPOptions applies TCP_NODELAY and the profile's TCP mapping.
func setTCPOptions(conn *net.TCPConn, o tcpOptions) error {
	if err := conn.SetNoDelay(true); err != nil {
		return fmt.Errorf("set TCP_NODELAY: %w", err)
	}
	rc, err := conn.SyscallConn()
	if err != nil {
		return err
	}
	var serr error
	err = rc.Control(func(fd uintptr) {
		set := func(level, opt, v int, name string) {
			if serr == nil {
				if e := syscall.SetsockoptInt(int(fd), level, opt, v); e != nil {
					serr = fmt.Errorf("setsockopt %s=%d: %w", name, v, e)
				}
			}
		}
		set(syscall.IPPROTO_TCP, tcpUserTimeout, int(o.userTimeout/time.Millisecond), "TCP_USER_TIMEOUT")
		set(syscall.SOL_SOCKET, syscall.SO_KEEPALIVE, 1, "SO_KEEPALIVE")
		set(syscall.IPPROTO_TCP, syscall.TCP_KEEPIDLE, int(o.keepIdle/time.Second), "TCP_KEEPIDLE")
		set(syscall.IPPROTO_TCP, syscall.TCP_KEEPINTVL, int(o.keepIntvl/time.Second), "TCP_KEEPINTVL")
		set(syscall.IPPROTO_TCP, syscall.TCP_KEEPCNT, o.keepCnt, "TCP_KEEPCNT")
	})
	if err != nil {
		return err
	}
	return serr
}

// readTCPOptions reads the options back (tests check the mapping took).
func readTCPOptions(conn *net.TCPConn) (tcpOptions, bool, error) {
	var o tcpOptions
	var nodelay int
	rc, err := conn.SyscallConn()
	if err != nil {
		return o, false, err
	}
	var gerr error
	err = rc.Control(func(fd uintptr) {
		get := func(level, opt int) int {
			v, e := syscall.GetsockoptInt(int(fd), level, opt)
			if e != nil && gerr == nil {
				gerr = e
			}
			return v
		}
		o.userTimeout = time.Duration(get(syscall.IPPROTO_TCP, tcpUserTimeout)) * time.Millisecond
		o.keepIdle = time.Duration(get(syscall.IPPROTO_TCP, syscall.TCP_KEEPIDLE)) * time.Second
		o.keepIntvl = time.Duration(get(syscall.IPPROTO_TCP, syscall.TCP_KEEPINTVL)) * time.Second
		o.keepCnt = get(syscall.IPPROTO_TCP, syscall.TCP_KEEPCNT)
		nodelay = get(syscall.IPPROTO_TCP, syscall.TCP_NODELAY)
	})
	if err == nil {
		err = gerr
	}
	return o, nodelay != 0, err
}

// rawWrite is one non-blocking write(2) on the connection's descriptor.
func rawWrite(fd uintptr, b []byte) (int, error) { return syscall.Write(int(fd), b) }
