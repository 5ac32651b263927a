package vpce

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coredns-vpce/coredns-vpce/plugin/vpce/inventory"

	"github.com/miekg/dns"

	"github.com/coredns-vpce/coredns-vpce/test/ec2fake"
)

// TestThrottledForFiveMinutes runs the poller against an account that throttles every call for
// five minutes of simulated time: nothing is published meanwhile (the last good view serves),
// the waits grow as throttling demands, few calls are made, and the poller recovers.
func TestThrottledForFiveMinutes(t *testing.T) {
	defer func(n int) { retryMaxAttempts = n }(retryMaxAttempts)
	retryMaxAttempts = 1
	logs := captureLog(t)
	fake, acct := fakeAccount(t)
	putEndpoint(fake, 1, "vpc-1", "one.example.com", "10.0.0.1")

	p := newPoller(acct, time.Minute, fetch)
	var (
		mu        sync.Mutex
		simulated time.Duration
		waits     []time.Duration
	)
	throttledUntil := 5 * time.Minute
	p.sleep = func(ctx context.Context, d time.Duration) bool {
		mu.Lock()
		if simulated >= throttledUntil { // recovered: the next refresh is the test's end
			mu.Unlock()
			<-ctx.Done()
			return false
		}
		simulated += d
		waits = append(waits, d)
		if simulated >= throttledUntil {
			fake.ClearFaults()
		}
		mu.Unlock()
		return ctx.Err() == nil
	}
	got := make(chan *inventory.Inventory, 100)
	p.subscribe(chanSink(got))
	fake.Inject(ec2fake.Fault{Kind: ec2fake.Throttle}) // from the very first call
	p.start()
	defer p.stop()

	inv := receive(t, got)
	p.stop() // a refresh logs after handing its result over: stopped, the loop has logged all
	mu.Lock()
	defer mu.Unlock()
	if len(inv.VpcEndpoints) != 1 || simulated < throttledUntil {
		t.Fatalf("published after %v of throttling, want after %v", simulated, throttledUntil)
	}
	failed := len(waits)
	if failed < 4 || failed > 12 {
		t.Errorf("%d attempts in 5 minutes of throttling (waits %v): want exponential backoff", failed, waits)
	}
	for i := 1; i < failed; i++ {
		if waits[i] < waits[i-1]/2 {
			t.Errorf("wait %d (%v) shorter than half the one before (%v): %v", i, waits[i], waits[i-1], waits)
		}
	}
	if waits[0] < 2*time.Second {
		t.Errorf("first wait after throttling %v, want at least 2s (4s with half of it random)", waits[0])
	}
	out := logs.String()
	if strings.Count(out, "failing") != 1 || strings.Count(out, "recovered") != 1 || !strings.Contains(out, "RequestLimitExceeded") {
		t.Errorf("log, want one failing line naming the throttling and one recovered line:\n%s", out)
	}
}

// TestEndpointGoneMidRefresh: an endpoint deleted between the two Describe calls is listed
// without its interfaces; its names are not served (the next plugin answers), never empty.
func TestEndpointGoneMidRefresh(t *testing.T) {
	fake, acct := fakeAccount(t)
	putEndpoint(fake, 1, "vpc-1", "stays.example.com", "10.0.0.1")
	putEndpoint(fake, 2, "vpc-1", "goes.example.com", "10.0.0.2")
	client, err := newEC2Client(context.Background(), acct)
	if err != nil {
		t.Fatal(err)
	}
	fake.Inject(ec2fake.Fault{Action: "DescribeNetworkInterfaces", Kind: ec2fake.Slow, Delay: 300 * time.Millisecond, Count: 1})
	go func() {
		time.Sleep(100 * time.Millisecond) // DescribeVpcEndpoints has answered
		for _, ni := range fake.Snapshot().NetworkInterfaces {
			if strings.HasPrefix(*ni.NetworkInterfaceId, "eni-vpce-00000000000000002") {
				fake.DeleteInterface(*ni.NetworkInterfaceId)
			}
		}
		fake.DeleteEndpoint("vpce-00000000000000002")
	}()
	inv, err := fetch(context.Background(), client, acct)
	if err != nil {
		t.Fatal(err)
	}
	if len(inv.VpcEndpoints) != 2 || len(inv.NetworkInterfaces) != 1 {
		t.Fatalf("the race did not happen: %d endpoints, %d interfaces", len(inv.VpcEndpoints), len(inv.NetworkInterfaces))
	}
	ix, _ := buildIndex(inv, buildOptions{ttl: 60})
	v := newBareVPCE(nextPlugin, ".")
	v.index.Store(ix)
	for name, want := range map[string]string{"stays.example.com.": "10.0.0.1", "goes.example.com.": "next"} {
		if got := answerFrom(t, v, name, dns.TypeA, "10.0.0.9", ""); got != want {
			t.Errorf("%s: %q, want %q", name, got, want)
		}
	}
}

// TestCacheFileFailures: a cache file that cannot be written (no directory, a full disk) is
// logged once; serving goes on, and the file is written once it can be.
func TestCacheFileFailures(t *testing.T) {
	inv := &inventory.Inventory{}
	if err := jsonInventory(`{"VpcEndpoints": [{"VpcEndpointId": "vpce-1", "VpcEndpointType": "Interface", "State": "available"}]}`, inv); err != nil {
		t.Fatal(err)
	}
	full := t.TempDir()
	if out, err := exec.Command("mount", "-t", "tmpfs", "-o", "size=4k", "tmpfs", full).CombinedOutput(); err != nil {
		t.Fatalf("mounting a tiny tmpfs to stand for a full disk (the tests run as root): %v %s", err, out)
	}
	defer exec.Command("umount", full).Run()
	if err := os.WriteFile(filepath.Join(full, "filler"), make([]byte, 4096), 0o600); err != nil {
		t.Fatal(err)
	}
	for name, path := range map[string]string{
		"no directory": filepath.Join(t.TempDir(), "missing", "vpce.json"),
		"full disk":    filepath.Join(full, "vpce.json"),
	} {
		t.Run(name, func(t *testing.T) {
			logs := captureLog(t)
			published := 0
			m := &merger{sources: []source{&fileSource{}}, cache: inventory.NewCacheFile(path, inventory.DefaultLimits),
				build: buildIndex, publish: func(*index) { published++ }}
			if m.update(0, inv) != nil || m.update(0, &inventory.Inventory{}) != nil {
				t.Error("a cache failure failed an update")
			}
			if published != 2 {
				t.Errorf("%d views published, want 2: a cache failure must not stop serving", published)
			}
			if n := strings.Count(logs.String(), "Cache file not written"); n != 1 {
				t.Errorf("logged %d times, want once:\n%s", n, logs.String())
			}
		})
	}
}

func jsonInventory(s string, inv *inventory.Inventory) error {
	parsed, err := inventory.Parse("inline.json", []byte(s))
	if err == nil {
		*inv = *parsed
	}
	return err
}
