package inventory_test

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coredns-vpce/coredns-vpce/internal/testkit"

	"github.com/coredns-vpce/coredns-vpce/plugin/vpce/guard"
	"github.com/coredns-vpce/coredns-vpce/plugin/vpce/inventory"
)

// poll is how often the tests' snapshot files are checked.
const poll = 5 * time.Millisecond

// replace writes data to a new file renamed over file, as the AWS CLI's redirect, an editor
// or a ConfigMap update does.
func replace(t *testing.T, file string, data []byte) {
	t.Helper()
	tmp := file + ".tmp"
	if err := os.WriteFile(tmp, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(tmp, file); err != nil {
		t.Fatal(err)
	}
}

func TestFileSourceFollowsChanges(t *testing.T) {
	dir := t.TempDir()
	e, n := filepath.Join(dir, "e.json"), filepath.Join(dir, "n.json")
	replace(t, e, testkit.SnapshotJSON("vpce-1"))
	replace(t, n, []byte(`{"NetworkInterfaces": [{"NetworkInterfaceId": "eni-1"}]}`))

	fs, err := inventory.NewFiles([]string{e, n}, inventory.Limits{Bytes: 1000, Endpoints: 3})
	if err != nil {
		t.Fatal(err)
	}
	inventory.SetPoll(fs, poll)
	if initial := fs.TakeInitial(); len(initial.Endpoints) != 1 || len(initial.Interfaces) != 1 {
		t.Fatalf("initial: files not merged: %+v", initial)
	}
	if fs.TakeInitial() != nil {
		t.Fatal("the initial inventory handed over twice: the source keeps it")
	}
	got := make(testkit.InventoryChan, 16)
	testkit.RunSource(t, fs, got)

	next := func() *inventory.Inventory { t.Helper(); return testkit.Receive(t, got) }
	quiet := func(what string) {
		t.Helper()
		select {
		case inv := <-got:
			t.Fatalf("%s: published %+v, want the last good view kept", what, inv)
		case <-time.After(50 * poll):
		}
	}

	replace(t, e, testkit.SnapshotJSON("vpce-1", "vpce-2"))
	if inv := next(); len(inv.VpcEndpoints) != 2 || len(inv.NetworkInterfaces) != 1 {
		t.Fatalf("after rewrite: %d endpoints, %d interfaces", len(inv.VpcEndpoints), len(inv.NetworkInterfaces))
	}
	replace(t, e, []byte(`{"VpcEndpoints": [{"VpcEndpointId": "vpce-3", "State":`)) // truncated
	quiet("corrupt file")
	if err := os.Remove(e); err != nil {
		t.Fatal(err)
	}
	quiet("deleted file")
	replace(t, e, testkit.SnapshotJSON("vpce-4"))
	if ids := testkit.EndpointIDs(next()); !slices.Equal(ids, []string{"vpce-4"}) {
		t.Fatalf("after recovery: %v", ids)
	}
	// Over the limits: refused, the last good view stays.
	replace(t, e, testkit.SnapshotJSON("vpce-1", "vpce-2", "vpce-3", "vpce-4"))
	quiet("too many endpoints")
	replace(t, e, append(testkit.SnapshotJSON("vpce-1"), bytes.Repeat([]byte(" "), 1000)...))
	quiet("too many bytes")
	if _, err := inventory.NewFiles([]string{e, n}, inventory.Limits{Bytes: 1000, Endpoints: 3}); err == nil || !strings.Contains(err.Error(), "over the max_bytes limit of 1000 bytes") {
		t.Errorf("read over max_bytes: %v", err)
	}
	replace(t, e, testkit.SnapshotJSON("vpce-1", "vpce-2", "vpce-3", "vpce-4"))
	if _, err := inventory.NewFiles([]string{e, n}, inventory.Limits{Bytes: 1000, Endpoints: 3}); err == nil || !strings.Contains(err.Error(), "more than the max_endpoints limit of 3 endpoints") {
		t.Errorf("read over max_endpoints: %v", err)
	}
	quiet("unchanged files")
}

// faultySink takes inventories like chanSink, but panics while armed.
type faultySink struct {
	testkit.InventoryChan
	fault *testkit.FaultSwitch
}

func (s faultySink) Update(inv *inventory.Compact) error {
	s.fault.At()
	return s.InventoryChan.Update(inv)
}

// TestFileSourcePanic: a snapshot check that panics keeps the watcher running and the last
// good view in place; the changed files are read again until that succeeds, and later
// versions are taken.
func TestFileSourcePanic(t *testing.T) {
	logs := testkit.CaptureLog(t)
	file := filepath.Join(t.TempDir(), "snapshot.json")
	replace(t, file, testkit.SnapshotJSON("vpce-1"))
	fs, err := inventory.NewFiles([]string{file}, inventory.DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	inventory.SetPoll(fs, poll)
	f := &testkit.FaultSwitch{}
	got := make(testkit.InventoryChan, 16)
	testkit.RunSource(t, fs, faultySink{got, f})
	next := func() *inventory.Inventory { t.Helper(); return testkit.Receive(t, got) }

	before := testkit.Counted(t, "panics_total", "where", guard.Snapshot)
	f.Armed.Store(true)
	replace(t, file, testkit.SnapshotJSON("vpce-1", "vpce-2"))
	deadline := time.Now().Add(5 * time.Second)
	for testkit.Counted(t, "panics_total", "where", guard.Snapshot)-before < 3 { // read again every poll
		if time.Now().After(deadline) {
			t.Fatal("the changed snapshot is not read again after a panic")
		}
		time.Sleep(poll)
	}
	f.Armed.Store(false)
	if inv := next(); len(inv.VpcEndpoints) != 2 {
		t.Fatalf("after the panics: %d endpoints, want 2", len(inv.VpcEndpoints))
	}
	replace(t, file, testkit.SnapshotJSON("vpce-3"))
	if ids := testkit.EndpointIDs(next()); !slices.Equal(ids, []string{"vpce-3"}) {
		t.Fatalf("the next version: %v", ids)
	}
	if testkit.RecoveredLines(logs, guard.Snapshot) != 1 || strings.Count(logs.String(), "Snapshot not loaded") != 1 {
		t.Errorf("want the panic and the failure logged once each:\n%s", logs)
	}
}

// A Kubernetes ConfigMap volume updates its files as kubelet does: the new version goes into
// a new timestamped directory, a ..data_tmp symlink to it is renamed over ..data, and the old
// directory is removed; the file itself is a symlink through ..data that never changes.
func TestFileSourceFollowsAConfigMapUpdate(t *testing.T) {
	dir := t.TempDir()
	version := func(name string, data []byte) {
		t.Helper()
		if err := os.Mkdir(filepath.Join(dir, name), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, name, "snapshot.json.gz"), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	swap := func(name string) {
		t.Helper()
		if err := os.Symlink(name, filepath.Join(dir, "..data_tmp")); err != nil {
			t.Fatal(err)
		}
		if err := os.Rename(filepath.Join(dir, "..data_tmp"), filepath.Join(dir, "..data")); err != nil {
			t.Fatal(err)
		}
	}
	version("..2026_12_01_10_00_00.1", testkit.Gzip(t, testkit.SnapshotJSON("vpce-1")))
	swap("..2026_12_01_10_00_00.1")
	file := filepath.Join(dir, "snapshot.json.gz")
	if err := os.Symlink("..data/snapshot.json.gz", file); err != nil {
		t.Fatal(err)
	}
	fs, err := inventory.NewFiles([]string{file}, inventory.DefaultLimits)
	if err != nil {
		t.Fatal(err)
	}
	inventory.SetPoll(fs, poll)
	got := make(testkit.InventoryChan, 16)
	testkit.RunSource(t, fs, got)

	version("..2026_12_01_10_01_00.2", testkit.Gzip(t, testkit.SnapshotJSON("vpce-1", "vpce-2")))
	swap("..2026_12_01_10_01_00.2")
	if err := os.RemoveAll(filepath.Join(dir, "..2026_12_01_10_00_00.1")); err != nil {
		t.Fatal(err)
	}
	if inv := testkit.Receive(t, got); len(inv.VpcEndpoints) != 2 {
		t.Fatalf("after the ConfigMap update: %d endpoints, want 2", len(inv.VpcEndpoints))
	}
}

func TestGzipSnapshotFiles(t *testing.T) {
	dir := t.TempDir()
	// Written compressed when the name ends in .gz, and only when changed.
	file := filepath.Join(dir, "snapshot.json.gz")
	inv, err := inventory.Parse("x", testkit.SnapshotJSON("vpce-1", "vpce-2"))
	if err != nil {
		t.Fatal(err)
	}
	for i, want := range []bool{true, false} {
		changed, err := inventory.WriteSnapshot(file, inv)
		if err != nil || changed != want {
			t.Fatalf("write %d: changed %v, %v; want %v", i, changed, err, want)
		}
	}
	data, err := os.ReadFile(file)
	if err != nil || !bytes.HasPrefix(data, []byte{0x1f, 0x8b}) {
		t.Fatalf("%s is not gzip: %q, %v", file, data, err)
	}
	fs, err := inventory.NewFiles([]string{file}, inventory.DefaultLimits)
	if err != nil || len(fs.TakeInitial().Endpoints) != 2 {
		t.Fatalf("read back: %v", err)
	}
	// A gzip bomb is refused by what it decompresses to.
	bomb := filepath.Join(dir, "bomb.json.gz")
	if err := os.WriteFile(bomb, testkit.Gzip(t, bytes.Repeat([]byte(" "), 1<<20)), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := inventory.NewFiles([]string{bomb}, inventory.Limits{Bytes: 1000, Endpoints: 10}); err == nil ||
		err.Error() != bomb+": over the max_bytes limit of 1000 bytes once decompressed" {
		t.Fatalf("gzip bomb: %v", err)
	}
	// A gzip file whose checksum is wrong is refused, though its JSON is whole.
	corrupt := filepath.Join(dir, "corrupt.json.gz")
	data[len(data)-8] ^= 0xff // the CRC-32 of the trailer
	if err := os.WriteFile(corrupt, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := inventory.NewFiles([]string{corrupt}, inventory.DefaultLimits); err == nil || !strings.Contains(err.Error(), "checksum") {
		t.Fatalf("corrupt gzip: %v", err)
	}
}
