package remote_test

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coredns-vpce/coredns-vpce/internal/testkit"
	"github.com/coredns-vpce/coredns-vpce/plugin/vpce/awscfg"
	"github.com/coredns-vpce/coredns-vpce/plugin/vpce/inventory"
	"github.com/coredns-vpce/coredns-vpce/plugin/vpce/remote"
)

const key = "fleet/snapshot.json"

var location = "s3://" + testkit.S3Bucket + "/" + key

// s3Source is the source of location in fake, checked every 20ms, not yet read.
func s3Source(t *testing.T, fake *testkit.S3Fake, lim inventory.Limits) *remote.Source {
	t.Helper()
	testkit.SetClientEnv(t)
	src, err := remote.New(context.Background(), location, remote.Options{
		Interval: 20 * time.Millisecond, Limits: lim,
		S3: awscfg.Account{Region: "us-east-1", Endpoint: fake.URL},
	})
	if err != nil {
		t.Fatal(err)
	}
	return src
}

func TestS3SourceReadsOnceThenAsksIfChanged(t *testing.T) {
	fake := testkit.StartS3(t)
	first := testkit.SnapshotJSON("vpce-1")
	fake.Put(t, key, first)
	src := s3Source(t, fake, inventory.DefaultLimits)
	bytesBefore := testkit.Counted(t, "snapshot_bytes_read_total", "source", location)
	if err := src.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	if ids := testkit.EndpointIDs(src.TakeInitial().Inventory()); !slices.Equal(ids, []string{"vpce-1"}) {
		t.Fatalf("first read: %v", ids)
	}
	if src.TakeInitial() != nil {
		t.Fatal("the first read handed over twice: the source keeps it")
	}
	to := testkit.NewCountingSink()
	testkit.RunSource(t, src, to)
	to.WaitConfirms(t, 5)
	// Every check after the first read was one bodiless 304: the fake served the object once.
	c := fake.Counts()
	if c.Requests < 6 || c.NotModified != c.Requests-1 || c.Bytes != int64(len(first)) {
		t.Fatalf("served %+v, want one read of %d bytes and 304s after it", c, len(first))
	}
	if got := testkit.Counted(t, "snapshot_bytes_read_total", "source", location) - bytesBefore; got != float64(len(first)) {
		t.Fatalf("snapshot_bytes_read_total grew by %v, want %d", got, len(first))
	}
	if testkit.Counted(t, "snapshot_refreshes_total", "source", location, "result", "unchanged") < 5 {
		t.Fatal("unchanged checks not counted")
	}
	// A change is picked up at the next check.
	fake.Put(t, key, testkit.SnapshotJSON("vpce-1", "vpce-2"))
	if ids := testkit.EndpointIDs(testkit.Receive(t, to.Inventories)); !slices.Equal(ids, []string{"vpce-1", "vpce-2"}) {
		t.Fatalf("after the change: %v", ids)
	}
}

func TestS3SourceReadsGzip(t *testing.T) {
	fake := testkit.StartS3(t)
	plain := testkit.SnapshotJSON("vpce-1", "vpce-2")
	fake.Put(t, key, testkit.Gzip(t, plain))
	src := s3Source(t, fake, inventory.Limits{Bytes: int64(len(plain)), Endpoints: 10})
	if err := src.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	if ids := testkit.EndpointIDs(src.TakeInitial().Inventory()); len(ids) != 2 {
		t.Fatalf("gzip snapshot: %v", ids)
	}
}

// At start-up every failure of the object stops CoreDNS with an error that names it.
func TestS3SourceRefusesABadObjectAtStartUp(t *testing.T) {
	bomb := testkit.Gzip(t, bytes.Repeat([]byte(" "), 10<<20))
	for _, tc := range []struct {
		name, want string
		put        []byte // nil: no object
		deny       bool
	}{
		{"missing", "NoSuchKey", nil, false},
		{"denied", "AccessDenied", testkit.SnapshotJSON("vpce-1"), true},
		{"garbage", "invalid character", []byte("<html>not a snapshot</html>"), false},
		{"truncated gzip", "unexpected EOF", testkit.Gzip(t, testkit.SnapshotJSON("vpce-1"))[:30], false},
		{"gzip bomb", "over the max_bytes limit of 1048576 bytes once decompressed", bomb, false},
		{"too many endpoints", "more than the max_endpoints limit of 1 endpoints", testkit.SnapshotJSON("vpce-1", "vpce-2"), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			fake := testkit.StartS3(t)
			if tc.put != nil {
				fake.Put(t, key, tc.put)
			}
			fake.Deny(tc.deny)
			src := s3Source(t, fake, inventory.Limits{Bytes: 1 << 20, Endpoints: 1})
			err := src.Load(context.Background())
			if err == nil || !strings.Contains(err.Error(), location) || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("got %v, want an error naming %s with %q", err, location, tc.want)
			}
			if remote.Unreachable(err) {
				t.Fatalf("%v: an answer, not an outage", err)
			}
		})
	}
}

// Later, a bad object, a denial or an outage leave the last good view: nothing is handed
// over, the failure is logged once and counted, and the next good version is taken.
func TestS3SourceKeepsTheLastGoodViewThroughFailures(t *testing.T) {
	fake := testkit.StartS3(t)
	fake.Put(t, key, testkit.SnapshotJSON("vpce-1"))
	src := s3Source(t, fake, inventory.DefaultLimits)
	if err := src.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	logs := testkit.CaptureLog(t)
	to := testkit.NewCountingSink()
	testkit.RunSource(t, src, to)
	failed := func() float64 {
		return testkit.Counted(t, "snapshot_refreshes_total", "source", location, "result", "failed")
	}
	before := failed()
	failures := []struct {
		name, log string
		breakIt   func()
	}{
		{"garbage", "invalid character", func() { fake.Put(t, key, []byte("garbage")) }},
		{"denied", "AccessDenied", func() { fake.Deny(true) }},
		{"missing", "NoSuchKey", func() { fake.Deny(false); fake.Delete(t, key) }},
		{"stopped", "connection refused", fake.Stop},
	}
	for _, f := range failures {
		f.breakIt()
		counted := failed()
		testkit.Eventually(t, 20*time.Second, func() error {
			if n := failed() - counted; n < 3 {
				return fmt.Errorf("%s: %v failed checks counted, want 3", f.name, n)
			}
			return nil
		})
		if n := strings.Count(logs.String(), f.log); n != 1 {
			t.Fatalf("%s: logged %d times, want once:\n%s", f.name, n, logs)
		}
	}
	if failed() < before+12 {
		t.Fatal("failures not counted")
	}
	select {
	case inv := <-to.Inventories:
		t.Fatalf("handed over during failures: %v", testkit.EndpointIDs(inv))
	default:
	}
	// The fake comes back with a new version: taken.
	fake.Put(t, key, testkit.SnapshotJSON("vpce-3"))
	fake.Restart(t)
	if ids := testkit.EndpointIDs(testkit.Receive(t, to.Inventories)); !slices.Equal(ids, []string{"vpce-3"}) {
		t.Fatalf("after the restart: %v", ids)
	}
	testkit.Eventually(t, 20*time.Second, func() error {
		if !strings.Contains(logs.String(), "readable again") {
			return fmt.Errorf("the recovery is not logged:\n%s", logs)
		}
		return nil
	})
}

func TestS3SourceUnreachableAtStartUp(t *testing.T) {
	fake := testkit.StartS3(t)
	fake.Put(t, key, testkit.SnapshotJSON("vpce-1"))
	fake.Stop()
	src := s3Source(t, fake, inventory.DefaultLimits)
	err := src.Load(context.Background())
	if !remote.Unreachable(err) || !strings.Contains(err.Error(), location) {
		t.Fatalf("got %v, want an unreachable error naming %s", err, location)
	}
	// Run reads it as soon as it runs, and when the fake is back.
	to := testkit.NewCountingSink()
	testkit.RunSource(t, src, to)
	fake.Restart(t)
	if ids := testkit.EndpointIDs(testkit.Receive(t, to.Inventories)); !slices.Equal(ids, []string{"vpce-1"}) {
		t.Fatalf("after the restart: %v", ids)
	}
}

func TestPutIfChangedWritesOnlyChanges(t *testing.T) {
	fake := testkit.StartS3(t)
	testkit.SetClientEnv(t)
	client, err := remote.NewS3Client(context.Background(), awscfg.Account{Region: "us-east-1", Endpoint: fake.URL})
	if err != nil {
		t.Fatal(err)
	}
	put := func(data []byte) bool {
		t.Helper()
		wrote, err := remote.PutIfChanged(context.Background(), client, testkit.S3Bucket, key, data)
		if err != nil {
			t.Fatal(err)
		}
		return wrote
	}
	first, second := testkit.SnapshotJSON("vpce-1"), testkit.SnapshotJSON("vpce-2")
	if !put(first) || !bytes.Equal(fake.Get(t, key), first) {
		t.Fatal("new object not written")
	}
	if put(first) {
		t.Fatal("unchanged object written again")
	}
	if !put(second) || !bytes.Equal(fake.Get(t, key), second) {
		t.Fatal("changed object not written")
	}
	fake.Deny(true)
	if _, err := remote.PutIfChanged(context.Background(), client, testkit.S3Bucket, key, first); err == nil || !strings.Contains(err.Error(), "AccessDenied") {
		t.Fatalf("denied: %v", err)
	}
}
