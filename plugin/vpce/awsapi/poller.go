package awsapi

import (
	"context"
	"crypto/sha256"
	"errors"
	"math/rand/v2"
	"sync"
	"time"

	"github.com/coredns-vpce/coredns-vpce/internal/fault"
	"github.com/coredns-vpce/coredns-vpce/internal/jitter"
	"github.com/coredns-vpce/coredns-vpce/plugin/vpce/awscfg"
	"github.com/coredns-vpce/coredns-vpce/plugin/vpce/guard"

	"github.com/coredns-vpce/coredns-vpce/plugin/vpce/inventory"

	"github.com/aws/smithy-go"
)

// Backoff after a failed refresh: from minBackoff, doubling per failure, up to the refresh
// interval; throttling starts four times higher and may reach four refresh intervals, so that
// the plugin gives the account's shared API rate limit room to recover.
const (
	minBackoff      = time.Second
	throttleFactor  = 4
	DefaultInterval = time.Minute // the refresh option's default
	throttlingError = "RequestLimitExceeded"
)

// poller refreshes one account's inventory and hands each new version to its subscribers. It
// is shared by every plugin instance that asks the same of the same account (server blocks,
// views, and the old and new instance across a reload), so the account is polled once.
type poller struct {
	key       string
	refresher *Refresher
	interval  time.Duration                             // between refreshes
	sleep     func(context.Context, time.Duration) bool // false when ctx ended first
	guard     guard.Step                                // of the refreshes
	fault     fault.Hook                                // an integration test's, run as each refresh begins

	mu      sync.Mutex
	subs    map[*subscription]struct{}
	latest  *inventory.Compact // the last inventory published, for late subscribers
	version uint64             // of latest, counting publications
	refs    int
	cancel  context.CancelFunc
	done    chan struct{}
}

// subscription is one consumer. Deliveries to it are serialised by its own lock, newest
// version last, so that one consumer's build never holds up another's, nor a subscription.
type subscription struct {
	to      inventory.Sink
	mu      sync.Mutex
	version uint64 // of the last inventory handed to it
	failed  bool   // that inventory is not in its view: hand it again
	closed  bool   // unsubscribed: nothing more is handed to it
}

// pollers holds the running pollers by account key and refresh interval.
var pollers = struct {
	sync.Mutex
	m map[string]*poller
}{m: map[string]*poller{}}

// acquirePoller returns the running poller for the account, query and refresh interval,
// starting one if there is none, with h, an integration test's fault hook (internal/fault),
// nil outside those tests.
func acquirePoller(a awscfg.Account, q Query, interval time.Duration, h fault.Hook) *poller {
	pollers.Lock()
	defer pollers.Unlock()
	k := key(a, q) + interval.String()
	p, ok := pollers.m[k]
	if !ok {
		p = newPoller(a, q, interval)
		p.key, p.fault = k, h
		pollers.m[k] = p
		p.start()
	}
	p.refs++
	return p
}

func newPoller(a awscfg.Account, q Query, interval time.Duration) *poller {
	return &poller{refresher: NewRefresher(a, q), interval: interval, sleep: sleepCtx, subs: map[*subscription]struct{}{}}
}

func (p *poller) start() {
	ctx, cancel := context.WithCancel(context.Background())
	p.cancel, p.done = cancel, make(chan struct{})
	go func() { defer close(p.done); p.loop(ctx) }()
}

// stop ends the loop and waits for it.
func (p *poller) stop() {
	p.cancel()
	<-p.done
}

// release drops one reference; the last one stops the poller and waits for it.
func (p *poller) release() {
	pollers.Lock()
	p.refs--
	last := p.refs == 0
	if last {
		delete(pollers.m, p.key)
	}
	pollers.Unlock()
	if last {
		p.stop()
	}
}

// subscribe registers to for every new inventory, and hands it the latest one at once if
// there is one (should that fail, again after the next refresh).
func (p *poller) subscribe(to inventory.Sink) *subscription {
	s := &subscription{to: to}
	p.mu.Lock()
	p.subs[s] = struct{}{}
	latest, version := p.latest, p.version
	p.mu.Unlock()
	if latest != nil {
		_ = s.deliver(latest, version)
	}
	return s
}

// unsubscribe ends deliveries to s; one under way is waited for.
func (p *poller) unsubscribe(s *subscription) {
	p.mu.Lock()
	delete(p.subs, s)
	p.mu.Unlock()
	s.mu.Lock()
	s.closed = true
	s.mu.Unlock()
}

// subscribers lists the subscriptions with the latest inventory and its version. p.mu is held.
func (p *poller) subscribers() ([]*subscription, *inventory.Compact, uint64) {
	subs := make([]*subscription, 0, len(p.subs))
	for s := range p.subs {
		subs = append(subs, s)
	}
	return subs, p.latest, p.version
}

// publish hands inv to every subscriber; it fails if one could not take it in.
func (p *poller) publish(inv *inventory.Compact) error {
	p.mu.Lock()
	p.latest = inv
	p.version++
	subs, _, version := p.subscribers()
	p.mu.Unlock()
	var errs []error
	for _, s := range subs {
		errs = append(errs, s.deliver(inv, version))
	}
	return errors.Join(errs...)
}

// confirm tells the subscribers that a refresh found the inventory unchanged, and hands it
// again to those that could not take it in (or have not had it); it fails if one still cannot.
func (p *poller) confirm() error {
	p.mu.Lock()
	subs, latest, version := p.subscribers()
	p.mu.Unlock()
	var errs []error
	for _, s := range subs {
		errs = append(errs, s.confirm(latest, version))
	}
	return errors.Join(errs...)
}

// deliver hands inv, of version, to the consumer, unless it has had a newer one or this one
// already.
func (s *subscription) deliver(inv *inventory.Compact, version uint64) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed || version < s.version || version == s.version && !s.failed {
		return nil
	}
	err := s.to.Update(inv)
	s.version, s.failed = version, err != nil
	return err
}

// confirm tells the consumer that inv, of version, is still current, or hands it over if the
// consumer does not have it in its view.
func (s *subscription) confirm(inv *inventory.Compact, version uint64) error {
	s.mu.Lock()
	current := !s.closed && s.version == version && !s.failed
	if current {
		s.to.Confirm()
	}
	s.mu.Unlock()
	if current {
		return nil
	}
	return s.deliver(inv, version)
}

// loop refreshes until ctx ends: every refresh interval (jittered) while AWS answers, with
// exponential backoff and jitter while it fails. A failed refresh publishes nothing, so the
// last good view keeps serving. A refresh that panics fails too, and so does one whose result
// a subscriber could not build its view from (it is handed the result again next time). It
// logs state changes only, not every attempt.
func (p *poller) loop(ctx context.Context) {
	defer p.refresher.Close()
	var (
		last      [sha256.Size]byte
		failures  int
		failingAt time.Time
	)
	for {
		began := time.Now()
		var took time.Duration // by the refresh alone, not the hand-over
		changed := false
		err := p.guard.Run(guard.Refresh, func() error {
			p.fault.At(guard.Refresh)
			inv, err := p.refresher.Refresh(ctx, nil) // shared with the refresher and the subscribers
			took = time.Since(began)
			if err != nil {
				return err
			}
			if err := ctx.Err(); err != nil { // shutting down: nothing to hand over
				return err
			}
			sum := inventory.Fingerprint(inv)
			if sum == last {
				return p.confirm()
			}
			changed = true
			err = p.publish(inv)
			last = sum // a subscriber that failed is handed it again by confirm
			return err
		})
		if err != nil && ctx.Err() != nil { // cut by shutdown: no failure to count
			return
		}
		if took == 0 { // the refresh panicked
			took = time.Since(began)
		}
		account, region := label(p.refresher.acct), p.refresher.region()
		refreshDuration.WithLabelValues(account, region).Observe(took.Seconds())
		var wait time.Duration
		if err != nil {
			refreshes.WithLabelValues(account, region, "failed").Inc()
			failures++
			if failures == 1 {
				failingAt = time.Now()
				log.Errorf("Refresh from %s failing, serving the last good view: %v", describe(p.refresher.acct), err)
			}
			wait = p.backoff(failures, isThrottling(err))
		} else {
			if failures > 0 {
				log.Infof("Refresh from %s recovered after %d failed attempts since %s", describe(p.refresher.acct), failures, failingAt.Format(time.RFC3339))
			}
			failures = 0
			lastSuccess.WithLabelValues(account, region).SetToCurrentTime()
			if changed {
				refreshes.WithLabelValues(account, region, "changed").Inc()
			} else {
				refreshes.WithLabelValues(account, region, "unchanged").Inc()
			}
			wait = jitter.Spread(p.interval)
		}
		if !p.sleep(ctx, wait) {
			return
		}
	}
}

// backoff is the wait after the n-th failure in a row: exponential, capped, with half of it
// random ("equal jitter") so that many resolvers do not retry in step.
func (p *poller) backoff(n int, throttled bool) time.Duration {
	d, ceiling := minBackoff, p.interval
	if throttled {
		d, ceiling = d*throttleFactor, ceiling*throttleFactor
	}
	for i := 1; i < n && d < ceiling; i++ {
		d *= 2
	}
	d = min(d, ceiling)
	return d/2 + rand.N(d/2+1)
}

func isThrottling(err error) bool {
	var ae smithy.APIError
	return errors.As(err, &ae) && ae.ErrorCode() == throttlingError
}

func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// Source feeds a plugin instance from the shared poller of its account and query.
type Source struct {
	account  awscfg.Account
	query    Query
	interval time.Duration
}

// NewSource follows the account: every refresh interval, jittered, with backoff on failures.
func NewSource(a awscfg.Account, q Query, interval time.Duration) Source {
	return Source{account: a, query: q, interval: interval}
}

func (s Source) String() string { return describe(s.account) }

// Run hands every new inventory of the account to to, until ctx ends. The fault hook ctx
// carries, an integration test's, goes to the poller if this source starts it.
func (s Source) Run(ctx context.Context, to inventory.Sink) {
	p := acquirePoller(s.account, s.query, s.interval, fault.FromContext(ctx))
	sub := p.subscribe(to)
	<-ctx.Done()
	p.unsubscribe(sub)
	p.release()
}
