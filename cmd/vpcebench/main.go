// Command vpcebench measures the vpce plugin against the CoreDNS plugins users would otherwise
// serve endpoint names with (whoami as the floor, hosts, file), with dnsperf over UDP on
// 127.0.0.1, the cost of refreshing a live view under load against the EC2 fake, and what a
// fleet of resolvers reading one exporter's S3 object costs (fleet.go: in this process, against
// gofakes3), and the plugin's Response Policy Zone side by side with the resolvers that would
// serve it (rpz.go: BIND and Unbound as secondaries of the zone, and forwarding to coredns-vpce).
// It is what `make bench` runs; BENCHMARKS.md holds the results of one run.
//
//	go run ./cmd/vpcebench [-rounds 3] [-duration 10s] [-out bench-out]
//
// It installs dnsperf if missing (apt-get), builds ./coredns with `make build`, writes every
// generated file into -out, starts each configuration as its own ./coredns process, and runs
// dnsperf against each in turn, alternating the order round by round. It prints one table:
// QPS (median, min, max over the rounds), average latency, lost queries, the server's CPU time
// per query (/proc/PID/stat) and its RSS at rest and after the load (/proc/PID/status), then
// the target ratios of every round. The large set is served a second time with about 5% of its
// private names offered in 2 to 5 VPCs (vpce-<large>-shared, -shared), asked from 127.0.0.1, a
// client in none of them: what shared names cost the clients that get the default. Every
// process it starts is stopped before it exits, also on failure or ^C. It talks to 127.0.0.1
// only (but for apt-get, when dnsperf is missing).
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	"syscall"
	"time"
)

type options struct {
	out          string
	rounds       int
	duration     time.Duration
	small, mid   int
	large        int
	shared       int  // SharedEvery of the large set's vpce-<large>-shared, 0 for none
	compareLarge bool // hosts and file with the large set too
	live         int
	liveDuration time.Duration
	liveRounds   int
	basePort     int
	build        bool
	goBench      bool
	pprof        bool
	mutateEvery  time.Duration
	timeout      time.Duration

	rpz    int  // endpoints of the Response Policy Zone side by side (rpz.go), 0 to skip it
	rpzLog bool // the secondaries log every rewrite

	fleet          int // readers of the fleet simulation (fleet.go), 0 to skip it
	fleetEndpoints int
	fleetCheck     time.Duration
	fleetDuration  time.Duration
}

func main() {
	var o options
	flag.StringVar(&o.out, "out", "bench-out", "directory for generated files, logs and the report")
	flag.IntVar(&o.rounds, "rounds", 3, "dnsperf rounds over every configuration; 0 runs the refresh-under-load run only")
	flag.DurationVar(&o.duration, "duration", 10*time.Second, "length of one dnsperf run (whole seconds)")
	flag.IntVar(&o.small, "small", 20, "endpoints of the small set (vpce, hosts, file, whoami)")
	flag.IntVar(&o.mid, "mid", 100, "endpoints of the middle set (vpce), 0 for none")
	flag.IntVar(&o.large, "large", 100_000, "endpoints of the large set")
	flag.IntVar(&o.shared, "shared", 5, "serve the large set with shared names too, as vpce-<large>-shared: internal/synth's SharedEvery (5: about 5% of the private names offered in 2 to 5 VPCs); 0 to leave it out")
	flag.BoolVar(&o.compareLarge, "compare-large", true, "serve the large set with hosts and file too")
	flag.IntVar(&o.live, "live", 5000, "endpoints in the EC2 fake for the refresh-under-load run, 0 to skip it")
	flag.DurationVar(&o.liveDuration, "live-duration", 15*time.Second, "length of one refresh-under-load run")
	flag.IntVar(&o.liveRounds, "live-rounds", 1, "rounds of the refresh-under-load runs (each: static, then refreshing)")
	flag.IntVar(&o.basePort, "port", 25350, "first of the 127.0.0.1 ports to use (it uses up to 40 from it)")
	flag.BoolVar(&o.build, "build", true, "build ./coredns with make build first")
	flag.BoolVar(&o.goBench, "gobench", true, "run the plugin's Go benchmarks too (go test -bench ./plugin/vpce/...)")
	flag.BoolVar(&o.pprof, "pprof", false, "serve CoreDNS's pprof on 127.0.0.1, port + 100 + the server's offset, for profiling by hand")
	flag.DurationVar(&o.mutateEvery, "mutate-every", time.Second, "how often the refresh-under-load run changes 1% of the EC2 fake's endpoints")
	flag.IntVar(&o.rpz, "rpz", 2000, "endpoints of the Response Policy Zone side by side (coredns-vpce direct; BIND and Unbound as secondaries of its zone, and forwarding to it); 0 to skip it. It also transfers the large set's zone once and times BIND's start as its secondary")
	flag.BoolVar(&o.rpzLog, "rpz-log", false, "have BIND and Unbound log every rewrite of the side by side, as the guide's Unbound configuration does")
	flag.IntVar(&o.fleet, "fleet", 1000, "readers of the fleet simulation (one exporter, S3 fake), 0 to skip it")
	flag.IntVar(&o.fleetEndpoints, "fleet-endpoints", 200, "endpoints of the fleet's snapshot")
	flag.DurationVar(&o.fleetCheck, "fleet-check", 10*time.Second, "how often the fleet's readers check the object (snapshot_refresh) and the exporter writes")
	flag.DurationVar(&o.fleetDuration, "fleet-duration", 2*time.Minute, "length of the fleet simulation; the view changes at a third and two thirds of it")
	flag.DurationVar(&o.timeout, "timeout", 30*time.Minute, "give up after this long")
	flag.Parse()

	code := 0
	func() {
		defer func() {
			if r := recover(); r != nil {
				fmt.Fprintf(os.Stderr, "vpcebench: panic: %v\n%s", r, debug.Stack())
				code = 2
			}
		}()
		if err := benchmark(o); err != nil {
			fmt.Fprintf(os.Stderr, "vpcebench: %v\n", err)
			code = 1
		}
	}()
	stopAll()
	os.Exit(code)
}

// progress reports what the tool is doing, on stderr; the report goes to stdout.
func progress(format string, args ...any) {
	fmt.Fprintf(os.Stderr, "%s vpcebench: %s\n", time.Now().Format("15:04:05"), fmt.Sprintf(format, args...))
}

// server is one CoreDNS configuration under test.
type server struct {
	name     string
	plugin   string // what serves the names: vpce, whoami, hosts, file
	size     int    // endpoints of its set
	names    int    // names its set serves
	port     int
	corefile string
	queries  string
	probe    string
	env      []string
	served   string // the file its plugin reads (snapshot, hosts file, zone file)

	p       *proc
	rssRest int64 // kB
	rssLoad int64 // kB
	runs    []perf

	// The refresh-under-load runs: what happened during the dnsperf runs.
	refreshes, rebuilds, changes int
	fakeCPU                      time.Duration
	firstView                    time.Duration // from start to the first answer

	alone *startup // the large set's servers, started alone
}

func benchmark(o options) error {
	ctx, cancel := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer cancel()
	ctx, cancelT := context.WithTimeout(ctx, o.timeout)
	defer cancelT()
	began := time.Now()

	if err := os.MkdirAll(o.out, 0o755); err != nil {
		return err
	}
	out, err := filepath.Abs(o.out)
	if err != nil {
		return err
	}
	needServers := o.rounds > 0 || o.live > 0 // else only the fleet, in this process
	if needServers {
		if err := ensureDnsperf(ctx); err != nil {
			return err
		}
	}
	if o.build && needServers {
		progress("make build")
		if err := run(ctx, "make", "build"); err != nil {
			return err
		}
	}
	coredns, err := filepath.Abs("coredns")
	if err != nil {
		return err
	}
	if _, err := os.Stat(coredns); needServers && err != nil {
		return fmt.Errorf("no ./coredns: run from the repository's root (or with -build): %w", err)
	}
	load0 := loadAvg()

	// The sets, their files and the servers.
	var servers []*server
	if o.rounds > 0 {
		if servers, err = prepare(o, out); err != nil {
			return err
		}
	}
	progress("starting %d servers", len(servers))
	for _, s := range servers {
		s.p, err = start(s.name, filepath.Join(out, s.name+".log"), s.env, coredns, "-conf", s.corefile)
		if err != nil {
			return err
		}
	}
	for _, s := range servers {
		wctx, wcancel := context.WithTimeout(ctx, 4*time.Minute)
		t0 := time.Now()
		err := waitAnswer(wctx, s.p, fmt.Sprintf("127.0.0.1:%d", s.port), s.probe, s.plugin == "whoami")
		wcancel()
		if err != nil {
			return err
		}
		progress("%s answers (waited %.1fs)", s.name, time.Since(t0).Seconds())
	}
	time.Sleep(2 * time.Second) // let start-up garbage go before RSS at rest
	for _, s := range servers {
		s.rssRest, _ = rssKB(s.p.pid())
	}

	// Rounds: every server in turn, the order reversed every other round.
	for r := range o.rounds {
		order := make([]*server, len(servers))
		copy(order, servers)
		if r%2 == 1 {
			for i, j := 0, len(order)-1; i < j; i, j = i+1, j-1 {
				order[i], order[j] = order[j], order[i]
			}
		}
		for _, s := range order {
			if err := ctx.Err(); err != nil {
				return err
			}
			res, err := runDnsperf(ctx, s.p, s.port, s.queries, o.duration, filepath.Join(out, fmt.Sprintf("dnsperf-%s-%d.txt", s.name, r+1)))
			if err != nil {
				return err
			}
			s.runs = append(s.runs, res)
			progress("round %d %-11s %8.0f qps  lost %.2f%%  %.1f us cpu/query  %s", r+1, s.name, res.qps, res.lostPct(), res.cpuPerQuery(), res.rcodes)
		}
	}
	for _, s := range servers {
		s.rssLoad, _ = rssKB(s.p.pid())
		stopProc(s.p)
	}
	for _, s := range servers {
		if s.size == o.large && s.served != "" {
			if s.alone, err = measureAlone(ctx, s, coredns, out); err != nil {
				return err
			}
		}
	}

	var rpzRes *rpzResult
	if o.rpz > 0 && o.rounds > 0 {
		var large *server
		for _, s := range servers {
			if s.plugin == "vpce" && s.size == o.large && !strings.HasSuffix(s.name, sharedSuffix(1)) {
				large = s
			}
		}
		if rpzRes, err = rpzSideBySide(ctx, o, out, coredns, large); err != nil {
			return err
		}
	}

	var live []*server
	if o.live > 0 {
		live, err = refreshUnderLoad(ctx, o, out, coredns)
		if err != nil {
			return err
		}
	}
	var fleet *fleetResult
	if o.fleet > 0 {
		if fleet, err = simulateFleet(ctx, o); err != nil {
			return err
		}
	}
	load1 := loadAvg()

	var gobench string
	if o.goBench {
		gobench, err = goBenchmarks(ctx, out)
		if err != nil {
			return err
		}
	}

	rep := &report{o: o, servers: servers, rpz: rpzRes, live: live, fleet: fleet, gobench: gobench, load: [2]string{load0, load1}, took: time.Since(began)}
	text := rep.String()
	fmt.Print(text)
	return os.WriteFile(filepath.Join(out, "report.txt"), []byte(text), 0o644)
}

// ensureDnsperf installs dnsperf with apt-get if it is not on PATH.
func ensureDnsperf(ctx context.Context) error {
	if _, err := exec.LookPath("dnsperf"); err == nil {
		return nil
	}
	progress("dnsperf missing: apt-get install -y dnsperf")
	if err := run(ctx, "apt-get", "install", "-y", "dnsperf"); err != nil {
		progress("apt-get install failed, updating the package lists first")
		if err := run(ctx, "apt-get", "update"); err != nil {
			return err
		}
		if err := run(ctx, "apt-get", "install", "-y", "dnsperf"); err != nil {
			return err
		}
	}
	_, err := exec.LookPath("dnsperf")
	return err
}

// prepare generates the sets' files and the servers' Corefiles.
func prepare(o options, out string) ([]*server, error) {
	port := o.basePort
	nextPort := func() int { port++; return port - 1 }
	var servers []*server
	type set struct {
		a       account
		queries string
		lines   int
	}
	type setKey struct{ n, shared int }
	sets := map[setKey]*set{}
	getSet := func(k setKey) (*set, error) {
		if s, ok := sets[k]; ok {
			return s, nil
		}
		t0 := time.Now()
		s := &set{a: generate(k.n, k.shared), queries: filepath.Join(out, fmt.Sprintf("queries-%d%s.txt", k.n, sharedSuffix(k.shared)))}
		if err := s.a.writeSnapshot(filepath.Join(out, fmt.Sprintf("snapshot-%d%s.json", k.n, sharedSuffix(k.shared)))); err != nil {
			return nil, err
		}
		var err error
		if s.lines, err = s.a.writeQueries(s.queries, -1); err != nil {
			return nil, err
		}
		progress("generated %d endpoints%s, %d names, %d queries (%.1fs)", k.n, sharedSuffix(k.shared), len(s.a.Names), s.lines, time.Since(t0).Seconds())
		sets[k] = s
		return s, nil
	}
	add := func(plugin string, k setKey) error {
		st, err := getSet(k)
		if err != nil {
			return err
		}
		n := k.n
		s := &server{
			name: fmt.Sprintf("%s-%s%s", plugin, sizeName(n), sharedSuffix(k.shared)), plugin: plugin, size: n, names: len(st.a.Names),
			port: nextPort(), queries: st.queries, probe: st.a.probe(),
		}
		if plugin == "whoami" {
			s.name = "whoami"
		}
		var body string
		switch plugin {
		case "vpce":
			s.served = filepath.Join(out, fmt.Sprintf("snapshot-%d%s.json", n, sharedSuffix(k.shared)))
			body = fmt.Sprintf("vpce {\n        snapshot %s\n    }", s.served)
		case "whoami":
			body = "whoami"
		case "hosts":
			file := filepath.Join(out, fmt.Sprintf("hosts-%d", n))
			if err := st.a.writeHosts(file); err != nil {
				return err
			}
			s.served = file
			body = fmt.Sprintf("hosts %s {\n        ttl 60\n        no_reverse\n    }", file)
		case "file":
			file := filepath.Join(out, fmt.Sprintf("zone-%d.db", n))
			if err := st.a.writeZone(file); err != nil {
				return err
			}
			body = fmt.Sprintf("file %s %s", file, zoneOrigin)
		}
		s.corefile = filepath.Join(out, fmt.Sprintf("Corefile.%s", s.name))
		if err := writeCorefile(o, s, body); err != nil {
			return err
		}
		servers = append(servers, s)
		return nil
	}
	type step struct {
		plugin string
		set    setKey
	}
	steps := []step{{"vpce", setKey{o.small, 0}}, {"whoami", setKey{o.small, 0}}, {"hosts", setKey{o.small, 0}}, {"file", setKey{o.small, 0}}}
	if o.mid > 0 {
		steps = append(steps, step{"vpce", setKey{o.mid, 0}})
	}
	steps = append(steps, step{"vpce", setKey{o.large, 0}})
	if o.shared > 0 {
		steps = append(steps, step{"vpce", setKey{o.large, o.shared}})
	}
	if o.compareLarge {
		steps = append(steps, step{"hosts", setKey{o.large, 0}}, step{"file", setKey{o.large, 0}})
	}
	for _, st := range steps {
		if err := add(st.plugin, st.set); err != nil {
			return nil, err
		}
	}
	return servers, nil
}

// sharedSuffix marks the names of a set with shared names, of its files and its server.
func sharedSuffix(sharedEvery int) string {
	if sharedEvery > 0 {
		return "-shared"
	}
	return ""
}

// writeCorefile writes s's Corefile: one server block on 127.0.0.1 at s.port with body, and
// pprof if asked for.
func writeCorefile(o options, s *server, body string) error {
	extra := ""
	if o.pprof {
		extra = fmt.Sprintf("    pprof 127.0.0.1:%d\n", s.port+100)
		progress("%s: pprof on 127.0.0.1:%d", s.name, s.port+100)
	}
	conf := fmt.Sprintf(".:%d {\n    bind 127.0.0.1\n%s    %s\n}\n", s.port, extra, body)
	return os.WriteFile(s.corefile, []byte(conf), 0o644)
}

func sizeName(n int) string {
	switch {
	case n >= 1000 && n%1000 == 0:
		return fmt.Sprintf("%dk", n/1000)
	default:
		return fmt.Sprint(n)
	}
}

// goBenchmarks runs the plugin's Go benchmarks: the query path at the default benchtime, the
// view build three times, a refresh's other costs once.
func goBenchmarks(ctx context.Context, out string) (string, error) {
	var all strings.Builder
	for _, args := range [][]string{
		{"-bench", "ServeDNS", "-benchtime", "1s"},
		{"-bench", "BuildIndex", "-benchtime", "3x"},
		{"-bench", "Refresh", "-benchtime", "1x"},
	} {
		progress("go test -run '^$' -benchmem %s ./plugin/vpce/...", strings.Join(args, " "))
		cmd := exec.CommandContext(ctx, "go", append([]string{"test", "-run", "^$", "-benchmem", "-count", "1"}, append(args, "./plugin/vpce/...")...)...)
		var buf strings.Builder
		cmd.Stdout = io.MultiWriter(&buf, os.Stderr)
		cmd.Stderr = os.Stderr
		cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
		cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
		if err := cmd.Run(); err != nil {
			return "", fmt.Errorf("go test -bench: %w", err)
		}
		for line := range strings.SplitSeq(buf.String(), "\n") {
			if strings.HasPrefix(line, "Benchmark") || strings.HasPrefix(line, "cpu:") && all.Len() == 0 {
				all.WriteString(line + "\n")
			}
		}
	}
	_ = os.WriteFile(filepath.Join(out, "gobench.txt"), []byte(all.String()), 0o644)
	return all.String(), nil
}

func loadAvg() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "?"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "?"
	}
	return strings.Join(f[:3], " ")
}

func cpuModel() string {
	b, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		return "?"
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "model name"); ok {
			return strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(rest), ":"))
		}
	}
	return "?"
}

func machine() string {
	return fmt.Sprintf("%d CPUs (%s), %s, %s/%s", runtime.NumCPU(), cpuModel(), runtime.Version(), runtime.GOOS, runtime.GOARCH)
}
