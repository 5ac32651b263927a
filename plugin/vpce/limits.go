package vpce

import (
	"fmt"
	"io"
	"os"
)

// limits bound what the plugin takes in, so that a runaway file or account cannot exhaust
// memory: a source over them is refused with an error, and the last good view stays.
type limits struct {
	bytes     int64 // the size of one snapshot or cache file
	endpoints int   // endpoints in one inventory
}

// defaultLimits hold a large account with room: 100,000 endpoints make a snapshot of about
// 150 MB with their interfaces.
var defaultLimits = limits{bytes: 512 << 20, endpoints: 200_000}

// readFile reads a file of at most l.bytes.
func (l limits) readFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, l.bytes+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > l.bytes {
		return nil, fmt.Errorf("%s: over the max_bytes limit of %d bytes", path, l.bytes)
	}
	return data, nil
}

// checkEndpoints refuses an inventory of more than l.endpoints endpoints.
func (l limits) checkEndpoints(what string, n int) error {
	if n > l.endpoints {
		return fmt.Errorf("%s: more than the max_endpoints limit of %d endpoints", what, l.endpoints)
	}
	return nil
}
