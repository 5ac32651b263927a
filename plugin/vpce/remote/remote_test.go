package remote_test

import (
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coredns-vpce/coredns-vpce/internal/testkit"
	"github.com/coredns-vpce/coredns-vpce/plugin/vpce/inventory"
)

// snapshotJSON is a snapshot of endpoints with the ids given.
func snapshotJSON(ids ...string) []byte {
	s := `{"VpcEndpoints": [`
	for i, id := range ids {
		if i > 0 {
			s += ","
		}
		s += `{"VpcEndpointId": "` + id + `", "VpcEndpointType": "Interface", "State": "available"}`
	}
	return []byte(s + "]}")
}

func gzipped(t testing.TB, data []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// sink records what a source hands over: inventories on a channel, confirmations counted.
type sink struct {
	invs     testkit.InventoryChan
	confirms atomic.Int64
}

func newSink() *sink                                { return &sink{invs: make(testkit.InventoryChan, 10)} }
func (s *sink) Update(inv *inventory.Compact) error { return s.invs.Update(inv) }
func (s *sink) Confirm()                            { s.confirms.Add(1) }
func (s *sink) waitConfirms(t *testing.T, n int64) {
	t.Helper()
	waitFor(t, func() bool { return s.confirms.Load() >= n })
}
func endpointIDs(inv *inventory.Inventory) (ids []string) {
	for _, e := range inv.VpcEndpoints {
		ids = append(ids, *e.VpcEndpointId)
	}
	return ids
}

func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	testkit.Eventually(t, 20*time.Second, func() error {
		if !cond() {
			return fmt.Errorf("not yet")
		}
		return nil
	})
}

// running runs src until the test ends.
func running(t *testing.T, src interface {
	Run(context.Context, inventory.Sink)
}, to inventory.Sink) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { src.Run(ctx, to); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
}
