package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/miekg/dns"
)

// proc is a process the tool started. Every one is stopped by stopAll, on success, on failure
// and on a signal; each is signalled by its own pid, never by name.
type proc struct {
	name string
	cmd  *exec.Cmd
	log  string
	done chan struct{}
	err  error // the exit status, once done is closed
}

var running = struct {
	sync.Mutex
	procs []*proc
}{}

// start runs name's command in the background with its output in logPath.
func start(name, logPath string, env []string, args ...string) (*proc, error) {
	out, err := os.Create(logPath)
	if err != nil {
		return nil, err
	}
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Stdout, cmd.Stderr = out, out
	cmd.Env = append(os.Environ(), env...)
	// Its own process group, so that a terminal's ^C reaches this tool only, which stops it;
	// and killed with this tool should it die without stopping it.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	running.Lock()
	defer running.Unlock()
	if err := cmd.Start(); err != nil {
		out.Close()
		return nil, fmt.Errorf("starting %s: %w", name, err)
	}
	p := &proc{name: name, cmd: cmd, log: logPath, done: make(chan struct{})}
	go func() {
		p.err = cmd.Wait()
		out.Close()
		close(p.done)
	}()
	running.procs = append(running.procs, p)
	return p, nil
}

func (p *proc) pid() int { return p.cmd.Process.Pid }

func (p *proc) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// stop asks the process to end, and kills it if it has not within 5 seconds.
func (p *proc) stop() {
	if p.exited() {
		return
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
	case <-time.After(5 * time.Second):
		_ = p.cmd.Process.Kill()
		<-p.done
	}
}

// stopAll stops every process started, newest first.
func stopAll() {
	running.Lock()
	procs := running.procs
	running.procs = nil
	running.Unlock()
	var wg sync.WaitGroup
	for i := len(procs) - 1; i >= 0; i-- {
		wg.Go(procs[i].stop)
	}
	wg.Wait()
}

// stopProc stops one process and forgets it.
func stopProc(p *proc) {
	p.stop()
	running.Lock()
	defer running.Unlock()
	for i, q := range running.procs {
		if q == p {
			running.procs = append(running.procs[:i], running.procs[i+1:]...)
			break
		}
	}
}

// clockTick is USER_HZ, the unit of /proc/PID/stat's CPU times: 100 on every Linux ABI.
const clockTick = 100

// cpuTime is the process's user + system CPU time so far.
func cpuTime(pid int) (time.Duration, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0, err
	}
	s := string(b)
	i := strings.LastIndexByte(s, ')') // comm may hold spaces and parentheses
	if i < 0 {
		return 0, errors.New("malformed /proc/PID/stat")
	}
	f := strings.Fields(s[i+1:])
	if len(f) < 13 {
		return 0, errors.New("malformed /proc/PID/stat")
	}
	// f[0] is field 3 (state): utime is field 14, stime field 15.
	utime, err1 := strconv.ParseInt(f[11], 10, 64)
	stime, err2 := strconv.ParseInt(f[12], 10, 64)
	if err1 != nil || err2 != nil {
		return 0, errors.New("malformed /proc/PID/stat")
	}
	return time.Duration(utime+stime) * time.Second / clockTick, nil
}

// rssKB is the process's resident set size (VmRSS) in kB.
func rssKB(pid int) (int64, error) { return statusKB(pid, "VmRSS:") }

// waitAnswer waits until the DNS server at addr answers qname (with records, unless
// anyAnswer), or p exits, or ctx ends.
func waitAnswer(ctx context.Context, p *proc, addr, qname string, anyAnswer bool) error {
	c := &dns.Client{Net: "udp", Timeout: 500 * time.Millisecond}
	m := new(dns.Msg)
	m.SetQuestion(qname, dns.TypeA)
	for {
		r, _, err := c.ExchangeContext(ctx, m, addr)
		if err == nil && r.Rcode == dns.RcodeSuccess && (anyAnswer || len(r.Answer) > 0) {
			return nil
		}
		if p.exited() {
			return fmt.Errorf("%s exited (%v); see %s", p.name, p.err, p.log)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("%s: no answer for %s at %s: %w (see %s)", p.name, qname, addr, ctx.Err(), p.log)
		case <-time.After(200 * time.Millisecond):
		}
	}
}

// run runs a command to completion with its output on stderr.
func run(ctx context.Context, args ...string) error {
	cmd := exec.CommandContext(ctx, args[0], args[1:]...)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	// A group of its own, so that a cancelled make or go stops with its compilers.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	cmd.Cancel = func() error { return syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL) }
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s: %w", strings.Join(args, " "), err)
	}
	return nil
}
