package vpce

import (
	"fmt"
	"strings"
)

// indexStats counts what an index serves, for logs and metrics (recordIndex turns them into
// the gauges).
type indexStats struct {
	endpoints int
	names     [numKinds]int
	conflicts int
	regions   map[string]*regionStats
}

// regionStats counts one region's part of an index.
type regionStats struct {
	endpoints [numEndpointTypes]int
	names     [numKinds]int
}

func newIndexStats() indexStats {
	return indexStats{regions: map[string]*regionStats{}}
}

// countName counts a name served, by its owner's region.
func (s *indexStats) countName(kind nameKind, region string) {
	s.names[kind]++
	s.region(region).names[kind]++
}

// countEndpoint counts an endpoint that serves at least one name, by its region.
func (s *indexStats) countEndpoint(region string) {
	s.region(region).endpoints[typeInterface]++
	s.endpoints++
}

func (s *indexStats) region(r string) *regionStats {
	rs, ok := s.regions[r]
	if !ok {
		rs = &regionStats{}
		s.regions[r] = rs
	}
	return rs
}

// total is the number of names served.
func (s indexStats) total() int {
	n := 0
	for _, c := range s.names {
		n += c
	}
	return n
}

// String gives the names served by kind, for the log line of a published index.
func (s indexStats) String() string {
	parts := make([]string, 0, numKinds)
	for k := range numKinds {
		parts = append(parts, fmt.Sprintf("%s %d", k, s.names[k]))
	}
	return strings.Join(parts, ", ")
}
