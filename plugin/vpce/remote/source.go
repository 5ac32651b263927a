package remote

import (
	"context"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/coredns-vpce/coredns-vpce/internal/jitter"
	"github.com/coredns-vpce/coredns-vpce/plugin/vpce/guard"
	"github.com/coredns-vpce/coredns-vpce/plugin/vpce/inventory"
)

// version identifies what a source last read, for the next conditional GET.
type version struct{ etag, modified string }

// getter reads one remote object.
type getter interface {
	// get returns the object's body and version, or a nil body if it is still at version v
	// (a 304). An error the object's server did not answer is an unreachableError.
	get(ctx context.Context, v version) (io.ReadCloser, version, error)
	// closeIdle closes the idle connections of a getter that is done with, so that a reload
	// leaves no connection (and no goroutine) behind.
	closeIdle()
}

// unreachableError is a failure to get an answer at all (network down, connection refused,
// timeout, a server error 5xx), as opposed to an answer that refuses (403, 404, a bad
// snapshot).
type unreachableError struct{ err error }

func (e unreachableError) Error() string { return e.err.Error() }
func (e unreachableError) Unwrap() error { return e.err }

// Unreachable tells whether err is a failure to reach a remote source's server: at start-up
// the plugin then serves its cache file, if it has one, instead of refusing to start.
func Unreachable(err error) bool { return errors.As(err, new(unreachableError)) }

// Source is one S3 object or URL, checked every interval. A check that fails (unreachable,
// denied, missing, corrupt, over the limits), or a read that panics, is logged once and
// counted, and the last good view stays; a version found bad is not read again until it
// changes.
type Source struct {
	initial  *inventory.Compact // the snapshot as Load read it, until taken
	interval time.Duration      // how often the source is checked, jittered by ±10%
	name     string
	get      getter
	limits   inventory.Limits
	timeout  time.Duration
	seen     version // of the last version read, good or bad
	good     bool    // whether that version was good and taken in
	count    counters
	guard    guard.Step
}

// New returns the source of location (s3://BUCKET/KEY, https:// or http:// URL), reading
// nothing yet: the S3 client is configured, the CA file read.
func New(ctx context.Context, location string, o Options) (*Source, error) {
	u, err := ParseLocation(location)
	if err != nil {
		return nil, err
	}
	s := &Source{name: name(u), interval: o.Interval, limits: o.Limits, timeout: o.Timeout}
	if s.interval <= 0 {
		s.interval = DefaultInterval
	}
	if s.timeout <= 0 {
		s.timeout = defaultTimeout
	}
	switch u.Scheme {
	case "s3":
		s.get, err = newS3Getter(ctx, u, o.S3)
	default:
		if u.Scheme == "http" {
			log.Warningf("Snapshot %s is read over plain http: anyone on the path can change the view", s.name)
		}
		s.get, err = newURLGetter(u, o.CAFile)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", s.name, err)
	}
	s.count = newCounters(s.name)
	return s, nil
}

// String names the source in logs.
func (s *Source) String() string { return "snapshot " + s.name }

// Load reads the source once, at start-up: an error here stops CoreDNS, unless it is
// Unreachable and a cache file serves.
func (s *Source) Load(ctx context.Context) error {
	inv, err := s.check(ctx)
	if err != nil {
		return err
	}
	s.initial, s.good = inv, true
	return nil
}

// TakeInitial returns the snapshot Load read, nil if it did not, once, before Run: the caller
// builds from it, and the source keeps nothing of it.
func (s *Source) TakeInitial() *inventory.Compact {
	inv := s.initial
	s.initial = nil
	return inv
}

// check reads the source if it changed since the version last read: nil, nil if not.
func (s *Source) check(ctx context.Context) (*inventory.Compact, error) {
	ctx, cancel := context.WithTimeout(ctx, s.timeout)
	defer cancel()
	body, v, err := s.get.get(ctx, s.seen)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", s.name, err)
	}
	if body == nil {
		return nil, nil
	}
	defer body.Close()
	s.seen, s.good = v, false
	n := &countingReader{r: body}
	data, err := s.limits.Read(s.name, n)
	s.count.bytes.Add(float64(n.n))
	if n.err != nil {
		s.seen = version{} // cut off (timeout, connection lost), not bad: read it again
		return nil, unreachableError{fmt.Errorf("%s: %w", s.name, n.err)}
	}
	if err != nil {
		return nil, err
	}
	inv, err := inventory.ParseCompact(s.name, data)
	if err != nil {
		return nil, err
	}
	if err := s.limits.CheckEndpoints(s.name, len(inv.Endpoints)); err != nil {
		return nil, err
	}
	return inv, nil
}

// Run checks the source every interval (at once if Load did not read it) and hands every
// changed, good version to to, until ctx ends.
func (s *Source) Run(ctx context.Context, to inventory.Sink) {
	wait := time.Duration(0)
	if s.good { // Load read it
		wait = jitter.Spread(s.interval)
	}
	defer s.get.closeIdle()
	var failing error
	for {
		select {
		case <-ctx.Done():
			return
		case <-time.After(wait):
		}
		wait = jitter.Spread(s.interval)
		err := s.guard.Run(guard.Snapshot, func() error { return s.step(ctx, to) })
		if ctx.Err() != nil {
			return
		}
		switch {
		case errors.Is(err, errStillBad) && failing != nil:
			s.count.results[failed].Inc() // logged when it turned bad
		case err != nil:
			s.count.results[failed].Inc()
			if failing == nil || failing.Error() != err.Error() {
				log.Errorf("Snapshot not loaded, still serving the last good view: %v", err)
			}
			failing = err
		case failing != nil:
			log.Infof("Snapshot %s readable again", s.name)
			failing = nil
		}
	}
}

// step is one check: a changed, good version goes to the sink; an unchanged one confirms the
// view if that version was good, and is a failure again if it was not.
func (s *Source) step(ctx context.Context, to inventory.Sink) error {
	last, lastGood := s.seen, s.good
	inv, err := s.check(ctx)
	switch {
	case err != nil:
		return err
	case inv == nil && !s.good:
		return errStillBad
	case inv == nil:
		s.count.results[unchanged].Inc()
		to.Confirm()
		return nil
	}
	if err := to.Update(inv); err != nil {
		s.seen, s.good = last, lastGood // not taken in: read it again
		return err
	}
	s.good = true
	s.count.results[changed].Inc()
	return nil
}

// errStillBad is a check that found a version already found bad: counted, not logged again.
var errStillBad = errors.New("unchanged since it was found bad")

// countingReader counts the bytes read through it, and keeps the transport's error, so that
// a body cut off is told from a bad one.
type countingReader struct {
	r   io.Reader
	n   int64
	err error
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	if err != nil && err != io.EOF {
		c.err = err
	}
	return n, err
}
