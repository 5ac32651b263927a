package awsapi

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/coredns-vpce/coredns-vpce/internal/ec2fake"
	"github.com/coredns-vpce/coredns-vpce/internal/fault"
	"github.com/coredns-vpce/coredns-vpce/internal/testkit"
	"github.com/coredns-vpce/coredns-vpce/plugin/vpce/awscfg"
	"github.com/coredns-vpce/coredns-vpce/plugin/vpce/guard"
	"github.com/coredns-vpce/coredns-vpce/plugin/vpce/inventory"
)

// runPoller polls acct every refresh and sends what it publishes to the returned channel.
func runPoller(t *testing.T, acct awscfg.Account, q Query, refresh time.Duration) (*poller, testkit.InventoryChan) {
	t.Helper()
	p := newPoller(acct, q, refresh)
	got := make(testkit.InventoryChan, 100)
	p.subscribe(testkit.InventoryChan(got))
	p.start()
	t.Cleanup(p.stop)
	return p, got
}

// TestPollerKeepsLastGoodView runs every fault of the fake against a polling account: while
// it lasts nothing is published (so the last good view serves), and a change made during the
// fault is published once it ends.
func TestPollerKeepsLastGoodView(t *testing.T) {
	logs := testkit.CaptureLog(t)
	fake, acct := fakeAccount(t)
	testkit.PutEndpoint(fake, 1, "vpc-1", "one.example.com", "10.0.0.1", "10.0.1.1")
	p, got := runPoller(t, acct, Query{PageTimeout: 200 * time.Millisecond}, 10*time.Millisecond)
	if inv := testkit.Receive(t, got); len(inv.VpcEndpoints) != 1 || len(inv.NetworkInterfaces) != 2 {
		t.Fatalf("first view: %d endpoints, %d interfaces", len(inv.VpcEndpoints), len(inv.NetworkInterfaces))
	}

	n := 2
	for _, kind := range []ec2fake.FaultKind{ec2fake.Throttle, ec2fake.InternalError, ec2fake.Unauthorized,
		ec2fake.ExpiredCredentials, ec2fake.Malformed, ec2fake.Slow} {
		t.Run(kind.String(), func(t *testing.T) {
			fake.Inject(ec2fake.Fault{Kind: kind, Delay: time.Second})
			testkit.PutEndpoint(fake, n, "vpc-1", "", "10.0.0.9") // not visible while the fault lasts
			deadline := time.Now().Add(600 * time.Millisecond)
			for time.Now().Before(deadline) {
				select {
				case inv := <-got:
					t.Fatalf("published %d endpoints during the fault", len(inv.VpcEndpoints))
				case <-time.After(10 * time.Millisecond):
				}
			}
			fake.ClearFaults()
			if inv := testkit.Receive(t, got); len(inv.VpcEndpoints) != n {
				t.Fatalf("after the fault: %d endpoints, want %d", len(inv.VpcEndpoints), n)
			}
			n++
		})
	}
	// One line when failing starts and one when it ends, per fault, however many attempts.
	p.stop() // a refresh logs after handing its result over: stopped, the loop has logged all
	out := logs.String()
	if f, r := strings.Count(out, "failing"), strings.Count(out, "recovered"); f != 6 || r != 6 {
		t.Errorf("logged %d failing and %d recovered lines, want 6 each:\n%s", f, r, out)
	}
	for _, secret := range []string{testkit.AccessKey, testkit.SecretKey, testkit.SessionToken, "Signature=", "Authorization"} {
		if strings.Contains(out, secret) {
			t.Errorf("the log holds %q:\n%s", secret, out)
		}
	}
}

// TestPollerPagingFailure: a refresh failing on page 3 of 5 publishes nothing at all.
func TestPollerPagingFailure(t *testing.T) {
	fake, acct := fakeAccount(t)
	for i := range 4500 {
		testkit.PutEndpoint(fake, i, "vpc-1", "", "10.1.0.1")
	}
	fake.Inject(ec2fake.Fault{Action: "DescribeVpcEndpoints", Page: 3, Kind: ec2fake.InternalError})
	_, got := runPoller(t, acct, Query{}, 10*time.Millisecond)
	failed := func() (n int) {
		for _, r := range fake.Requests() {
			if r.Page == 3 && r.Status == 500 {
				n++
			}
		}
		return n
	}
	deadline := time.Now().Add(30 * time.Second)
	for failed() < 2 { // two whole refreshes, each failing on page 3
		select {
		case inv := <-got:
			t.Fatalf("published %d endpoints although page 3 failed", len(inv.VpcEndpoints))
		case <-time.After(10 * time.Millisecond):
		}
		if time.Now().After(deadline) {
			t.Fatalf("the poller did not retry: %d failed pages", failed())
		}
	}
	fake.ClearFaults()
	if inv := testkit.Receive(t, got); len(inv.VpcEndpoints) != 4500 {
		t.Errorf("after the fault: %d endpoints", len(inv.VpcEndpoints))
	}
}

func TestPollerUnchangedPublishesOnce(t *testing.T) {
	fake, acct := fakeAccount(t)
	testkit.PutEndpoint(fake, 1, "vpc-1", "", "10.0.0.1")
	_, got := runPoller(t, acct, Query{}, 5*time.Millisecond)
	testkit.Receive(t, got)
	calls := fake.Calls("DescribeVpcEndpoints")
	select {
	case <-got:
		t.Fatal("an unchanged inventory was published again")
	case <-time.After(200 * time.Millisecond):
	}
	if fake.Calls("DescribeVpcEndpoints") <= calls {
		t.Fatal("the poller stopped refreshing")
	}
}

func TestBackoff(t *testing.T) {
	p := &poller{interval: time.Minute}
	within := func(n int, throttled bool, lo, hi time.Duration) {
		t.Helper()
		for range 50 {
			if d := p.backoff(n, throttled); d < lo || d > hi {
				t.Fatalf("backoff(%d, throttled=%v) = %v, want within [%v, %v]", n, throttled, d, lo, hi)
			}
		}
	}
	within(1, false, 500*time.Millisecond, time.Second)
	within(2, false, time.Second, 2*time.Second)
	within(4, false, 4*time.Second, 8*time.Second)
	within(20, false, 30*time.Second, time.Minute) // capped at the refresh interval
	within(1, true, 2*time.Second, 4*time.Second)  // throttling backs off harder
	within(20, true, 2*time.Minute, 4*time.Minute)
}

// TestPollersShared: the same account asked by two instances is polled once, and the last
// release stops it.
func TestPollersShared(t *testing.T) {
	_, acct := fakeAccount(t)
	a := acquirePoller(acct, Query{}, time.Hour, nil)
	b := acquirePoller(acct, Query{}, time.Hour, nil)
	c := acquirePoller(acct, Query{}, 2*time.Hour, nil)
	if a != b || a == c {
		t.Fatalf("pollers: a==b %v, a==c %v; want one per account and refresh", a == b, a == c)
	}
	a.release()
	if pollerCount() != 2 {
		t.Fatalf("%d pollers after one of two releases", pollerCount())
	}
	b.release()
	c.release()
	if pollerCount() != 0 {
		t.Fatalf("%d pollers after every release", pollerCount())
	}
	select {
	case <-a.done:
	default:
		t.Fatal("the released poller is still running")
	}
}

// TestSourceTakesTheFaultHookOfItsContext: the fault hook an integration test gives a plugin
// instance (internal/fault), which the instance hands its sources with their context, runs
// as each refresh of the poller the source starts begins.
func TestSourceTakesTheFaultHookOfItsContext(t *testing.T) {
	fake, acct := fakeAccount(t)
	testkit.PutEndpoint(fake, 1, "vpc-1", "one.example.com", "10.0.0.1")
	steps := make(chan string, 10)
	ctx, cancel := context.WithCancel(fault.NewContext(context.Background(), func(step string) { steps <- step }))
	got := make(testkit.InventoryChan, 10)
	done := make(chan struct{})
	go func() { NewSource(acct, Query{}, time.Hour).Run(ctx, got); close(done) }()
	defer func() { cancel(); <-done }()
	testkit.Receive(t, got)
	if step := <-steps; step != guard.Refresh {
		t.Errorf("the hook ran for %q, want %q", step, guard.Refresh)
	}
}

func pollerCount() int {
	pollers.Lock()
	defer pollers.Unlock()
	return len(pollers.m)
}

// failingSink takes inventories like testkit.InventoryChan, but fails while armed, as a
// plugin instance whose index build panicked does.
type failingSink struct {
	testkit.InventoryChan
	f *testkit.FaultSwitch
}

func (s failingSink) Update(inv *inventory.Compact) error {
	if s.f.Armed.Load() {
		return errors.New("panic in build: injected fault")
	}
	return s.InventoryChan.Update(inv)
}

// TestPollerRecoversFromPanics: a refresh that panics, or whose inventory a subscriber fails
// to take in (its build panicked), fails the refresh: counted, logged once, nothing new handed
// over; the next attempt comes after the backoff, and once the faults stop the change is.
func TestPollerRecoversFromPanics(t *testing.T) {
	for _, where := range []string{guard.Refresh, guard.Build} {
		t.Run(where, func(t *testing.T) {
			logs := testkit.CaptureLog(t)
			fake, acct := fakeAccount(t)
			testkit.PutEndpoint(fake, 1, "vpc-1", "one.example.com", "10.0.0.1")
			var refreshFault, buildFault testkit.FaultSwitch
			f := map[string]*testkit.FaultSwitch{guard.Refresh: &refreshFault, guard.Build: &buildFault}[where]
			got := make(testkit.InventoryChan, 100)

			p := newPoller(acct, Query{}, time.Minute)
			p.fault = refreshFault.Hook(guard.Refresh)
			// One refresh per step: the poller reports each wait and holds until told to go on.
			waits, wake := make(chan time.Duration), make(chan struct{})
			p.sleep = func(ctx context.Context, d time.Duration) bool {
				select {
				case waits <- d:
				case <-ctx.Done():
					return false
				}
				select {
				case <-wake:
					return true
				case <-ctx.Done():
					return false
				}
			}
			refreshed := func() time.Duration {
				t.Helper()
				select {
				case d := <-waits:
					return d
				case <-time.After(10 * time.Second):
					t.Fatal("no refresh")
					return 0
				}
			}
			next := func() time.Duration { wake <- struct{}{}; return refreshed() }
			p.subscribe(failingSink{got, &buildFault})
			p.start()
			defer p.stop()

			if d := refreshed(); d < 54*time.Second {
				t.Fatalf("wait %v after the first refresh, want the refresh interval", d)
			}
			if inv := testkit.Receive(t, got); len(inv.VpcEndpoints) != 1 {
				t.Fatalf("first inventory: %d endpoints", len(inv.VpcEndpoints))
			}
			panics, failed := testkit.Counted(t, "panics_total", "where", where), testkit.Counted(t, "refreshes_total", "region", "us-east-1", "result", "failed")
			f.Armed.Store(true)
			testkit.PutEndpoint(fake, 2, "vpc-1", "two.example.com", "10.0.0.2")
			for n, backoff := 1, time.Second; n <= 3; n, backoff = n+1, backoff*2 {
				if d := next(); d < backoff/2 || d > backoff {
					t.Errorf("wait %v after fault %d, want the backoff, within [%v, %v]", d, n, backoff/2, backoff)
				}
				if len(got) != 0 {
					t.Fatalf("an inventory handed over during the fault")
				}
			}
			wantPanics := map[string]float64{guard.Refresh: 3, guard.Build: 0}[where] // a build's panic is counted where it is built
			if n := testkit.Counted(t, "panics_total", "where", where) - panics; n != wantPanics {
				t.Errorf("%v panics counted, want %v", n, wantPanics)
			}
			if n := testkit.Counted(t, "refreshes_total", "region", "us-east-1", "result", "failed") - failed; n != 3 {
				t.Errorf("%v failed refreshes counted, want 3", n)
			}
			f.Armed.Store(false)
			if d := next(); d < 54*time.Second {
				t.Errorf("wait %v after the faults stopped, want the refresh interval", d)
			}
			if inv := testkit.Receive(t, got); len(inv.VpcEndpoints) != 2 {
				t.Errorf("after the faults: %d endpoints, want 2", len(inv.VpcEndpoints))
			}

			out := logs.String()
			if where == guard.Refresh && (testkit.RecoveredLines(logs, where) != 1 || !strings.Contains(out, "(*FaultSwitch).At(")) {
				t.Errorf("want the panic logged once, with its stack:\n%s", out)
			}
			if strings.Count(out, "failing, serving the last good view: panic in "+where) != 1 || strings.Count(out, "recovered after 3 failed attempts") != 1 {
				t.Errorf("want one failing and one recovered line:\n%s", out)
			}
		})
	}
}

// gateSink records the inventories it is handed; while gate is set, Update waits on it.
type gateSink struct {
	entered chan *inventory.Compact
	gate    chan struct{}
	got     chan *inventory.Compact
}

func (s gateSink) Update(inv *inventory.Compact) error {
	if s.gate != nil {
		s.entered <- inv
		<-s.gate
	}
	s.got <- inv
	return nil
}

func (gateSink) Confirm() {}

// A consumer's slow build (a large view's) does not hold up a new subscription, such as the
// new instance's across a reload. Publications go to one consumer after another, so that
// builds do not add up in memory; each consumer gets versions in order, once, and none after
// it unsubscribed.
func TestSubscribersDoNotWaitForEachOther(t *testing.T) {
	p := newPoller(awscfg.Account{}, Query{}, time.Minute)
	slow := gateSink{entered: make(chan *inventory.Compact, 1), gate: make(chan struct{}), got: make(chan *inventory.Compact, 10)}
	slowSub := p.subscribe(slow)
	v1, v2 := &inventory.Compact{}, &inventory.Compact{}
	published := make(chan error, 1)
	go func() { published <- p.publish(v1) }()
	<-slow.entered // slow is building v1

	fast := gateSink{got: make(chan *inventory.Compact, 10)}
	subscribed := make(chan *subscription)
	go func() { subscribed <- p.subscribe(fast) }()
	select {
	case <-subscribed:
	case <-time.After(5 * time.Second):
		t.Fatal("a subscription waited for another consumer's build")
	}

	unsubscribed := make(chan struct{})
	go func() { p.unsubscribe(slowSub); close(unsubscribed) }()
	select {
	case <-unsubscribed:
		t.Fatal("unsubscribe did not wait for the delivery under way")
	case <-time.After(100 * time.Millisecond):
	}
	close(slow.gate)
	<-unsubscribed
	if err := <-published; err != nil {
		t.Fatal(err)
	}
	if err := p.publish(v2); err != nil {
		t.Fatal(err)
	}
	if got := drain(slow.got); len(got) != 1 || got[0] != v1 {
		t.Errorf("slow was handed %d inventories, want v1 alone", len(got))
	}
	if got := drain(fast.got); len(got) != 2 || got[0] != v1 || got[1] != v2 {
		t.Errorf("fast was handed %d inventories, want v1 then v2", len(got))
	}
}

func drain(c chan *inventory.Compact) []*inventory.Compact {
	var out []*inventory.Compact
	for {
		select {
		case inv := <-c:
			out = append(out, inv)
		default:
			return out
		}
	}
}
