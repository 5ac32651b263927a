// Package synth generates a synthetic account of interface VPC endpoints, for benchmarks: the
// inventory DescribeVpcEndpoints and DescribeNetworkInterfaces would return, as the SDK's
// types, and every name the vpce plugin serves for it, with its addresses. Nothing in it is
// random: the same n gives the same account, byte for byte.
//
// The account of n endpoints: endpoint i is an available interface endpoint in us-east-1, of
// the service Services[i%len(Services)], in VPC i/50 (50 endpoints a VPC, 3 subnets each), with
// 3 interfaces (us-east-1a, b and c) if i is even and 2 (a and b) if it is odd: 2n+(n+1)/2
// interfaces in all, each with an address of its own. Its DNS entries, one served name each:
//
//   - a regional name, vpce-<id>-<label>.<service>.us-east-1.vpce.amazonaws.com, and one zonal
//     name per AZ, vpce-<id>-<label>-<az>.<service>...; names are unique, so that every one is
//     served;
//   - a private DNS name, <service>-<i>.us-east-1.amazonaws.com (dots in the service made
//     dashes), unless i%5 == 4, whose endpoint has private DNS disabled;
//   - for s3 (i%10 == 5), each of those names as a wildcard entry *.<name> too.
//
// Endpoint i is dualstack (an IPv6 address on every interface) if i%4 == 3, IPv4 only
// otherwise.
//
// With Options.SharedEvery k > 0, some private DNS names are offered in several VPCs, as a
// service's name is when each of several VPCs has its own endpoint of it: the VPCs are taken
// five at a time (250 endpoints), and in the first VPC of each five, the endpoint at position
// p (i%50) leads a group if p%k == 0 and its private DNS is enabled; the g-th group of the
// b-th five has 2+(g+b)%4 members, the leader and the endpoints at p of the next VPCs, which
// take the leader's private name (and, for s3, its wildcard) in place of their own. n, the
// endpoints and their interfaces stay as they are; only those entries change. With k = 5, 10
// of the 175 private names of a full five (5.7%) are shared, by 35 of its 200 endpoints with
// private DNS. The leader, the oldest (CreationTimestamp grows with i), is what clients of
// other VPCs get; Name.Others lists what the members' VPCs' clients get. The account then
// has Subnets, from which the plugin places clients: VPC v's subnet j (its interfaces'
// subnet in AZ j) is the j-th /26 of 10.128.0.0/9's v-th /24 (room for 32,768 VPCs). The
// interfaces' addresses, numbered across the account, are outside them: the blocks are for
// clients.
package synth

import (
	"fmt"
	"net/netip"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// Services are the services of the generated endpoints, in turn.
var Services = []string{"ssm", "ec2", "sts", "kms", "logs", "s3", "ecr.api", "ecr.dkr", "secretsmanager", "sqs"}

// Options shape the generated inventory beyond its names and addresses.
type Options struct {
	// AllFields adds what AWS returns but the plugin does not read: every endpoint's SubnetIds
	// and OwnerId, every interface's RequesterManaged. The EC2 fake serves them on the wire.
	AllFields bool
	// SharedEvery, if > 0, has private DNS names offered in several VPCs (the package
	// documentation says which), and the account's subnets listed.
	SharedEvery int
}

// Kind is what a served name stands for.
type Kind string

const (
	Regional Kind = "regional" // the endpoint: all its interfaces
	Zonal    Kind = "zonal"    // the endpoint's interface in one AZ
	Private  Kind = "private"  // the service's private DNS name: all the endpoint's interfaces
)

// Name is one name the account's view serves, with its addresses.
type Name struct {
	Name     string // the DNS entry's name, without the trailing dot; X for a wildcard entry *.X
	Wildcard bool
	Kind     Kind
	// Query is a name that is answered with this entry's records, without the trailing dot:
	// Name itself, or for a wildcard a name below X that no entry holds (bucket-<i>.X for a
	// regional or zonal wildcard, my-bucket.X for a private one).
	Query    string
	Endpoint int      // its endpoint's index in VpcEndpoints: for a shared name, the oldest's
	V4, V6   []string // its A and AAAA records' addresses, in interface order
	// Others are the other VPCs' offers of a shared name, in endpoint order: what clients in
	// their subnets get. Clients elsewhere get the records above.
	Others []Offer
}

// Offer is one VPC's endpoint offering a shared name, and the addresses it answers with.
type Offer struct {
	VPC      string
	Client   string // an address in the VPC's subnets, whose queries get this offer
	Endpoint int
	V4, V6   []string
}

// Account is a generated inventory and the names it serves. Its JSON encoding is a snapshot
// file, as the plugin and the EC2 fake read it: the inventory under the AWS CLI's keys.
type Account struct {
	VpcEndpoints      []types.VpcEndpoint
	NetworkInterfaces []types.NetworkInterface
	Subnets           []types.Subnet `json:",omitempty"` // with SharedEvery only
	// Names are in the order of the endpoints and, within one, of its DnsEntries.
	Names []Name `json:"-"`
}

// hostedZone is the DNS entries' hosted zone, as AWS gives it for us-east-1.
const hostedZone = "Z7HUB22UULQXV"

// Generate returns the account of n endpoints.
func Generate(n int, opts Options) *Account {
	a := &Account{
		VpcEndpoints:      make([]types.VpcEndpoint, 0, n),
		NetworkInterfaces: make([]types.NetworkInterface, 0, n*5/2+1),
	}
	created := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	eniNum := 0
	sharedAt := map[string]int{} // a group's entries (the leader's private ones), by their Names index
	for i := range n {
		lead := leader(i, n, opts.SharedEvery)
		svc := Services[i%len(Services)]
		id := fmt.Sprintf("vpce-0%016x", uint64(i+1)*0x9e3779b97f4a7c15)
		label := id + "-" + randLabel(i)
		zone := svc + ".us-east-1.vpce.amazonaws.com"
		dual := i%4 == 3
		ipType := "ipv4"
		if dual {
			ipType = "dualstack"
		}
		azs := []string{"us-east-1a", "us-east-1b", "us-east-1c"}[:2+(i+1)%2]
		ep := types.VpcEndpoint{
			VpcEndpointId:     aws.String(id),
			VpcEndpointType:   types.VpcEndpointTypeInterface,
			VpcId:             aws.String(vpcID(i / 50)),
			ServiceName:       aws.String("com.amazonaws.us-east-1." + svc),
			State:             "available", // as the wire has it; the SDK's constant is "Available"
			IpAddressType:     types.IpAddressType(ipType),
			DnsOptions:        &types.DnsOptions{DnsRecordIpType: types.DnsRecordIpType(ipType)},
			PrivateDnsEnabled: aws.Bool(i%5 != 4),
			CreationTimestamp: aws.Time(created.Add(time.Duration(i) * time.Second)),
		}
		if opts.AllFields {
			ep.OwnerId = aws.String("123456789012")
		}
		var v4, v6 []string
		zonal := make([][2][]string, len(azs))
		for j, az := range azs {
			eniNum++
			k := eniNum
			ni := types.NetworkInterface{
				NetworkInterfaceId: aws.String(fmt.Sprintf("eni-0%016x", uint64(k)*0x9e3779b97f4a7c15)),
				InterfaceType:      types.NetworkInterfaceTypeVpcEndpoint,
				AvailabilityZone:   aws.String(az),
				VpcId:              ep.VpcId,
				SubnetId:           aws.String(fmt.Sprintf("subnet-0%016x", uint64(i/50*3+j+1))),
				Status:             types.NetworkInterfaceStatusInUse,
				PrivateIpAddress:   aws.String(IPv4(k)),
				PrivateIpAddresses: []types.NetworkInterfacePrivateIpAddress{{
					Primary: aws.Bool(true), PrivateIpAddress: aws.String(IPv4(k)),
				}},
			}
			zonal[j][0] = []string{IPv4(k)}
			v4 = append(v4, IPv4(k))
			if dual {
				ni.Ipv6Addresses = []types.NetworkInterfaceIpv6Address{{Ipv6Address: aws.String(IPv6(k))}}
				zonal[j][1] = []string{IPv6(k)}
				v6 = append(v6, IPv6(k))
			}
			if opts.AllFields {
				ni.RequesterManaged = aws.Bool(true)
				ep.SubnetIds = append(ep.SubnetIds, *ni.SubnetId)
			}
			a.NetworkInterfaces = append(a.NetworkInterfaces, ni)
			ep.NetworkInterfaceIds = append(ep.NetworkInterfaceIds, *ni.NetworkInterfaceId)
		}
		add := func(name string, kind Kind, wildcard bool, v4, v6 []string) {
			entry, query := name, name
			if wildcard {
				entry = "*." + name
				query = fmt.Sprintf("bucket-%d.%s", i, name)
				if kind == Private {
					query = "my-bucket." + name
				}
			}
			ep.DnsEntries = append(ep.DnsEntries, types.DnsEntry{DnsName: aws.String(entry), HostedZoneId: aws.String(hostedZone)})
			if kind == Private && lead != i {
				// A member's offer: a client elsewhere gets the leader's, listed already.
				nm := &a.Names[sharedAt[entry]]
				nm.Others = append(nm.Others, Offer{VPC: aws.ToString(ep.VpcId), Client: clientIn(i / 50), Endpoint: i, V4: v4, V6: v6})
				return
			}
			if kind == Private && lead == i && leads(i, n, opts.SharedEvery) {
				sharedAt[entry] = len(a.Names)
			}
			a.Names = append(a.Names, Name{Name: name, Wildcard: wildcard, Kind: kind, Query: query, Endpoint: i, V4: v4, V6: v6})
		}
		s3 := svc == "s3"
		regional := label + "." + zone
		if s3 {
			add(regional, Regional, true, v4, v6)
		}
		add(regional, Regional, false, v4, v6)
		for j, az := range azs {
			name := label + "-" + az + "." + zone
			if s3 {
				add(name, Zonal, true, zonal[j][0], zonal[j][1])
			}
			add(name, Zonal, false, zonal[j][0], zonal[j][1])
		}
		if aws.ToBool(ep.PrivateDnsEnabled) {
			private := fmt.Sprintf("%s-%d.us-east-1.amazonaws.com", strings.ReplaceAll(svc, ".", "-"), lead)
			add(private, Private, false, v4, v6)
			if s3 {
				add(private, Private, true, v4, v6)
			}
		}
		a.VpcEndpoints = append(a.VpcEndpoints, ep)
	}
	if opts.SharedEvery > 0 {
		// Every VPC has an even endpoint first, so an interface in each of the three AZs.
		for v := range (n + 49) / 50 {
			for j, az := range []string{"us-east-1a", "us-east-1b", "us-east-1c"} {
				a.Subnets = append(a.Subnets, types.Subnet{
					SubnetId:         aws.String(fmt.Sprintf("subnet-0%016x", uint64(v*3+j+1))),
					VpcId:            aws.String(vpcID(v)),
					AvailabilityZone: aws.String(az),
					CidrBlock:        aws.String(subnetBlock(v, j).String()),
					State:            types.SubnetStateAvailable,
				})
			}
		}
	}
	return a
}

// vpcID is the id of the account's v-th VPC (from 0), which holds endpoints 50v to 50v+49.
func vpcID(v int) string { return fmt.Sprintf("vpc-0%016x", uint64(v+1)*0x2545f4914f6cdd1d) }

// sharedBand is how many endpoints the VPCs that one group of shared names spans hold: five
// VPCs of 50.
const sharedBand = 250

// leads reports whether endpoint i leads a group of endpoints sharing its private name (the
// package documentation says which): it is in the first VPC of its five, at a position p with
// p%every == 0 and private DNS, and its group has a member below n.
func leads(i, n, every int) bool {
	p := i % sharedBand
	return every > 0 && p < 50 && p%every == 0 && i%5 != 4 && i+50 < n
}

// groupSize is how many endpoints the group i would lead has, before n cuts it: 2 to 5,
// varying from group to group and from one five of VPCs to the next.
func groupSize(i, every int) int {
	g := 0 // the groups before i's in its five
	for p := 0; p < i%sharedBand; p += every {
		if p%5 != 4 {
			g++
		}
	}
	return 2 + (g+i/sharedBand)%4
}

// leader is the endpoint whose private name endpoint i offers: i itself, or its group's leader.
func leader(i, n, every int) int {
	if every <= 0 {
		return i
	}
	l := i - i%sharedBand + i%50 // the endpoint at i's position in the first VPC of its five
	if l == i || !leads(l, n, every) || (i-l)/50 >= groupSize(l, every) {
		return i
	}
	return l
}

// subnetBlock is the CIDR block of VPC v's subnet j.
func subnetBlock(v, j int) netip.Prefix {
	return netip.PrefixFrom(netip.AddrFrom4([4]byte{10, byte(128 + v>>8), byte(v), byte(j * 64)}), 26)
}

// clientIn is an address in VPC v's first subnet, past the first four, which AWS reserves.
func clientIn(v int) string {
	b := subnetBlock(v, 0).Addr().As4()
	b[3] += 10
	return netip.AddrFrom4(b).String()
}

// Interfaces returns the network interfaces of endpoint i, in its NetworkInterfaceIds' order.
func (a *Account) Interfaces(i int) []types.NetworkInterface {
	var nis []types.NetworkInterface
	for _, id := range a.VpcEndpoints[i].NetworkInterfaceIds {
		for _, ni := range a.NetworkInterfaces {
			if aws.ToString(ni.NetworkInterfaceId) == id {
				nis = append(nis, ni)
			}
		}
	}
	return nis
}

// randLabel is the random-looking part of endpoint i's DNS label, 8 characters of [a-z0-9].
func randLabel(i int) string {
	const alphabet = "abcdefghijklmnopqrstuvwxyz0123456789"
	x := uint64(i+1) * 0xbf58476d1ce4e5b9
	var b [8]byte
	for j := range b {
		b[j] = alphabet[x%36]
		x /= 36
	}
	return string(b[:])
}

// IPv4 is the address of the account's k-th interface (from 1), in 10.0.0.0/8.
func IPv4(k int) string { return fmt.Sprintf("10.%d.%d.%d", k>>16&255, k>>8&255, k&255) }

// IPv6 is the IPv6 address of the account's k-th interface (from 1), in 2600:1f18::/32.
func IPv6(k int) string { return fmt.Sprintf("2600:1f18:%x::%x", k>>16, k&0xffff) }
