package vpce

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/coredns-vpce/coredns-vpce/plugin/vpce/awsapi"
	"github.com/coredns-vpce/coredns-vpce/plugin/vpce/awscfg"
	"github.com/coredns-vpce/coredns-vpce/plugin/vpce/index"
	"github.com/coredns/caddy"
	"github.com/coredns/coredns/core/dnsserver"
)

func TestSetup(t *testing.T) {
	creds := filepath.Join(t.TempDir(), "credentials")
	if err := os.WriteFile(creds, []byte("[dev]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	// An unknown State leaves its endpoint out of the view (TestUnknownEnums); a missing id
	// refuses the file.
	future := filepath.Join(t.TempDir(), "future.json")
	if err := os.WriteFile(future, []byte("{\n \"VpcEndpoints\": [\n  {\"VpcEndpointId\": \"vpce-1\", \"State\": \"gone\"}]}"), 0o644); err != nil {
		t.Fatal(err)
	}
	bad := filepath.Join(t.TempDir(), "bad.json")
	if err := os.WriteFile(bad, []byte("{\n \"VpcEndpoints\": [\n  {\"VpcEndpointId\": \"\", \"State\": \"available\"}]}"), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		input   string
		wantErr string
	}{
		{"vpce {\n snapshot testdata/answers.json\n}", ""},
		{"vpce example.com. amazonaws.com {\n snapshot testdata/answers.json ../../example/snapshot.json\n ttl 0\n authoritative\n}", ""},
		{"vpce {\n snapshot testdata/answers.json\n ttl 86400\n}", ""},
		{"vpce", ""},
		{"vpce {\n region us-east-1 eu-west-1\n vpc vpc-1 vpc-2\n filter tag:env prod staging\n credentials dev " + creds + "\n assume_role arn:aws:iam::123456789012:role/r ext\n assume_role arn:aws:iam::210987654321:role/r\n aws_endpoint http://127.0.0.1:4566\n refresh 30s\n cache_file /tmp/vpce.json\n}", ""},
		{"vpce {\n snapshot testdata/answers.json\n region us-east-1\n}", "region and credentials are for the EC2 API source and s3:// snapshots"},
		{"vpce {\n snapshot https://example.com/snapshot.json\n credentials dev\n}", "region and credentials are for the EC2 API source and s3:// snapshots"},
		{"vpce {\n snapshot s3://bucket/key\n region us-east-1 eu-west-1\n}", "region: s3:// snapshots are read in one region"},
		{"vpce {\n snapshot s3://bucket/key\n refresh 1m\n}", "refresh is for the EC2 API source; it cannot be combined with snapshot"},
		{"vpce {\n snapshot s3://bucket\n}", `snapshot "s3://bucket": want s3://BUCKET/KEY`},
		{"vpce {\n snapshot https://:443/x\n}", `snapshot "https://:443/x": want a URL with a host`},
		{"vpce {\n snapshot testdata/answers.json\n snapshot_refresh 5s\n}", "snapshot_refresh is for s3:// and https:// snapshots"},
		{"vpce {\n tls_ca ca.pem\n}", "tls_ca is for s3:// and https:// snapshots"},
		{"vpce {\n snapshot testdata/answers.json\n cache_file /tmp/vpce.json\n}", "cache_file is for the EC2 API source and s3:// and https:// snapshots"},
		{"vpce {\n snapshot https://example.com/s.json\n snapshot_refresh 0s\n}", `snapshot_refresh "0s": want a positive duration`},
		{"vpce {\n snapshot https://example.com/s.json\n snapshot_refresh\n}", "snapshot_refresh needs one value"},
		{"vpce {\n snapshot s3://bucket/key\n s3_endpoint 127.0.0.1:9000\n}", `s3_endpoint "127.0.0.1:9000": want an http or https URL`},
		{"vpce {\n snapshot https://example.com/s.json\n tls_ca /nonexistent/ca.pem\n}", "https://example.com/s.json: tls_ca: open /nonexistent/ca.pem: no such file or directory"},
		{"vpce {\n refresh 1m\n snapshot testdata/answers.json\n}", "refresh is for the EC2 API source; it cannot be combined with snapshot"},
		{"vpce {\n region\n}", "region needs at least one region name"},
		{"vpce {\n vpc\n}", "vpc needs at least one VPC id"},
		{"vpce {\n vpc subnet-1\n}", `vpc "subnet-1": want a VPC id`},
		{"vpce {\n filter tag:env\n}", "filter needs a name and at least one value"},
		{"vpce {\n credentials\n}", "credentials needs a profile and optionally a file"},
		{"vpce {\n credentials a b c\n}", "credentials needs a profile and optionally a file"},
		{"vpce {\n credentials a\n credentials b\n}", "credentials given twice"},
		{"vpce {\n credentials dev /nonexistent/credentials\n}", "credentials dev /nonexistent/credentials: stat /nonexistent/credentials: no such file or directory"},
		{"vpce {\n assume_role\n}", "assume_role needs a role ARN and optionally an external id"},
		{"vpce {\n assume_role my-role\n}", `assume_role "my-role": want a role ARN`},
		{"vpce {\n aws_endpoint\n}", "aws_endpoint needs one URL"},
		{"vpce {\n aws_endpoint 127.0.0.1:4566\n}", `aws_endpoint "127.0.0.1:4566": want an http or https URL`},
		{"vpce {\n refresh\n}", "refresh needs one duration"},
		{"vpce {\n refresh 0s\n}", `refresh "0s": want a positive duration`},
		{"vpce {\n refresh soon\n}", `refresh "soon": want a positive duration`},
		{"vpce {\n full_refresh 1\n}", ""},
		{"vpce {\n full_refresh 0\n}", "full_refresh needs one positive whole number of refreshes"},
		{"vpce {\n full_refresh ten\n}", "full_refresh needs one positive whole number of refreshes"},
		{"vpce {\n snapshot testdata/answers.json\n full_refresh 5\n}", "full_refresh is for the EC2 API source; it cannot be combined with snapshot"},
		{"vpce {\n cache_file\n}", "cache_file needs one file"},
		{"vpce {\n affinity prefer\n zone us-east-1a 192.168.0.0/16 10.8.0.1\n zone use1-az4 2001:db8::/32\n trusted_forwarder 10.0.0.10 169.254.20.10/32\n private_dns all\n}", ""},
		{"vpce {\n affinity\n}", "affinity needs one of prefer, only"},
		{"vpce {\n snapshot testdata/answers.json\n max_bytes 1000000\n max_endpoints 50\n}", ""},
		{"vpce {\n snapshot testdata/answers.json\n max_bytes 100\n}", "testdata/answers.json: over the max_bytes limit of 100 bytes"},
		{"vpce {\n snapshot testdata/answers.json\n max_endpoints 5\n}", "more than the max_endpoints limit of 5 endpoints"},
		{"vpce {\n max_bytes\n}", "max_bytes needs one number"},
		{"vpce {\n max_bytes 1G\n}", `max_bytes "1G": want a positive whole number`},
		{"vpce {\n max_endpoints 0\n}", `max_endpoints "0": want a positive whole number`},
		{"vpce {\n affinity sometimes\n}", "affinity needs one of prefer, only"},
		{"vpce {\n zone us-east-1a\n}", "zone needs an AZ name or ID and at least one CIDR"},
		{"vpce {\n zone us-east-1a 10.0.0.0/33\n}", `zone us-east-1a: "10.0.0.0/33" is not a CIDR`},
		{"vpce {\n client_vpc vpc-0b 10.100.0.0/16 fd00::/8\n client_vpc vpc-0c 192.168.1.1\n}", ""},
		{"vpce {\n client_vpc vpc-0b\n}", "client_vpc needs a VPC id and at least one CIDR"},
		{"vpce {\n release_memory sometimes\n}", "release_memory needs one of on, off"},
		{"vpce {\n client_vpc 10.0.0.0/8\n}", "client_vpc needs a VPC id and at least one CIDR"},
		{"vpce {\n client_vpc vpc-0b 10.0.0.0/40\n}", `client_vpc vpc-0b: "10.0.0.0/40" is not a CIDR`},
		{"vpce {\n snapshot testdata/answers.json\n rpz vpce.rpz\n}", ""},
		{"vpce {\n rpz\n}", "Testfile:2 - Error during parsing: rpz needs one zone name"},
		{"vpce {\n rpz a.rpz b.rpz\n}", "rpz needs one zone name"},
		{"vpce {\n rpz a.rpz\n rpz b.rpz\n}", "Testfile:3 - Error during parsing: rpz given twice"},
		{"vpce {\n rpz .\n}", `rpz ".": want a zone name`},
		{"vpce {\n rpz a..rpz\n}", `rpz "a..rpz": want a zone name`},
		{"vpce {\n trusted_forwarder\n}", "trusted_forwarder needs at least one CIDR"},
		{"vpce {\n trusted_forwarder nodelocal\n}", `trusted_forwarder: "nodelocal" is not a CIDR`},
		{"vpce {\n private_dns\n}", "private_dns needs one of enabled, all, off"},
		{"vpce {\n private_dns yes\n}", "private_dns needs one of enabled, all, off"},
		{"vpce {\n snapshot testdata/affinity.json\n affinity only\n private_dns off\n}", ""},
		{"vpce {\n snapshot\n}", "Testfile:2 - Error during parsing: snapshot needs at least one file"},
		{"vpce {\n snapshot testdata/answers.json\n ttl\n}", "ttl needs one value in seconds"},
		{"vpce {\n snapshot testdata/answers.json\n ttl 1 2\n}", "ttl needs one value in seconds"},
		{"vpce {\n snapshot testdata/answers.json\n ttl -1\n}", `ttl "-1": want whole seconds from 0 to 86400`},
		{"vpce {\n snapshot testdata/answers.json\n ttl 86401\n}", `ttl "86401": want whole seconds from 0 to 86400`},
		{"vpce {\n snapshot testdata/answers.json\n ttl 1m\n}", `ttl "1m": want whole seconds`},
		{"vpce {\n snapshot testdata/answers.json\n authoritative yes\n}", "authoritative takes no value"},
		{"vpce {\n snapshot testdata/answers.json\n bogus 1\n}", `Testfile:3 - Error during parsing: unknown property "bogus"`},
		{"vpce {\n snapshot testdata/missing.json\n}", "testdata/missing.json: no such file or directory"},
		{"vpce {\n snapshot " + future + "\n}", ""},
		{"vpce {\n snapshot testdata/unknown.json\n}", ""},
		{"vpce {\n snapshot " + bad + "\n}", bad + `:3:3: VpcEndpoints[0]: VpcEndpointId missing`},
		{"vpce {\n snapshot testdata/answers.json\n}\nvpce {\n snapshot testdata/answers.json\n}", "plugin/vpce: this plugin can only be used once per Server Block"},
	}
	for _, tc := range cases {
		c := caddy.NewTestController("dns", tc.input)
		err := setup(c)
		if tc.wantErr == "" {
			if err != nil {
				t.Errorf("%q: unexpected error %v", tc.input, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
			t.Errorf("%q: error = %v, want it to contain %q", tc.input, err, tc.wantErr)
		}
	}
}

// The rpz zone must be one the server block is asked for, or no transfer reaches the plugin.
func TestSetupRPZ(t *testing.T) {
	for keys, wantErr := range map[string]string{
		".:53":                         "",
		"amazonaws.com:53 vpce.rpz:53": "",
		"amazonaws.com:53":             "rpz vpce.rpz.: the server block (amazonaws.com.) is not asked for it: add vpce.rpz. to its zones",
	} {
		c := caddy.NewTestController("dns", "vpce {\n snapshot testdata/answers.json\n rpz VPCE.RPZ.\n}")
		c.ServerBlockKeys = strings.Fields(keys)
		s, err := parse(c)
		if wantErr == "" && (err != nil || s.rpz != "vpce.rpz.") || wantErr != "" && (err == nil || !strings.Contains(err.Error(), wantErr)) {
			t.Errorf("block %s: %v, want %q", keys, err, wantErr)
		}
	}
}

func TestSetupAPIOptions(t *testing.T) {
	c := caddy.NewTestController("dns", `vpce {
    region us-east-1 eu-west-1
    vpc vpc-1 vpc-2
    filter tag:env prod staging
    filter service-name com.amazonaws.us-east-1.s3
    credentials dev creds.ini
    assume_role arn:aws:iam::123456789012:role/r ext
    assume_role arn:aws:iam::210987654321:role/r
    aws_endpoint http://127.0.0.1:4566
    refresh 30s
    cache_file vpce.json
}`)
	dnsserver.GetConfig(c).Root = "/srv"
	s, err := parse(c)
	if err != nil {
		t.Fatal(err)
	}
	if s.refresh != 30*time.Second || s.cacheFile != "/srv/vpce.json" {
		t.Errorf("refresh %v, cache_file %q", s.refresh, s.cacheFile)
	}
	role1, role2 := "arn:aws:iam::123456789012:role/r", "arn:aws:iam::210987654321:role/r"
	var want []awscfg.Account
	for _, r := range []struct{ arn, ext string }{{role1, "ext"}, {role2, ""}} {
		for _, region := range []string{"us-east-1", "eu-west-1"} {
			want = append(want, awscfg.Account{Region: region, Profile: "dev", CredFile: "/srv/creds.ini", RoleARN: r.arn, ExternalID: r.ext, Endpoint: "http://127.0.0.1:4566"})
		}
	}
	if got := s.accounts(); !reflect.DeepEqual(got, want) {
		t.Errorf("accounts:\n%+v\nwant\n%+v", got, want)
	}
	wantQuery := awsapi.Query{VPCs: []string{"vpc-1", "vpc-2"}, MaxEndpoints: 200000, Filters: []awsapi.Filter{
		{Name: "tag:env", Values: []string{"prod", "staging"}},
		{Name: "service-name", Values: []string{"com.amazonaws.us-east-1.s3"}}}}
	if !reflect.DeepEqual(s.query, wantQuery) {
		t.Errorf("query %+v, want %+v", s.query, wantQuery)
	}

	// affinity asks for the subnets, private_dns all for the services.
	s, err = parse(caddy.NewTestController("dns", "vpce {\n affinity only\n private_dns all\n zone USE1-AZ4 10.0.0.0/8\n client_vpc vpc-0b 10.100.0.0/16\n trusted_forwarder 169.254.20.10\n}"))
	if err != nil {
		t.Fatal(err)
	}
	if !s.query.Subnets || !s.query.Services || s.build.Affinity != index.AffinityOnly || s.build.PrivateDNS != index.PrivateDNSAll {
		t.Errorf("affinity/private_dns: %+v %+v", s.query, s.build)
	}
	if len(s.build.AZRanges) != 1 || s.build.AZRanges[0].AZ != "use1-az4" || s.build.AZRanges[0].Prefixes[0].String() != "10.0.0.0/8" {
		t.Errorf("zone lines: %+v", s.build.AZRanges)
	}
	if len(s.build.VPCRanges) != 1 || s.build.VPCRanges[0].VPC != "vpc-0b" || s.build.VPCRanges[0].Prefixes[0].String() != "10.100.0.0/16" {
		t.Errorf("client_vpc lines: %+v", s.build.VPCRanges)
	}
	if len(s.trusted) != 1 || s.trusted[0].String() != "169.254.20.10/32" {
		t.Errorf("trusted forwarders: %v", s.trusted)
	}

	// The memory of a large inventory is returned after its build, unless release_memory off.
	for input, want := range map[string]bool{"vpce": true, "vpce {\n release_memory on\n}": true, "vpce {\n release_memory off\n}": false} {
		if s, err = parse(caddy.NewTestController("dns", input)); err != nil || s.releaseMemory != want {
			t.Errorf("%q: release_memory %v (%v), want %v", input, s.releaseMemory, err, want)
		}
	}

	// A scheme in capitals is the same scheme, for the options that go with it too.
	s, err = parse(caddy.NewTestController("dns", "vpce {\n snapshot S3://bucket/key\n region us-east-1\n}"))
	if err != nil || s.remote.S3.Region != "us-east-1" {
		t.Errorf("S3:// with region: %v, region %q", err, s.remote.S3.Region)
	}

	// No option at all: the SDK's default region and credential chain, polled every minute.
	s, err = parse(caddy.NewTestController("dns", "vpce"))
	if err != nil {
		t.Fatal(err)
	}
	if accts := s.accounts(); len(accts) != 1 || accts[0] != (awscfg.Account{}) || !reflect.DeepEqual(s.query, awsapi.Query{MaxEndpoints: 200000}) || s.refresh != time.Minute {
		t.Errorf("defaults: %v %+v, refresh %v", accts, s.query, s.refresh)
	}
}

func TestSetupOptions(t *testing.T) {
	c := caddy.NewTestController("dns", "vpce Example.COM amazonaws.com. {\n snapshot a.json b.json\n ttl 30\n authoritative\n}")
	dnsserver.GetConfig(c).Root = "/srv"
	s, err := parse(c)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(s.zones, " "); got != "example.com. amazonaws.com." {
		t.Errorf("zones = %q", got)
	}
	if got := strings.Join(s.snapshots, " "); got != "/srv/a.json /srv/b.json" {
		t.Errorf("snapshots = %q, want them under root", got)
	}
	if s.build.TTL != 30 || !s.build.Authoritative {
		t.Errorf("build options = %+v", s.build)
	}

	c = caddy.NewTestController("dns", "vpce {\n snapshot a.json\n}")
	c.ServerBlockKeys = []string{"amazonaws.com:53"}
	if s, err = parse(c); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(s.zones, " "); got != "amazonaws.com." {
		t.Errorf("zones from the server block = %q", got)
	}
	if s.build.TTL != defaultTTL || s.build.Authoritative {
		t.Errorf("defaults = %+v", s.build)
	}
}
