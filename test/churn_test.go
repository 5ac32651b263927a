package test

// Churn under load: queries from several goroutines against a live-mode server while the
// account changes under it and the EC2 API fails now and then. Every answer must be one the
// name really had: a view is one consistent moment of the account, and views never go back.
//
// VPCE_SOAK=5m (make soak) runs it for longer than the default few seconds, with a thousand
// more interfaces in the account, so that the interface listing takes two pages and a fault
// can hit the second after the first succeeded (too slow under -race for every test run).

import (
	"fmt"
	"maps"
	"math/rand/v2"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/miekg/dns"

	"github.com/coredns-vpce/coredns-vpce/internal/ec2fake"
	"github.com/coredns-vpce/coredns-vpce/internal/testkit"
)

const churnCorefile = `.:0 {
    bind 127.0.0.1
    vpce {
        region us-east-1
        aws_endpoint EC2
        refresh 50ms
    }
    forward . UPSTREAM
}`

const (
	churnSlots    = 6 // endpoints that come, go and change
	churnStable   = 2 // endpoints that never change
	churnQueriers = 4
)

// churnDuration is how long the churn runs: a few seconds, or VPCE_SOAK (then soak is set).
func churnDuration(t *testing.T) (d time.Duration, soak bool) {
	if s := os.Getenv("VPCE_SOAK"); s != "" {
		d, err := time.ParseDuration(s)
		if err != nil {
			t.Fatalf("VPCE_SOAK=%q: %v", s, err)
		}
		return d, true
	}
	if testing.Short() {
		return time.Second, false
	}
	return 3 * time.Second, false
}

// churnEntry is one state of a name: its answer ("upstream", or its sorted addresses) from
// just before the change that made it until just after the change that ended it.
type churnEntry struct {
	from, to time.Time // to is zero while current
	answer   string
}

// churnHistory is every state every name had. floor is a time the served view is known to be
// at least as new as: the start of a state some answer showed (views never go back).
type churnHistory struct {
	mu    sync.Mutex
	names map[string][]churnEntry
	floor time.Time
}

func (h *churnHistory) set(name, answer string, before, after time.Time) {
	h.mu.Lock()
	defer h.mu.Unlock()
	list := h.names[name]
	if n := len(list); n > 0 {
		if list[n-1].answer == answer {
			return
		}
		list[n-1].to = after
	}
	h.names[name] = append(list, churnEntry{from: before, answer: answer})
}

func (h *churnHistory) floorNow() time.Time {
	h.mu.Lock()
	defer h.mu.Unlock()
	return h.floor
}

// check reports whether got is a state name had at some time in [floor, received], and how
// long before received that state had ended (0 if it still held).
func (h *churnHistory) check(name, got string, floor, received time.Time) (ok bool, stale time.Duration, window []string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	var first time.Time
	stale = -1
	for _, e := range h.names[name] {
		if e.from.After(received) || (!e.to.IsZero() && e.to.Before(floor)) {
			continue
		}
		window = append(window, e.answer)
		if e.answer != got {
			continue
		}
		ok = true
		if first.IsZero() {
			first = e.from
		}
		s := time.Duration(0)
		if !e.to.IsZero() && e.to.Before(received) {
			s = received.Sub(e.to)
		}
		if stale < 0 || s < stale {
			stale = s
		}
	}
	// Addresses are never reused, so an answer with addresses dates the view.
	if ok && got != "upstream" && first.After(h.floor) {
		h.floor = first
	}
	return ok, max(stale, 0), window
}

// churnSlot is one churning endpoint as the fake account holds it.
type churnSlot struct {
	n       int
	present bool
	state   string
	private bool
	enis    []string
	addrs   []string
}

func (s *churnSlot) id() string { return fmt.Sprintf("vpce-0c%02d", s.n) }

// names are the names a slot's endpoint offers, as asked: regional, private and one below
// its private wildcard.
func (s *churnSlot) names() (regional, private, wild string) {
	return fmt.Sprintf("%s-abcd1234.churn.us-east-1.vpce.amazonaws.com.", s.id()),
		fmt.Sprintf("churn%d.example.com.", s.n), fmt.Sprintf("x.w%d.example.net.", s.n)
}

// answers is what each of the slot's names answers in its current state.
func (s *churnSlot) answers() map[string]string {
	regional, private, wild := s.names()
	a := map[string]string{regional: "upstream", private: "upstream", wild: "upstream"}
	if s.present && s.state == "available" && len(s.addrs) > 0 {
		addrs := strings.Join(slices.Sorted(slices.Values(s.addrs)), " ")
		a[regional] = addrs
		if s.private {
			a[private], a[wild] = addrs, addrs
		}
	}
	return a
}

func (s *churnSlot) endpoint() types.VpcEndpoint {
	regional, private, wild := s.names()
	return types.VpcEndpoint{
		VpcEndpointId: aws.String(s.id()), VpcEndpointType: types.VpcEndpointTypeInterface, VpcId: aws.String("vpc-1"),
		State: types.State(s.state), PrivateDnsEnabled: aws.Bool(s.private), CreationTimestamp: aws.Time(time.Unix(1700000000, 0)),
		DnsOptions: &types.DnsOptions{DnsRecordIpType: types.DnsRecordIpTypeIpv4}, IpAddressType: types.IpAddressTypeIpv4,
		NetworkInterfaceIds: slices.Clone(s.enis),
		DnsEntries: []types.DnsEntry{{DnsName: aws.String(strings.TrimSuffix(regional, "."))},
			{DnsName: aws.String(strings.TrimSuffix(private, "."))}, {DnsName: aws.String("*." + strings.TrimPrefix(strings.TrimSuffix(wild, "."), "x."))}},
	}
}

// churner changes the fake account. Interfaces are never changed in place: an endpoint gets
// new ones (new ids, new addresses) before it lists them, and old ones are deleted only once
// no refresh that read the endpoint's old listing can still be reading interfaces, so that
// every refresh sees one consistent moment, as the plugin's fetch needs.
type churner struct {
	fake    *ec2fake.Server
	hist    *churnHistory
	slots   []*churnSlot
	next    int // address and interface counter
	epCalls *atomic.Int64
	garbage []churnGarbage
	changes int
}

type churnGarbage struct {
	eni   string
	calls int64
	at    time.Time
}

func (c *churner) newInterfaces(s *churnSlot, n int) {
	c.retire(s)
	s.enis, s.addrs = nil, nil
	for i := range n {
		c.next++
		id := fmt.Sprintf("eni-churn%d-%d", s.n, c.next)
		addr := fmt.Sprintf("10.%d.%d.%d", 100+c.next>>16, c.next>>8&0xff, c.next&0xff)
		c.fake.PutInterface(types.NetworkInterface{
			NetworkInterfaceId: aws.String(id), VpcId: aws.String("vpc-1"), InterfaceType: types.NetworkInterfaceTypeVpcEndpoint,
			AvailabilityZone: aws.String(fmt.Sprintf("us-east-1%c", 'a'+i)), PrivateIpAddress: aws.String(addr),
			Status: types.NetworkInterfaceStatusInUse,
		})
		s.enis, s.addrs = append(s.enis, id), append(s.addrs, addr)
	}
}

// retire queues a slot's interfaces for deletion once unreferenced.
func (c *churner) retire(s *churnSlot) {
	for _, id := range s.enis {
		c.garbage = append(c.garbage, churnGarbage{eni: id, calls: -1})
	}
}

// collect deletes retired interfaces that no refresh can still read for an endpoint listing
// them: the poller reads endpoints, then interfaces, one call at a time, so once three more
// DescribeVpcEndpoints calls have been answered since the endpoint stopped listing one, every
// refresh that read the old listing is over.
func (c *churner) collect(now time.Time) {
	calls := c.epCalls.Load()
	kept := c.garbage[:0]
	for _, g := range c.garbage {
		switch {
		case g.calls < 0: // retired by the change just made
			g.calls, g.at = calls, now
			kept = append(kept, g)
		case calls >= g.calls+3 && now.Sub(g.at) > time.Second:
			c.fake.DeleteInterface(g.eni)
		default:
			kept = append(kept, g)
		}
	}
	c.garbage = kept
}

// change makes one random change to one random slot and records what its names answer.
func (c *churner) change(r *rand.Rand) string {
	s := c.slots[r.IntN(len(c.slots))]
	var what string
	before := time.Now()
	switch op := r.IntN(10); {
	case !s.present:
		what = "create"
		s.present, s.state, s.private = true, "available", r.IntN(4) > 0
		c.newInterfaces(s, 1+r.IntN(3))
		before = time.Now() // the interfaces are not seen before the endpoint lists them
		c.fake.PutEndpoint(s.endpoint())
	case op < 2:
		what = "delete"
		c.fake.DeleteEndpoint(s.id())
		s.present = false
		c.retire(s)
		s.enis, s.addrs = nil, nil
	case op < 6:
		what = "re-address"
		c.newInterfaces(s, 1+r.IntN(3))
		before = time.Now()
		c.fake.PutEndpoint(s.endpoint())
	case op < 8:
		what = "state"
		s.state = map[string]string{"available": "pendingAcceptance", "pendingAcceptance": "available"}[s.state]
		c.fake.SetEndpointState(s.id(), s.state)
	default:
		what = "private dns"
		s.private = !s.private
		c.fake.PutEndpoint(s.endpoint())
	}
	after := time.Now()
	for name, answer := range s.answers() {
		c.hist.set(name, answer, before, after)
	}
	c.collect(after)
	c.changes++
	return what
}

type churnStats struct {
	sent, answered, unanswered, wrong, servfailStable, servfail atomic.Int64
	maxStale                                                    atomic.Int64
	mu                                                          sync.Mutex
	examples                                                    []string
	seen                                                        map[string]bool // distinct churn answers
}

func (st *churnStats) fail(format string, args ...any) {
	st.wrong.Add(1)
	st.mu.Lock()
	defer st.mu.Unlock()
	if len(st.examples) < 10 {
		st.examples = append(st.examples, fmt.Sprintf(format, args...))
	}
}

func TestChurnUnderLoad(t *testing.T) {
	duration, soak := churnDuration(t)
	testkit.SetClientEnv(t)
	fake := ec2fake.New()
	var epCalls atomic.Int64
	fake.OnRequest(func(r ec2fake.Request) {
		if r.Action == "DescribeVpcEndpoints" {
			epCalls.Add(1)
		}
	})
	testkit.ServeFake(t, fake)

	// The stable endpoints, and the answers their names must always give.
	stable := map[string]string{}
	for i := range churnStable {
		id := fmt.Sprintf("vpce-0s%02d", i)
		addrs := []string{fmt.Sprintf("10.99.%d.1", i), fmt.Sprintf("10.99.%d.2", i)}
		fake.AddEndpoint(ec2fake.Endpoint{ID: id, VPC: "vpc-1", PrivateDNS: true, Addrs: addrs,
			Names: []string{id + "-abcd1234.stable.us-east-1.vpce.amazonaws.com", fmt.Sprintf("stable%d.example.com", i)}})
		stable[id+"-abcd1234.stable.us-east-1.vpce.amazonaws.com."] = strings.Join(addrs, " ")
		stable[fmt.Sprintf("stable%d.example.com.", i)] = strings.Join(addrs, " ")
	}
	for i := range 2 {
		stable[fmt.Sprintf("nx%d.example.org.", i)] = "upstream" // never served
	}

	if soak {
		// Interfaces no endpoint lists, sorted after the churning ones ("eni-churn..."),
		// which thus all come in the first page.
		for i := range 1001 {
			fake.PutInterface(types.NetworkInterface{
				NetworkInterfaceId: aws.String(fmt.Sprintf("eni-filler%04d", i)), VpcId: aws.String("vpc-1"),
				InterfaceType: types.NetworkInterfaceTypeVpcEndpoint, AvailabilityZone: aws.String("us-east-1a"),
				PrivateIpAddress: aws.String("10.250.0.1"), Status: types.NetworkInterfaceStatusInUse,
			})
		}
	}
	hist := &churnHistory{names: map[string][]churnEntry{}}
	c := &churner{fake: fake, hist: hist, epCalls: &epCalls}
	start := time.Now()
	for i := range churnSlots {
		s := &churnSlot{n: i}
		c.slots = append(c.slots, s)
		for name, answer := range s.answers() {
			hist.set(name, answer, start, start)
		}
	}
	r := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 1))
	for range churnSlots {
		c.change(r) // every slot starts present
	}

	udp, _ := startServer(t, strings.ReplaceAll(churnCorefile, "EC2", fake.URL()))
	converge := func(name, want string) {
		t.Helper()
		testkit.Eventually(t, 10*time.Second, func() error {
			if got := testkit.SortedAnswer(testkit.Query(t, "udp", udp, name, dns.TypeA)); got != want {
				return fmt.Errorf("%s: %q, want %q", name, got, want)
			}
			return nil
		})
	}
	for name, want := range stable {
		converge(name, want)
	}
	var churnNames []string
	for _, s := range c.slots {
		regional, private, wild := s.names()
		churnNames = append(churnNames, regional, private, wild)
	}
	stableNames := slices.Sorted(maps.Keys(stable))

	var (
		st     = &churnStats{seen: map[string]bool{}}
		done   = make(chan struct{})
		wg     sync.WaitGroup
		faults atomic.Int64
	)
	// Queriers: three in four queries ask a churning name.
	for g := range churnQueriers {
		wg.Go(func() {
			r := rand.New(rand.NewPCG(uint64(g), 2))
			for {
				select {
				case <-done:
					return
				default:
				}
				name := churnNames[r.IntN(len(churnNames))]
				if r.IntN(4) == 0 {
					name = stableNames[r.IntN(len(stableNames))]
				}
				m := new(dns.Msg)
				m.SetQuestion(name, dns.TypeA)
				m.SetEdns0(4096, false)
				floor := hist.floorNow()
				st.sent.Add(1)
				resp, err := testkit.Ask("udp", udp, "", m)
				received := time.Now()
				if err != nil {
					st.unanswered.Add(1)
					continue
				}
				st.answered.Add(1)
				got := testkit.SortedAnswer(resp)
				if want, ok := stable[name]; ok {
					switch {
					case got == dns.RcodeToString[dns.RcodeServerFailure]:
						st.servfailStable.Add(1)
					case got != want:
						st.fail("%s: %q, want %q (stable)", name, got, want)
					}
					continue
				}
				if got == dns.RcodeToString[dns.RcodeServerFailure] {
					st.servfail.Add(1)
				}
				ok, stale, window := hist.check(name, got, floor, received)
				if !ok {
					st.fail("%s: %q at %v, states since the view floor %v: %q", name, got,
						received.Sub(start).Round(time.Millisecond), floor.Sub(start).Round(time.Millisecond), window)
					continue
				}
				for old := st.maxStale.Load(); int64(stale) > old && !st.maxStale.CompareAndSwap(old, int64(stale)); old = st.maxStale.Load() {
				}
				st.mu.Lock()
				st.seen[name+" "+got] = true
				st.mu.Unlock()
			}
		})
	}
	// Faults, now and then: throttling, 500s, malformed answers, and failures of the
	// interfaces page after the endpoints page succeeded.
	wg.Go(func() {
		r := rand.New(rand.NewPCG(3, 3))
		kinds := []ec2fake.Fault{
			{Kind: ec2fake.Throttle},
			{Kind: ec2fake.Throttle, Count: 3},
			{Kind: ec2fake.InternalError},
			{Kind: ec2fake.Malformed},
			{Kind: ec2fake.InternalError, Action: "DescribeNetworkInterfaces"},
			{Kind: ec2fake.Malformed, Action: "DescribeNetworkInterfaces", Page: 1, Count: 2},
			{Kind: ec2fake.Throttle, Action: "DescribeNetworkInterfaces", Page: 1},
		}
		if soak {
			kinds = append(kinds,
				ec2fake.Fault{Kind: ec2fake.InternalError, Action: "DescribeNetworkInterfaces", Page: 2},
				ec2fake.Fault{Kind: ec2fake.Malformed, Action: "DescribeNetworkInterfaces", Page: 2, Count: 1},
				ec2fake.Fault{Kind: ec2fake.Throttle, Action: "DescribeNetworkInterfaces", Page: 2})
		}
		for {
			select {
			case <-done:
				return
			case <-time.After(time.Duration(200+r.IntN(800)) * time.Millisecond):
			}
			fake.Inject(kinds[r.IntN(len(kinds))])
			faults.Add(1)
			select {
			case <-done:
			case <-time.After(time.Duration(50+r.IntN(350)) * time.Millisecond):
			}
			fake.ClearFaults()
		}
	})
	// The account churns: one change every 10 to 40ms.
	ops := map[string]int{}
	churnStart := time.Now()
	for time.Since(churnStart) < duration {
		ops[c.change(r)]++
		time.Sleep(time.Duration(10+r.IntN(30)) * time.Millisecond)
	}
	close(done)
	wg.Wait()
	fake.ClearFaults()

	requests := map[string]int{}
	for _, req := range fake.Requests() {
		requests[fmt.Sprintf("%s page %d: %d", req.Action, req.Page, req.Status)]++
	}
	t.Logf("churn for %v: %d changes %v, %d fault episodes; EC2 requests (action page: status) %v", duration, c.changes, ops, faults.Load(), churnCounts(requests))
	t.Logf("queries: %d sent, %d answered, %d unanswered, %d wrong; SERVFAIL: %d for stable names, %d for churning ones; %d distinct churn answers; stalest answer %v after its state ended",
		st.sent.Load(), st.answered.Load(), st.unanswered.Load(), st.wrong.Load(), st.servfailStable.Load(), st.servfail.Load(),
		len(st.seen), time.Duration(st.maxStale.Load()).Round(time.Millisecond))
	for _, e := range st.examples {
		t.Errorf("wrong answer: %s", e)
	}
	if st.servfailStable.Load() > 0 {
		t.Errorf("%d SERVFAIL answers for names stable through the run", st.servfailStable.Load())
	}
	if st.answered.Load() == 0 || len(st.seen) < churnSlots {
		t.Errorf("the run proves nothing: %d answers, %d distinct churn answers", st.answered.Load(), len(st.seen))
	}
	// Then, once the churn stops, every name converges on its last state.
	for _, s := range c.slots {
		for name, want := range s.answers() {
			converge(name, want)
		}
	}
}

func churnCounts(m map[string]int) string {
	var parts []string
	for _, k := range slices.Sorted(maps.Keys(m)) {
		parts = append(parts, fmt.Sprintf("%s × %d", k, m[k]))
	}
	return strings.Join(parts, "; ")
}
