package rpz

import (
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/coredns-vpce/coredns-vpce/plugin/vpce/inventory"
)

// Serials hands out a zone's serials: the same while its digest is the same, else the next one
// (next). With a state file they survive restarts: an unchanged view keeps its serial, so
// that secondaries transfer nothing, and a serial never goes back even if the clock does.
// Without one, the clock keeps serials growing across restarts. Not safe for concurrent use.
type Serials struct {
	file   string // "" for none
	serial uint32
	digest uint64
	now    func() time.Time
}

// NewSerials reads the state file, if file is not "" and exists. A file that cannot be read
// is an error; the Serials returned then start from the clock.
func NewSerials(file string) (*Serials, error) {
	s := &Serials{file: file, now: time.Now}
	if file == "" {
		return s, nil
	}
	data, err := os.ReadFile(file)
	if errors.Is(err, os.ErrNotExist) {
		return s, nil
	}
	if err != nil {
		return s, err
	}
	if _, err := fmt.Sscanf(string(data), "%d %x\n", &s.serial, &s.digest); err != nil {
		s.serial, s.digest = 0, 0
		return s, fmt.Errorf("%s: want a serial and a digest: %w", file, err)
	}
	return s, nil
}

// Next is the serial of a zone with digest, and whether it is new. A new serial is written to
// the state file; an error writing it is returned with the serial, which holds all the same.
func (s *Serials) Next(digest uint64) (serial uint32, changed bool, err error) {
	if s.serial != 0 && digest == s.digest {
		return s.serial, false, nil
	}
	s.serial, s.digest = next(s.serial, s.now()), digest
	if s.file != "" {
		err = inventory.WriteFile(s.file, fmt.Appendf(nil, "%d %016x\n", s.serial, s.digest))
	}
	return s.serial, true, err
}

// next is the serial after last: the time in Unix seconds, which a restart without state
// continues from, or last+1 when changes come faster than seconds or the clock went back.
func next(last uint32, now time.Time) uint32 {
	t := uint32(now.Unix())
	if last == 0 || Older(last, t) {
		return t
	}
	return last + 1
}
