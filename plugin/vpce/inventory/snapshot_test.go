package inventory

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

func TestParseSnapshotErrors(t *testing.T) {
	cases := []struct {
		name, in, want string
	}{
		{"empty", ``, "e.json:1:1: unexpected end of JSON input"},
		{"not json", "{\n  \"VpcEndpoints\": [\n    {,}\n  ]\n}", "e.json:3:6: invalid character ','"},
		{"array at top", `[]`, "e.json:1:1: want a JSON object"},
		{"truncated", "{\"VpcEndpoints\": [\n{\"VpcEndpointId\": \"vpce-1\"", "e.json:2:"},
		{"list not array", `{"VpcEndpoints": {}}`, `e.json:1:18: VpcEndpoints: want an array`},
		{"wrong type", "{\"VpcEndpoints\": [\n  {\"VpcEndpointId\": \"vpce-1\", \"PrivateDnsEnabled\": \"yes\"}\n]}",
			`e.json:2:57: VpcEndpoints[0]: field PrivateDnsEnabled: want bool, got string`},
		{"wrong nested type", "{\"NetworkInterfaces\": [{\"NetworkInterfaceId\": \"eni-1\", \"Ipv6Addresses\": [{\"Ipv6Address\": 6}]}]}",
			`NetworkInterfaces[0]: field Ipv6Addresses.Ipv6Address: want string, got number`},
		{"enum of the wrong type", "{\"VpcEndpoints\": [\n {\"VpcEndpointId\": \"vpce-1\", \"State\": 5}]}",
			`e.json:2:40: VpcEndpoints[0]: field State: want types.State, got number`},
		{"no id", `{"VpcEndpoints": [{"State": "available"}]}`, `VpcEndpoints[0]: VpcEndpointId missing`},
		{"no eni id", `{"NetworkInterfaces": [{}]}`, `NetworkInterfaces[0]: NetworkInterfaceId missing`},
		{"no service name", `{"ServiceDetails": [{}]}`, `ServiceDetails[0]: ServiceName missing`},
		{"no association id", `{"VpcEndpointAssociations": [{"VpcEndpointId": "vpce-1"}]}`, `VpcEndpointAssociations[0]: Id missing`},
		{"no association endpoint", `{"VpcEndpointAssociations": [{"Id": "vpce-rsc-asc-1"}]}`, `VpcEndpointAssociations[0]: VpcEndpointId missing`},
		{"association field type", `{"VpcEndpointAssociations": [{"Id": "a", "VpcEndpointId": "vpce-1", "DnsEntry": "x"}]}`,
			`VpcEndpointAssociations[0]: field DnsEntry: want types.DnsEntry, got string`},
		{"trailing data", `{} {}`, "e.json:1:4: invalid character '{' after top-level value"},
	}
	for _, tc := range cases {
		_, err := Parse("e.json", []byte(tc.in))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error = %v, want it to contain %q", tc.name, err, tc.want)
		}
	}
}

// Enum values the SDK does not list are not the parser's business: they reach the index
// builder as they are, which leaves such an endpoint out (see TestUnknownEnums).
func TestParseUnknownEnums(t *testing.T) {
	in := `{"VpcEndpoints": [
 {"VpcEndpointId": "vpce-1", "VpcEndpointType": "Interface", "State": "sleeping"},
 {"VpcEndpointId": "vpce-2", "VpcEndpointType": "FutureType", "State": "available"},
 {"VpcEndpointId": "vpce-3", "VpcEndpointType": "Interface", "State": "available", "IpAddressType": "ipv7", "DnsOptions": {"DnsRecordIpType": "ipv5"}},
 {"VpcEndpointId": "vpce-4"}]}`
	inv, err := Parse("e.json", []byte(in))
	if err != nil {
		t.Fatal(err)
	}
	eps := inv.VpcEndpoints
	if len(eps) != 4 || eps[0].State != "sleeping" || eps[1].VpcEndpointType != "FutureType" ||
		eps[2].IpAddressType != "ipv7" || eps[2].DnsOptions.DnsRecordIpType != "ipv5" {
		t.Errorf("endpoints = %+v", eps)
	}
}

func TestKnownEnumIgnoresCase(t *testing.T) {
	for _, v := range []types.IpAddressType{"ipv4", "IPV4", "DUALSTACK", "Dualstack", "IPv6"} {
		if !KnownEnum(v, types.IpAddressType("").Values()) {
			t.Errorf("IpAddressType %q unknown", v)
		}
	}
	for _, v := range []types.State{"available", "AVAILABLE", "pendingAcceptance", "PendingAcceptance"} {
		if !KnownEnum(v, types.State("").Values()) {
			t.Errorf("State %q unknown", v)
		}
	}
	for _, v := range []types.IpAddressType{"ipv7", "", "ipv4 ", "dual-stack"} {
		if KnownEnum(v, types.IpAddressType("").Values()) {
			t.Errorf("IpAddressType %q known", v)
		}
	}
}

func TestParseSnapshot(t *testing.T) {
	// What the AWS CLI prints: other keys (NextToken) are ignored, states in any case, null lists.
	in := `{
    "VpcEndpoints": [
        {"VpcEndpointId": "vpce-1", "VpcEndpointType": "Interface", "State": "pendingAcceptance",
         "CreationTimestamp": "2024-06-25T15:47:38+00:00", "IpAddressType": "IPV4", "Unknown": {"x": 1}},
        {"VpcEndpointId": "vpce-2", "VpcEndpointType": "Interface", "State": "Available", "DnsOptions": {"DnsRecordIpType": "service-defined"}}
    ],
    "NetworkInterfaces": null,
    "ServiceDetails": [{"ServiceName": "com.amazonaws.us-east-1.s3", "PrivateDnsNames": [{"PrivateDnsName": "*.s3.us-east-1.amazonaws.com"}]}],
    "NextToken": "abc"
}`
	inv, err := Parse("e.json", []byte(in))
	if err != nil {
		t.Fatal(err)
	}
	if len(inv.VpcEndpoints) != 2 || len(inv.NetworkInterfaces) != 0 || len(inv.ServiceDetails) != 1 {
		t.Fatalf("got %d endpoints, %d interfaces, %d services", len(inv.VpcEndpoints), len(inv.NetworkInterfaces), len(inv.ServiceDetails))
	}
	if ts := inv.VpcEndpoints[0].CreationTimestamp; ts == nil || ts.Unix() != 1719330458 {
		t.Errorf("CreationTimestamp = %v", ts)
	}
	if got := *inv.ServiceDetails[0].PrivateDnsNames[0].PrivateDnsName; got != "*.s3.us-east-1.amazonaws.com" {
		t.Errorf("PrivateDnsName = %q", got)
	}
}

// TestAssociationsRoundTrip: the reference's describe-vpc-endpoint-associations output parses
// with the SDK's types, and a cache file (or vpce-snapshot's file) written from it reads back
// the same.
func TestAssociationsRoundTrip(t *testing.T) {
	data, err := os.ReadFile("../testdata/resource.json")
	if err != nil {
		t.Fatal(err)
	}
	inv, err := Parse("resource.json", data)
	if err != nil {
		t.Fatal(err)
	}
	as := inv.VpcEndpointAssociations
	if len(inv.VpcEndpoints) != 2 || len(as) != 5 || *as[2].PrivateDnsEntry.DnsName != "db.payments.example.com" ||
		*as[4].AssociatedResourceAccessibility != "Inaccessible" || as[3].PrivateDnsEntry != nil || inv.VpcEndpoints[0].IpAddressType != "IPV4" {
		t.Fatalf("parsed %+v", inv)
	}
	file := filepath.Join(t.TempDir(), "cache.json")
	if changed, err := WriteSnapshot(file, inv); err != nil || !changed {
		t.Fatalf("WriteSnapshot: %v %v", changed, err)
	}
	back, err := NewCacheFile(file, DefaultLimits).Load()
	if err != nil {
		t.Fatal(err)
	}
	if len(back.Associations) != 5 || Fingerprint(back) != Fingerprint(NewCompact(inv)) {
		t.Errorf("read back %d associations, fingerprint equal: %v", len(back.Associations), Fingerprint(back) == Fingerprint(NewCompact(inv)))
	}
	// Merged like the other keys: in order.
	if m := Merge(inv, back.Inventory()); len(m.VpcEndpointAssociations) != 10 || *m.VpcEndpointAssociations[5].Id != back.Associations[0].ID {
		t.Errorf("merged %d associations", len(m.VpcEndpointAssociations))
	}
}
