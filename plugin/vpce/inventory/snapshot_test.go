package inventory

import (
	"strings"
	"testing"
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
		{"unknown state", "{\"VpcEndpoints\": [\n {\"VpcEndpointId\": \"vpce-1\", \"VpcEndpointType\": \"Interface\", \"State\": \"available\"},\n {\"VpcEndpointId\": \"vpce-2\", \"VpcEndpointType\": \"Interface\", \"State\": \"sleeping\"}]}",
			`e.json:3:2: VpcEndpoints[1]: vpce-2: unknown State "sleeping"`},
		{"unknown type", `{"VpcEndpoints": [{"VpcEndpointId": "vpce-1", "VpcEndpointType": "Bogus", "State": "available"}]}`, `unknown VpcEndpointType "Bogus"`},
		{"unknown record type", `{"VpcEndpoints": [{"VpcEndpointId": "vpce-1", "VpcEndpointType": "Interface", "State": "available", "DnsOptions": {"DnsRecordIpType": "ipv5"}}]}`, `unknown DnsOptions.DnsRecordIpType "ipv5"`},
		{"no id", `{"VpcEndpoints": [{"State": "available"}]}`, `VpcEndpoints[0]: VpcEndpointId missing`},
		{"no eni id", `{"NetworkInterfaces": [{}]}`, `NetworkInterfaces[0]: NetworkInterfaceId missing`},
		{"no service name", `{"ServiceDetails": [{}]}`, `ServiceDetails[0]: ServiceName missing`},
		{"trailing data", `{} {}`, "e.json:1:4: invalid character '{' after top-level value"},
	}
	for _, tc := range cases {
		_, err := Parse("e.json", []byte(tc.in))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error = %v, want it to contain %q", tc.name, err, tc.want)
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
