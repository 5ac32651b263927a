package main

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/miekg/dns"

	"github.com/coredns-vpce/coredns-vpce/internal/ec2fake"
	"github.com/coredns-vpce/coredns-vpce/internal/testkit"
)

// TestGeneratedFiles: the snapshot is the EC2 fake's state file too, the zone file holds every
// name's records, the hosts and query files every queried name.
func TestGeneratedFiles(t *testing.T) {
	a := generate(30, 0)
	st, file := snapshotBack(t, a)
	if !reflect.DeepEqual(st.VpcEndpoints, a.VpcEndpoints) || !reflect.DeepEqual(st.NetworkInterfaces, a.NetworkInterfaces) {
		t.Error("the snapshot does not read back as the generated inventory")
	}

	records := 0
	for _, s := range a.Names {
		records += len(s.V4) + len(s.V6)
	}
	if err := a.writeZone(file("zone.db")); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(file("zone.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zp := dns.NewZoneParser(f, "", "zone.db")
	n := 0
	for rr, ok := zp.Next(); ok; rr, ok = zp.Next() {
		if rr.Header().Rrtype == dns.TypeA || rr.Header().Rrtype == dns.TypeAAAA {
			n++
		}
	}
	if err := zp.Err(); err != nil || n != records {
		t.Errorf("zone file: %d address records (%v), want %d", n, err, records)
	}

	if err := a.writeHosts(file("hosts")); err != nil {
		t.Fatal(err)
	}
	if got := countLines(t, file("hosts")); got != records {
		t.Errorf("hosts file: %d lines, want %d", got, records)
	}
	lines, err := a.writeQueries(file("queries"), 29)
	if err != nil {
		t.Fatal(err)
	}
	want := 0
	for _, s := range a.Names {
		if s.Endpoint != 29 {
			want += 1 + min(len(s.V6), 1)
		}
	}
	if got := countLines(t, file("queries")); lines != want || got != want {
		t.Errorf("query file: %d lines, %d counted, want %d", got, lines, want)
	}
	if !strings.HasSuffix(a.probe(), ".") {
		t.Errorf("probe %q", a.probe())
	}
}

// TestSharedFiles: a set with shared names has its subnets in the snapshot, and its hosts and
// query files hold each shared name once, with the answer of a client outside the VPCs, as
// the servers of the other sets hold theirs.
func TestSharedFiles(t *testing.T) {
	a := generate(600, 5)
	st, file := snapshotBack(t, a)
	if len(st.Subnets) == 0 || !reflect.DeepEqual(st.Subnets, a.Subnets) {
		t.Errorf("the snapshot holds %d subnets, want the %d generated", len(st.Subnets), len(a.Subnets))
	}
	shared := map[string][]string{} // query -> the default's addresses
	for _, nm := range a.Names {
		if len(nm.Others) > 0 {
			shared[nm.Query] = nm.V4
		}
	}
	if len(shared) == 0 {
		t.Fatal("no shared name")
	}
	if err := a.writeHosts(file("hosts")); err != nil {
		t.Fatal(err)
	}
	if _, err := a.writeQueries(file("queries"), -1); err != nil {
		t.Fatal(err)
	}
	for _, f := range []string{"hosts", "queries"} {
		data, err := os.ReadFile(file(f))
		if err != nil {
			t.Fatal(err)
		}
		seen := map[string]bool{}
		for line := range strings.Lines(string(data)) {
			if seen[line] {
				t.Errorf("%s: %q twice", f, line)
			}
			seen[line] = true
		}
		for q, v4 := range shared {
			want := []string{q + " A\n"}
			if f == "hosts" {
				want = nil
				for _, ip := range v4 {
					want = append(want, ip+" "+q+"\n")
				}
			}
			for _, w := range want {
				if !seen[w] {
					t.Errorf("%s: no %q", f, w)
				}
			}
		}
	}
}

// snapshotBack writes a's snapshot into a new directory and reads it back as the EC2 fake's
// state file (strict: unknown fields fail); file is the path of a file in that directory.
func snapshotBack(t *testing.T, a account) (st ec2fake.State, file func(string) string) {
	t.Helper()
	dir := t.TempDir()
	file = func(name string) string { return filepath.Join(dir, name) }
	if err := a.writeSnapshot(file("snapshot.json")); err != nil {
		t.Fatal(err)
	}
	st, err := ec2fake.ReadState(file("snapshot.json"))
	if err != nil {
		t.Fatal(err)
	}
	return st, file
}

// TestMutator: the refresh-under-load run's changes reach the EC2 fake, each a new first
// interface, with a new address, of the mutated endpoint.
func TestMutator(t *testing.T) {
	a := generate(4, 0)
	fake := ec2fake.New()
	fake.Load(a.VpcEndpoints, a.NetworkInterfaces, nil, nil)
	testkit.ServeFake(t, fake)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan int)
	go func() { done <- mutator(ctx, strings.TrimPrefix(fake.URL(), "http://"), a, 3, 10*time.Millisecond) }()
	first := aws.ToString(a.Interfaces(3)[0].NetworkInterfaceId)
	testkit.Eventually(t, 5*time.Second, func() error {
		snap := fake.Snapshot()
		for _, ep := range snap.VpcEndpoints {
			if aws.ToString(ep.VpcEndpointId) != aws.ToString(a.VpcEndpoints[3].VpcEndpointId) {
				continue
			}
			if now := ep.NetworkInterfaceIds[0]; now != first {
				for _, ni := range snap.NetworkInterfaces {
					if aws.ToString(ni.NetworkInterfaceId) == now && strings.HasPrefix(aws.ToString(ni.PrivateIpAddress), "10.255.") {
						return nil
					}
				}
			}
		}
		return fmt.Errorf("the mutated endpoint keeps its first interface %s", first)
	})
	cancel()
	if n := <-done; n == 0 {
		t.Error("no change counted")
	}
	if got := len(fake.Snapshot().VpcEndpoints); got != 4 {
		t.Errorf("%d endpoints after the changes, want 4", got)
	}
}

func countLines(t *testing.T, path string) int {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	n := 0
	for s := bufio.NewScanner(f); s.Scan(); {
		n++
	}
	return n
}
