package testkit

import (
	"context"
	"fmt"
	stdlog "log"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/coredns-vpce/coredns-vpce/internal/fault"
	"github.com/coredns-vpce/coredns-vpce/plugin/vpce/inventory"
)

// CaptureLog collects what the plugin logs (CoreDNS's plugin logger writes through the
// standard logger) for the rest of the test.
func CaptureLog(t testing.TB) *SyncBuffer {
	t.Helper()
	buf, was := &SyncBuffer{}, stdlog.Writer()
	stdlog.SetOutput(buf)
	t.Cleanup(func() { stdlog.SetOutput(was) })
	return buf
}

// RecoveredLines counts the log lines of panics recovered in where.
func RecoveredLines(logs *SyncBuffer, where string) int {
	return strings.Count(logs.String(), "Recovered from a panic in "+where+" ")
}

// Counted returns the value of the counter coredns_vpce_<name> with the given label pairs, in
// the default registry.
func Counted(t testing.TB, name string, labels ...string) float64 {
	t.Helper()
	families, err := prometheus.DefaultGatherer.Gather()
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range families {
		if f.GetName() != "coredns_vpce_"+name {
			continue
		}
	metrics:
		for _, m := range f.GetMetric() {
			for _, l := range m.GetLabel() {
				for i := 0; i < len(labels); i += 2 {
					if l.GetName() == labels[i] && l.GetValue() != labels[i+1] {
						continue metrics
					}
				}
			}
			return m.GetCounter().GetValue()
		}
	}
	return 0
}

// FaultSwitch panics while armed, as the steps that call At begin.
type FaultSwitch struct{ Armed atomic.Bool }

// At panics if the switch is armed.
func (f *FaultSwitch) At() {
	if f.Armed.Load() {
		panic("injected fault")
	}
}

// Hook is a plugin instance's fault hook (internal/fault) that calls At as step begins.
func (f *FaultSwitch) Hook(step string) fault.Hook {
	return func(s string) {
		if s == step {
			f.At()
		}
	}
}

// InventoryChan is a source's sink that sends every new inventory to the channel, in the SDK's
// types (what the Compact keeps of them), and ignores confirmations.
type InventoryChan chan *inventory.Inventory

// Update implements inventory.Sink.
func (c InventoryChan) Update(inv *inventory.Compact) error { c <- inv.Inventory(); return nil }

// Confirm implements inventory.Sink.
func (c InventoryChan) Confirm() {}

// CountingSink is a source's sink that sends every new inventory to Inventories, as
// InventoryChan does, and counts confirmations.
type CountingSink struct {
	Inventories InventoryChan
	confirms    atomic.Int64
}

// NewCountingSink returns a sink with room for 10 inventories.
func NewCountingSink() *CountingSink { return &CountingSink{Inventories: make(InventoryChan, 10)} }

// Update implements inventory.Sink.
func (s *CountingSink) Update(inv *inventory.Compact) error { return s.Inventories.Update(inv) }

// Confirm implements inventory.Sink.
func (s *CountingSink) Confirm() { s.confirms.Add(1) }

// WaitConfirms waits until the sink has counted n confirmations.
func (s *CountingSink) WaitConfirms(t testing.TB, n int64) {
	t.Helper()
	Eventually(t, 20*time.Second, func() error {
		if got := s.confirms.Load(); got < n {
			return fmt.Errorf("%d confirmations, want %d", got, n)
		}
		return nil
	})
}

// RunSource runs src, handing over to to, until the test ends.
func RunSource(t testing.TB, src inventory.Source, to inventory.Sink) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { src.Run(ctx, to); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
}

// Receive waits for the next inventory sent to c. The wait is long: under the race detector
// on a busy machine, a refresh of some thousands of endpoints takes seconds.
func Receive(t testing.TB, c InventoryChan) *inventory.Inventory {
	t.Helper()
	select {
	case inv := <-c:
		return inv
	case <-time.After(time.Minute):
		t.Fatal("nothing published")
		return nil
	}
}

// CPUTime is the CPU time this process has used, user and system: what a benchmark reports as
// the CPU cost of an operation, which wall time hides on a shared machine.
func CPUTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
