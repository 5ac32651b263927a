package main

// The Response Policy Zone side by side (-rpz N): coredns-vpce answering directly; BIND and
// Unbound as secondaries of its zone (rpz ZONE, docs/hybrid-dns.md section 5), answering from
// their copies; and the forwarding setup of section 3, BIND and Unbound forwarding amazonaws.com
// (the zone of every generated name) to the same coredns-vpce. Then, with the large set, one
// full AXFR of the zone and the time BIND takes from its start to answering from its copy.

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	"github.com/coredns-vpce/coredns-vpce/internal/testkit"
	"github.com/miekg/dns"
)

// rpzZone is the zone's origin, as in the guide.
const rpzZone = "vpce.rpz"

// rpzBindWait is how long BIND is given to answer from its copy of the large set's zone.
const rpzBindWait = 4 * time.Minute

// rpzResult is what the phase measured.
type rpzResult struct {
	endpoints, names int
	servers          []*rpzServer // the first is coredns-vpce direct
	notes            []string     // what was left out, and why
	large            *rpzLarge
}

// rpzServer is one server of the side by side.
type rpzServer struct {
	name, what string
	port       int
	p          *proc
	runs       []perf
	backend    []time.Duration // coredns-vpce's CPU time during each of its runs
	rssLoad    int64           // kB
}

// rpzLarge is the large set's zone: one AXFR, and BIND's start from nothing.
type rpzLarge struct {
	endpoints, names int
	records, msgs    int
	bytes            int64
	axfr, axfrCPU    time.Duration // the transfer's time, and coredns-vpce's CPU time over it

	bindWall, bindCPU  time.Duration // from BIND's start to its first answer from the zone
	bindPeak, bindRest int64         // kB
	bindXfr            string        // BIND's own account of the transfer, from its log
	bindNote           string        // why BIND's start was not measured
}

// lookTool finds a program on PATH or in /usr/sbin, which is not on every PATH.
func lookTool(name string) string {
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	if p := filepath.Join("/usr/sbin", name); isExecutable(p) {
		return p
	}
	return ""
}

func isExecutable(path string) bool {
	st, err := os.Stat(path)
	return err == nil && !st.IsDir() && st.Mode()&0o111 != 0
}

// rpzEnv runs CoreDNS on one thread, as BIND (-n 1) and Unbound (num-threads: 1) run here.
var rpzEnv = []string{"GOMAXPROCS=1"}

// rpzSideBySide runs the phase. large is the rounds' server of the large set, whose snapshot
// it reuses, or nil.
func rpzSideBySide(ctx context.Context, o options, out, coredns string, large *server) (*rpzResult, error) {
	res := &rpzResult{endpoints: o.rpz}
	named, unbound := lookTool("named"), lookTool("unbound")
	if named == "" {
		res.notes = append(res.notes, "named is missing (Debian's bind9; make tools installs it): BIND left out")
	}
	if unbound == "" {
		res.notes = append(res.notes, "unbound is missing (Debian's unbound; make tools installs it): Unbound left out")
	}
	for _, n := range res.notes {
		progress("rpz: %s", n)
	}
	if named == "" && unbound == "" {
		return res, nil
	}
	dir := filepath.Join(out, "rpz")
	if err := os.RemoveAll(dir); err != nil { // no copy of a zone from an earlier run
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}

	t0 := time.Now()
	a := generate(o.rpz, 0)
	snapshot := filepath.Join(out, fmt.Sprintf("snapshot-%d.json", o.rpz))
	queries := filepath.Join(out, fmt.Sprintf("queries-%d.txt", o.rpz))
	if err := a.writeSnapshot(snapshot); err != nil {
		return nil, err
	}
	lines, err := a.writeQueries(queries, -1)
	if err != nil {
		return nil, err
	}
	res.names = len(a.Names)
	progress("rpz: generated %d endpoints, %d names, %d queries (%.1fs)", o.rpz, len(a.Names), lines, time.Since(t0).Seconds())
	probe := a.probe()

	port := o.basePort + 30
	direct := &rpzServer{name: "vpce-direct", what: "coredns-vpce, asked directly", port: port}
	var resolvers []*rpzServer
	if named != "" {
		resolvers = append(resolvers,
			&rpzServer{name: "bind-rpz", what: "BIND, secondary of the zone (RPZ)", port: port + 1},
			&rpzServer{name: "bind-forward", what: "BIND, forwarding to coredns-vpce", port: port + 3})
	}
	if unbound != "" {
		resolvers = append(resolvers,
			&rpzServer{name: "unbound-rpz", what: "Unbound, secondary of the zone (RPZ)", port: port + 2},
			&rpzServer{name: "unbound-forward", what: "Unbound, forwarding to coredns-vpce", port: port + 4})
	}
	slices.SortFunc(resolvers, func(x, y *rpzServer) int { return x.port - y.port })
	res.servers = append([]*rpzServer{direct}, resolvers...)

	// coredns-vpce first: the secondaries transfer the zone as they start.
	var to []string
	for _, r := range resolvers {
		if strings.HasSuffix(r.name, "-rpz") {
			to = append(to, fmt.Sprintf("127.0.0.1:%d", r.port))
		}
	}
	corefile := filepath.Join(dir, "Corefile."+direct.name)
	if err := writeRPZCorefile(corefile, direct.port, snapshot, to); err != nil {
		return nil, err
	}
	if direct.p, err = start(direct.name, filepath.Join(dir, direct.name+".log"), rpzEnv, coredns, "-conf", corefile); err != nil {
		return nil, err
	}
	defer stopProc(direct.p)
	if err := rpzWait(ctx, direct, probe); err != nil {
		return nil, err
	}
	want, err := rpzAddrs(direct.port, probe)
	if err != nil {
		return nil, err
	}

	for _, r := range resolvers {
		sub := filepath.Join(dir, r.name)
		if err := os.MkdirAll(sub, 0o755); err != nil {
			return nil, err
		}
		var args []string
		switch r.name {
		case "bind-rpz", "bind-forward":
			file, err := writeBindConf(sub, r.port, direct.port, r.name == "bind-rpz", o.rpzLog)
			if err != nil {
				return nil, err
			}
			if err := checkConf(ctx, "named-checkconf", file); err != nil {
				return nil, err
			}
			args = []string{named, "-g", "-4", "-n", "1", "-c", file}
		default:
			file, err := writeUnboundConf(sub, r.port, direct.port, r.name == "unbound-rpz", o.rpzLog)
			if err != nil {
				return nil, err
			}
			if err := checkConf(ctx, "unbound-checkconf", file); err != nil {
				return nil, err
			}
			args = []string{unbound, "-d", "-c", file}
		}
		if r.p, err = start(r.name, filepath.Join(dir, r.name+".log"), nil, args...); err != nil {
			return nil, err
		}
		defer stopProc(r.p)
	}
	for _, r := range resolvers {
		if err := rpzWait(ctx, r, probe); err != nil {
			return nil, err
		}
		got, err := rpzAddrs(r.port, probe)
		if err != nil {
			return nil, err
		}
		if !slices.Equal(got, want) {
			return nil, fmt.Errorf("%s answers %s with %v, coredns-vpce with %v", r.name, probe, got, want)
		}
	}

	// Rounds: every server in turn, the order reversed every other round.
	for round := range o.rounds {
		order := slices.Clone(res.servers)
		if round%2 == 1 {
			slices.Reverse(order)
		}
		for _, s := range order {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
			b0, err := cpuTime(direct.p.pid())
			if err != nil {
				return nil, err
			}
			p, err := runDnsperf(ctx, s.p, s.port, queries, o.duration, filepath.Join(dir, fmt.Sprintf("dnsperf-%s-%d.txt", s.name, round+1)))
			if err != nil {
				return nil, err
			}
			b1, err := cpuTime(direct.p.pid())
			if err != nil {
				return nil, err
			}
			s.runs = append(s.runs, p)
			s.backend = append(s.backend, b1-b0)
			progress("rpz round %d %-15s %8.0f qps  lost %.2f%%  %.1f us cpu/query (coredns-vpce %.1f us)  %s",
				round+1, s.name, p.qps, p.lostPct(), p.cpuPerQuery(), perQuery(b1-b0, p.completed), p.rcodes)
		}
	}
	for _, s := range res.servers {
		s.rssLoad, _ = rssKB(s.p.pid())
	}
	for i := len(resolvers) - 1; i >= 0; i-- {
		stopProc(resolvers[i].p)
	}
	stopProc(direct.p)

	if o.large > 0 {
		if res.large, err = rpzLargeZone(ctx, o, out, dir, coredns, named, large); err != nil {
			return nil, err
		}
	}
	return res, nil
}

// perQuery is cpu over n queries, in microseconds.
func perQuery(cpu time.Duration, n int64) float64 {
	if n == 0 {
		return 0
	}
	return float64(cpu.Microseconds()) / float64(n)
}

// writeRPZCorefile writes coredns-vpce's Corefile: the snapshot, the zone, its transfers to the
// secondaries at to.
func writeRPZCorefile(path string, port int, snapshot string, to []string) error {
	transfer := ""
	if len(to) > 0 {
		transfer = fmt.Sprintf("    transfer %s {\n        to %s\n    }\n", rpzZone, strings.Join(to, " "))
	} else { // rpz needs the transfer plugin; no secondary listens at this address
		transfer = fmt.Sprintf("    transfer %s {\n        to %s\n    }\n", rpzZone, testkit.Nowhere)
	}
	conf := fmt.Sprintf(".:%d {\n    bind 127.0.0.1\n    vpce {\n        snapshot %s\n        rpz %s\n    }\n%s}\n",
		port, snapshot, rpzZone, transfer)
	return os.WriteFile(path, []byte(conf), 0o644)
}

// writeBindConf writes named.conf into dir: BIND on port, as a secondary of the zone from the
// primary on primary with the guide's policy (rpz), or forwarding amazonaws.com to it as the
// guide's section 3 does. Everything else goes nowhere. Rewrites are logged only with logRPZ.
func writeBindConf(dir string, port, primary int, rpz, logRPZ bool) (string, error) {
	var policy, zones string
	if rpz {
		log := " log no"
		if logRPZ {
			log = ""
		}
		policy = fmt.Sprintf("    response-policy { zone %q min-update-interval 0%s; } qname-wait-recurse no;\n", rpzZone, log)
		zones = fmt.Sprintf(`zone %q {
    type secondary;
    primaries port %d { 127.0.0.1; };
    file "%s/%s";
    allow-query { localhost; };
};
`, rpzZone, primary, dir, rpzZone)
	} else {
		zones = fmt.Sprintf(`zone %q {
    type forward;
    forward only;
    forwarders { 127.0.0.1 port %d; };
};
`, zoneOrigin, primary)
	}
	conf := testkit.NamedConf(dir, port, testkit.Nowhere, policy, zones)
	file := filepath.Join(dir, "named.conf")
	return file, os.WriteFile(file, []byte(conf), 0o644)
}

// writeUnboundConf writes unbound.conf into dir: Unbound on port, one thread, with the guide's
// rpz clause pulling the zone from the primary on primary (rpz), or the guide's forward zone
// of amazonaws.com to it (section 3). Everything else goes nowhere. Rewrites are logged only
// with logRPZ.
func writeUnboundConf(dir string, port, primary int, rpz, logRPZ bool) (string, error) {
	var options, clauses string
	if rpz {
		log := "no"
		if logRPZ {
			log = "yes"
		}
		options = `    module-config: "respip validator iterator"` + "\n"
		clauses = fmt.Sprintf(`rpz:
    name: %s.
    primary: 127.0.0.1@%d
    zonefile: %s
    rpz-log: %s
    rpz-log-name: vpce
`, rpzZone, primary, rpzZone, log)
	} else {
		options = fmt.Sprintf("    private-domain: %q\n    domain-insecure: %q\n", zoneOrigin, zoneOrigin)
		clauses = fmt.Sprintf("forward-zone:\n    name: %q\n    forward-addr: 127.0.0.1@%d\n", zoneOrigin, primary)
	}
	conf := testkit.UnboundConf(dir, port, options, clauses)
	file := filepath.Join(dir, "unbound.conf")
	return file, os.WriteFile(file, []byte(conf), 0o644)
}

// checkConf runs a server's configuration checker, if it is installed.
func checkConf(ctx context.Context, tool, file string) error {
	path := lookTool(tool)
	if path == "" {
		return nil
	}
	b, err := exec.CommandContext(ctx, path, file).CombinedOutput()
	if err != nil {
		return fmt.Errorf("%s %s: %w\n%s", tool, file, err, b)
	}
	return nil
}

// rpzWait waits up to 4 minutes until s answers the probe with records.
func rpzWait(ctx context.Context, s *rpzServer, probe string) error {
	wctx, cancel := context.WithTimeout(ctx, 4*time.Minute)
	defer cancel()
	t0 := time.Now()
	if err := waitAnswer(wctx, s.p, fmt.Sprintf("127.0.0.1:%d", s.port), probe, false); err != nil {
		return err
	}
	progress("rpz: %s answers (waited %.1fs)", s.name, time.Since(t0).Seconds())
	return nil
}

// rpzAddrs is the sorted A records the server on port answers name with.
func rpzAddrs(port int, name string) ([]string, error) {
	c := &dns.Client{Net: "udp", Timeout: 2 * time.Second}
	r, _, err := c.Exchange(new(dns.Msg).SetQuestion(name, dns.TypeA), fmt.Sprintf("127.0.0.1:%d", port))
	if err != nil {
		return nil, err
	}
	var addrs []string
	for _, rr := range r.Answer {
		if a, ok := rr.(*dns.A); ok {
			addrs = append(addrs, a.A.String())
		}
	}
	slices.Sort(addrs)
	return addrs, nil
}

// rpzLargeZone serves the large set's zone, transfers it once (AXFR over TCP from 127.0.0.1),
// then starts BIND as its secondary and times its first answer from the copy.
func rpzLargeZone(ctx context.Context, o options, out, dir, coredns, named string, large *server) (*rpzLarge, error) {
	res := &rpzLarge{endpoints: o.large}
	var snapshot, probe string
	if large != nil {
		snapshot, probe, res.names = large.served, large.probe, large.names
	} else {
		t0 := time.Now()
		a := generate(o.large, 0)
		snapshot = filepath.Join(out, fmt.Sprintf("snapshot-%d.json", o.large))
		if err := a.writeSnapshot(snapshot); err != nil {
			return nil, err
		}
		probe, res.names = a.probe(), len(a.Names)
		progress("rpz: generated %d endpoints, %d names (%.1fs)", o.large, len(a.Names), time.Since(t0).Seconds())
	}
	port, bindPort := o.basePort+35, o.basePort+36
	s := &rpzServer{name: "vpce-rpz-" + sizeName(o.large), port: port}
	corefile := filepath.Join(dir, "Corefile."+s.name)
	var to []string
	if named != "" {
		to = []string{fmt.Sprintf("127.0.0.1:%d", bindPort)}
	}
	if err := writeRPZCorefile(corefile, port, snapshot, to); err != nil {
		return nil, err
	}
	var err error
	if s.p, err = start(s.name, filepath.Join(dir, s.name+".log"), rpzEnv, coredns, "-conf", corefile); err != nil {
		return nil, err
	}
	defer stopProc(s.p)
	if err := rpzWait(ctx, s, probe); err != nil {
		return nil, err
	}

	cpu0, _ := cpuTime(s.p.pid())
	t0 := time.Now()
	if res.records, res.msgs, res.bytes, err = axfr(fmt.Sprintf("127.0.0.1:%d", port), rpzZone+"."); err != nil {
		return nil, fmt.Errorf("AXFR of %s from %s: %w", rpzZone, s.name, err)
	}
	res.axfr = time.Since(t0)
	cpu1, _ := cpuTime(s.p.pid())
	res.axfrCPU = cpu1 - cpu0
	progress("rpz: AXFR of %d endpoints' zone: %d records in %d messages, %.1f MB, %.2fs (coredns-vpce %.2fs CPU)",
		o.large, res.records, res.msgs, float64(res.bytes)/(1<<20), res.axfr.Seconds(), res.axfrCPU.Seconds())

	if named == "" {
		res.bindNote = "named is missing"
		return res, nil
	}
	sub := filepath.Join(dir, "bind-rpz-"+sizeName(o.large))
	if err := os.MkdirAll(sub, 0o755); err != nil {
		return nil, err
	}
	file, err := writeBindConf(sub, bindPort, port, true, o.rpzLog)
	if err != nil {
		return nil, err
	}
	if err := checkConf(ctx, "named-checkconf", file); err != nil {
		return nil, err
	}
	b := &rpzServer{name: "bind-rpz-" + sizeName(o.large), port: bindPort}
	log := filepath.Join(dir, b.name+".log")
	t0 = time.Now()
	if b.p, err = start(b.name, log, nil, named, "-g", "-4", "-n", "1", "-c", file); err != nil {
		return nil, err
	}
	defer stopProc(b.p)
	wctx, cancel := context.WithTimeout(ctx, rpzBindWait)
	err = waitAnswer(wctx, b.p, fmt.Sprintf("127.0.0.1:%d", bindPort), probe, false)
	cancel()
	switch {
	case err != nil && ctx.Err() == nil && !b.p.exited():
		res.bindNote = fmt.Sprintf("BIND did not answer from its copy within %s: left out (see %s)", rpzBindWait, log)
		progress("rpz: %s", res.bindNote)
		return res, nil
	case err != nil:
		return nil, err
	}
	res.bindWall = time.Since(t0)
	res.bindCPU, _ = cpuTime(b.p.pid())
	res.bindPeak, _ = statusKB(b.p.pid(), "VmHWM:")
	time.Sleep(2 * time.Second)
	res.bindRest, _ = rssKB(b.p.pid())
	res.bindXfr = bindTransferLine(log)
	progress("rpz: %s answers from its copy %.1fs after its start (%.1fs CPU, peak %s, at rest %s); %s",
		b.name, res.bindWall.Seconds(), res.bindCPU.Seconds(), mb(res.bindPeak), mb(res.bindRest), res.bindXfr)
	return res, nil
}

// countingConn counts the bytes read through it.
type countingConn struct {
	net.Conn
	n atomic.Int64
}

func (c *countingConn) Read(b []byte) (int, error) {
	n, err := c.Conn.Read(b)
	c.n.Add(int64(n))
	return n, err
}

// axfr transfers zone from addr over TCP and counts its records (the SOA at both ends
// included), messages and bytes (the TCP payload: the messages and their length fields).
func axfr(addr, zone string) (records, msgs int, bytes int64, err error) {
	nc, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		return 0, 0, 0, err
	}
	cc := &countingConn{Conn: nc}
	t := &dns.Transfer{Conn: &dns.Conn{Conn: cc}, ReadTimeout: time.Minute}
	defer t.Close()
	ch, err := t.In(new(dns.Msg).SetAxfr(zone), addr)
	if err != nil {
		return 0, 0, 0, err
	}
	var first, last dns.RR
	for env := range ch {
		if env.Error != nil {
			return 0, 0, 0, env.Error
		}
		msgs++
		records += len(env.RR)
		if len(env.RR) > 0 {
			if first == nil {
				first = env.RR[0]
			}
			last = env.RR[len(env.RR)-1]
		}
	}
	if first == nil || first.Header().Rrtype != dns.TypeSOA || last.Header().Rrtype != dns.TypeSOA {
		return 0, 0, 0, errors.New("the transfer does not begin and end with the SOA")
	}
	return records, msgs, cc.n.Load(), nil
}

var reBindXfr = regexp.MustCompile(`Transfer completed: (\d+) messages, (\d+) records, (\d+) bytes, ([0-9.]+) secs`)

// bindTransferLine is BIND's account of its transfer, from its log, or "".
func bindTransferLine(log string) string {
	b, err := os.ReadFile(log)
	if err != nil {
		return ""
	}
	m := reBindXfr.FindSubmatch(b)
	if m == nil {
		return ""
	}
	bytes, _ := strconv.ParseInt(string(m[3]), 10, 64)
	return fmt.Sprintf("its transfer: %s records in %s messages, %.1f MB, %s s (BIND's log)", m[2], m[1], float64(bytes)/(1<<20), m[4])
}

// write adds the phase's table and lines to the report.
func (r *rpzResult) write(b *strings.Builder, o options) {
	fmt.Fprintf(b, "\nResponse Policy Zone side by side (-rpz %d: %d endpoints, %d names; the same queries and dnsperf runs, %d rounds, order reversed every other round):\n\n",
		o.rpz, r.endpoints, r.names, o.rounds)
	var direct *rpzServer
	if len(r.servers) > 0 && len(r.servers[0].runs) > 0 {
		direct = r.servers[0]
	}
	rows := [][]string{{"server", "answers as", "QPS median", "QPS min", "QPS max", "QPS / direct", "avg latency", "lost", "CPU/query", "CPU/query / direct", "coredns-vpce CPU/query meanwhile", "RSS after load"}}
	for _, s := range r.servers {
		if len(s.runs) == 0 {
			continue
		}
		sum := sumRuns(s.runs)
		qps, lat, lost, sent, cpu, completed := sum.qps, sum.latency, sum.lost, sum.sent, sum.cpu, sum.completed
		var backend time.Duration
		var ratio []float64
		for i, p := range s.runs {
			backend += s.backend[i]
			if direct != nil && i < len(direct.runs) && direct.runs[i].qps > 0 {
				ratio = append(ratio, p.qps/direct.runs[i].qps)
			}
		}
		lostPct := 0.0
		if sent > 0 {
			lostPct = 100 * float64(lost) / float64(sent)
		}
		qpsRatio, cpuRatio := "-", "-"
		if len(ratio) > 0 {
			qpsRatio = fmt.Sprintf("%.3f", median(ratio))
		}
		if direct != nil {
			if d := sumRuns(direct.runs); perQuery(d.cpu, d.completed) > 0 {
				cpuRatio = fmt.Sprintf("%.3f", perQuery(cpu, completed)/perQuery(d.cpu, d.completed))
			}
		}
		rows = append(rows, []string{s.name, s.what,
			fmt.Sprintf("%.0f", median(qps)), fmt.Sprintf("%.0f", slices.Min(qps)), fmt.Sprintf("%.0f", slices.Max(qps)), qpsRatio,
			fmt.Sprintf("%.2f ms", float64(lat.Microseconds())/1000/float64(len(s.runs))),
			fmt.Sprintf("%.3f%%", lostPct), fmt.Sprintf("%.1f us", perQuery(cpu, completed)), cpuRatio,
			fmt.Sprintf("%.1f us", perQuery(backend, completed)), mb(s.rssLoad)})
	}
	if len(rows) > 1 {
		table(b, rows)
		fmt.Fprintf(b, "\nEvery server of this table runs one worker thread (coredns-vpce GOMAXPROCS=1, BIND -n 1, Unbound num-threads: 1; none pinned),\n"+
			"as dnsperf does (-T 1), so that the comparison is per CPU; the other tables' CoreDNS use every CPU.\n"+
			"QPS / direct is the median over the rounds of the QPS over coredns-vpce direct's in the same round;\n"+
			"CPU/query / direct, the server's CPU per query over coredns-vpce direct's (lower is cheaper).\n"+
			"coredns-vpce CPU/query meanwhile is coredns-vpce's CPU time during the server's runs over the server's answered queries:\n"+
			"~0 for the secondaries, which answer from their copy of the zone; for the forwarders, what their cache misses cost it\n"+
			"(they keep its answers for their TTL, 60 s). The secondaries and forwarders send every other name to %s,\n"+
			"where nothing listens: an answer with records came from the zone or from coredns-vpce. Rewrites are %s.\n", testkit.Nowhere, map[bool]string{true: "logged (-rpz-log: the guide's Unbound rpz-log: yes, BIND's default)", false: "not logged (BIND response-policy log no, Unbound rpz-log: no; -rpz-log to log them), as the other tables' CoreDNS log no queries"}[o.rpzLog])
	}
	for _, s := range r.servers {
		for i, p := range s.runs {
			if p.noerror < 99.9 {
				fmt.Fprintf(b, "WARNING: %s round %d: %.2f%% NOERROR (%s)\n", s.name, i+1, p.noerror, p.rcodes)
			}
		}
	}
	for _, n := range r.notes {
		fmt.Fprintf(b, "Note: %s.\n", n)
	}
	if l := r.large; l != nil {
		fmt.Fprintf(b, "\nThe large set's zone (%d endpoints, %d names), coredns-vpce on one thread: one AXFR over TCP from 127.0.0.1 took %.2f s, %d records (the SOA at both ends included) in %d messages, %.1f MB; coredns-vpce used %.2f s CPU.\n",
			l.endpoints, l.names, l.axfr.Seconds(), l.records, l.msgs, float64(l.bytes)/(1<<20), l.axfrCPU.Seconds())
		if l.bindNote != "" {
			fmt.Fprintf(b, "BIND as its secondary: not measured: %s.\n", l.bindNote)
		} else {
			xfr := ""
			if l.bindXfr != "" {
				xfr = "; " + l.bindXfr
			}
			fmt.Fprintf(b, "BIND (-n 1) as its secondary, started with no copy: answered the probe from its copy %.1f s after its start, having used %.1f s CPU, its RSS peak by then %s, its RSS 2 s later %s%s.\n",
				l.bindWall.Seconds(), l.bindCPU.Seconds(), mb(l.bindPeak), mb(l.bindRest), xfr)
		}
	}
}
