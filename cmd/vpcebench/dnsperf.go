package main

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// perf is one dnsperf run against one server, with the server's CPU time over it.
type perf struct {
	sent, completed, lost int64
	qps                   float64
	latency               time.Duration // average
	rcodes                string        // dnsperf's "Response codes" line
	noerror               float64       // share of completed queries answered NOERROR, in %
	cpu                   time.Duration // the server's CPU time during the run
}

func (p perf) lostPct() float64 {
	if p.sent == 0 {
		return 0
	}
	return 100 * float64(p.lost) / float64(p.sent)
}

// cpuPerQuery is the server's CPU time per completed query, in microseconds.
func (p perf) cpuPerQuery() float64 {
	if p.completed == 0 {
		return 0
	}
	return float64(p.cpu.Microseconds()) / float64(p.completed)
}

// dnsperfArgs are dnsperf's defaults made explicit: one client socket, one thread, at most 100
// queries outstanding, no rate limit; a short timeout so that lost queries end the run soon.
var dnsperfArgs = []string{"-c", "1", "-T", "1", "-q", "100", "-t", "2"}

// runDnsperf loads the server at 127.0.0.1:port with queries for d, and measures the server
// process's CPU time over the run.
func runDnsperf(ctx context.Context, srv *proc, port int, queries string, d time.Duration, logPath string) (perf, error) {
	args := append([]string{"-s", "127.0.0.1", "-p", strconv.Itoa(port), "-d", queries,
		"-l", strconv.Itoa(int(d.Seconds()))}, dnsperfArgs...)
	cmd := exec.CommandContext(ctx, "dnsperf", args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	cpu0, err := cpuTime(srv.pid())
	if err != nil {
		return perf{}, fmt.Errorf("%s: %w", srv.name, err)
	}
	runErr := cmd.Run()
	cpu1, err := cpuTime(srv.pid())
	if err != nil {
		return perf{}, fmt.Errorf("%s: %w", srv.name, err)
	}
	_ = os.WriteFile(logPath, out.Bytes(), 0o644)
	if runErr != nil {
		return perf{}, fmt.Errorf("dnsperf against %s: %w (see %s)", srv.name, runErr, logPath)
	}
	p, err := parseDnsperf(out.String())
	if err != nil {
		return perf{}, fmt.Errorf("dnsperf against %s: %w (see %s)", srv.name, err, logPath)
	}
	p.cpu = cpu1 - cpu0
	return p, nil
}

var (
	reSent      = regexp.MustCompile(`Queries sent:\s+(\d+)`)
	reCompleted = regexp.MustCompile(`Queries completed:\s+(\d+)`)
	reLost      = regexp.MustCompile(`Queries lost:\s+(\d+)`)
	reQPS       = regexp.MustCompile(`Queries per second:\s+([0-9.]+)`)
	reLatency   = regexp.MustCompile(`Average Latency \(s\):\s+([0-9.]+)`)
	reRcodes    = regexp.MustCompile(`Response codes:\s+(.*)`)
	reNoerror   = regexp.MustCompile(`NOERROR (\d+)`)
)

func parseDnsperf(out string) (perf, error) {
	var p perf
	num := func(re *regexp.Regexp) (string, bool) {
		m := re.FindStringSubmatch(out)
		if m == nil {
			return "", false
		}
		return m[1], true
	}
	for _, f := range []struct {
		re  *regexp.Regexp
		dst *int64
	}{{reSent, &p.sent}, {reCompleted, &p.completed}, {reLost, &p.lost}} {
		s, ok := num(f.re)
		if !ok {
			return p, fmt.Errorf("no %q in dnsperf's output", f.re.String())
		}
		*f.dst, _ = strconv.ParseInt(s, 10, 64)
	}
	s, ok := num(reQPS)
	if !ok {
		return p, fmt.Errorf("no queries per second in dnsperf's output")
	}
	p.qps, _ = strconv.ParseFloat(s, 64)
	if s, ok := num(reLatency); ok {
		sec, _ := strconv.ParseFloat(s, 64)
		p.latency = time.Duration(sec * float64(time.Second))
	}
	if s, ok := num(reRcodes); ok {
		p.rcodes = strings.TrimSpace(s)
	}
	if s, ok := num(reNoerror); ok && p.completed > 0 {
		n, _ := strconv.ParseInt(s, 10, 64)
		p.noerror = 100 * float64(n) / float64(p.completed)
	}
	return p, nil
}
