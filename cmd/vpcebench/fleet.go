package main

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/coredns-vpce/coredns-vpce/internal/ec2fake"
	"github.com/coredns-vpce/coredns-vpce/internal/testkit"
	"github.com/coredns-vpce/coredns-vpce/plugin/vpce/awscfg"
	"github.com/coredns-vpce/coredns-vpce/plugin/vpce/inventory"
	"github.com/coredns-vpce/coredns-vpce/plugin/vpce/remote"
)

// fleetKey is the object the simulated exporter writes and the readers read.
const fleetKey = "vpce/snapshot.json.gz"

// fleetResult is what a simulated fleet cost the S3 fake, and how fast it followed changes.
type fleetResult struct {
	readers, endpoints int
	check, duration    time.Duration
	objectBytes        int // the gzip object's size
	served             testkit.S3Counts
	writes, skipped    int             // the exporter's PutObjects, and its runs that found nothing changed
	lag                []time.Duration // by change: from the write until the last reader had it
	missed             []int           // by change: readers that never had it
	readerErrors       int
	cpu                time.Duration
}

// fleetSink records when a reader took each version: the marker address of the inventory's
// first interface. It keeps nothing else: a thousand views would not fit.
type fleetSink struct {
	mu   *sync.Mutex
	seen map[string][]time.Time // by marker
}

func (s fleetSink) Update(inv *inventory.Compact) error {
	if len(inv.Interfaces) > 0 {
		s.mu.Lock()
		m := inv.Interfaces[0].PrivateIP
		s.seen[m] = append(s.seen[m], time.Now())
		s.mu.Unlock()
	}
	return nil
}

func (fleetSink) Confirm() {}

// simulateFleet runs one exporter writing to an S3 fake (gofakes3 on 127.0.0.1) every check
// interval, and readers goroutines running the plugin's own S3 source (remote.Source, the
// real SDK client) with that interval, for duration; the view changes at a third and at two
// thirds of it.
func simulateFleet(ctx context.Context, o options) (*fleetResult, error) {
	for _, kv := range ec2fake.ClientEnv("AKIAFLEETBENCH", "fleet-secret", "fleet-token") {
		k, v, _ := strings.Cut(kv, "=")
		os.Setenv(k, v)
	}
	fake, err := testkit.ServeS3()
	if err != nil {
		return nil, err
	}
	defer fake.Stop()
	res := &fleetResult{readers: o.fleet, endpoints: o.fleetEndpoints, check: o.fleetCheck, duration: o.fleetDuration}
	cpu0 := testkit.CPUTime()

	a := generate(o.fleetEndpoints, 0)
	inv := &inventory.Inventory{VpcEndpoints: a.VpcEndpoints, NetworkInterfaces: a.NetworkInterfaces}
	markers := []string{aws.ToString(inv.NetworkInterfaces[0].PrivateIpAddress), "10.255.0.1", "10.255.0.2"}
	s3 := awscfg.Account{Region: "us-east-1", Endpoint: fake.URL}
	client, err := remote.NewS3Client(ctx, s3)
	if err != nil {
		return nil, err
	}
	var changedAt []time.Time
	export := func(version int) error {
		inv.NetworkInterfaces[0].PrivateIpAddress = aws.String(markers[version])
		data, err := inventory.Encode(fleetKey, inv)
		if err != nil {
			return err
		}
		wrote, err := remote.PutIfChanged(ctx, client, testkit.S3Bucket, fleetKey, data)
		if err != nil {
			return err
		}
		if wrote {
			res.writes++
			res.objectBytes = len(data)
			changedAt = append(changedAt, time.Now())
		} else {
			res.skipped++
		}
		return nil
	}
	if err := export(0); err != nil {
		return nil, err
	}

	// The readers start together, as after a rollout; the jitter spreads their checks.
	progress("fleet: %d readers of a %d-endpoint snapshot (%d bytes gzip), checking every %s for %s",
		o.fleet, o.fleetEndpoints, res.objectBytes, o.fleetCheck, o.fleetDuration)
	rctx, stop := context.WithCancel(ctx)
	defer stop()
	var wg sync.WaitGroup
	var mu sync.Mutex
	sinks := make([]fleetSink, o.fleet)
	opts := remote.Options{Interval: o.fleetCheck, Limits: inventory.DefaultLimits, S3: s3}
	for i := range sinks {
		sinks[i] = fleetSink{mu: &mu, seen: map[string][]time.Time{}}
		src, err := remote.New(rctx, "s3://"+testkit.S3Bucket+"/"+fleetKey, opts)
		if err == nil {
			err = src.Load(rctx)
		}
		if err != nil {
			res.readerErrors++
			continue
		}
		wg.Go(func() { src.Run(rctx, sinks[i]) })
	}
	start := time.Now()
	base := fake.Counts()

	// The exporter: every check interval, the view changing twice.
	tick := time.NewTicker(o.fleetCheck)
	for time.Since(start) < o.fleetDuration {
		select {
		case <-ctx.Done():
			tick.Stop()
			return nil, ctx.Err()
		case <-tick.C:
		}
		version := min(2, int(3*time.Since(start)/o.fleetDuration))
		if err := export(version); err != nil {
			progress("fleet: export failed: %v", err)
		}
	}
	tick.Stop()
	stop()
	wg.Wait()
	end := fake.Counts()
	res.served = testkit.S3Counts{Requests: end.Requests - base.Requests, NotModified: end.NotModified - base.NotModified, Bytes: end.Bytes - base.Bytes}
	res.writes-- // the first write, before the readers
	for c, at := range changedAt[1:] {
		var last time.Time
		missed := 0
		for _, s := range sinks {
			times := s.seen[markers[c+1]]
			if len(times) == 0 {
				missed++
				continue
			}
			last = slices.MaxFunc([]time.Time{last, times[0]}, time.Time.Compare)
		}
		res.lag = append(res.lag, last.Sub(at))
		res.missed = append(res.missed, missed)
	}
	res.cpu = testkit.CPUTime() - cpu0
	return res, nil
}

func (r *fleetResult) write(b *strings.Builder) {
	minutes := r.duration.Minutes()
	fmt.Fprintf(b, "\nfleet: 1 exporter, %d readers (the plugin's S3 source, the real SDK client) against gofakes3 on 127.0.0.1;\n", r.readers)
	fmt.Fprintf(b, "a %d-endpoint snapshot, %d bytes gzip; checks every %s (±10%%) for %s; the view changed %d times\n\n",
		r.endpoints, r.objectBytes, r.check, r.duration, len(r.lag))
	rows := [][]string{{"requests/min", "of them 304", "bytes served", "bytes/min", "exporter writes", "exporter runs unchanged", "reader start-up errors", "CPU (whole process)"}}
	rows = append(rows, []string{
		fmt.Sprintf("%.0f", float64(r.served.Requests)/minutes),
		fmt.Sprintf("%.1f%%", 100*float64(r.served.NotModified)/float64(max(1, r.served.Requests))),
		fmt.Sprint(r.served.Bytes),
		fmt.Sprintf("%.0f", float64(r.served.Bytes)/minutes),
		fmt.Sprint(r.writes), fmt.Sprint(r.skipped), fmt.Sprint(r.readerErrors), r.cpu.Round(time.Second).String(),
	})
	table(b, rows)
	rows = [][]string{{"change", "until the last reader served it", "readers that never did"}}
	for i, lag := range r.lag {
		rows = append(rows, []string{fmt.Sprint(i + 1), lag.Round(100 * time.Millisecond).String(), fmt.Sprint(r.missed[i])})
	}
	b.WriteString("\n")
	table(b, rows)
}
