package inventory_test

import (
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/coredns-vpce/coredns-vpce/internal/testkit"
	"github.com/coredns-vpce/coredns-vpce/plugin/vpce/inventory"
)

// builderReads are the fields the core's build.go reads, by the inventory.Inventory list they are in:
// dotted paths, a list's elements taking the list's name. Fingerprint must count exactly these.
var builderReads = map[string][]string{
	"VpcEndpoints": {"VpcEndpointId", "VpcEndpointType", "State", "VpcId", "ServiceName", "ServiceRegion",
		"IpAddressType", "DnsOptions.DnsRecordIpType", "DnsOptions.PrivateDnsOnlyForInboundResolverEndpoint",
		"PrivateDnsEnabled", "DnsEntries.DnsName", "NetworkInterfaceIds", "CreationTimestamp",
		"ResourceConfigurationArn", "ServiceNetworkArn"},
	"NetworkInterfaces": {"NetworkInterfaceId", "AvailabilityZone", "AvailabilityZoneId", "PrivateIpAddress",
		"PrivateIpAddresses.PrivateIpAddress", "Ipv6Address", "Ipv6Addresses.Ipv6Address"},
	"ServiceDetails": {"ServiceName", "Owner", "PrivateDnsNameVerificationState", "PrivateDnsName",
		"PrivateDnsNames.PrivateDnsName"},
	"Subnets": {"VpcId", "AvailabilityZone", "AvailabilityZoneId", "CidrBlock", "Ipv6CidrBlockAssociationSet.Ipv6CidrBlock"},
	"VpcEndpointAssociations": {"Id", "VpcEndpointId", "AssociatedResourceAccessibility", "DnsEntry.DnsName",
		"PrivateDnsEntry.DnsName"},
}

// TestFingerprintCountsWhatTheBuilderReads sets every field of the SDK's types, one at a time,
// to two different values: the fingerprints must differ for the fields the builder reads and
// only for them, and what a Compact keeps of a field must survive its Inventory (the cache
// file's). A field the SDK adds is checked as soon as the SDK is updated.
func TestFingerprintCountsWhatTheBuilderReads(t *testing.T) {
	invType := reflect.TypeFor[inventory.Inventory]()
	for list, reads := range builderReads {
		field, ok := invType.FieldByName(list)
		if !ok {
			t.Fatalf("inventory.Inventory has no %s", list)
		}
		leaves := testkit.LeafPaths(field.Type.Elem(), "")
		for _, path := range reads {
			if !slices.Contains(leaves, path) {
				t.Errorf("%s: no field %s", list, path)
			}
		}
		for _, path := range leaves {
			kept := func(n int) *inventory.Compact {
				var inv inventory.Inventory
				items := reflect.ValueOf(&inv).Elem().FieldByName(list)
				items.Set(reflect.MakeSlice(items.Type(), 1, 1))
				testkit.SetPath(items.Index(0), strings.Split(path, "."), n)
				return inventory.NewCompact(&inv)
			}
			read := slices.Contains(reads, path)
			if changed := inventory.Fingerprint(kept(1)) != inventory.Fingerprint(kept(2)); changed != read {
				t.Errorf("%s.%s: a change changes the fingerprint: %v, want %v", list, path, changed, read)
			}
			if c := kept(1); inventory.Fingerprint(inventory.NewCompact(c.Inventory())) != inventory.Fingerprint(c) {
				t.Errorf("%s.%s: lost by Compact.Inventory", list, path)
			}
		}
	}
}

// TestFingerprintLeavesNoAmbiguity: lists and strings are delimited, so that moving a value
// from one field or element to the next changes the fingerprint.
func TestFingerprintLeavesNoAmbiguity(t *testing.T) {
	entries := func(names ...string) *inventory.Inventory {
		ep := types.VpcEndpoint{}
		for _, n := range names {
			ep.DnsEntries = append(ep.DnsEntries, types.DnsEntry{DnsName: &n})
		}
		return &inventory.Inventory{VpcEndpoints: []types.VpcEndpoint{ep}}
	}
	if inventory.Fingerprint(inventory.NewCompact(entries("ab"))) == inventory.Fingerprint(inventory.NewCompact(entries("a", "b"))) {
		t.Error("one name and two with the same letters have the same fingerprint")
	}
	a, b := "vpce-1", "vpc-1"
	if inventory.Fingerprint(inventory.NewCompact(&inventory.Inventory{VpcEndpoints: []types.VpcEndpoint{{VpcEndpointId: &a}}})) ==
		inventory.Fingerprint(inventory.NewCompact(&inventory.Inventory{NetworkInterfaces: []types.NetworkInterface{{NetworkInterfaceId: &a}}})) {
		t.Error("an endpoint and an interface of the same id have the same fingerprint")
	}
	if inventory.Fingerprint(inventory.NewCompact(&inventory.Inventory{VpcEndpoints: []types.VpcEndpoint{{VpcEndpointId: &a}}})) ==
		inventory.Fingerprint(inventory.NewCompact(&inventory.Inventory{VpcEndpoints: []types.VpcEndpoint{{VpcId: &b}}})) {
		t.Error("values in different fields have the same fingerprint")
	}
}
