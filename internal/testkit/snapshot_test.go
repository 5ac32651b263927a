package testkit

import (
	"bytes"
	"slices"
	"testing"

	"github.com/coredns-vpce/coredns-vpce/plugin/vpce/inventory"
)

// TestSnapshotJSON: a made-up snapshot parses, gzipped too, to its endpoints.
func TestSnapshotJSON(t *testing.T) {
	for name, data := range map[string][]byte{
		"snapshot.json":    SnapshotJSON("vpce-1", "vpce-2"),
		"snapshot.json.gz": Gzip(t, SnapshotJSON("vpce-1", "vpce-2")),
	} {
		data, err := inventory.DefaultLimits.Read(name, bytes.NewReader(data)) // gunzips
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		inv, err := inventory.ParseCompact(name, data)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if ids := EndpointIDs(inv.Inventory()); !slices.Equal(ids, []string{"vpce-1", "vpce-2"}) {
			t.Errorf("%s: endpoints %v", name, ids)
		}
	}
}
