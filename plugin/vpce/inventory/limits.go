package inventory

import (
	"bytes"
	"fmt"
	"io"
	"os"
)

// Limits bound what the plugin takes in, so that a runaway file or account cannot exhaust
// memory: a source over them is refused with an error, and the last good view stays.
type Limits struct {
	Bytes     int64 // the size of one snapshot or cache file
	Endpoints int   // endpoints in one inventory
}

// DefaultLimits hold a large account with room: 100,000 endpoints make a snapshot of about
// 150 MB with their interfaces.
var DefaultLimits = Limits{Bytes: 512 << 20, Endpoints: 200_000}

// ReadFile reads a file of at most l.Bytes.
func (l Limits) ReadFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var buf bytes.Buffer
	if st, err := f.Stat(); err == nil && st.Size() <= l.Bytes {
		// Room for the whole file at once: a buffer grown by doubling would copy (and clear)
		// a large file several times over.
		buf.Grow(int(st.Size()) + bytes.MinRead)
	}
	if _, err := buf.ReadFrom(io.LimitReader(f, l.Bytes+1)); err != nil {
		return nil, err
	}
	data := buf.Bytes()
	if int64(len(data)) > l.Bytes {
		return nil, fmt.Errorf("%s: over the max_bytes limit of %d bytes", path, l.Bytes)
	}
	return data, nil
}

// CheckEndpoints refuses an inventory of more than l.Endpoints endpoints.
func (l Limits) CheckEndpoints(what string, n int) error {
	if n > l.Endpoints {
		return fmt.Errorf("%s: more than the max_endpoints limit of %d endpoints", what, l.Endpoints)
	}
	return nil
}
