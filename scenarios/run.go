package scenarios

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"syscall"
	"time"

	"go.uber.org/zap"

	"github.com/sigpool/sigpool/internal/sepsim"
	"github.com/sigpool/sigpool/mxua"
	"github.com/sigpool/sigpool/transport"
	"github.com/sigpool/sigpool/wire"
)

// RunOptions tune a run.
type RunOptions struct {
	// Binary is the sigpool executable the components run as (default:
	// this process's own executable).
	Binary string
	// Dir receives the components' logs, report.json and report.html
	// (default: a new directory under the system's temporary directory).
	Dir string
	// Out receives the progress line and the summary (nil: nothing).
	Out io.Writer
	// Progress redraws one line in place (a terminal) instead of printing
	// a line every few seconds.
	Progress bool
	// Interval is the timeline's sampling period (default 250 ms).
	Interval time.Duration
	// Capture, when set, records what the SS7 side (the SEP simulator and
	// the capture replay) sends and receives to this pcap file as
	// synthetic SCTP frames tshark decodes as M3UA or SUA.
	Capture string
	// Logger receives the SEP simulator's log (nil: none).
	Logger *zap.Logger
}

// labGWCIDBase + N is the PE identifier of gwc-N: the SG's per-peer
// metrics name GWCs by it.
const labGWCIDBase = 1000

// run is one scenario run in progress.
type run struct {
	s    *Scenario
	opt  RunOptions
	ctx  context.Context
	dir  string
	bin  string
	rep  *Report
	t0   time.Time
	sim  *sepsim.Sim
	pcap *replayer
	capt *transport.Capture

	mu          sync.Mutex
	registrars  []*component // registrar-1..N
	gwcs        []*component // gwc-1..N, grown by add-gwc
	sg          *component
	sgMetrics   string
	regASAP     []string // ASAP addresses the GWCs and the SG use
	sepAddr     string   // the SG's listener the SEP dials
	lastPerGWC  map[string]float64
	failovers   []*Failover
	lostAtStart float64 // the SG's lost counter before traffic
}

// component is a started process and what the player knows of it.
type component struct {
	name    string
	proc    *Process
	proxy   *Proxy // GWCs: the path the SG reaches them by
	id      wire.PEIdentifier
	metrics string
	killed  bool
}

// Run plays the scenario and returns its report (written to the run
// directory too). The error is set when the run could not be carried
// out; a run whose expectations fail returns a report with Pass false.
func Run(ctx context.Context, s *Scenario, opt RunOptions) (*Report, error) {
	if opt.Interval <= 0 {
		opt.Interval = 250 * time.Millisecond
	}
	if opt.Out == nil {
		opt.Out = io.Discard
	}
	if opt.Binary == "" {
		exe, err := os.Executable()
		if err != nil {
			return nil, fmt.Errorf("scenario %s: find the sigpool binary: %w", s.Name, err)
		}
		opt.Binary = exe
	}
	dir := opt.Dir
	if dir == "" {
		d, err := os.MkdirTemp("", "sigpool-scenario-"+safeName(s.Name)+"-")
		if err != nil {
			return nil, fmt.Errorf("scenario %s: %w", s.Name, err)
		}
		dir = d
	} else if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, fmt.Errorf("scenario %s: %w", s.Name, err)
	}
	r := &run{s: s, opt: opt, ctx: ctx, dir: dir, bin: opt.Binary, lastPerGWC: map[string]float64{},
		rep: &Report{Scenario: s.Name, Description: s.Description, File: s.File, Topology: s.Topology}}
	defer r.stopAll()
	err := r.play()
	if err != nil {
		r.rep.Error = err.Error()
	}
	r.rep.Evaluate(s.Expect)
	if _, _, werr := r.rep.WriteFiles(dir); werr != nil && err == nil {
		err = werr
	}
	return r.rep, err
}

func safeName(s string) string {
	return strings.Map(func(c rune) rune {
		if c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-' || c == '_' {
			return c
		}
		return '-'
	}, s)
}

// stopAll ends the traffic and every component, frozen ones included.
func (r *run) stopAll() {
	if r.sim != nil {
		_ = r.sim.Close()
	}
	if r.pcap != nil {
		r.pcap.close()
	}
	if r.capt != nil {
		_ = r.capt.Close()
	}
	r.mu.Lock()
	all := append(append([]*component{}, r.gwcs...), r.registrars...)
	if r.sg != nil {
		all = append(all, r.sg)
	}
	r.mu.Unlock()
	var wg sync.WaitGroup
	for _, c := range all {
		wg.Add(1)
		go func() {
			defer wg.Done()
			c.proc.Stop(3 * time.Second)
			if c.proxy != nil {
				_ = c.proxy.Close()
			}
		}()
	}
	wg.Wait()
}

func (r *run) play() error {
	t := r.s.Topology
	startCtx, cancel := context.WithTimeout(r.ctx, 60*time.Second)
	defer cancel()
	if err := r.startRegistrars(startCtx); err != nil {
		return err
	}
	if err := r.startSG(startCtx); err != nil {
		return err
	}
	for range t.GWCs {
		if err := r.addGWC(startCtx); err != nil {
			return err
		}
	}
	if err := r.waitActive(startCtx, t.GWCs); err != nil {
		return err
	}
	if m, err := scrape(startCtx, r.sgMetrics); err == nil {
		r.lostAtStart = m.sum("sg_lost_messages_total")
	}
	return r.playTraffic()
}

func (r *run) profileArgs() []string { return []string{"--profile", r.s.Topology.Profile} }

func (r *run) scheme() string { return r.s.Topology.Transport + "://" }

func (r *run) startRegistrars(ctx context.Context) error {
	n := r.s.Topology.Registrars
	// Each registrar names those started before it as peers; the first
	// learns the others from their Presence.
	var enrpAddrs []string
	for i := range n {
		name := fmt.Sprintf("registrar-%d", i+1)
		var asapAddr, enrpAddr string
		p, err := r.startOnFreePorts(ctx, name, 2, func(ports []int) ([]string, string) {
			asapAddr = fmt.Sprintf("%s127.0.0.1:%d", r.scheme(), ports[0])
			enrpAddr = fmt.Sprintf("%s127.0.0.1:%d", r.scheme(), ports[1])
			args := append([]string{"enrp", "--listen", asapAddr, "--enrp-listen", enrpAddr, "--server-id", fmt.Sprint(0x100 + i + 1)}, r.profileArgs()...)
			for _, a := range enrpAddrs {
				args = append(args, "--peer", a)
			}
			return args, asapAddr
		})
		if p != nil {
			r.registrars = append(r.registrars, &component{name: name, proc: p})
		}
		if err != nil {
			return err
		}
		r.regASAP = append(r.regASAP, asapAddr)
		enrpAddrs = append(enrpAddrs, enrpAddr)
	}
	return nil
}

// startOnFreePorts starts a component on n loopback ports reserved for it
// and waits until it listens where wait says. Reserved ports are released
// before the component binds them, so another process may take one
// meanwhile: a component that exits because an address was in use is
// started again on new ports (three attempts).
func (r *run) startOnFreePorts(ctx context.Context, name string, n int, build func(ports []int) (args []string, wait string)) (*Process, error) {
	for attempt := 1; ; attempt++ {
		ports, err := freePorts(n)
		if err != nil {
			return nil, err
		}
		args, wait := build(ports)
		p, err := StartProcess(r.bin, r.dir, name, args...)
		if err != nil {
			return nil, err
		}
		err = p.WaitListening(ctx, wait)
		if err == nil || attempt == 3 || !p.bindFailed() {
			return p, err
		}
	}
}

func (r *run) startSG(ctx context.Context) error {
	t := r.s.Topology
	var listen string
	p, err := r.startOnFreePorts(ctx, "sg", 3, func(ports []int) ([]string, string) {
		listen = fmt.Sprintf("%s127.0.0.1:%d", r.scheme(), ports[0])
		r.sgMetrics = fmt.Sprintf("127.0.0.1:%d", ports[1])
		args := []string{"sg", "--route", fmt.Sprintf("dpc=%d:%s", t.SG.PointCode, t.Pool),
			"--point-code", fmt.Sprint(t.SG.PointCode), "--metrics", r.sgMetrics, "--log-level", "warn"}
		args = append(args, r.profileArgs()...)
		if t.Protocol == "sua" {
			args = append(args, "--m3ua-listen", "", "--sua-listen", listen, "--pool", t.Pool+",protocol=sua")
		} else {
			args = append(args, "--m3ua-listen", listen)
		}
		if t.Registrars == 0 {
			embedded := fmt.Sprintf("%s127.0.0.1:%d", r.scheme(), ports[2])
			args = append(args, "--enrp", "embedded", "--enrp-listen", embedded)
			r.regASAP = []string{embedded}
		} else {
			args = append(args, "--enrp", "remote")
			for _, a := range r.regASAP {
				args = append(args, "--registrar", a)
			}
		}
		return args, listen
	})
	if p != nil {
		r.sg = &component{name: "sg", proc: p, metrics: r.sgMetrics}
		r.sepAddr = listen
	}
	return err
}

// addGWC starts the next GWC behind its own proxy (the path a black hole
// cuts) and waits until it serves metrics.
func (r *run) addGWC(ctx context.Context) error {
	t := r.s.Topology
	r.mu.Lock()
	n := len(r.gwcs) + 1
	r.mu.Unlock()
	name := fmt.Sprintf("gwc-%d", n)
	var proxy *Proxy
	advertise := ""
	if t.Transport == "tcp" {
		var err error
		if proxy, err = NewProxy("127.0.0.1:0", ""); err != nil {
			return err
		}
		advertise = "tcp://" + proxy.Addr()
	}
	id := wire.PEIdentifier(labGWCIDBase + n)
	g := t.GWC
	var met string
	p, err := r.startOnFreePorts(ctx, name, 2, func(ports []int) ([]string, string) {
		listen := fmt.Sprintf("127.0.0.1:%d", ports[0])
		if proxy != nil {
			proxy.retarget(listen)
		}
		met = fmt.Sprintf("127.0.0.1:%d", ports[1])
		args := []string{"gwc", "--listen", r.scheme() + listen, "--pool", t.Pool, "--protocol", t.Protocol,
			"--point-code", fmt.Sprint(t.SG.PointCode), "--id", fmt.Sprint(uint32(id)), "--metrics", met, "--log-level", "warn",
			"--answer-delay", g.AnswerDelay.String(), "--hold-time", g.HoldTime.String(), "--tcap-continues", fmt.Sprint(g.TCAPContinues)}
		args = append(args, r.profileArgs()...)
		if advertise != "" {
			args = append(args, "--advertise", advertise)
		}
		if g.Policy != "" {
			args = append(args, "--policy", g.Policy)
		}
		if g.Capacity > 0 {
			args = append(args, "--capacity", fmt.Sprint(g.Capacity))
		}
		for _, a := range r.regASAP {
			args = append(args, "--registrar", a)
		}
		return args, met
	})
	if p == nil {
		if proxy != nil {
			proxy.Close()
		}
		return err
	}
	c := &component{name: name, proc: p, proxy: proxy, id: id, metrics: met}
	r.mu.Lock()
	r.gwcs = append(r.gwcs, c)
	r.mu.Unlock()
	return err
}

// waitActive waits until the SG has n ASP-ACTIVE GWCs.
func (r *run) waitActive(ctx context.Context, n int) error {
	for {
		m, err := scrape(ctx, r.sgMetrics)
		if err == nil && m.sum("sg_pool_size", "pool", r.s.Topology.Pool, "state", "active") >= float64(n) {
			return nil
		}
		if done, perr := r.sg.proc.Exited(); done {
			return fmt.Errorf("the SG exited (%v); see %s", perr, r.sg.proc.LogPath())
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%d GWCs not ACTIVE at the SG in time (last scrape: %v); see the logs in %s", n, err, r.dir)
		case <-time.After(50 * time.Millisecond):
		}
	}
}

func (r *run) playTraffic() error {
	s, t := r.s, r.s.Topology
	cfg := sepsim.Config{
		Address: r.sepAddr,
		Core:    sepsim.CoreConfig{OPC: t.SG.SEPPointCode, DPC: t.SG.PointCode, AnswerTimeout: 3 * time.Second},
		Logger:  r.opt.Logger,
	}
	if p, err := transport.ParseProfile(t.Profile); err == nil {
		cfg.Transport.Profile = p
	}
	if r.opt.Capture != "" {
		c, err := transport.CreateCapture(r.opt.Capture)
		if err != nil {
			return err
		}
		r.capt = c
		cfg.Transport.Capture = c
	}
	if t.Protocol == "sua" {
		cfg.Core.Protocol = mxua.SUA
	}
	if tr := s.Traffic.ISUP; tr != nil {
		lo, hi, _ := ParseRange(tr.CICs)
		cfg.CallRate, cfg.Core.HoldTime = tr.CallsPerSecond, tr.HoldTime
		cfg.Core.CICFirst, cfg.Core.CICLast = uint16(lo), uint16(hi)
	}
	if tr := s.Traffic.TCAP; tr != nil {
		cfg.DialogueRate, cfg.Core.ContinueReplies = tr.DialoguesPerSecond, tr.Continues
	}
	if s.Traffic.ISUP != nil || s.Traffic.TCAP != nil {
		sim, err := sepsim.Start(r.ctx, cfg)
		if err != nil {
			return fmt.Errorf("SEP simulator: %w", err)
		}
		r.sim = sim
	}
	r.t0 = time.Now()
	r.rep.Started = r.t0
	if s.Traffic.PCAP != nil {
		rp, err := startReplay(r.ctx, s, r.sepAddr, cfg.Transport)
		if err != nil {
			return err
		}
		r.pcap = rp
	}
	faults := append([]Fault(nil), s.Faults...)
	var undo []timedUndo
	tick := time.NewTicker(r.opt.Interval)
	defer tick.Stop()
	lastPrint := time.Time{}
	end := r.t0.Add(s.Duration)
	for {
		now := time.Now()
		for len(faults) > 0 && !now.Before(r.t0.Add(faults[0].At)) {
			f := faults[0]
			faults = faults[1:]
			u, err := r.inject(f)
			if err != nil {
				return fmt.Errorf("fault %s %s at %v: %w", f.Action, f.Target, f.At, err)
			}
			if u != nil {
				undo = append(undo, *u)
			}
		}
		for i := 0; i < len(undo); i++ {
			if !now.Before(undo[i].at) {
				undo[i].fn()
				undo = append(undo[:i], undo[i+1:]...)
				i--
			}
		}
		if !now.Before(end) {
			break
		}
		select {
		case <-r.ctx.Done():
			return errStopped
		case <-tick.C:
		}
		r.sample()
		if r.opt.Progress || time.Since(lastPrint) >= 5*time.Second {
			r.progress()
			lastPrint = time.Now()
		}
	}
	for _, u := range undo {
		u.fn()
	}
	return r.finish()
}

type timedUndo struct {
	at time.Time
	fn func()
}

func (r *run) component(name string) *component {
	r.mu.Lock()
	defer r.mu.Unlock()
	for _, c := range append(append([]*component{}, r.gwcs...), r.registrars...) {
		if c.name == name {
			return c
		}
	}
	return nil
}

// inject carries out one fault and returns how to undo it later (freeze
// and black hole with a duration).
func (r *run) inject(f Fault) (*timedUndo, error) {
	at := time.Since(r.t0)
	ev := Event{At: at, Kind: "fault", Target: f.Target}
	if f.Action == ActionAddGWC {
		ctx, cancel := context.WithTimeout(r.ctx, 20*time.Second)
		defer cancel()
		if err := r.addGWC(ctx); err != nil {
			return nil, err
		}
		r.mu.Lock()
		c := r.gwcs[len(r.gwcs)-1]
		r.mu.Unlock()
		ev.Kind, ev.Target, ev.Detail = "scale-out", c.name, "start "+c.name
		r.rep.Events = append(r.rep.Events, ev)
		return nil, nil
	}
	target := f.Target
	if f.Action == ActionKillRegistrar && target == "" {
		for _, c := range r.registrars {
			if !c.killed {
				target = c.name
				break
			}
		}
	}
	c := r.component(target)
	if c == nil {
		return nil, fmt.Errorf("no component %q", target)
	}
	ev.Target = target
	var undo *timedUndo
	switch f.Action {
	case ActionKill, ActionKillRegistrar:
		if err := c.proc.Signal(syscall.SIGKILL); err != nil {
			return nil, err
		}
		c.killed = true
		ev.Detail = "SIGKILL " + target
	case ActionFreeze:
		if err := c.proc.Signal(syscall.SIGSTOP); err != nil {
			return nil, err
		}
		ev.Detail = "SIGSTOP " + target
		if f.For > 0 {
			undo = &timedUndo{at: time.Now().Add(f.For), fn: func() {
				_ = c.proc.Signal(syscall.SIGCONT)
				r.rep.Events = append(r.rep.Events, Event{At: time.Since(r.t0), Kind: "resume", Target: target, Detail: "SIGCONT " + target})
			}}
		}
	case ActionResume:
		if err := c.proc.Signal(syscall.SIGCONT); err != nil {
			return nil, err
		}
		ev.Kind, ev.Detail = "resume", "SIGCONT "+target
	case ActionBlackhole:
		if c.proxy == nil {
			return nil, errors.New("black holes need the tcp transport (the path runs through a proxy)")
		}
		c.proxy.Blackhole()
		ev.Detail = "black hole on the SG-" + target + " path"
		if f.For > 0 {
			undo = &timedUndo{at: time.Now().Add(f.For), fn: func() {
				c.proxy.Heal()
				r.rep.Events = append(r.rep.Events, Event{At: time.Since(r.t0), Kind: "heal", Target: target, Detail: "path to " + target + " restored"})
			}}
		}
	case ActionHeal:
		if c.proxy == nil {
			return nil, errors.New("heal needs the tcp transport")
		}
		c.proxy.Heal()
		ev.Kind, ev.Detail = "heal", "path to "+target+" restored"
	}
	r.rep.Events = append(r.rep.Events, ev)
	// A GWC fault starts a failover measurement from the SEP's side.
	if strings.HasPrefix(target, "gwc-") && (f.Action == ActionKill || f.Action == ActionFreeze || f.Action == ActionBlackhole) {
		r.closeFailover()
		fo := &Failover{Target: target, Fault: f.Action, At: at}
		if r.sim != nil {
			r.sim.Mark()
		}
		r.failovers = append(r.failovers, fo)
	}
	return undo, nil
}

// closeFailover settles the open failover from the SEP's figures since
// its mark: the time until every request sent after the fault was
// answered again (the longest wait after the mark, or the send time of the
// last request lost after it, whichever is later) and the requests lost.
func (r *run) closeFailover() {
	if len(r.failovers) == 0 || r.sim == nil {
		return
	}
	fo := r.failovers[len(r.failovers)-1]
	if fo.Time != 0 || fo.OK {
		return
	}
	rep := r.sim.Report()
	fo.Time = max(rep.AfterMark.Max, rep.LastUnansweredAfterMark)
	fo.Lost = int64(rep.UnansweredAfterMark + rep.UnansweredBeforeMark)
	// Traffic came back when answers arrived after the affected requests.
	fo.OK = rep.AfterMark.Count > 0 && fo.At+fo.Time < time.Since(r.t0)
}

// sample records one timeline interval: answers and latency from the SEP,
// answers per GWC from the SG's per-peer counters.
func (r *run) sample() {
	smp := Sample{At: time.Since(r.t0), Answered: map[string]int64{}}
	if r.sim != nil {
		n, lat := r.sim.TakeInterval()
		smp.Total, smp.P50, smp.P99 = int64(n), lat.P50, lat.P99
	}
	if r.pcap != nil {
		smp.Total += r.pcap.takeInterval()
	}
	if m, err := scrape(r.ctx, r.sgMetrics); err == nil {
		// Messages from each GWC (its answers), keyed by PE identifier.
		per := m.byLabel("sg_peer_messages_total", "peer", "side", "gwc", "direction", "in")
		r.mu.Lock()
		for _, g := range r.gwcs {
			key := g.id.String()
			v, ok := per[key]
			if !ok {
				continue
			}
			smp.Answered[g.name] = int64(max(0, v-r.lastPerGWC[key]))
			r.lastPerGWC[key] = v
		}
		r.mu.Unlock()
	}
	r.rep.Samples = append(r.rep.Samples, smp)
}

func (r *run) progress() {
	el := time.Since(r.t0).Round(100 * time.Millisecond)
	var ans int64
	var p99 time.Duration
	if n := len(r.rep.Samples); n > 0 {
		last := r.rep.Samples[n-1]
		ans, p99 = last.Total, last.P99
	}
	rate := float64(ans) / r.opt.Interval.Seconds()
	active := 0
	for _, g := range r.gwcs {
		if !g.killed {
			active++
		}
	}
	line := fmt.Sprintf("[%5.1fs/%v] %7.0f answered/s  p99 %-8v  GWCs %d  events %d",
		el.Seconds(), r.s.Duration, rate, p99.Round(10*time.Microsecond), active, len(r.rep.Events))
	if r.opt.Progress {
		fmt.Fprintf(r.opt.Out, "\r%-78s", line)
	} else {
		fmt.Fprintln(r.opt.Out, line)
	}
}

// finish stops the traffic, lets what is in flight come back and fills in
// the totals.
func (r *run) finish() error {
	if r.opt.Progress {
		fmt.Fprintln(r.opt.Out)
	}
	r.closeFailover()
	var sepRep sepsim.Report
	if r.sim != nil {
		r.sim.Stop()
		ctx, cancel := context.WithTimeout(r.ctx, 15*time.Second)
		rep, err := r.sim.Wait(ctx)
		cancel()
		if err != nil {
			return fmt.Errorf("SEP simulator: %w", err)
		}
		sepRep = rep
	}
	r.rep.Duration = time.Since(r.t0)
	t := &r.rep.Totals
	t.CallsAttempted, t.CallsCompleted = int64(sepRep.Calls.Started), int64(sepRep.Calls.Completed)
	t.DialoguesAttempted, t.DialoguesCompleted = int64(sepRep.Dialogues.Started), int64(sepRep.Dialogues.Completed)
	t.MSUsSent, t.MSUsAnswered = int64(sepRep.Sent), int64(sepRep.Answered)
	t.HeldBack = int64(sepRep.HeldBack)
	t.LatencyP50, t.LatencyP99 = sepRep.All.P50, sepRep.All.P99
	if r.pcap != nil {
		sent, answered := r.pcap.counts()
		t.MSUsSent += sent
		t.MSUsAnswered += answered
	}
	if r.rep.Duration > 0 {
		t.Throughput = float64(t.MSUsAnswered) / r.rep.Duration.Seconds()
	}
	// Lost after detection: what the SEP never got an answer for, beyond
	// what the SG reports the failed GWCs held when they failed.
	var held float64
	if m, err := scrape(r.ctx, r.sgMetrics); err == nil {
		held = m.sum("sg_lost_messages_total") - r.lostAtStart
	}
	t.UnansweredAtFault = int64(held)
	t.MessagesLost = max(0, int64(sepRep.Unanswered)-int64(held))
	for _, fo := range r.failovers {
		r.rep.Failovers = append(r.rep.Failovers, *fo)
	}
	sort.SliceStable(r.rep.Events, func(i, j int) bool { return r.rep.Events[i].At < r.rep.Events[j].At })
	if r.sim != nil && sepRep.Sent == 0 {
		return errors.New("the SEP simulator sent nothing")
	}
	return nil
}

// RunFile loads and runs a scenario file, printing the summary and the
// report paths to opt.Out.
func RunFile(ctx context.Context, path string, opt RunOptions) (*Report, error) {
	s, err := Load(path)
	if err != nil {
		return nil, err
	}
	return RunScenario(ctx, s, opt)
}

// RunScenario runs s and prints its summary and report paths.
func RunScenario(ctx context.Context, s *Scenario, opt RunOptions) (*Report, error) {
	out := opt.Out
	if out == nil {
		out = io.Discard
	}
	if opt.Dir == "" {
		d, err := os.MkdirTemp("", "sigpool-scenario-"+safeName(s.Name)+"-")
		if err != nil {
			return nil, err
		}
		opt.Dir = d
	}
	fmt.Fprintf(out, "scenario %s: %d registrar(s), %d GWC(s), 1 SG, %s over %s, %v; logs and reports in %s\n",
		s.Name, s.Topology.Registrars, s.Topology.GWCs, strings.ToUpper(s.Topology.Protocol), s.Topology.Transport, s.Duration, opt.Dir)
	rep, err := Run(ctx, s, opt)
	if rep != nil {
		_ = rep.WriteSummary(out)
		fmt.Fprintf(out, "report: %s %s\n", filepath.Join(opt.Dir, "report.json"), filepath.Join(opt.Dir, "report.html"))
	}
	return rep, err
}
