package testkit

import (
	"bytes"
	"compress/gzip"
	"os"
	"testing"

	"github.com/coredns-vpce/coredns-vpce/plugin/vpce/inventory"
)

// ReadSnapshots reads snapshot files, merged, as a source of them does.
func ReadSnapshots(tb testing.TB, files ...string) *inventory.Inventory {
	tb.Helper()
	var parts []*inventory.Inventory
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			tb.Fatal(err)
		}
		inv, err := inventory.Parse(file, data)
		if err != nil {
			tb.Fatal(err)
		}
		parts = append(parts, inv)
	}
	return inventory.Merge(parts...)
}

// Compact reads snapshot files, merged, into what sources hand over.
func Compact(tb testing.TB, files ...string) *inventory.Compact {
	tb.Helper()
	return inventory.NewCompact(ReadSnapshots(tb, files...))
}

// SnapshotJSON is a snapshot of available interface endpoints with the ids given, nothing
// more: the versions a test of a source hands it.
func SnapshotJSON(ids ...string) []byte {
	s := `{"VpcEndpoints": [`
	for i, id := range ids {
		if i > 0 {
			s += ","
		}
		s += `{"VpcEndpointId": "` + id + `", "VpcEndpointType": "Interface", "State": "available"}`
	}
	return []byte(s + "]}")
}

// EndpointIDs are the ids of inv's endpoints, in order.
func EndpointIDs(inv *inventory.Inventory) []string {
	var ids []string
	for _, e := range inv.VpcEndpoints {
		ids = append(ids, *e.VpcEndpointId)
	}
	return ids
}

// Gzip is data gzip-compressed: a .gz snapshot, or a body sent with Content-Encoding gzip.
func Gzip(t testing.TB, data []byte) []byte {
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
