package testkit

import (
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
