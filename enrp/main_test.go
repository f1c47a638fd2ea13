package enrp

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/netip"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/sigpool/sigpool/transport"
	"github.com/sigpool/sigpool/wire"
)

// With SIGPOOL_ENRP_FAKE_PE=addr,pool,id set, the test binary runs a
// fake PE instead of the tests: it registers over bare ASAP/TCP, prints
// "registered", and answers keep-alives until killed.
const envFakePE = "SIGPOOL_ENRP_FAKE_PE"

func TestMain(m *testing.M) {
	if spec := os.Getenv(envFakePE); spec != "" {
		if err := runFakePE(spec); err != nil {
			fmt.Fprintln(os.Stderr, "fake PE:", err)
			os.Exit(1)
		}
		os.Exit(0)
	}
	os.Exit(m.Run())
}

func runFakePE(spec string) error {
	parts := strings.Split(spec, ",")
	if len(parts) != 3 {
		return fmt.Errorf("bad spec %q", spec)
	}
	id, err := strconv.ParseUint(parts[2], 10, 32)
	if err != nil {
		return err
	}
	if strings.HasPrefix(parts[0], "sctp://") {
		return runFakeSCTPPE(parts[0], parts[1], wire.PEIdentifier(id))
	}
	c, err := net.Dial("tcp", strings.TrimPrefix(parts[0], "tcp://"))
	if err != nil {
		return err
	}
	p := wire.PoolElement{Identifier: wire.PEIdentifier(id), RegistrationLife: 30000,
		UserTransport: wire.Transport{Kind: wire.TransportTCP, Port: uint16(9000 + id), Addresses: []netip.Addr{netip.MustParseAddr("127.0.0.1")}},
		Policy:        wire.Policy{Type: wire.PolicyRoundRobin}}
	b, _ := wire.Marshal(&wire.Registration{PoolHandle: wire.PoolHandle(parts[1]), PoolElement: p})
	if _, err := c.Write(b); err != nil {
		return err
	}
	rd := bufio.NewReader(c)
	for {
		var h [4]byte
		if _, err := readFull(rd, h[:]); err != nil {
			return err
		}
		n := int(h[2])<<8 | int(h[3])
		buf := make([]byte, n)
		copy(buf, h[:])
		if _, err := readFull(rd, buf[4:]); err != nil {
			return err
		}
		m, _, err := wire.DecodeASAP(buf)
		if err != nil {
			return err
		}
		switch m := m.(type) {
		case *wire.RegistrationResponse:
			if m.Reject {
				return fmt.Errorf("rejected: %v", m.Error)
			}
			fmt.Println("registered")
		case *wire.EndpointKeepAlive:
			ack, _ := wire.Marshal(&wire.EndpointKeepAliveAck{PoolHandle: m.PoolHandle, PEIdentifier: p.Identifier})
			if _, err := c.Write(ack); err != nil {
				return err
			}
		}
	}
}

// runFakeSCTPPE is the fake PE over SCTP: one ASAP message per SCTP
// message on PPID 11, an SCTP user transport, the carrier profile.
func runFakeSCTPPE(addr, pool string, id wire.PEIdentifier) error {
	carrier, err := transport.LookupProfile("carrier")
	if err != nil {
		return err
	}
	ctx := context.Background()
	dctx, cancel := context.WithTimeout(ctx, 5*time.Second)
	a, err := transport.Dial(dctx, addr, transport.Config{Profile: carrier, PPID: wire.PPIDASAP})
	cancel()
	if err != nil {
		return err
	}
	send := func(m wire.Message) error {
		b, err := wire.Marshal(m)
		if err != nil {
			return err
		}
		return a.Send(ctx, transport.Message{PPID: wire.PPIDASAP, Data: b})
	}
	p := wire.PoolElement{Identifier: id, RegistrationLife: 30000,
		UserTransport: wire.Transport{Kind: wire.TransportSCTP, Port: uint16(9000 + id), Use: wire.TransportUseDataPlusControl,
			Addresses: []netip.Addr{netip.MustParseAddr("127.0.0.1")}},
		Policy: wire.Policy{Type: wire.PolicyRoundRobin}}
	if err := send(&wire.Registration{PoolHandle: wire.PoolHandle(pool), PoolElement: p}); err != nil {
		return err
	}
	for {
		m, err := a.Recv(ctx)
		if err != nil {
			return err
		}
		if m.PPID != wire.PPIDASAP {
			return fmt.Errorf("message on PPID %d", m.PPID)
		}
		msg, _, err := wire.DecodeASAP(m.Data)
		if err != nil {
			return err
		}
		switch msg := msg.(type) {
		case *wire.RegistrationResponse:
			if msg.Reject {
				return fmt.Errorf("rejected: %v", msg.Error)
			}
			fmt.Println("registered")
		case *wire.EndpointKeepAlive:
			if err := send(&wire.EndpointKeepAliveAck{PoolHandle: msg.PoolHandle, PEIdentifier: id}); err != nil {
				return err
			}
		}
	}
}

func readFull(r *bufio.Reader, b []byte) (int, error) {
	n := 0
	for n < len(b) {
		k, err := r.Read(b[n:])
		n += k
		if err != nil {
			return n, err
		}
	}
	return n, nil
}

// spawnPE starts a fake PE process and waits until it is registered.
func spawnPE(t *testing.T, addr, pool string, id uint32) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(os.Environ(), fmt.Sprintf("%s=%s,%s,%d", envFakePE, addr, pool, id))
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = os.Stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	line := make(chan string, 1)
	go func() {
		s := bufio.NewScanner(out)
		if s.Scan() {
			line <- s.Text()
		}
		close(line)
		for s.Scan() {
		}
	}()
	select {
	case l := <-line:
		if l != "registered" {
			t.Fatalf("fake PE %d: %q", id, l)
		}
	case <-time.After(5 * time.Second):
		t.Fatalf("fake PE %d did not register", id)
	}
	return cmd
}

// resolvable reports whether PE id is among all the PEs of pool, asked
// over ASAP on its own association as a PU would.
func resolvable(ctx context.Context, t *testing.T, addr, pool string, id uint32) bool {
	t.Helper()
	r, err := Resolve(ctx, addr, pfl(), wire.PoolHandle(pool), wire.AllItems)
	if err != nil {
		return false
	}
	for _, p := range r.PoolElements {
		if p.Identifier == wire.PEIdentifier(id) {
			return true
		}
	}
	return false
}
