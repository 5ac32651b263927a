package inventory

import (
	"context"
	"os"
	"strings"
	"time"

	clog "github.com/coredns/coredns/plugin/pkg/log"

	"github.com/coredns-vpce/coredns-vpce/plugin/vpce/guard"
)

var log = clog.NewWithPlugin("vpce")

// snapshotPoll is how often snapshot files are checked for changes. A stat per file is cheap,
// and it follows the symlink swaps of Kubernetes ConfigMap volumes, which inotify misses.
const snapshotPoll = time.Second

// Files is the source of snapshot files: it serves them, merged, and re-reads them when one
// changes. A file that turns bad (unreadable, invalid, deleted), or a read that panics, is
// logged once and the last good index stays; the files are read again every poll until a read
// succeeds.
type Files struct {
	initial *Compact      // the files' inventory as NewFiles read it, until taken
	poll    time.Duration // how often the files are checked: snapshotPoll
	files   []string
	limits  Limits
	seen    []fileStamp
	guard   guard.Step // of the reads after a change
}

// fileStamp identifies a version of a file without reading it.
type fileStamp struct {
	size    int64
	modTime time.Time
	err     string
}

// NewFiles reads the files once, so that a bad file stops CoreDNS from starting: an error
// here is a configuration error.
func NewFiles(files []string, lim Limits) (*Files, error) {
	s := &Files{files: files, limits: lim, poll: snapshotPoll}
	s.seen = s.stamps()
	inv, err := s.read()
	if err != nil {
		return nil, err
	}
	s.initial = inv
	return s, nil
}

// TakeInitial returns the files' inventory as NewFiles read it, once, before Run: the caller
// builds from it, and the source keeps nothing of it.
func (s *Files) TakeInitial() *Compact {
	inv := s.initial
	s.initial = nil
	return inv
}

// String names the source in logs.
func (s *Files) String() string { return "snapshot " + strings.Join(s.files, " ") }

func (s *Files) read() (*Compact, error) {
	parts := make([]*Compact, 0, len(s.files))
	for _, f := range s.files {
		part, err := s.limits.ReadCompact(f)
		if err != nil {
			return nil, err
		}
		parts = append(parts, part)
	}
	all := MergeCompact(parts...)
	if err := s.limits.CheckEndpoints(s.String(), len(all.Endpoints)); err != nil {
		return nil, err
	}
	return all, nil
}

func (s *Files) stamps() []fileStamp {
	st := make([]fileStamp, len(s.files))
	for i, f := range s.files {
		fi, err := os.Stat(f)
		if err != nil {
			st[i].err = err.Error()
			continue
		}
		st[i] = fileStamp{size: fi.Size(), modTime: fi.ModTime()}
	}
	return st
}

// Run checks the files every second and hands every changed version to to, until ctx ends.
func (s *Files) Run(ctx context.Context, to Sink) {
	tick := time.NewTicker(s.poll)
	defer tick.Stop()
	var failing error
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		st := s.stamps()
		if failing == nil && equalStamps(st, s.seen) {
			to.Confirm()
			continue
		}
		s.seen = st
		err := s.guard.Run(guard.Snapshot, func() error {
			inv, err := s.read()
			if err != nil {
				return err
			}
			return to.Update(inv)
		})
		switch {
		case err != nil:
			if failing == nil || failing.Error() != err.Error() {
				log.Errorf("Snapshot not loaded, still serving the last good view: %v", err)
			}
			failing = err
		default:
			if failing != nil {
				log.Infof("Snapshot readable again")
			}
			failing = nil
		}
	}
}

func equalStamps(a, b []fileStamp) bool {
	for i := range a {
		if a[i].size != b[i].size || !a[i].modTime.Equal(b[i].modTime) || a[i].err != b[i].err {
			return false
		}
	}
	return len(a) == len(b)
}
