package scenarios

import (
	"fmt"
	"net"
	"testing"
	"time"
)

// A component that cannot bind the port reserved for it (another process
// took it after the reservation) is started again on new ports.
func TestStartOnFreePortsRetriesAPortInUse(t *testing.T) {
	if testing.Short() {
		t.Skip("starts processes")
	}
	taken, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer taken.Close()
	r := &run{dir: t.TempDir(), bin: sigpoolBin}
	attempts := 0
	p, err := r.startOnFreePorts(t.Context(), "registrar", 2, func(ports []int) ([]string, string) {
		attempts++
		asap, enrp := fmt.Sprintf("127.0.0.1:%d", ports[0]), fmt.Sprintf("127.0.0.1:%d", ports[1])
		if attempts == 1 {
			enrp = taken.Addr().String() // as if another process bound it first
		}
		return []string{"enrp", "--listen", "tcp://" + asap, "--enrp-listen", "tcp://" + enrp}, asap
	})
	if err != nil {
		t.Fatalf("after %d attempts: %v", attempts, err)
	}
	defer p.Stop(time.Second)
	if attempts != 2 {
		t.Fatalf("%d attempts, want 2 (the first hit the port in use)", attempts)
	}
}
