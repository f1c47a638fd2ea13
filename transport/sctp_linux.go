//go:build linux && !386

package transport

import (
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"sync"
	"syscall"
	"time"
	"unsafe"

	"github.com/ishidawataru/sctp"
	"go.uber.org/zap"
)

// Kernel constants the library lacks (linux/sctp.h).
const (
	solSCTP          = 132 // SOL_SCTP
	msgNotification  = 0x8000
	sppHBEnable      = 1 // SPP_HB_ENABLE
	sctpCmsgSndRcv   = 1 // SCTP_SNDRCV cmsg type
	sndRcvInfoLen    = 32
	assocChangeLen   = 20 // struct sctp_assoc_change without sac_info
	paddrChangeLen   = 148
	paddrParamsLen   = 156 // struct sctp_paddrparams, packed, aligned(4)
	paddrParamsLenV1 = 152 // before spp_ipv6_flowlabel and spp_dscp (Linux < 4.19)
	rtoInfoLen       = 16
	assocParamsLen   = 20

	addrAvailable   = 0 // SCTP_ADDR_AVAILABLE
	addrUnreachable = 1 // SCTP_ADDR_UNREACHABLE
	addrPotFailed   = 6 // SCTP_ADDR_POTENTIALLY_FAILED
	pdAborted       = 0 // SCTP_PARTIAL_DELIVERY_ABORTED
)

// kernelSCTP probes for kernel SCTP by opening a socket.
func kernelSCTP() error {
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, syscall.IPPROTO_SCTP)
	if err != nil {
		return fmt.Errorf("%w: socket(AF_INET, SOCK_STREAM, IPPROTO_SCTP): %w", ErrUnsupported, err)
	}
	_ = syscall.Close(fd)
	return nil
}

func setsockoptBytes(fd, opt int, b []byte) error {
	_, _, e := syscall.Syscall6(syscall.SYS_SETSOCKOPT, uintptr(fd), solSCTP, uintptr(opt),
		uintptr(unsafe.Pointer(&b[0])), uintptr(len(b)), 0)
	if e != 0 {
		return e
	}
	return nil
}

func getsockoptBytes(fd, opt int, b []byte) (int, error) {
	n := uint32(len(b))
	_, _, e := syscall.Syscall6(syscall.SYS_GETSOCKOPT, uintptr(fd), solSCTP, uintptr(opt),
		uintptr(unsafe.Pointer(&b[0])), uintptr(unsafe.Pointer(&n)), 0)
	if e != 0 {
		return 0, e
	}
	return int(n), nil
}

func msec(d time.Duration) uint32 { return uint32(d / time.Millisecond) }

// The structures below are laid out byte by byte, with host-order fields,
// because the kernel's are packed (sctp_paddrparams) and Go cannot say so.

// rtoInfo encodes struct sctp_rtoinfo {assoc_id; initial; max; min}.
func rtoInfo(p Profile) []byte {
	b := make([]byte, rtoInfoLen)
	binary.NativeEndian.PutUint32(b[4:], msec(p.RTOInitial))
	binary.NativeEndian.PutUint32(b[8:], msec(p.RTOMax))
	binary.NativeEndian.PutUint32(b[12:], msec(p.RTOMin))
	return b
}

// assocParams encodes struct sctp_assocparams with only sasoc_asocmaxrxt
// set; zero fields leave the kernel's values alone.
func assocParams(p Profile) []byte {
	b := make([]byte, assocParamsLen)
	binary.NativeEndian.PutUint16(b[4:], uint16(p.AssocMaxRetrans))
	return b
}

// paddrParams encodes struct sctp_paddrparams for every path (spp_address
// zero): heartbeat on at HB.Interval, Path.Max.Retrans.
func paddrParams(p Profile) []byte {
	b := make([]byte, paddrParamsLen)
	binary.NativeEndian.PutUint32(b[132:], msec(p.HBInterval))       // spp_hbinterval
	binary.NativeEndian.PutUint16(b[136:], uint16(p.PathMaxRetrans)) // spp_pathmaxrxt
	binary.NativeEndian.PutUint32(b[146:], sppHBEnable)              // spp_flags
	return b
}

// applyProfile sets the profile on a socket. Before connect or listen the
// values become the endpoint's defaults, inherited by its associations.
func applyProfile(fd int, p Profile) error {
	if err := setsockoptBytes(fd, sctp.SCTP_RTOINFO, rtoInfo(p)); err != nil {
		return fmt.Errorf("setsockopt SCTP_RTOINFO (rto_initial=%v rto_min=%v rto_max=%v): %w", p.RTOInitial, p.RTOMin, p.RTOMax, err)
	}
	pp := paddrParams(p)
	err := setsockoptBytes(fd, sctp.SCTP_PEER_ADDR_PARAMS, pp)
	if errors.Is(err, syscall.EINVAL) {
		err = setsockoptBytes(fd, sctp.SCTP_PEER_ADDR_PARAMS, pp[:paddrParamsLenV1])
	}
	if err != nil {
		return fmt.Errorf("setsockopt SCTP_PEER_ADDR_PARAMS (hb_interval=%v path_max_retrans=%d): %w", p.HBInterval, p.PathMaxRetrans, err)
	}
	// sack_freq 0 keeps the kernel's every-second-packet rule.
	if err := sctp.NewSCTPConn(fd, nil).SetSackTimer(&sctp.SackTimer{SackDelay: msec(p.SACKDelay)}); err != nil {
		return fmt.Errorf("setsockopt SCTP_DELAYED_SACK (sack_delay=%v): %w", p.SACKDelay, err)
	}
	// After the paths' limits: the kernel refuses an association limit
	// above the sum of the path limits of a multi-homed association.
	if err := setsockoptBytes(fd, sctp.SCTP_ASSOCINFO, assocParams(p)); err != nil {
		return fmt.Errorf("setsockopt SCTP_ASSOCINFO (assoc_max_retrans=%d): %w", p.AssocMaxRetrans, err)
	}
	return nil
}

// appliedProfile reads back what the kernel holds for the association (or
// endpoint), for tests.
type appliedProfile struct {
	rtoInitial, rtoMax, rtoMin, hbInterval time.Duration
	sackDelay                              time.Duration
	pathMaxRetrans, assocMaxRetrans        int
	nodelay                                bool
}

func readProfile(fd int) (appliedProfile, error) {
	var ap appliedProfile
	ms := func(v uint32) time.Duration { return time.Duration(v) * time.Millisecond }
	b := make([]byte, rtoInfoLen)
	if _, err := getsockoptBytes(fd, sctp.SCTP_RTOINFO, b); err != nil {
		return ap, fmt.Errorf("getsockopt SCTP_RTOINFO: %w", err)
	}
	ap.rtoInitial = ms(binary.NativeEndian.Uint32(b[4:]))
	ap.rtoMax = ms(binary.NativeEndian.Uint32(b[8:]))
	ap.rtoMin = ms(binary.NativeEndian.Uint32(b[12:]))
	b = make([]byte, paddrParamsLen)
	if _, err := getsockoptBytes(fd, sctp.SCTP_PEER_ADDR_PARAMS, b); err != nil {
		return ap, fmt.Errorf("getsockopt SCTP_PEER_ADDR_PARAMS: %w", err)
	}
	ap.hbInterval = ms(binary.NativeEndian.Uint32(b[132:]))
	ap.pathMaxRetrans = int(binary.NativeEndian.Uint16(b[136:]))
	b = make([]byte, assocParamsLen)
	if _, err := getsockoptBytes(fd, sctp.SCTP_ASSOCINFO, b); err != nil {
		return ap, fmt.Errorf("getsockopt SCTP_ASSOCINFO: %w", err)
	}
	ap.assocMaxRetrans = int(binary.NativeEndian.Uint16(b[4:]))
	st, err := sctp.NewSCTPConn(fd, nil).GetSackTimer()
	if err != nil {
		return ap, fmt.Errorf("getsockopt SCTP_DELAYED_SACK: %w", err)
	}
	ap.sackDelay = ms(st.SackDelay)
	v, err := syscall.GetsockoptInt(fd, solSCTP, sctp.SCTP_NODELAY)
	if err != nil {
		return ap, fmt.Errorf("getsockopt SCTP_NODELAY: %w", err)
	}
	ap.nodelay = v != 0
	return ap, nil
}

// sndRcvCmsg builds the SCTP_SNDRCV control message for one send. The PPID
// is written in network byte order here, by hand: RFC 4960 carries it
// opaque, the kernel copies sinfo_ppid to the wire unchanged, and wrappers
// that leave the conversion to the caller put 50331648 on the wire for
// M3UA's 3.
func sndRcvCmsg(stream uint16, ppid uint32) []byte {
	b := make([]byte, syscall.CmsgSpace(sndRcvInfoLen))
	h := (*syscall.Cmsghdr)(unsafe.Pointer(&b[0]))
	h.Level = syscall.IPPROTO_SCTP
	h.Type = sctpCmsgSndRcv
	h.SetLen(syscall.CmsgLen(sndRcvInfoLen))
	info := b[syscall.CmsgLen(0):]
	binary.NativeEndian.PutUint16(info[0:], stream) // sinfo_stream
	binary.BigEndian.PutUint32(info[8:], ppid)      // sinfo_ppid, network order
	return b
}

// parseSndRcv finds stream and PPID in received control messages.
func parseSndRcv(oob []byte) (stream uint16, ppid uint32, ok bool) {
	msgs, err := syscall.ParseSocketControlMessage(oob)
	if err != nil {
		return 0, 0, false
	}
	for _, m := range msgs {
		if m.Header.Level == syscall.IPPROTO_SCTP && m.Header.Type == sctpCmsgSndRcv && len(m.Data) >= sndRcvInfoLen {
			return binary.NativeEndian.Uint16(m.Data[0:]), binary.BigEndian.Uint32(m.Data[8:]), true
		}
	}
	return 0, 0, false
}

// socketFamily picks AF_INET6 when any address needs it: an AF_INET6 SCTP
// socket also takes IPv4 addresses.
func socketFamily(addrs ...[]netip.AddrPort) int {
	for _, list := range addrs {
		for _, a := range list {
			if !a.Addr().Unmap().Is4() {
				return syscall.AF_INET6
			}
		}
	}
	return syscall.AF_INET
}

// newSCTPSocket opens a one-to-one style (SOCK_STREAM) SCTP socket in
// non-blocking mode, so that Go's poller waits for it and Close wakes a
// blocked accept or receive, with the configuration applied.
func newSCTPSocket(family int, cfg Config) (int, error) {
	fd, err := syscall.Socket(family, syscall.SOCK_STREAM|syscall.SOCK_NONBLOCK|syscall.SOCK_CLOEXEC, syscall.IPPROTO_SCTP)
	if err != nil {
		return -1, fmt.Errorf("%w: socket: %w", ErrUnsupported, err)
	}
	if err := configureSCTPSocket(fd, family, cfg); err != nil {
		_ = syscall.Close(fd)
		return -1, err
	}
	return fd, nil
}

func configureSCTPSocket(fd, family int, cfg Config) error {
	if family == syscall.AF_INET6 {
		if err := syscall.SetsockoptInt(fd, syscall.IPPROTO_IPV6, syscall.IPV6_V6ONLY, 0); err != nil {
			return fmt.Errorf("setsockopt IPV6_V6ONLY: %w", err)
		}
	}
	if err := applyProfile(fd, cfg.Profile); err != nil {
		return err
	}
	lib := sctp.NewSCTPConn(fd, nil) // a handle for the library's setters; never closed
	maxInitTimeout := min(msec(cfg.Profile.RTOMax), 65535)
	if err := lib.SetInitMsg(cfg.Streams, cfg.Streams, cfg.Profile.MaxInitRetrans, int(maxInitTimeout)); err != nil {
		return fmt.Errorf("setsockopt SCTP_INITMSG (streams=%d): %w", cfg.Streams, err)
	}
	// Without SCTP_NODELAY small messages wait for the previous ones to be
	// acknowledged (Nagle), and loopback throughput falls 40-fold.
	if err := syscall.SetsockoptInt(fd, solSCTP, sctp.SCTP_NODELAY, 1); err != nil {
		return fmt.Errorf("setsockopt SCTP_NODELAY: %w", err)
	}
	// DATA_IO makes every received message carry SCTP_SNDRCV (stream,
	// PPID); the others turn association, path and shutdown changes into
	// notifications read in band.
	if err := lib.SubscribeEvents(sctp.SCTP_EVENT_DATA_IO | sctp.SCTP_EVENT_ASSOCIATION |
		sctp.SCTP_EVENT_ADDRESS | sctp.SCTP_EVENT_SHUTDOWN | sctp.SCTP_EVENT_PARTIAL_DELIVERY); err != nil {
		return fmt.Errorf("setsockopt SCTP_EVENTS: %w", err)
	}
	return nil
}

func sctpAddr(addrs []netip.AddrPort, port uint16) *sctp.SCTPAddr {
	a := &sctp.SCTPAddr{Port: int(port)}
	for _, ap := range addrs {
		ip := ap.Addr().Unmap()
		a.IPAddrs = append(a.IPAddrs, net.IPAddr{IP: ip.AsSlice(), Zone: ip.Zone()})
	}
	return a
}

// sockaddrList parses the packed sockaddr_in/sockaddr_in6 list of
// SCTP_GET_LOCAL_ADDRS and SCTP_GET_PEER_ADDRS, where families may mix.
func sockaddrList(b []byte, n int) []netip.AddrPort {
	var out []netip.AddrPort
	for i := 0; i < n; i++ {
		ap, size := parseSockaddr(b)
		if size == 0 {
			break
		}
		out = append(out, ap)
		b = b[size:]
	}
	return out
}

// parseSockaddr reads one sockaddr and returns its size (0 if unknown).
func parseSockaddr(b []byte) (netip.AddrPort, int) {
	if len(b) < 2 {
		return netip.AddrPort{}, 0
	}
	switch binary.NativeEndian.Uint16(b[0:]) {
	case syscall.AF_INET:
		if len(b) < syscall.SizeofSockaddrInet4 {
			return netip.AddrPort{}, 0
		}
		ip := netip.AddrFrom4([4]byte(b[4:8]))
		return netip.AddrPortFrom(ip, binary.BigEndian.Uint16(b[2:])), syscall.SizeofSockaddrInet4
	case syscall.AF_INET6:
		if len(b) < syscall.SizeofSockaddrInet6 {
			return netip.AddrPort{}, 0
		}
		ip := netip.AddrFrom16([16]byte(b[8:24])).Unmap()
		return netip.AddrPortFrom(ip, binary.BigEndian.Uint16(b[2:])), syscall.SizeofSockaddrInet6
	}
	return netip.AddrPort{}, 0
}

// getAddrs reads an association's (or a listener's) address list.
func getAddrs(fd, opt int) ([]netip.AddrPort, error) {
	b := make([]byte, 8+8192) // struct sctp_getaddrs {assoc_id; addr_num; addrs[]}
	if _, err := getsockoptBytes(fd, opt, b); err != nil {
		return nil, err
	}
	return sockaddrList(b[8:], int(binary.NativeEndian.Uint32(b[4:]))), nil
}

// sctpListener accepts associations on one multi-homed SCTP socket.
type sctpListener struct {
	cfg   Config
	f     *os.File
	addrs []netip.AddrPort
	assoc chan *sctpAssoc
	done  chan struct{}
	once  sync.Once
	wg    sync.WaitGroup
}

func listenSCTP(ctx context.Context, addrs []netip.AddrPort, port uint16, cfg Config) (Listener, error) {
	family := socketFamily(addrs)
	if len(addrs) == 0 {
		family = syscall.AF_INET6
	}
	fd, err := newSCTPSocket(family, cfg)
	if err != nil && len(addrs) == 0 {
		// No IPv6 in this kernel: listen on every IPv4 address instead.
		family = syscall.AF_INET
		fd, err = newSCTPSocket(family, cfg)
	}
	if err != nil {
		return nil, fmt.Errorf("transport: listen sctp %s: %w", addrsString(addrs), err)
	}
	fail := func(what string, err error) (Listener, error) {
		_ = syscall.Close(fd)
		return nil, fmt.Errorf("transport: listen sctp %s port %d: %s: %w", addrsString(addrs), port, what, err)
	}
	if err := syscall.SetsockoptInt(fd, syscall.SOL_SOCKET, syscall.SO_REUSEADDR, 1); err != nil {
		return fail("setsockopt SO_REUSEADDR", err)
	}
	if len(addrs) == 0 {
		var sa syscall.Sockaddr = &syscall.SockaddrInet6{Port: int(port)}
		if family == syscall.AF_INET {
			sa = &syscall.SockaddrInet4{Port: int(port)}
		}
		if err := syscall.Bind(fd, sa); err != nil {
			return fail("bind", err)
		}
	} else if err := sctp.SCTPBind(fd, sctpAddr(addrs, port), sctp.SCTP_BINDX_ADD_ADDR); err != nil {
		return fail("bindx", err)
	}
	// SCTP answers an INIT with ABORT when the accept queue is full (TCP
	// lets the SYN be retried), so ask for the largest queue; the kernel
	// caps it at net.core.somaxconn. syscall.SOMAXCONN is an old 128.
	if err := syscall.Listen(fd, 65535); err != nil {
		return fail("listen", err)
	}
	bound, err := getAddrs(fd, sctp.SCTP_GET_LOCAL_ADDRS)
	if err != nil {
		return fail("getsockopt SCTP_GET_LOCAL_ADDRS", err)
	}
	l := &sctpListener{
		cfg:   cfg,
		f:     os.NewFile(uintptr(fd), "sctp-listener"),
		addrs: bound,
		assoc: make(chan *sctpAssoc),
		done:  make(chan struct{}),
	}
	l.wg.Add(1)
	go l.acceptLoop()
	cfg.Logger.Info("listening", zap.String("transport", "sctp"), zap.String("addrs", addrsString(bound)), zap.String("profile", cfg.Profile.String()))
	return l, nil
}

func (l *sctpListener) acceptLoop() {
	defer l.wg.Done()
	rc, err := l.f.SyscallConn()
	if err != nil {
		l.cfg.Logger.Error("sctp listener unusable", zap.Error(err))
		return
	}
	backoff := 5 * time.Millisecond
	for {
		nfd := -1
		var aerr error
		err := rc.Read(func(fd uintptr) bool {
			nfd, _, aerr = syscall.Accept4(int(fd), syscall.SOCK_NONBLOCK|syscall.SOCK_CLOEXEC)
			return aerr != syscall.EAGAIN
		})
		if err != nil {
			return // closed
		}
		if aerr != nil {
			if aerr == syscall.ECONNABORTED || aerr == syscall.EINTR {
				continue
			}
			l.cfg.Logger.Warn("accept failed", zap.Error(aerr), zap.Duration("retry_in", backoff))
			select {
			case <-time.After(backoff):
			case <-l.done:
				return
			}
			backoff = min(2*backoff, time.Second)
			continue
		}
		backoff = 5 * time.Millisecond
		a, err := newSCTPAssoc(nfd, l.cfg)
		if err != nil {
			l.cfg.Logger.Warn("accepted association dropped", zap.Error(err))
			continue
		}
		select {
		case l.assoc <- a:
		case <-l.done:
			_ = a.Abort()
			return
		}
	}
}

// Accept implements Listener.
func (l *sctpListener) Accept(ctx context.Context) (Association, error) {
	select {
	case a := <-l.assoc:
		return a, nil
	case <-l.done:
		return nil, fmt.Errorf("transport: accept on sctp %s: %w", addrsString(l.addrs), ErrClosed)
	case <-ctx.Done():
		return nil, fmt.Errorf("transport: accept on sctp %s: %w", addrsString(l.addrs), ctx.Err())
	}
}

func (l *sctpListener) Addrs() []netip.AddrPort { return append([]netip.AddrPort(nil), l.addrs...) }

// Close implements Listener. Closing through the poller wakes the accept
// loop and closes the descriptor, which frees the port at once.
func (l *sctpListener) Close() error {
	var err error
	l.once.Do(func() {
		close(l.done)
		if e := l.f.Close(); e != nil {
			err = fmt.Errorf("transport: close sctp listener %s: %w", addrsString(l.addrs), e)
		}
		l.wg.Wait()
	})
	return err
}

func dialSCTP(ctx context.Context, addrs []netip.AddrPort, cfg Config) (Association, error) {
	var local []netip.AddrPort
	for _, la := range cfg.LocalAddrs {
		local = append(local, netip.AddrPortFrom(la, 0))
	}
	name := "sctp " + addrsString(addrs)
	family := socketFamily(addrs, local)
	fd, err := newSCTPSocket(family, cfg)
	if err != nil {
		return nil, fmt.Errorf("transport: dial %s: %w", name, err)
	}
	if len(local) > 0 {
		if err := sctp.SCTPBind(fd, sctpAddr(local, 0), sctp.SCTP_BINDX_ADD_ADDR); err != nil {
			_ = syscall.Close(fd)
			return nil, fmt.Errorf("transport: dial %s: bindx %s: %w", name, addrsString(local), err)
		}
	}
	if _, err := sctp.SCTPConnect(fd, sctpAddr(addrs, addrs[0].Port())); err != nil && !errors.Is(err, syscall.EINPROGRESS) {
		_ = syscall.Close(fd)
		return nil, fmt.Errorf("transport: dial %s: connectx: %w", name, err)
	}
	f := os.NewFile(uintptr(fd), "sctp")
	if err := waitConnected(ctx, f); err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("transport: dial %s: %w", name, err)
	}
	a, err := newSCTPAssocFile(f, cfg)
	if err != nil {
		_ = f.Close()
		return nil, err
	}
	return a, nil
}

// waitConnected waits until a non-blocking connect has finished.
func waitConnected(ctx context.Context, f *os.File) error {
	rc, err := f.SyscallConn()
	if err != nil {
		return err
	}
	fired := make(chan struct{})
	stop := context.AfterFunc(ctx, func() {
		_ = f.SetWriteDeadline(time.Unix(1, 0)) // in the past: wakes the wait
		close(fired)
	})
	defer func() {
		if !stop() {
			// The association keeps this file: leave it no deadline.
			<-fired
			_ = f.SetWriteDeadline(time.Time{})
		}
	}()
	var cerr error
	err = rc.Write(func(fd uintptr) bool {
		soerr, gerr := syscall.GetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_ERROR)
		switch {
		case gerr != nil:
			cerr = fmt.Errorf("getsockopt SO_ERROR: %w", gerr)
			return true
		case soerr != 0 && syscall.Errno(soerr) != syscall.EINPROGRESS && syscall.Errno(soerr) != syscall.EALREADY:
			cerr = fmt.Errorf("connect: %w", syscall.Errno(soerr))
			return true
		}
		// getpeername succeeds once the association is established.
		_, perr := syscall.Getpeername(int(fd))
		return perr == nil
	})
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("connect: %w", ctx.Err())
		}
		return fmt.Errorf("connect: %w", err)
	}
	return cerr
}

// sctpAssoc is an association on a one-to-one style SCTP socket.
type sctpAssoc struct {
	*core
	f          *os.File
	rc         syscall.RawConn
	cfg        Config
	outStreams int // negotiated (SCTP_STATUS), else cfg.Streams
	inStreams  int
	local      []netip.AddrPort
	remote     []netip.AddrPort

	wsem chan struct{} // one sender in sendmsg at a time: it owns the write deadline

	closeOnce  sync.Once
	closeErr   error
	readerDone chan struct{}
}

func newSCTPAssoc(fd int, cfg Config) (*sctpAssoc, error) {
	f := os.NewFile(uintptr(fd), "sctp")
	a, err := newSCTPAssocFile(f, cfg)
	if err != nil {
		_ = f.Close()
	}
	return a, err
}

func newSCTPAssocFile(f *os.File, cfg Config) (*sctpAssoc, error) {
	rc, err := f.SyscallConn()
	if err != nil {
		return nil, fmt.Errorf("transport: sctp: %w", err)
	}
	a := &sctpAssoc{f: f, rc: rc, cfg: cfg, outStreams: cfg.Streams, inStreams: cfg.Streams, wsem: make(chan struct{}, 1), readerDone: make(chan struct{})}
	_ = rc.Control(func(fd uintptr) {
		a.local, _ = getAddrs(int(fd), sctp.SCTP_GET_LOCAL_ADDRS)
		a.remote, _ = getAddrs(int(fd), sctp.SCTP_GET_PEER_ADDRS)
		if st, err := sctp.NewSCTPConn(int(fd), nil).GetStatus(); err == nil {
			if st.Ostreams > 0 {
				a.outStreams = int(st.Ostreams)
			}
			if st.Instreams > 0 {
				a.inStreams = int(st.Instreams)
			}
		}
	})
	log := cfg.Logger.With(zap.String("transport", "sctp"), zap.String("local", addrsString(a.local)),
		zap.String("remote", addrsString(a.remote)))
	a.core = newCore(log)
	go a.readLoop()
	return a, nil
}

func (a *sctpAssoc) name() string {
	return addrsString(a.local) + "->" + addrsString(a.remote)
}

// Streams implements Association: the stream counts negotiated at
// establishment (SCTP_STATUS), the configured ones if the kernel did not say.
func (a *sctpAssoc) Streams() (out, in uint16) {
	return uint16(a.outStreams), uint16(a.inStreams)
}

// LocalAddrs implements Association.
func (a *sctpAssoc) LocalAddrs() []netip.AddrPort {
	return a.addrs(sctp.SCTP_GET_LOCAL_ADDRS, a.local)
}

// RemoteAddrs implements Association.
func (a *sctpAssoc) RemoteAddrs() []netip.AddrPort {
	return a.addrs(sctp.SCTP_GET_PEER_ADDRS, a.remote)
}

// addrs asks the kernel, since multi-homed address lists can change, and
// falls back to the list seen at establishment once the socket is gone.
func (a *sctpAssoc) addrs(opt int, cached []netip.AddrPort) []netip.AddrPort {
	var out []netip.AddrPort
	if err := a.rc.Control(func(fd uintptr) { out, _ = getAddrs(int(fd), opt) }); err != nil || len(out) == 0 {
		return append([]netip.AddrPort(nil), cached...)
	}
	return out
}

// Send implements Association.
// SendBatch implements Batcher: SCTP sends each message with its own
// sendmsg, but the batch is checked first, so that one invalid message
// leaves the whole batch unsent, as over TCP.
func (a *sctpAssoc) SendBatch(ctx context.Context, msgs []Message) error {
	cfg := a.cfg
	cfg.Streams = a.outStreams
	for i, m := range msgs {
		if err := checkSend(cfg, m); err != nil {
			return fmt.Errorf("transport: send to %s: message %d of %d: %w", addrsString(a.remote), i+1, len(msgs), err)
		}
	}
	for _, m := range msgs {
		if err := a.Send(ctx, m); err != nil {
			return err
		}
	}
	return nil
}

func (a *sctpAssoc) Send(ctx context.Context, m Message) error {
	cfg := a.cfg
	cfg.Streams = a.outStreams
	if err := checkSend(cfg, m); err != nil {
		return fmt.Errorf("transport: send to %s: %w", addrsString(a.remote), err)
	}
	if ended, err := a.isEnded(); ended {
		return fmt.Errorf("transport: send to %s: association ended: %w", addrsString(a.remote), err)
	}
	select {
	case a.wsem <- struct{}{}:
	case <-a.done:
		_, err := a.isEnded()
		return fmt.Errorf("transport: send to %s: association ended: %w", addrsString(a.remote), err)
	case <-ctx.Done():
		return fmt.Errorf("transport: send to %s: %w", addrsString(a.remote), ctx.Err())
	}
	defer func() { <-a.wsem }()
	oob := sndRcvCmsg(m.Stream, m.PPID)
	var serr error
	wait := false
	send := func(fd uintptr) bool {
		serr = syscall.Sendmsg(int(fd), m.Data, oob, nil, 0)
		return !wait || serr != syscall.EAGAIN
	}
	err := a.rc.Write(send)
	if err == nil && serr == syscall.EAGAIN {
		// The send buffer is full: wait for room, as long as ctx allows.
		wait = true
		fired := make(chan struct{})
		stop := context.AfterFunc(ctx, func() {
			_ = a.f.SetWriteDeadline(time.Unix(1, 0))
			close(fired)
		})
		err = a.rc.Write(send)
		if !stop() {
			<-fired
			_ = a.f.SetWriteDeadline(time.Time{})
			if err != nil && errors.Is(err, os.ErrDeadlineExceeded) {
				err = ctx.Err()
			}
		}
	}
	if err == nil {
		err = serr
	}
	if err != nil {
		if ended, endErr := a.isEnded(); ended {
			err = fmt.Errorf("association ended: %w", endErr)
		} else if errors.Is(err, syscall.EPIPE) {
			err = fmt.Errorf("association shut down or lost: %w", err)
		}
		return fmt.Errorf("transport: send to %s: %w", addrsString(a.remote), err)
	}
	return nil
}

// readLoop receives messages and notifications until the association ends.
func (a *sctpAssoc) readLoop() {
	defer close(a.readerDone)
	buf := make([]byte, 64<<10)
	oob := make([]byte, syscall.CmsgSpace(sndRcvInfoLen)+64)
	var (
		msg          []byte // message being assembled from pieces (no MSG_EOR yet)
		stream       uint16
		ppid         uint32
		notification []byte
		discard      bool
	)
	for {
		var n, oobn, flags int
		var rerr error
		err := a.rc.Read(func(fd uintptr) bool {
			n, oobn, flags, _, rerr = syscall.Recvmsg(int(fd), buf, oob, 0)
			return rerr != syscall.EAGAIN
		})
		if err == nil {
			err = rerr
		}
		if errors.Is(err, syscall.EINTR) {
			continue
		}
		if err != nil {
			a.readEnded(err)
			return
		}
		if flags&msgNotification != 0 {
			notification = append(notification, buf[:n]...)
			if flags&syscall.MSG_EOR == 0 {
				continue
			}
			ended := a.notified(notification, &msg)
			notification = notification[:0]
			if ended {
				return
			}
			continue
		}
		if n == 0 {
			// Orderly end without a SHUTDOWN_COMP notification seen.
			a.shutdownDone()
			return
		}
		if len(msg) == 0 {
			stream, ppid, _ = parseSndRcv(oob[:oobn])
		}
		if len(msg)+n > a.cfg.MaxMessageSize {
			err := fmt.Errorf("%w: peer sent a message of more than %d bytes", ErrMessageSize, a.cfg.MaxMessageSize)
			a.end(EventDown, err.Error(), fmt.Errorf("transport: recv from %s: %w", addrsString(a.remote), err), false)
			a.abortSocket()
			return
		}
		if flags&syscall.MSG_EOR == 0 {
			// A piece of a larger message (partial delivery): collect it.
			msg = append(msg, buf[:n]...)
			continue
		}
		data := make([]byte, len(msg)+n)
		copy(data[copy(data, msg):], buf[:n])
		msg = msg[:0]
		if discard {
			continue
		}
		if !a.deliver(Message{Stream: stream, PPID: ppid, Data: data}) {
			discard = true // closed here; read on until the shutdown completes
		}
	}
}

// notified handles one notification; it reports whether the association
// ended.
func (a *sctpAssoc) notified(b []byte, partial *[]byte) bool {
	if len(b) < 8 {
		a.log.Warn("short SCTP notification", zap.Int("len", len(b)))
		return false
	}
	switch sctp.SCTPNotificationType(binary.NativeEndian.Uint16(b[0:])) {
	case sctp.SCTP_ASSOC_CHANGE:
		if len(b) < assocChangeLen {
			return false
		}
		state := sctp.SCTPState(binary.NativeEndian.Uint16(b[8:]))
		errCode := binary.NativeEndian.Uint16(b[10:])
		switch state {
		case sctp.SCTP_COMM_UP:
			a.log.Debug("SCTP COMM_UP", zap.Uint16("outbound_streams", binary.NativeEndian.Uint16(b[12:])),
				zap.Uint16("inbound_streams", binary.NativeEndian.Uint16(b[14:])))
		case sctp.SCTP_RESTART:
			a.emit(EventRestart, "peer restarted (SCTP_RESTART)", netip.AddrPort{})
		case sctp.SCTP_COMM_LOST:
			a.commLost(len(b) > assocChangeLen, errCode)
			return true
		case sctp.SCTP_SHUTDOWN_COMP:
			a.shutdownDone()
			return true
		case sctp.SCTP_CANT_STR_ASSOC:
			reason := fmt.Sprintf("association could not start (SCTP_CANT_STR_ASSOC, error %d)", errCode)
			a.end(EventDown, reason, fmt.Errorf("transport: association with %s: %s", addrsString(a.remote), reason), false)
			_ = a.f.Close()
			return true
		}
	case sctp.SCTP_PEER_ADDR_CHANGE:
		if len(b) < paddrChangeLen {
			return false
		}
		addr, _ := parseSockaddr(b[8:136])
		state := int32(binary.NativeEndian.Uint32(b[136:]))
		switch state {
		case addrUnreachable:
			a.emit(EventPathDown, "peer address unreachable (SCTP_ADDR_UNREACHABLE)", addr)
		case addrAvailable:
			a.emit(EventPathUp, "peer address reachable (SCTP_ADDR_AVAILABLE)", addr)
		default:
			a.log.Info("SCTP peer address change", zap.Stringer("addr", addr), zap.Int32("state", state),
				zap.Bool("potentially_failed", state == addrPotFailed))
		}
	case sctp.SCTP_SHUTDOWN_EVENT:
		// The peer sends SHUTDOWN only once all its DATA is acknowledged,
		// and the notification is queued behind that data: the association
		// ends for the user here, one round trip before SHUTDOWN COMPLETE.
		// Reading goes on until then, and the kernel still delivers what
		// was sent from here.
		a.end(EventDown, "peer shut down", fmt.Errorf("transport: association with %s: %w", addrsString(a.remote), io.EOF), false)
	case sctp.SCTP_PARTIAL_DELIVERY_EVENT:
		if len(b) >= 12 && binary.NativeEndian.Uint32(b[8:]) == pdAborted {
			a.log.Warn("partial delivery aborted; dropping the incomplete message", zap.Int("bytes", len(*partial)))
			*partial = (*partial)[:0]
		}
	}
	return false
}

// commLost tells a peer abort from a dead peer: the kernel attaches the
// ABORT chunk to the notification and sets ECONNRESET for an abort, and
// sets ETIMEDOUT when retransmissions or heartbeats ran out.
func (a *sctpAssoc) commLost(hasAbortChunk bool, errCode uint16) {
	var soerr int
	_ = a.rc.Control(func(fd uintptr) {
		soerr, _ = syscall.GetsockoptInt(int(fd), syscall.SOL_SOCKET, syscall.SO_ERROR)
	})
	switch {
	case syscall.Errno(soerr) == syscall.ECONNRESET || (hasAbortChunk && syscall.Errno(soerr) != syscall.ETIMEDOUT):
		reason := fmt.Sprintf("peer aborted (SCTP ABORT, cause %d)", errCode)
		a.end(EventDown, reason, fmt.Errorf("transport: association with %s: %w (SCTP ABORT, cause %d)", addrsString(a.remote), ErrAborted, errCode), false)
	default:
		reason := fmt.Sprintf("SCTP COMM_LOST: no acknowledgement after assoc_max_retrans=%d retransmissions or heartbeats (profile %s)",
			a.cfg.Profile.AssocMaxRetrans, a.cfg.Profile)
		a.end(EventPeerDead, reason, fmt.Errorf("transport: association with %s: %w", addrsString(a.remote), &PeerDeadError{Reason: reason}), false)
	}
	_ = a.f.Close()
}

// shutdownDone records a completed graceful shutdown.
func (a *sctpAssoc) shutdownDone() {
	a.end(EventDown, "peer shut down", fmt.Errorf("transport: association with %s: %w", addrsString(a.remote), io.EOF), false)
	_ = a.f.Close()
}

// readEnded classifies a receive error.
func (a *sctpAssoc) readEnded(err error) {
	remote := addrsString(a.remote)
	switch {
	case errors.Is(err, os.ErrClosed):
		a.end(EventDown, "closed locally", a.closedErr(), true)
		return
	case errors.Is(err, syscall.ECONNRESET):
		a.end(EventDown, "peer aborted (SCTP ABORT)", fmt.Errorf("transport: association with %s: %w", remote, ErrAborted), false)
	case errors.Is(err, syscall.ETIMEDOUT):
		reason := fmt.Sprintf("no acknowledgement after assoc_max_retrans=%d (profile %s)", a.cfg.Profile.AssocMaxRetrans, a.cfg.Profile)
		a.end(EventPeerDead, reason, fmt.Errorf("transport: association with %s: %w", remote, &PeerDeadError{Reason: reason}), false)
	default:
		a.end(EventDown, "receive failed: "+err.Error(), fmt.Errorf("transport: recv from %s: %w", remote, err), false)
	}
	_ = a.f.Close()
}

func (a *sctpAssoc) closedErr() error {
	return fmt.Errorf("transport: association %s: %w", a.name(), ErrClosed)
}

// Close implements Association: SHUTDOWN once all sent data is
// acknowledged, then wait for SHUTDOWN COMPLETE.
func (a *sctpAssoc) Close() error {
	a.closeOnce.Do(func() {
		a.end(EventDown, "closed locally", a.closedErr(), true)
		var serr error
		if err := a.rc.Control(func(fd uintptr) { serr = syscall.Shutdown(int(fd), syscall.SHUT_WR) }); err != nil {
			return // already closed after the peer ended it
		}
		if serr == nil {
			select {
			case <-a.readerDone:
			case <-time.After(closeTimeoutFor(a.cfg.Profile)):
				a.log.Warn("peer did not complete the SCTP shutdown in time; aborting")
				a.abortSocket()
				return
			}
		}
		_ = a.f.Close()
	})
	return a.closeErr
}

// Abort implements Association: ABORT at once.
func (a *sctpAssoc) Abort() error {
	a.end(EventDown, "aborted locally", a.closedErr(), true)
	a.abortSocket()
	return nil
}

// abortSocket closes with a zero linger time, which makes the kernel send
// ABORT instead of starting a SHUTDOWN.
func (a *sctpAssoc) abortSocket() {
	_ = a.rc.Control(func(fd uintptr) {
		_ = syscall.SetsockoptLinger(int(fd), syscall.SOL_SOCKET, syscall.SO_LINGER, &syscall.Linger{Onoff: 1, Linger: 0})
	})
	_ = a.f.Close()
}
