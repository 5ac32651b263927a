package test

// Fleets: resolvers that read the snapshot one exporter wrote to S3 or to a web server, with
// no EC2 API call of their own.

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	coretest "github.com/coredns/coredns/test"

	"github.com/coredns-vpce/coredns-vpce/internal/testkit"
)

const fleetCorefile = `.:0 {
    bind 127.0.0.1
    vpce {
        snapshot SNAPSHOT
        OPTIONS
        snapshot_refresh 100ms
    }
    forward . UPSTREAM
}`

// fleetZonal is a name of ../example/snapshot.json, and its address there.
const (
	fleetZonal = "vpce-0bb20377a387ade86-njczioek-ap-northeast-1a.ssm.ap-northeast-1.vpce.amazonaws.com."
	fleetAddr  = "172.20.128.22"
)

func fleetConfig(snapshot, options string) string {
	return strings.NewReplacer("SNAPSHOT", snapshot, "OPTIONS", options).Replace(fleetCorefile)
}

func exampleSnapshot(t *testing.T, addr string) []byte {
	t.Helper()
	data, err := os.ReadFile("../example/snapshot.json")
	if err != nil {
		t.Fatal(err)
	}
	return []byte(strings.ReplaceAll(string(data), fleetAddr, addr))
}

func TestSnapshotFromS3(t *testing.T) {
	fake := testkit.StartS3(t)
	testkit.SetClientEnv(t)
	fake.Put(t, "snapshot.json.gz", testkit.Gzip(t, exampleSnapshot(t, fleetAddr)))
	const source = "s3://" + testkit.S3Bucket + "/snapshot.json.gz"
	udp, _ := startServer(t, fleetConfig(source, "region us-east-1\n s3_endpoint "+fake.URL))
	if got := addrsOf(t, udp, fleetZonal); got != fleetAddr {
		t.Fatalf("from S3: %q", got)
	}
	fake.Put(t, "snapshot.json.gz", testkit.Gzip(t, exampleSnapshot(t, "172.20.128.99")))
	expectAddrs(t, udp, fleetZonal, "172.20.128.99")
	if testkit.Counted(t, "snapshot_refreshes_total", "source", source, "result", "changed") < 1 ||
		testkit.Counted(t, "snapshot_bytes_read_total", "source", source) < 1 {
		t.Fatal("S3 checks not counted")
	}
}

func TestSnapshotFromHTTPSMergedWithAFile(t *testing.T) {
	body := exampleSnapshot(t, fleetAddr)
	srv := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.ServeContent(w, r, "", time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), bytes.NewReader(body))
	}))
	defer srv.Close()
	ca := testkit.CAFile(t, srv.Certificate().Raw)
	extra := filepath.Join(t.TempDir(), "extra.json")
	if err := os.WriteFile(extra, []byte(`{"VpcEndpoints": [{"VpcEndpointId": "vpce-0extra", "VpcEndpointType": "Interface", "State": "available",
 "DnsEntries": [{"DnsName": "vpce-0extra-abc.sts.ap-northeast-1.vpce.amazonaws.com"}], "NetworkInterfaceIds": ["eni-0extra"]}],
 "NetworkInterfaces": [{"NetworkInterfaceId": "eni-0extra", "PrivateIpAddress": "10.9.9.9", "AvailabilityZone": "ap-northeast-1a"}]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	udp, _ := startServer(t, fleetConfig(srv.URL+"/snapshot.json "+extra, "tls_ca "+ca))
	if got := addrsOf(t, udp, fleetZonal); got != fleetAddr {
		t.Fatalf("from the URL: %q", got)
	}
	if got := addrsOf(t, udp, "vpce-0extra-abc.sts.ap-northeast-1.vpce.amazonaws.com."); got != "10.9.9.9" {
		t.Fatalf("from the file beside it: %q", got)
	}
}

// An S3 source that cannot be reached at start-up stops CoreDNS, naming it, unless a cache
// file has a view: then the resolver starts from it and takes the object when S3 is back.
func TestUnreachableS3StartsFromTheCacheFile(t *testing.T) {
	fake := testkit.StartS3(t)
	testkit.SetClientEnv(t)
	fake.Put(t, "snapshot.json", exampleSnapshot(t, fleetAddr))
	const source = "s3://" + testkit.S3Bucket + "/snapshot.json"
	cache := filepath.Join(t.TempDir(), "cache.json")
	withCache := fleetConfig(source, "region us-east-1\n s3_endpoint "+fake.URL+"\n cache_file "+cache)

	// A first run writes the cache file.
	i, udp, _, err := coretest.CoreDNSServerAndPorts(strings.ReplaceAll(withCache, "UPSTREAM", testkit.StartUpstream(t)))
	if err != nil {
		t.Fatal(err)
	}
	if got := addrsOf(t, udp, fleetZonal); got != fleetAddr {
		t.Fatalf("first run: %q", got)
	}
	i.Stop()
	i.ShutdownCallbacks()
	if _, err := os.Stat(cache); err != nil {
		t.Fatalf("no cache file: %v", err)
	}

	fake.Stop()
	without := fleetConfig(source, "region us-east-1\n s3_endpoint "+fake.URL)
	if _, _, _, err := coretest.CoreDNSServerAndPorts(strings.ReplaceAll(without, "UPSTREAM", testkit.StartUpstream(t))); err == nil ||
		!strings.Contains(err.Error(), source) || !strings.Contains(err.Error(), "connection refused") {
		t.Fatalf("S3 down, no cache file: %v, want a start-up error naming %s", err, source)
	}
	udp, _ = startServer(t, withCache)
	if got := addrsOf(t, udp, fleetZonal); got != fleetAddr {
		t.Fatalf("S3 down, from the cache file: %q", got)
	}
	fake.Put(t, "snapshot.json", exampleSnapshot(t, "172.20.128.77"))
	fake.Restart(t)
	expectAddrs(t, udp, fleetZonal, "172.20.128.77")
}

// Reloads and shutdown stop the S3 sources and close their connections.
func TestReloadWithS3SnapshotLeaksNoGoroutines(t *testing.T) {
	fake := testkit.StartS3(t)
	testkit.SetClientEnv(t)
	fake.Put(t, "snapshot.json", exampleSnapshot(t, fleetAddr))
	corefile := fleetConfig("s3://"+testkit.S3Bucket+"/snapshot.json", "region us-east-1\n s3_endpoint "+fake.URL)
	corefile = strings.ReplaceAll(corefile, "UPSTREAM", testkit.StartUpstream(t))
	inst, err := coretest.CoreDNSServer(corefile)
	if err != nil {
		t.Fatal(err)
	}
	remoteGoroutines := func() []string {
		var found []string
		buf := make([]byte, 4<<20)
		for g := range strings.SplitSeq(string(buf[:runtime.Stack(buf, true)]), "\n\n") {
			if strings.Contains(g, "plugin/vpce/remote.") || strings.Contains(g, "net/http.(*persistConn)") {
				found = append(found, g)
			}
		}
		return found
	}
	testkit.Eventually(t, 5*time.Second, func() error {
		if len(remoteGoroutines()) == 0 {
			return fmt.Errorf("no S3 source goroutines found: the test cannot see a leak")
		}
		return nil
	})
	for range 5 {
		if inst, err = inst.Restart(coretest.NewInput(corefile)); err != nil {
			t.Fatal(err)
		}
	}
	inst.Stop()
	inst.ShutdownCallbacks()
	testkit.Eventually(t, 5*time.Second, func() error {
		if n := remoteGoroutines(); len(n) > 0 {
			return fmt.Errorf("%d goroutines of S3 sources after shutdown:\n%s", len(n), strings.Join(n, "\n\n"))
		}
		return nil
	})
}
