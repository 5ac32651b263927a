package inventory

import (
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// builderReads are the fields the core's build.go reads, by the Inventory list they are in:
// dotted paths, a list's elements taking the list's name. Fingerprint must count exactly these.
var builderReads = map[string][]string{
	"VpcEndpoints": {"VpcEndpointId", "VpcEndpointType", "State", "VpcId", "ServiceName", "ServiceRegion",
		"IpAddressType", "DnsOptions.DnsRecordIpType", "DnsOptions.PrivateDnsOnlyForInboundResolverEndpoint",
		"PrivateDnsEnabled", "DnsEntries.DnsName", "NetworkInterfaceIds", "CreationTimestamp"},
	"NetworkInterfaces": {"NetworkInterfaceId", "AvailabilityZone", "AvailabilityZoneId", "PrivateIpAddress",
		"PrivateIpAddresses.PrivateIpAddress", "Ipv6Address", "Ipv6Addresses.Ipv6Address"},
	"ServiceDetails": {"ServiceName", "Owner", "PrivateDnsNameVerificationState", "PrivateDnsName",
		"PrivateDnsNames.PrivateDnsName"},
	"Subnets": {"VpcId", "AvailabilityZone", "AvailabilityZoneId", "CidrBlock", "Ipv6CidrBlockAssociationSet.Ipv6CidrBlock"},
}

// TestFingerprintCountsWhatTheBuilderReads sets every field of the SDK's types, one at a time,
// to two different values: the fingerprints must differ for the fields the builder reads and
// only for them. A field the SDK adds is checked as soon as the SDK is updated.
func TestFingerprintCountsWhatTheBuilderReads(t *testing.T) {
	invType := reflect.TypeFor[Inventory]()
	for list, reads := range builderReads {
		field, ok := invType.FieldByName(list)
		if !ok {
			t.Fatalf("Inventory has no %s", list)
		}
		leaves := leafPaths(field.Type.Elem(), "")
		for _, path := range reads {
			if !slices.Contains(leaves, path) {
				t.Errorf("%s: no field %s", list, path)
			}
		}
		for _, path := range leaves {
			fp := func(n int) [32]byte {
				var inv Inventory
				items := reflect.ValueOf(&inv).Elem().FieldByName(list)
				items.Set(reflect.MakeSlice(items.Type(), 1, 1))
				setPath(items.Index(0), strings.Split(path, "."), n)
				return Fingerprint(&inv)
			}
			read := slices.Contains(reads, path)
			if changed := fp(1) != fp(2); changed != read {
				t.Errorf("%s.%s: a change changes the fingerprint: %v, want %v", list, path, changed, read)
			}
		}
	}
}

// leafPaths lists the settable fields below t: structs and lists of structs are descended
// into, anything else (a time included) is a leaf.
func leafPaths(t reflect.Type, prefix string) []string {
	for t.Kind() == reflect.Pointer || t.Kind() == reflect.Slice {
		t = t.Elem()
	}
	if t.Kind() != reflect.Struct || t == reflect.TypeFor[time.Time]() {
		return []string{strings.TrimSuffix(prefix, ".")}
	}
	var paths []string
	for i := range t.NumField() {
		if f := t.Field(i); f.IsExported() {
			paths = append(paths, leafPaths(f.Type, prefix+f.Name+".")...)
		}
	}
	return paths
}

// setPath sets the field at path below v to a value that depends on n, allocating the
// pointers and one-element lists on the way.
func setPath(v reflect.Value, path []string, n int) {
	for v.Kind() == reflect.Pointer || v.Kind() == reflect.Slice {
		if v.Kind() == reflect.Pointer {
			if v.IsNil() {
				v.Set(reflect.New(v.Type().Elem()))
			}
		} else if v.Len() == 0 {
			v.Set(reflect.MakeSlice(v.Type(), 1, 1))
		}
		if v.Kind() == reflect.Pointer {
			v = v.Elem()
		} else {
			v = v.Index(0)
		}
	}
	if len(path) > 0 && path[0] != "" {
		setPath(v.FieldByName(path[0]), path[1:], n)
		return
	}
	switch {
	case v.Type() == reflect.TypeFor[time.Time]():
		v.Set(reflect.ValueOf(time.Unix(int64(n), 0)))
	case v.Kind() == reflect.String:
		v.SetString(fmt.Sprint("value-", n))
	case v.Kind() == reflect.Bool:
		v.SetBool(n == 1)
	case v.CanInt():
		v.SetInt(int64(n))
	case v.CanFloat():
		v.SetFloat(float64(n))
	default:
		panic(fmt.Sprintf("cannot set a %s", v.Type()))
	}
}

// TestFingerprintLeavesNoAmbiguity: lists and strings are delimited, so that moving a value
// from one field or element to the next changes the fingerprint.
func TestFingerprintLeavesNoAmbiguity(t *testing.T) {
	entries := func(names ...string) *Inventory {
		ep := types.VpcEndpoint{}
		for _, n := range names {
			ep.DnsEntries = append(ep.DnsEntries, types.DnsEntry{DnsName: &n})
		}
		return &Inventory{VpcEndpoints: []types.VpcEndpoint{ep}}
	}
	if Fingerprint(entries("ab")) == Fingerprint(entries("a", "b")) {
		t.Error("one name and two with the same letters have the same fingerprint")
	}
	a, b := "vpce-1", "vpc-1"
	if Fingerprint(&Inventory{VpcEndpoints: []types.VpcEndpoint{{VpcEndpointId: &a}}}) ==
		Fingerprint(&Inventory{NetworkInterfaces: []types.NetworkInterface{{NetworkInterfaceId: &a}}}) {
		t.Error("an endpoint and an interface of the same id have the same fingerprint")
	}
	if Fingerprint(&Inventory{VpcEndpoints: []types.VpcEndpoint{{VpcEndpointId: &a}}}) ==
		Fingerprint(&Inventory{VpcEndpoints: []types.VpcEndpoint{{VpcId: &b}}}) {
		t.Error("values in different fields have the same fingerprint")
	}
}
