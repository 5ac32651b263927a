package test

// A snapshot file rewritten while it is served: a good version is picked up, a corrupt one is
// not.

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/coredns-vpce/coredns-vpce/internal/testkit"
)

func TestSnapshotRewrittenWhileServing(t *testing.T) {
	file := copySnapshot(t)
	udp, _ := startServer(t, strings.ReplaceAll(exampleCorefile, "SNAPSHOT", file))
	const zonal = "vpce-0bb20377a387ade86-njczioek-ap-northeast-1a.ssm.ap-northeast-1.vpce.amazonaws.com."
	if got := addrsOf(t, udp, zonal); got != "172.20.128.22" {
		t.Fatalf("before: %s", got)
	}
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	// The endpoint gets a new address: picked up.
	if err := os.WriteFile(file, []byte(strings.ReplaceAll(string(data), "172.20.128.22", "172.20.128.99")), 0o644); err != nil {
		t.Fatal(err)
	}
	testkit.Eventually(t, 5*time.Second, func() error {
		if got := addrsOf(t, udp, zonal); got != "172.20.128.99" {
			return fmt.Errorf("rewritten snapshot not picked up: %s", got)
		}
		return nil
	})
	// A corrupt version is not: the last good view keeps answering.
	if err := os.WriteFile(file, data[:len(data)/2], 0o644); err != nil {
		t.Fatal(err)
	}
	time.Sleep(2500 * time.Millisecond) // two polls of the file
	if got := addrsOf(t, udp, zonal); got != "172.20.128.99" {
		t.Fatalf("after corruption: %q, want the last good view", got)
	}
}

// copySnapshot copies the bundled example snapshot into a temporary directory.
func copySnapshot(t *testing.T) string {
	t.Helper()
	data, err := os.ReadFile("../example/snapshot.json")
	if err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(t.TempDir(), "snapshot.json")
	if err := os.WriteFile(file, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return file
}
