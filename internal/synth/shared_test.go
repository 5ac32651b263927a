package synth

import (
	"net/netip"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

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
