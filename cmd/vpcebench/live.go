package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/coredns-vpce/coredns-vpce/internal/ec2fake"
)

// refreshUnderLoad serves an account from the EC2 fake in live mode and loads it with dnsperf:
// with a refresh of 1s while 1% of the fake's endpoints change every second (so every refresh
// rebuilds the view), with a refresh of 1s and nothing changing, and with a refresh of 1h (the
// view is built once, before the run).
func refreshUnderLoad(ctx context.Context, o options, out, coredns string) ([]*server, error) {
	fakeBin := filepath.Join(out, "ec2fake")
	progress("go build -o %s ./cmd/ec2fake", fakeBin)
	if err := run(ctx, "go", "build", "-o", fakeBin, "./cmd/ec2fake"); err != nil {
		return nil, err
	}
	a := generate(o.live, 0)
	state := filepath.Join(out, fmt.Sprintf("ec2fake-state-%d.json", o.live))
	if err := a.writeSnapshot(state); err != nil {
		return nil, err
	}
	// The last 1% of the endpoints change; their names are not queried.
	mutated := len(a.VpcEndpoints) - max(1, len(a.VpcEndpoints)/100)
	queries := filepath.Join(out, fmt.Sprintf("queries-live-%d.txt", o.live))
	if _, err := a.writeQueries(queries, mutated); err != nil {
		return nil, err
	}
	fakeAddr := fmt.Sprintf("127.0.0.1:%d", o.basePort+20)
	fakeLog := filepath.Join(out, "ec2fake.log")
	fake, err := start("ec2fake", fakeLog, nil, fakeBin, "-listen", fakeAddr, "-state", state)
	if err != nil {
		return nil, err
	}
	defer stopProc(fake)
	if err := waitListen(ctx, fake, fakeAddr); err != nil {
		return nil, err
	}

	env := []string{
		"AWS_ACCESS_KEY_ID=AKIDBENCHMARK", "AWS_SECRET_ACCESS_KEY=benchmark-dummy-secret",
		"AWS_EC2_METADATA_DISABLED=true", "AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null",
	}
	type phase struct {
		name    string
		refresh string
		mutate  bool
	}
	// live-steady refreshes every second with nothing changed: what a steady refresh costs.
	phases := []phase{{"live-static", "1h", false}, {"live-refresh", "1s", true}, {"live-steady", "1s", false}}
	byName := map[string]*server{}
	var servers []*server
	port := o.basePort + 21
	for r := range o.liveRounds {
		order := slices.Clone(phases)
		if r%2 == 1 {
			slices.Reverse(order)
		}
		for _, ph := range order {
			s := byName[ph.name]
			if s == nil {
				s = &server{name: ph.name, plugin: "vpce (EC2 API, refresh " + ph.refresh + ")", size: o.live, names: len(a.Names),
					port: port, queries: queries, probe: a.probe(), env: env}
				port++
				s.corefile = filepath.Join(out, "Corefile."+s.name)
				body := fmt.Sprintf("vpce {\n        region us-east-1\n        aws_endpoint http://%s\n        refresh %s\n    }", fakeAddr, ph.refresh)
				if err := writeCorefile(o, s, body); err != nil {
					return nil, err
				}
				byName[s.name] = s
				servers = append(servers, s)
			}
			if err := livePhase(ctx, o, out, coredns, s, ph.mutate, a, mutated, fake, fakeAddr, fakeLog, r); err != nil {
				return nil, err
			}
		}
	}
	return servers, nil
}

func livePhase(ctx context.Context, o options, out, coredns string, s *server, mutate bool, a account, mutated int,
	fake *proc, fakeAddr, fakeLog string, round int) error {
	logPath := filepath.Join(out, fmt.Sprintf("%s-%d.log", s.name, round+1))
	p, err := start(s.name, logPath, s.env, coredns, "-conf", s.corefile)
	if err != nil {
		return err
	}
	defer stopProc(p)
	s.p = p
	wctx, cancel := context.WithTimeout(ctx, 4*time.Minute)
	t0 := time.Now()
	err = waitAnswer(wctx, p, fmt.Sprintf("127.0.0.1:%d", s.port), s.probe, false)
	cancel()
	if err != nil {
		return err
	}
	s.firstView = time.Since(t0)
	progress("%s answers (first view after %.1fs)", s.name, s.firstView.Seconds())
	time.Sleep(2 * time.Second)
	s.rssRest, _ = rssKB(p.pid())

	mctx, stopMutating := context.WithCancel(ctx)
	mutations := make(chan int, 1)
	if mutate {
		go func() { mutations <- mutator(mctx, fakeAddr, a, mutated, o.mutateEvery) }()
		time.Sleep(1500 * time.Millisecond) // the first change is in, a rebuild under way
	} else {
		mutations <- 0
	}
	views0, refreshes0 := countIn(logPath, "View from"), countIn(fakeLog, "DescribeVpcEndpoints page=1 status=200")
	fakeCPU0, _ := cpuTime(fake.pid())
	res, err := runDnsperf(ctx, p, s.port, s.queries, o.liveDuration, filepath.Join(out, fmt.Sprintf("dnsperf-%s-%d.txt", s.name, round+1)))
	fakeCPU1, _ := cpuTime(fake.pid())
	views1, refreshes1 := countIn(logPath, "View from"), countIn(fakeLog, "DescribeVpcEndpoints page=1 status=200")
	stopMutating()
	n := <-mutations
	if err != nil {
		return err
	}
	s.runs = append(s.runs, res)
	s.rssLoad, _ = rssKB(p.pid())
	s.refreshes += refreshes1 - refreshes0
	s.rebuilds += views1 - views0
	s.changes += n
	s.fakeCPU += fakeCPU1 - fakeCPU0
	progress("%s %8.0f qps  lost %.2f%%  %.1f us cpu/query  %d refreshes, %d view rebuilds, %d changes; EC2 fake used %.1fs CPU",
		s.name, res.qps, res.lostPct(), res.cpuPerQuery(), refreshes1-refreshes0, views1-views0, n, (fakeCPU1 - fakeCPU0).Seconds())
	return nil
}

// mutator changes the fake's inventory every interval until ctx ends: it puts each endpoint
// from the mutated one on again, its first interface replaced by a new one (a new id and
// address), as when AWS replaces an endpoint's interface: a change that a partial listing sees
// (it lists the interfaces it has not seen), so that every refresh rebuilds the view. It returns
// the number of changes made.
func mutator(ctx context.Context, fakeAddr string, a account, mutated int, every time.Duration) int {
	client := &http.Client{Timeout: 5 * time.Second}
	tick := time.NewTicker(every)
	defer tick.Stop()
	n := 0
	for {
		n++
		for i := mutated; i < len(a.VpcEndpoints); i++ {
			ep, enis := a.VpcEndpoints[i], a.Interfaces(i)
			id := fmt.Sprintf("eni-1%07x%09x", n, i)
			addr := aws.String(fmt.Sprintf("10.255.%d.%d", n>>8&255, n&255))
			enis[0].NetworkInterfaceId = aws.String(id)
			enis[0].PrivateIpAddress = addr
			enis[0].PrivateIpAddresses = []types.NetworkInterfacePrivateIpAddress{{Primary: aws.Bool(true), PrivateIpAddress: addr}}
			ep.NetworkInterfaceIds = append([]string{id}, ep.NetworkInterfaceIds[1:]...)
			body, _ := json.Marshal(ec2fake.EndpointSpec{VpcEndpoint: ep, NetworkInterfaces: enis})
			req, _ := http.NewRequestWithContext(ctx, http.MethodPost, "http://"+fakeAddr+"/_fake/endpoints", bytes.NewReader(body))
			req.Header.Set("Content-Type", "application/json")
			if resp, err := client.Do(req); err == nil {
				resp.Body.Close()
				if resp.StatusCode != http.StatusNoContent {
					progress("EC2 fake refused a change: %s", resp.Status)
				}
			} else if ctx.Err() == nil {
				progress("EC2 fake: %v", err)
			}
		}
		select {
		case <-ctx.Done():
			return n
		case <-tick.C:
		}
	}
}

// countIn counts the lines of a file that contain s.
func countIn(path, s string) int {
	b, err := os.ReadFile(path)
	if err != nil {
		return 0
	}
	return strings.Count(string(b), s)
}

// waitListen waits until addr accepts TCP connections.
func waitListen(ctx context.Context, p *proc, addr string) error {
	deadline := time.Now().Add(2 * time.Minute)
	for {
		c, err := net.DialTimeout("tcp", addr, time.Second)
		if err == nil {
			c.Close()
			return nil
		}
		if p.exited() {
			return fmt.Errorf("%s exited (%v); see %s", p.name, p.err, p.log)
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("%s: not listening on %s", p.name, addr)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(100 * time.Millisecond):
		}
	}
}
