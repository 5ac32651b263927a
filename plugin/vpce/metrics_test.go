package vpce

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/coredns-vpce/coredns-vpce/internal/testkit"
	"github.com/coredns-vpce/coredns-vpce/plugin/vpce/index"
)

// TestViewGauges: two server blocks on one address (told apart by their zones) each have
// their own series; during a reload the newer instance's view counts; a stopped instance's
// series go with it.
func TestViewGauges(t *testing.T) {
	published := func(zones, file string) *merger {
		m := &merger{server: "dns://:53", zones: zones, publish: func(*index.Index) {}}
		ix, _ := index.Build(testkit.Compact(t, file), index.Options{TTL: 60})
		m.mu.Lock()
		m.swap(ix)
		m.mu.Unlock()
		return m
	}
	c := newViewCollector()
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(c)
	// names sums the private names of each block's series, by zones.
	names := func() string {
		families, err := reg.Gather()
		if err != nil {
			t.Fatal(err)
		}
		sums := map[string]float64{}
		for _, f := range families {
			if f.GetName() != "coredns_vpce_names" {
				continue
			}
			for _, m := range f.GetMetric() {
				labels := map[string]string{}
				for _, l := range m.GetLabel() {
					labels[l.GetName()] = l.GetValue()
				}
				if labels["kind"] == "private" {
					sums[labels["zones"]] += m.GetGauge().GetValue()
				}
			}
		}
		var out []string
		for _, zones := range slices.Sorted(maps.Keys(sums)) {
			out = append(out, fmt.Sprintf("%s=%v", zones, sums[zones]))
		}
		return strings.Join(out, " ")
	}
	a := published("a.example.", "testdata/answers.json")
	b := published("b.example.", "testdata/vpcs.json")
	c.add(a)
	c.add(b)
	if got, want := names(), "a.example.=8 b.example.=4"; got != want {
		t.Errorf("two blocks on one address: %q, want %q", got, want)
	}
	reloaded := published("b.example.", "testdata/answers.json") // the new instance of block b
	c.add(reloaded)
	if got, want := names(), "a.example.=8 b.example.=8"; got != want {
		t.Errorf("during a reload: %q, want the newer view's %q", got, want)
	}
	c.remove(b)
	c.remove(a)
	if got, want := names(), "b.example.=8"; got != want {
		t.Errorf("after the old instances stopped: %q, want %q", got, want)
	}
}

// With rpz, the block reports its zone's serial, for comparing with what the secondaries have.
func TestRPZSerialGauge(t *testing.T) {
	testkit.CaptureLog(t)
	m := &merger{server: "dns://:53", zones: ".", publish: func(*index.Index) {}, rpz: newRPZ("vpce.rpz.", "", func([]byte) bool { return true })}
	ix, _ := index.Build(testkit.Compact(t, "testdata/answers.json"), index.Options{TTL: 60})
	m.mu.Lock()
	m.swap(ix)
	m.mu.Unlock()
	m.followView(ix)
	c := newViewCollector()
	reg := prometheus.NewPedanticRegistry()
	reg.MustRegister(c)
	c.add(m)
	families, err := reg.Gather()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, f := range families {
		if f.GetName() == "coredns_vpce_rpz_serial" {
			for _, s := range f.GetMetric() {
				for _, l := range s.GetLabel() {
					if l.GetName() == "zone" {
						got = append(got, fmt.Sprintf("%s %v", l.GetValue(), s.GetGauge().GetValue()))
					}
				}
			}
		}
	}
	if want := fmt.Sprintf("vpce.rpz. %v", float64(m.rpz.current.Load().Serial())); len(got) != 1 || got[0] != want {
		t.Errorf("rpz_serial: %q, want %q", got, want)
	}
}
