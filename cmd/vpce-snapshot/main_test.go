package main

import (
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/coredns-vpce/coredns-vpce/internal/ec2fake"
	"github.com/coredns-vpce/coredns-vpce/internal/testkit"
	"github.com/coredns-vpce/coredns-vpce/plugin/vpce/awscfg"
	"github.com/coredns-vpce/coredns-vpce/plugin/vpce/inventory"
	"github.com/coredns-vpce/coredns-vpce/plugin/vpce/rpz"
	"github.com/miekg/dns"
)

func TestExportWritesASnapshot(t *testing.T) {
	fake := testkit.StartFake(t)
	fake.AddEndpoint(ec2fake.Endpoint{ID: "vpce-01", VPC: "vpc-1", PrivateDNS: true, Addrs: []string{"10.0.1.1", "10.0.2.1"}, Names: []string{"ssm.us-east-1.amazonaws.com"}})
	fake.AddEndpoint(ec2fake.Endpoint{ID: "vpce-02", VPC: "vpc-2", PrivateDNS: true, Addrs: []string{"10.9.0.1"}, Names: []string{"sts.us-east-1.amazonaws.com"}})

	out := filepath.Join(t.TempDir(), "snapshot.json")
	options := []string{"region us-east-1", "aws_endpoint " + fake.URL(), "vpc vpc-1"}
	if err := run(context.Background(), options, "snapshot", out, awscfg.Account{}, 0, time.Minute); err != nil {
		t.Fatal(err)
	}
	data, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	// Only vpc-1 was asked for; the file holds the endpoint and both its interfaces.
	s := string(data)
	if !strings.Contains(s, `"vpce-01"`) || strings.Contains(s, `"vpce-02"`) || strings.Count(s, `"NetworkInterfaceId":"eni-vpce-01-`) != 2 {
		t.Errorf("snapshot:\n%s", s)
	}
	if fi, err := os.Stat(out); err != nil || fi.Mode().Perm() != 0o600 {
		t.Errorf("snapshot mode: %v %v", fi.Mode(), err)
	}

	// A failing export leaves the last good file in place.
	fake.Inject(ec2fake.Fault{Kind: ec2fake.Unauthorized})
	if err := run(context.Background(), options, "snapshot", out, awscfg.Account{}, 0, time.Minute); err == nil || !strings.Contains(err.Error(), "UnauthorizedOperation") {
		t.Errorf("export during a fault: %v", err)
	}
	if after, _ := os.ReadFile(out); string(after) != s {
		t.Error("a failed export changed the file")
	}

	for _, bad := range [][]string{{"snapshot x.json"}, {"bogus 1"}, {"region"}} {
		if err := run(context.Background(), bad, "snapshot", out, awscfg.Account{}, 0, time.Minute); err == nil {
			t.Errorf("options %q accepted", bad)
		}
	}
}

// To S3, gzip-compressed: written when the view changed, not when it did not.
func TestExportWritesAnS3Object(t *testing.T) {
	fake := testkit.StartFake(t)
	fake.AddEndpoint(ec2fake.Endpoint{ID: "vpce-01", VPC: "vpc-1", Addrs: []string{"10.0.1.1"}, Names: []string{"vpce-01-abc.ssm.us-east-1.vpce.amazonaws.com"}})
	s3 := testkit.StartS3(t)
	const key = "vpce/snapshot.json.gz"
	out := "s3://" + testkit.S3Bucket + "/" + key
	options := []string{"region us-east-1", "aws_endpoint " + fake.URL()}
	bucket := awscfg.Account{Region: "us-east-1", Endpoint: s3.URL}
	puts := func() int { return s3.Counts().Puts }
	for i, wantPuts := range []int{1, 1} {
		if err := run(context.Background(), options, "snapshot", out, bucket, 0, time.Minute); err != nil {
			t.Fatal(err)
		}
		if puts() != wantPuts {
			t.Fatalf("run %d: %d PUTs, want %d", i, puts(), wantPuts)
		}
	}
	inv, err := inventory.Parse(out, gunzip(t, s3.Get(t, key)))
	if err != nil || len(inv.VpcEndpoints) != 1 {
		t.Fatalf("object: %v", err)
	}
	fake.AddEndpoint(ec2fake.Endpoint{ID: "vpce-02", VPC: "vpc-1", Addrs: []string{"10.0.1.2"}, Names: []string{"vpce-02-abc.ssm.us-east-1.vpce.amazonaws.com"}})
	if err := run(context.Background(), options, "snapshot", out, bucket, 0, time.Minute); err != nil {
		t.Fatal(err)
	}
	if puts() != 2 {
		t.Fatalf("changed view: %d PUTs, want 2", puts())
	}
	if inv, err := inventory.Parse(out, gunzip(t, s3.Get(t, key))); err != nil || len(inv.VpcEndpoints) != 2 {
		t.Fatalf("object after the change: %v", err)
	}
}

func gunzip(t *testing.T, data []byte) []byte {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	plain, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return plain
}

// -format rpz: the view as a Response Policy Zone file, rewritten only when a record changed.
func TestExportWritesAZone(t *testing.T) {
	fake := testkit.StartFake(t)
	fake.AddEndpoint(ec2fake.Endpoint{ID: "vpce-01", VPC: "vpc-1", PrivateDNS: true, Addrs: []string{"10.0.1.1", "10.0.2.1"},
		Names: []string{"vpce-01-abc.ssm.us-east-1.vpce.amazonaws.com", "ssm.us-east-1.amazonaws.com"}})
	out := filepath.Join(t.TempDir(), "vpce.rpz")
	options := []string{"region us-east-1", "aws_endpoint " + fake.URL(), "rpz vpce.rpz"}
	export := func() (soa *dns.SOA, owners map[string][]string) {
		t.Helper()
		if err := run(context.Background(), options, "rpz", out, awscfg.Account{}, 0, time.Minute); err != nil {
			t.Fatal(err)
		}
		data, err := os.ReadFile(out)
		if err != nil {
			t.Fatal(err)
		}
		owners = map[string][]string{}
		zp := dns.NewZoneParser(bytes.NewReader(data), "", out)
		for rr, ok := zp.Next(); ok; rr, ok = zp.Next() {
			if s, ok := rr.(*dns.SOA); ok {
				soa = s
				continue
			}
			owners[rr.Header().Name] = append(owners[rr.Header().Name], strings.TrimPrefix(rr.String(), rr.Header().String()))
		}
		if zp.Err() != nil || soa == nil {
			t.Fatalf("not a zone: %v\n%s", zp.Err(), data)
		}
		return soa, owners
	}
	soa, owners := export()
	if got := strings.Join(owners["ssm.us-east-1.amazonaws.com.vpce.rpz."], " "); got != "10.0.1.1 10.0.2.1" {
		t.Errorf("ssm: %q", got)
	}
	if again, _ := export(); again.Serial != soa.Serial {
		t.Errorf("an unchanged view: serial %d, then %d", soa.Serial, again.Serial)
	}
	fake.DeleteEndpoint("vpce-01")
	if after, owners := export(); !rpz.Older(soa.Serial, after.Serial) || len(owners) != 1 {
		t.Errorf("after a deletion: serial %d then %d, names %q", soa.Serial, after.Serial, owners)
	}

	for _, tc := range []struct{ out, want string }{
		{out, "-format rpz needs the option -o 'rpz ZONE'"},
		{"s3://bucket/vpce.rpz", "-format rpz writes a file"},
	} {
		opts := options
		if tc.out == out {
			opts = options[:2]
		}
		if err := run(context.Background(), opts, "rpz", tc.out, awscfg.Account{}, 0, time.Minute); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s %q: %v, want %q", tc.out, opts, err, tc.want)
		}
	}
}
