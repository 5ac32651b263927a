package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// startup is what a large set's server costs started alone, with nothing else running: the
// servers of the rounds start together and share the cores.
type startup struct {
	wall, cpu  time.Duration // from start to the first answer
	peak       int64         // kB: the highest RSS up to the first answer
	rest       int64         // kB: RSS a few seconds later
	reloadPeak int64         // kB: the highest RSS while the served file is read again, the old view serving
	reloadCPU  time.Duration // CPU time of that reload
}

// How long a reload is given: vpce checks its snapshot every second, hosts its file every five.
const reloadWait = 20 * time.Second

// measureAlone starts s alone, times its first answer, then touches its file and records the
// peak RSS of the reload (the kernel's high-water mark, reset in between).
func measureAlone(ctx context.Context, s *server, coredns, out string) (*startup, error) {
	log := filepath.Join(out, s.name+"-alone.log")
	t0 := time.Now()
	p, err := start(s.name+"-alone", log, s.env, coredns, "-conf", s.corefile)
	if err != nil {
		return nil, err
	}
	defer stopProc(p)
	wctx, cancel := context.WithTimeout(ctx, 4*time.Minute)
	defer cancel()
	if err := waitAnswer(wctx, p, fmt.Sprintf("127.0.0.1:%d", s.port), s.probe, false); err != nil {
		return nil, err
	}
	st := &startup{wall: time.Since(t0)}
	st.cpu, _ = cpuTime(p.pid())
	st.peak, _ = statusKB(p.pid(), "VmHWM:")
	time.Sleep(3 * time.Second) // a large inventory is released a second after its build
	st.rest, _ = rssKB(p.pid())

	if err := os.WriteFile(fmt.Sprintf("/proc/%d/clear_refs", p.pid()), []byte("5"), 0); err != nil {
		return nil, fmt.Errorf("resetting %s's peak RSS: %w", s.name, err)
	}
	cpu0, _ := cpuTime(p.pid())
	views := countIn(log, "View from")
	now := time.Now()
	if err := os.Chtimes(s.served, now, now); err != nil {
		return nil, err
	}
	deadline := time.Now().Add(reloadWait)
	// vpce logs its new view; hosts logs nothing, so it is given the whole wait.
	for time.Now().Before(deadline) && (s.plugin != "vpce" || countIn(log, "View from") == views) {
		time.Sleep(100 * time.Millisecond)
	}
	if s.plugin == "vpce" && countIn(log, "View from") == views {
		return nil, fmt.Errorf("%s: no new view within %s of touching %s", s.name, reloadWait, s.served)
	}
	st.reloadPeak, _ = statusKB(p.pid(), "VmHWM:")
	cpu1, _ := cpuTime(p.pid())
	st.reloadCPU = cpu1 - cpu0
	progress("%s alone: first answer after %.1fs (%.1fs CPU), peak %s, at rest %s, reload peak %s (%.1fs CPU)",
		s.name, st.wall.Seconds(), st.cpu.Seconds(), mb(st.peak), mb(st.rest), mb(st.reloadPeak), st.reloadCPU.Seconds())
	return st, nil
}

// statusKB is a kB field of /proc/PID/status, such as VmHWM.
func statusKB(pid int, field string) (int64, error) {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0, err
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, field); ok {
			return strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
		}
	}
	return 0, errors.New("no " + field + " in /proc/PID/status")
}
