// Package sourcedate is the time stamp of reproducible build outputs (the image, the release
// archives): SOURCE_DATE_EPOCH (reproducible-builds.org), which the Makefile sets to the last
// commit's time, so that the same source gives the same bytes.
package sourcedate

import (
	"fmt"
	"os"
	"strconv"
	"time"
)

// Get returns SOURCE_DATE_EPOCH, or the Unix epoch when it is unset.
func Get() (time.Time, error) {
	s := os.Getenv("SOURCE_DATE_EPOCH")
	if s == "" {
		return time.Unix(0, 0).UTC(), nil
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		return time.Time{}, fmt.Errorf("SOURCE_DATE_EPOCH %q: want seconds since the epoch", s)
	}
	return time.Unix(n, 0).UTC(), nil
}
