package main

import (
	"fmt"
	"slices"
	"strings"
	"time"
)

type report struct {
	o       options
	servers []*server
	rpz     *rpzResult
	live    []*server
	fleet   *fleetResult
	gobench string
	load    [2]string
	took    time.Duration
}

// ratio is a target: the QPS of num over that of den, in the same round, at least min.
type ratio struct {
	num, den string
	min      float64
}

func (r *report) String() string {
	var b strings.Builder
	o := r.o
	fmt.Fprintf(&b, "\nvpcebench: %s; load average %s at start, %s at end; took %s\n", machine(), r.load[0], r.load[1], r.took.Round(time.Second))
	fmt.Fprintf(&b, "dnsperf %s -l %d over UDP on 127.0.0.1, %d rounds (order reversed every other round); one ./coredns per row\n\n",
		strings.Join(dnsperfArgs, " "), int(o.duration.Seconds()), o.rounds)

	rows := [][]string{{"server", "serves", "endpoints", "names", "QPS median", "QPS min", "QPS max", "avg latency", "lost", "CPU/query", "RSS at rest", "RSS after load"}}
	for _, s := range append(append([]*server(nil), r.servers...), r.live...) {
		sum := sumRuns(s.runs)
		qps, lat, lost, sent, cpu, completed := sum.qps, sum.latency, sum.lost, sum.sent, sum.cpu, sum.completed
		row := []string{s.name, s.plugin, fmt.Sprint(s.size), fmt.Sprint(s.names)}
		if len(qps) == 0 {
			row = append(row, "-", "-", "-", "-", "-", "-")
		} else {
			lostPct := 0.0
			if sent > 0 {
				lostPct = 100 * float64(lost) / float64(sent)
			}
			cpuq := 0.0
			if completed > 0 {
				cpuq = float64(cpu.Microseconds()) / float64(completed)
			}
			row = append(row, fmt.Sprintf("%.0f", median(qps)), fmt.Sprintf("%.0f", slices.Min(qps)), fmt.Sprintf("%.0f", slices.Max(qps)),
				fmt.Sprintf("%.2f ms", float64(lat.Microseconds())/1000/float64(len(s.runs))),
				fmt.Sprintf("%.3f%%", lostPct), fmt.Sprintf("%.1f us", cpuq))
		}
		row = append(row, mb(s.rssRest), mb(s.rssLoad))
		rows = append(rows, row)
	}
	if len(rows) > 1 {
		table(&b, rows)
	}

	alone := [][]string{{"server", "endpoints", "first answer", "CPU to first answer", "RSS peak at start", "RSS at rest", "RSS peak during a reload", "CPU of the reload"}}
	for _, s := range r.servers {
		if a := s.alone; a != nil {
			alone = append(alone, []string{s.name, fmt.Sprint(s.size), fmt.Sprintf("%.1f s", a.wall.Seconds()), fmt.Sprintf("%.1f s", a.cpu.Seconds()),
				mb(a.peak), mb(a.rest), mb(a.reloadPeak), fmt.Sprintf("%.1f s", a.reloadCPU.Seconds())})
		}
	}
	if len(alone) > 1 {
		fmt.Fprintf(&b, "\nThe large set's servers started alone, one at a time; then their file touched (reloaded, the old view serving):\n\n")
		table(&b, alone)
	}

	for _, s := range r.servers {
		for i, p := range s.runs {
			if p.noerror < 99.9 {
				fmt.Fprintf(&b, "WARNING: %s round %d: %.2f%% NOERROR (%s)\n", s.name, i+1, p.noerror, p.rcodes)
			}
		}
	}
	var static *server
	for _, s := range r.live {
		if s.name == "live-static" {
			static = s
		}
	}
	for _, s := range r.live {
		fmt.Fprintf(&b, "%s: first view %.1fs after start; during the runs (%s): %d refreshes, %d view rebuilds, %d inventory changes; the EC2 fake used %.1fs CPU",
			s.name, s.firstView.Seconds(), o.liveDuration*time.Duration(o.liveRounds), s.refreshes, s.rebuilds, s.changes, s.fakeCPU.Seconds())
		if s != static && static != nil && s.refreshes > 0 {
			sum, staticSum := sumRuns(s.runs), sumRuns(static.runs)
			cpu, completed, scpu, scompleted := sum.cpu, sum.completed, staticSum.cpu, staticSum.completed
			if scompleted > 0 {
				extra := cpu.Seconds() - float64(completed)*scpu.Seconds()/float64(scompleted)
				fmt.Fprintf(&b, "; CoreDNS CPU beyond answering: %.2fs per refresh", extra/float64(s.refreshes))
			}
		}
		b.WriteString("\n")
	}

	small, large := sizeName(o.small), sizeName(o.large)
	ratios := []ratio{
		{"vpce-" + small, "whoami", 1.0},
		{"vpce-" + small, "hosts-" + small, 1.0},
		{"vpce-" + small, "file-" + small, 1.3},
		{"vpce-" + large, "vpce-" + small, 0.95},
		{"vpce-" + large, "hosts-" + large, 1.0},
		{"vpce-" + large, "file-" + large, 1.3},
	}
	if o.mid > 0 {
		ratios = append(ratios, ratio{"vpce-" + sizeName(o.mid), "vpce-" + small, 0.95})
	}
	if o.shared > 0 { // shared names cost the unplaced client no more than 5%
		ratios = append(ratios, ratio{"vpce-" + large + sharedSuffix(o.shared), "vpce-" + large, 0.95})
	}
	byName := map[string]*server{}
	for _, s := range r.servers {
		byName[s.name] = s
	}
	hdr := []string{"round"}
	var have []ratio
	for _, rt := range ratios {
		if byName[rt.num] != nil && byName[rt.den] != nil {
			have = append(have, rt)
			hdr = append(hdr, fmt.Sprintf("%s / %s (>= %.2f)", rt.num, rt.den, rt.min))
		}
	}
	ratioTable := func(title string, value func(num, den perf) float64) {
		if len(have) == 0 {
			return
		}
		fmt.Fprintf(&b, "\n%s\n\n", title)
		rrows := [][]string{hdr}
		per := make([][]float64, len(have))
		for round := range o.rounds {
			row := []string{fmt.Sprint(round + 1)}
			for i, rt := range have {
				n, d := byName[rt.num].runs, byName[rt.den].runs
				if round >= len(n) || round >= len(d) {
					row = append(row, "-")
					continue
				}
				v := value(n[round], d[round])
				per[i] = append(per[i], v)
				row = append(row, fmt.Sprintf("%.3f", v))
			}
			rrows = append(rrows, row)
		}
		med := []string{"median"}
		verdict := []string{"target"}
		for i, rt := range have {
			if len(per[i]) == 0 {
				med, verdict = append(med, "-"), append(verdict, "-")
				continue
			}
			m := median(per[i])
			med = append(med, fmt.Sprintf("%.3f", m))
			if m >= rt.min {
				verdict = append(verdict, "met")
			} else {
				verdict = append(verdict, "MISSED")
			}
		}
		rrows = append(rrows, med, verdict)
		table(&b, rrows)
	}
	ratioTable("Target ratios of QPS, same round:", func(n, d perf) float64 {
		if d.qps == 0 {
			return 0
		}
		return n.qps / d.qps
	})
	ratioTable("The same ratios by the server's CPU time per query (QPS per CPU-second; steadier on a shared machine):", func(n, d perf) float64 {
		if n.cpuPerQuery() == 0 {
			return 0
		}
		return d.cpuPerQuery() / n.cpuPerQuery()
	})

	if len(r.live) == 2 {
		st, rf := r.live[0], r.live[1]
		if len(st.runs) > 0 && len(rf.runs) > 0 {
			q := func(s *server) float64 {
				v := make([]float64, len(s.runs))
				for i, p := range s.runs {
					v[i] = p.qps
				}
				return median(v)
			}
			fmt.Fprintf(&b, "\nRefresh under load (%d endpoints from the EC2 fake): %s / %s = %.3f of the QPS\n",
				o.live, rf.name, st.name, q(rf)/q(st))
		}
	}
	if r.rpz != nil {
		r.rpz.write(&b, o)
	}
	if r.fleet != nil {
		r.fleet.write(&b)
	}
	if r.gobench != "" {
		fmt.Fprintf(&b, "\nGo benchmarks (go test -run '^$' -bench . -benchmem ./plugin/vpce):\n\n%s", r.gobench)
	}
	return b.String()
}

// runSum is what runs add up to: their QPS, one per run, and the sums of the rest.
type runSum struct {
	qps                   []float64
	latency, cpu          time.Duration
	lost, sent, completed int64
}

func sumRuns(runs []perf) runSum {
	var sum runSum
	for _, p := range runs {
		sum.qps = append(sum.qps, p.qps)
		sum.latency += p.latency
		sum.lost += p.lost
		sum.sent += p.sent
		sum.cpu += p.cpu
		sum.completed += p.completed
	}
	return sum
}

func median(v []float64) float64 {
	s := slices.Clone(v)
	slices.Sort(s)
	n := len(s)
	if n == 0 {
		return 0
	}
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}

func mb(kb int64) string {
	if kb == 0 {
		return "-"
	}
	return fmt.Sprintf("%.1f MB", float64(kb)/1024)
}

// table writes rows as a Markdown table with aligned columns.
func table(b *strings.Builder, rows [][]string) {
	width := make([]int, len(rows[0]))
	for _, r := range rows {
		for i, c := range r {
			width[i] = max(width[i], len(c))
		}
	}
	line := func(r []string) {
		b.WriteString("|")
		for i, c := range r {
			if i == 0 {
				fmt.Fprintf(b, " %-*s |", width[i], c)
			} else {
				fmt.Fprintf(b, " %*s |", width[i], c)
			}
		}
		b.WriteString("\n")
	}
	line(rows[0])
	b.WriteString("|")
	for i, w := range width {
		if i == 0 {
			b.WriteString(" " + strings.Repeat("-", w) + " |")
		} else {
			b.WriteString(" " + strings.Repeat("-", w-1) + ": |")
		}
	}
	b.WriteString("\n")
	for _, r := range rows[1:] {
		line(r)
	}
}
