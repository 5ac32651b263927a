package index

import (
	"fmt"
	"strings"
)

// Stats counts what an index serves, for logs and metrics (the plugin turns them into
// the gauges).
type Stats struct {
	Endpoints int // endpoints that serve at least one name
	Names     [NumKinds]int
	Conflicts int // names offered twice in one VPC
	Regions   map[string]*RegionStats
}

// RegionStats counts one region's part of an index.
type RegionStats struct {
	Endpoints [NumEndpointTypes]int
	Names     [NumKinds]int
}

func newStats() Stats {
	return Stats{Regions: map[string]*RegionStats{}}
}

// countName counts a name served, by its owner's region.
func (s *Stats) countName(kind Kind, region string) {
	s.Names[kind]++
	s.region(region).Names[kind]++
}

// countEndpoint counts an endpoint that serves at least one name, by its region.
func (s *Stats) countEndpoint(region string) {
	s.region(region).Endpoints[TypeInterface]++
	s.Endpoints++
}

func (s *Stats) region(r string) *RegionStats {
	rs, ok := s.Regions[r]
	if !ok {
		rs = &RegionStats{}
		s.Regions[r] = rs
	}
	return rs
}

// Total is the number of names served.
func (s Stats) Total() int {
	n := 0
	for _, c := range s.Names {
		n += c
	}
	return n
}

// String gives the names served by kind, for the log line of a published index.
func (s Stats) String() string {
	parts := make([]string, 0, NumKinds)
	for k := range NumKinds {
		parts = append(parts, fmt.Sprintf("%s %d", k, s.Names[k]))
	}
	return strings.Join(parts, ", ")
}
