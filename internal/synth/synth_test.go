package synth

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/netip"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

var sizes = []int{0, 1, 2, 3, 4, 5, 6, 10, 11, 49, 50, 51, 100, 1000}

// TestCounts checks the account against the package documentation: n endpoints, 2n+(n+1)/2
// interfaces, and per endpoint its interfaces, stack, private DNS and names, each name with
// the addresses it stands for.
func TestCounts(t *testing.T) {
	for _, n := range sizes {
		a := Generate(n, Options{})
		if len(a.VpcEndpoints) != n || len(a.NetworkInterfaces) != 2*n+(n+1)/2 {
			t.Fatalf("n=%d: %d endpoints, %d interfaces, want %d and %d", n, len(a.VpcEndpoints), len(a.NetworkInterfaces), n, 2*n+(n+1)/2)
		}
		byEndpoint := map[int][]Name{}
		for _, nm := range a.Names {
			byEndpoint[nm.Endpoint] = append(byEndpoint[nm.Endpoint], nm)
		}
		entries := 0
		for i, ep := range a.VpcEndpoints {
			entries += len(ep.DnsEntries)
			nis := a.Interfaces(i)
			azs, s3, dual, private := 3-i%2, Services[i%len(Services)] == "s3", i%4 == 3, i%5 != 4
			if len(nis) != azs || len(ep.NetworkInterfaceIds) != azs {
				t.Fatalf("n=%d endpoint %d: %d interfaces, want %d", n, i, len(nis), azs)
			}
			if s3 != (i%10 == 5) || aws.ToBool(ep.PrivateDnsEnabled) != private || (ep.IpAddressType == types.IpAddressTypeDualstack) != dual {
				t.Errorf("n=%d endpoint %d: service %s, private DNS %v, %s", n, i, aws.ToString(ep.ServiceName), aws.ToBool(ep.PrivateDnsEnabled), ep.IpAddressType)
			}
			var all4, all6 []string
			for _, ni := range nis {
				all4 = append(all4, aws.ToString(ni.PrivateIpAddress))
				if dual != (len(ni.Ipv6Addresses) == 1) {
					t.Errorf("n=%d endpoint %d: interface %s has IPv6 addresses %v", n, i, aws.ToString(ni.NetworkInterfaceId), ni.Ipv6Addresses)
				}
				for _, v6 := range ni.Ipv6Addresses {
					all6 = append(all6, aws.ToString(v6.Ipv6Address))
				}
			}
			want := map[Kind]int{Regional: 1, Zonal: azs}
			if private {
				want[Private] = 1
			}
			if s3 {
				for k := range want {
					want[k] *= 2
				}
			}
			got := map[Kind]int{}
			for _, nm := range byEndpoint[i] {
				got[nm.Kind]++
				want4, want6 := all4, all6
				if nm.Kind == Zonal {
					az := nm.Name[strings.Index(nm.Name, "-us-east-1")+1 : strings.Index(nm.Name, ".")]
					want4, want6 = nil, nil
					for _, ni := range nis {
						if aws.ToString(ni.AvailabilityZone) == az {
							want4 = append(want4, aws.ToString(ni.PrivateIpAddress))
							for _, v6 := range ni.Ipv6Addresses {
								want6 = append(want6, aws.ToString(v6.Ipv6Address))
							}
						}
					}
				}
				if !slices.Equal(nm.V4, want4) || !slices.Equal(nm.V6, want6) || len(nm.V4) == 0 {
					t.Errorf("n=%d %s: addresses %v %v, want %v %v", n, nm.Query, nm.V4, nm.V6, want4, want6)
				}
			}
			if !reflect.DeepEqual(got, want) {
				t.Errorf("n=%d endpoint %d: names by kind %v, want %v", n, i, got, want)
			}
		}
		if entries != len(a.Names) {
			t.Errorf("n=%d: %d DNS entries, %d names", n, entries, len(a.Names))
		}
	}
}

// TestNamesUnique: every entry, query and identifier is unique, every interface has its own
// address, and a wildcard's query is below its entry and answered by no other entry.
func TestNamesUnique(t *testing.T) {
	a := Generate(1000, Options{})
	seen := map[string]string{}
	unique := func(what, s string) {
		t.Helper()
		if prev, ok := seen[s]; ok {
			t.Errorf("%s %q, already the %s", what, s, prev)
		}
		seen[s] = what
	}
	exact := map[string]bool{}
	for _, nm := range a.Names {
		entry := nm.Name
		if nm.Wildcard {
			entry = "*." + nm.Name
			if !strings.HasSuffix(nm.Query, "."+nm.Name) || strings.Count(nm.Query, ".") != strings.Count(nm.Name, ".")+1 {
				t.Errorf("query %q is not a name just below the wildcard %s", nm.Query, entry)
			}
		} else {
			exact[nm.Name] = true
			if nm.Query != nm.Name {
				t.Errorf("exact name %s is asked as %s", nm.Name, nm.Query)
			}
		}
		unique("entry", entry)
		if nm.Wildcard {
			unique("query", nm.Query)
		}
	}
	for _, nm := range a.Names {
		if nm.Wildcard && exact[nm.Query] {
			t.Errorf("wildcard query %s is an exact name too", nm.Query)
		}
	}
	for _, ep := range a.VpcEndpoints {
		unique("endpoint", aws.ToString(ep.VpcEndpointId))
	}
	for _, ni := range a.NetworkInterfaces {
		unique("interface", aws.ToString(ni.NetworkInterfaceId))
		unique("address", aws.ToString(ni.PrivateIpAddress))
		for _, v6 := range ni.Ipv6Addresses {
			unique("address", aws.ToString(v6.Ipv6Address))
		}
	}
}

// TestJSONRoundTrip: the account's JSON is a snapshot: the SDK's types under the AWS CLI's
// keys, which encoding/json decodes back into the same values, without the served names.
func TestJSONRoundTrip(t *testing.T) {
	for _, opts := range []Options{{}, {AllFields: true}, {SharedEvery: 5}} {
		a := Generate(300, opts)
		data, err := json.Marshal(a)
		if err != nil {
			t.Fatal(err)
		}
		var back struct {
			VpcEndpoints      []types.VpcEndpoint
			NetworkInterfaces []types.NetworkInterface
			Subnets           []types.Subnet
		}
		dec := json.NewDecoder(bytes.NewReader(data))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&back); err != nil {
			t.Fatalf("%+v: %v", opts, err)
		}
		if !reflect.DeepEqual(back.VpcEndpoints, a.VpcEndpoints) || !reflect.DeepEqual(back.NetworkInterfaces, a.NetworkInterfaces) ||
			!reflect.DeepEqual(back.Subnets, a.Subnets) || (len(a.Subnets) > 0) != (opts.SharedEvery > 0) {
			t.Errorf("%+v: the inventory does not round-trip through JSON", opts)
		}
		if bytes.Contains(data, []byte(`"Names"`)) || !bytes.Contains(data, []byte(`"State":"available"`)) {
			t.Errorf("%+v: JSON %.300s", opts, data)
		}
	}
}

// TestAllFields: the fields AWS returns that the plugin does not read come with AllFields
// only, and nothing else differs.
func TestAllFields(t *testing.T) {
	plain, all := Generate(20, Options{}), Generate(20, Options{AllFields: true})
	for i := range all.VpcEndpoints {
		ep := &all.VpcEndpoints[i]
		if aws.ToString(ep.OwnerId) != "123456789012" || len(ep.SubnetIds) != len(ep.NetworkInterfaceIds) {
			t.Errorf("endpoint %d: owner %v, subnets %v", i, aws.ToString(ep.OwnerId), ep.SubnetIds)
		}
		ep.OwnerId, ep.SubnetIds = nil, nil
	}
	for i := range all.NetworkInterfaces {
		ni := &all.NetworkInterfaces[i]
		if !aws.ToBool(ni.RequesterManaged) {
			t.Errorf("interface %d: not requester-managed", i)
		}
		ni.RequesterManaged = nil
	}
	if !reflect.DeepEqual(plain, all) {
		t.Error("AllFields changes more than the unread fields")
	}
}

// benchInventory1000 is the digest of describe of the inventory of 1000 endpoints that
// plugin/vpce/bench_test.go's benchInventory(1000) generated, before this package replaced it.
const benchInventory1000 = "089aacfb3929d96301b9bb8f0f228487db31f2e99fd5e23787982c05c791fb04"

// TestDeterministic: the same n gives the same account, the one plugin/vpce's benchmarks were
// measured on.
func TestDeterministic(t *testing.T) {
	if a, b := Generate(1000, Options{}), Generate(1000, Options{}); !reflect.DeepEqual(a, b) {
		t.Fatal("two accounts of 1000 endpoints differ")
	}
	a := Generate(1000, Options{})
	sum := sha256.Sum256([]byte(describe(a.VpcEndpoints, a.NetworkInterfaces)))
	if got := hex.EncodeToString(sum[:]); got != benchInventory1000 {
		t.Errorf("the account of 1000 endpoints has digest %s, want %s", got, benchInventory1000)
	}
}

// describe writes out every field of the inventory that the generator sets, in order, without
// depending on the SDK's JSON encoding (which grows with the SDK's fields).
func describe(eps []types.VpcEndpoint, nis []types.NetworkInterface) string {
	var b strings.Builder
	for _, ep := range eps {
		fmt.Fprintf(&b, "endpoint %s %s %s %s %s %s %s %v %v %s %v %v\n", aws.ToString(ep.VpcEndpointId), ep.VpcEndpointType,
			aws.ToString(ep.VpcId), aws.ToString(ep.ServiceName), ep.State, ep.IpAddressType, ep.DnsOptions.DnsRecordIpType,
			aws.ToBool(ep.PrivateDnsEnabled), aws.ToTime(ep.CreationTimestamp).UTC(), aws.ToString(ep.OwnerId), ep.SubnetIds, ep.NetworkInterfaceIds)
		for _, e := range ep.DnsEntries {
			fmt.Fprintf(&b, "  entry %s %s\n", aws.ToString(e.DnsName), aws.ToString(e.HostedZoneId))
		}
	}
	for _, ni := range nis {
		fmt.Fprintf(&b, "interface %s %s %s %s %s %s %s %v", aws.ToString(ni.NetworkInterfaceId), ni.InterfaceType,
			aws.ToString(ni.AvailabilityZone), aws.ToString(ni.VpcId), aws.ToString(ni.SubnetId), ni.Status,
			aws.ToString(ni.PrivateIpAddress), aws.ToBool(ni.RequesterManaged))
		for _, p := range ni.PrivateIpAddresses {
			fmt.Fprintf(&b, " %v/%s", aws.ToBool(p.Primary), aws.ToString(p.PrivateIpAddress))
		}
		for _, v6 := range ni.Ipv6Addresses {
			fmt.Fprintf(&b, " %s", aws.ToString(v6.Ipv6Address))
		}
		b.WriteByte('\n')
	}
	return b.String()
}

// TestSharedNames checks SharedEvery against the inventory itself, as the plugin reads it:
// a name entered by several endpoints is a private name, in 2 to 5 different VPCs; Names lists
// it once, with the oldest endpoint's addresses (what clients of no offering VPC get), and
// Others the other endpoints', VPC by VPC; nothing else of the account changes.
func TestSharedNames(t *testing.T) {
	for _, n := range append(sizes, 249, 250, 251, 300, 2600) {
		for _, every := range []int{1, 5, 7} {
			plain, a := Generate(n, Options{}), Generate(n, Options{SharedEvery: every})
			checkShared(t, n, every, plain, a)
		}
	}
}

func checkShared(t *testing.T, n, every int, plain, a *Account) {
	t.Helper()
	if !reflect.DeepEqual(a.NetworkInterfaces, plain.NetworkInterfaces) || len(a.VpcEndpoints) != n {
		t.Fatalf("n=%d every=%d: the interfaces or the endpoint count changed", n, every)
	}
	offered := map[string][]int{} // entry -> endpoints
	for i := range a.VpcEndpoints {
		ep, was := a.VpcEndpoints[i], plain.VpcEndpoints[i]
		for _, e := range ep.DnsEntries {
			offered[aws.ToString(e.DnsName)] = append(offered[aws.ToString(e.DnsName)], i)
		}
		ep.DnsEntries, was.DnsEntries = nil, nil
		if !reflect.DeepEqual(ep, was) {
			t.Fatalf("n=%d every=%d endpoint %d: more than its DNS entries changed", n, every, i)
		}
	}
	byID := map[string]types.NetworkInterface{}
	for _, ni := range a.NetworkInterfaces {
		byID[aws.ToString(ni.NetworkInterfaceId)] = ni
	}
	addrs := func(i int) (v4, v6 []string) {
		for _, id := range a.VpcEndpoints[i].NetworkInterfaceIds {
			ni := byID[id]
			v4 = append(v4, aws.ToString(ni.PrivateIpAddress))
			for _, x := range ni.Ipv6Addresses {
				v6 = append(v6, aws.ToString(x.Ipv6Address))
			}
		}
		return v4, v6
	}
	listed := map[string]bool{}
	shared, private := 0, 0
	for _, nm := range a.Names {
		entry := nm.Name
		if nm.Wildcard {
			entry = "*." + entry
		}
		if listed[entry] {
			t.Fatalf("n=%d every=%d: %s listed twice", n, every, entry)
		}
		listed[entry] = true
		eps := offered[entry]
		if nm.Kind == Private && !nm.Wildcard {
			private++
		}
		if len(eps) == 1 {
			if eps[0] != nm.Endpoint || nm.Others != nil {
				t.Errorf("n=%d every=%d: %s offered by %v, listed for %d with others %v", n, every, entry, eps, nm.Endpoint, nm.Others)
			}
			continue
		}
		if !nm.Wildcard {
			shared++
		}
		vpcs := map[string]bool{}
		for _, i := range eps {
			vpcs[aws.ToString(a.VpcEndpoints[i].VpcId)] = true
		}
		if nm.Kind != Private || len(eps) > 5 || len(vpcs) != len(eps) {
			t.Errorf("n=%d every=%d: %s (%s) offered by %v, in %d VPCs", n, every, entry, nm.Kind, eps, len(vpcs))
		}
		// The plugin's default: the oldest, then the smallest id.
		oldest := slices.MinFunc(eps, func(i, j int) int {
			ti, tj := aws.ToTime(a.VpcEndpoints[i].CreationTimestamp), aws.ToTime(a.VpcEndpoints[j].CreationTimestamp)
			if c := ti.Compare(tj); c != 0 {
				return c
			}
			return strings.Compare(aws.ToString(a.VpcEndpoints[i].VpcEndpointId), aws.ToString(a.VpcEndpoints[j].VpcEndpointId))
		})
		if v4, v6 := addrs(oldest); nm.Endpoint != oldest || !slices.Equal(nm.V4, v4) || !slices.Equal(nm.V6, v6) {
			t.Errorf("n=%d every=%d: %s listed for endpoint %d %v %v, the oldest is %d %v %v", n, every, entry, nm.Endpoint, nm.V4, nm.V6, oldest, v4, v6)
		}
		var want []Offer
		for _, i := range eps {
			if i != oldest {
				v4, v6 := addrs(i)
				want = append(want, Offer{VPC: aws.ToString(a.VpcEndpoints[i].VpcId), Client: clientIn(i / 50), Endpoint: i, V4: v4, V6: v6})
			}
		}
		if !reflect.DeepEqual(nm.Others, want) {
			t.Errorf("n=%d every=%d: %s others %+v, want %+v", n, every, entry, nm.Others, want)
		}
	}
	if len(listed) != len(offered) {
		t.Errorf("n=%d every=%d: %d entries offered, %d listed", n, every, len(offered), len(listed))
	}
	if every == 5 && n >= 2500 {
		if f := float64(shared) / float64(private); f < 0.04 || f > 0.07 {
			t.Errorf("n=%d every=5: %d of %d private names shared (%.3f), want about 5%%", n, shared, private, f)
		}
	}
	checkSubnets(t, n, a)
}

// checkSubnets: every VPC has a subnet per AZ, the one its interfaces there name; the
// subnets' blocks are disjoint, and a VPC's client address is in its own subnet only.
func checkSubnets(t *testing.T, n int, a *Account) {
	t.Helper()
	type key struct{ id, vpc, az string }
	subnets := map[key]bool{}
	var blocks []netip.Prefix
	for _, sn := range a.Subnets {
		subnets[key{aws.ToString(sn.SubnetId), aws.ToString(sn.VpcId), aws.ToString(sn.AvailabilityZone)}] = true
		p := netip.MustParsePrefix(aws.ToString(sn.CidrBlock))
		for _, q := range blocks {
			if p.Overlaps(q) {
				t.Fatalf("n=%d: subnets %s and %s overlap", n, p, q)
			}
		}
		blocks = append(blocks, p)
		if sn.State != types.SubnetStateAvailable {
			t.Errorf("n=%d: subnet %s is %s", n, aws.ToString(sn.SubnetId), sn.State)
		}
	}
	if want := 3 * ((n + 49) / 50); len(a.Subnets) != want || len(subnets) != want {
		t.Errorf("n=%d: %d subnets, want %d", n, len(a.Subnets), want)
	}
	for _, ni := range a.NetworkInterfaces {
		if !subnets[key{aws.ToString(ni.SubnetId), aws.ToString(ni.VpcId), aws.ToString(ni.AvailabilityZone)}] {
			t.Errorf("n=%d: interface %s's subnet %s is not listed", n, aws.ToString(ni.NetworkInterfaceId), aws.ToString(ni.SubnetId))
		}
	}
	// Subnets come three by three, VPC by VPC: VPC v's are 3v to 3v+2.
	for v := range len(a.Subnets) / 3 {
		addr := netip.MustParseAddr(clientIn(v))
		for k, sn := range a.Subnets {
			in := netip.MustParsePrefix(aws.ToString(sn.CidrBlock)).Contains(addr)
			if in != (k == 3*v) || aws.ToString(a.Subnets[3*v].VpcId) != vpcID(v) {
				t.Errorf("n=%d: client %s of VPC %d in subnet %d (%s): %v", n, addr, v, k, aws.ToString(sn.CidrBlock), in)
			}
		}
	}
}

// TestSharedOff: without SharedEvery, no name is shared and no subnet listed.
func TestSharedOff(t *testing.T) {
	a := Generate(1000, Options{AllFields: true})
	if len(a.Subnets) != 0 {
		t.Errorf("%d subnets without SharedEvery", len(a.Subnets))
	}
	for _, nm := range a.Names {
		if nm.Others != nil {
			t.Fatalf("%s shared without SharedEvery", nm.Name)
		}
	}
}
