package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"
	"strings"
	"time"
)

// The generated account: n available interface endpoints in us-east-1, each with 2 or 3
// interfaces (one per AZ): a regional name, one zonal name per AZ and, for 4 in 5, a private
// DNS name. Every 10th endpoint is an s3 one, whose regional and zonal names are wildcards
// too and whose private names are an exact and a wildcard one; every 4th is dualstack. Names
// are unique (private names carry the endpoint's number), so that every one is served. It is
// the shape of plugin/vpce/bench_test.go's benchInventory.

var services = []string{"ssm", "ec2", "sts", "kms", "logs", "s3", "ecr.api", "ecr.dkr", "secretsmanager", "sqs"}

// The snapshot's JSON, with the AWS CLI's (the SDK's) field names and only the fields the
// plugin and the EC2 fake read.
type snapshot struct {
	VpcEndpoints      []snapEndpoint
	NetworkInterfaces []snapInterface
}

type snapEndpoint struct {
	VpcEndpointId       string
	VpcEndpointType     string
	VpcId               string
	ServiceName         string
	State               string
	SubnetIds           []string
	IpAddressType       string
	DnsOptions          snapDNSOptions
	PrivateDnsEnabled   bool
	NetworkInterfaceIds []string
	DnsEntries          []snapDNSEntry
	CreationTimestamp   string
	OwnerId             string
}

type snapDNSOptions struct{ DnsRecordIpType string }

type snapDNSEntry struct{ DnsName, HostedZoneId string }

type snapInterface struct {
	NetworkInterfaceId string
	InterfaceType      string
	AvailabilityZone   string
	VpcId              string
	SubnetId           string
	Status             string
	RequesterManaged   bool
	PrivateIpAddress   string
	PrivateIpAddresses []snapPrivateIP
	Ipv6Addresses      []snapIPv6 `json:",omitempty"`
}

type snapPrivateIP struct {
	Primary          bool
	PrivateIpAddress string
}

type snapIPv6 struct{ Ipv6Address string }

// served is one name the generated view serves, with its addresses. A wildcard entry *.X is
// queried (and written to hosts files) as a name below X.
type served struct {
	name     string // without the trailing dot; the entry's name for a wildcard (X in *.X)
	wildcard bool
	query    string // the name queried: name, or one below it for a wildcard
	v4, v6   []string
	endpoint int
}

// account is a generated inventory and the names it serves.
type account struct {
	snap  snapshot
	names []served
}

func generate(n int) *account {
	a := &account{snap: snapshot{
		VpcEndpoints:      make([]snapEndpoint, 0, n),
		NetworkInterfaces: make([]snapInterface, 0, n*5/2+1),
	}}
	created := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	eniNum := 0
	for i := range n {
		svc := services[i%len(services)]
		id := fmt.Sprintf("vpce-0%016x", uint64(i+1)*0x9e3779b97f4a7c15)
		label := id + "-" + randLabel(i)
		zone := svc + ".us-east-1.vpce.amazonaws.com"
		dual := i%4 == 3
		ipType := "ipv4"
		if dual {
			ipType = "dualstack"
		}
		azs := []string{"us-east-1a", "us-east-1b", "us-east-1c"}[:2+(i+1)%2]
		vpc := fmt.Sprintf("vpc-0%016x", uint64(i/50+1)*0x2545f4914f6cdd1d)
		ep := snapEndpoint{
			VpcEndpointId:     id,
			VpcEndpointType:   "Interface",
			VpcId:             vpc,
			ServiceName:       "com.amazonaws.us-east-1." + svc,
			State:             "available",
			IpAddressType:     ipType,
			DnsOptions:        snapDNSOptions{DnsRecordIpType: ipType},
			PrivateDnsEnabled: i%5 != 4,
			CreationTimestamp: created.Add(time.Duration(i) * time.Second).Format(time.RFC3339),
			OwnerId:           "123456789012",
		}
		var v4, v6 []string
		zonal := make([][2][]string, len(azs))
		for j, az := range azs {
			eniNum++
			k := eniNum
			ni := snapInterface{
				NetworkInterfaceId: fmt.Sprintf("eni-0%016x", uint64(k)*0x9e3779b97f4a7c15),
				InterfaceType:      "vpc_endpoint",
				AvailabilityZone:   az,
				VpcId:              vpc,
				SubnetId:           fmt.Sprintf("subnet-0%016x", uint64(i/50*3+j+1)),
				Status:             "in-use",
				RequesterManaged:   true,
				PrivateIpAddress:   ipv4(k),
				PrivateIpAddresses: []snapPrivateIP{{Primary: true, PrivateIpAddress: ipv4(k)}},
			}
			zonal[j][0] = []string{ipv4(k)}
			v4 = append(v4, ipv4(k))
			if dual {
				ni.Ipv6Addresses = []snapIPv6{{Ipv6Address: ipv6(k)}}
				zonal[j][1] = []string{ipv6(k)}
				v6 = append(v6, ipv6(k))
			}
			ep.SubnetIds = append(ep.SubnetIds, ni.SubnetId)
			ep.NetworkInterfaceIds = append(ep.NetworkInterfaceIds, ni.NetworkInterfaceId)
			a.snap.NetworkInterfaces = append(a.snap.NetworkInterfaces, ni)
		}
		add := func(name string, wildcard bool, v4, v6 []string) {
			entry := name
			query := name
			if wildcard {
				entry = "*." + name
				query = fmt.Sprintf("w%d.%s", i, name)
			}
			ep.DnsEntries = append(ep.DnsEntries, snapDNSEntry{DnsName: entry, HostedZoneId: "Z7HUB22UULQXV"})
			a.names = append(a.names, served{name: name, wildcard: wildcard, query: query, v4: v4, v6: v6, endpoint: i})
		}
		s3 := svc == "s3"
		if s3 {
			add(label+"."+zone, true, v4, v6)
		}
		add(label+"."+zone, false, v4, v6)
		for j, az := range azs {
			if s3 {
				add(label+"-"+az+"."+zone, true, zonal[j][0], zonal[j][1])
			}
			add(label+"-"+az+"."+zone, false, zonal[j][0], zonal[j][1])
		}
		if ep.PrivateDnsEnabled {
			private := fmt.Sprintf("%s-%d.us-east-1.amazonaws.com", strings.ReplaceAll(svc, ".", "-"), i)
			add(private, false, v4, v6)
			if s3 {
				add(private, true, v4, v6)
			}
		}
		a.snap.VpcEndpoints = append(a.snap.VpcEndpoints, ep)
	}
	return a
}

// randLabel is the random-looking part of an endpoint's DNS label, 8 characters of [a-z0-9].
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

func ipv4(k int) string { return fmt.Sprintf("10.%d.%d.%d", k>>16&255, k>>8&255, k&255) }

func ipv6(k int) string { return fmt.Sprintf("2600:1f18:%x::%x", k>>16, k&0xffff) }

// writeSnapshot writes the inventory as a snapshot file (also the EC2 fake's state file).
func (a *account) writeSnapshot(path string) error {
	return writeFile(path, func(w *bufio.Writer) error {
		return json.NewEncoder(w).Encode(a.snap)
	})
}

// writeHosts writes a hosts file with the same names and addresses; a wildcard's queried name
// is listed as a name of its own, since hosts files have no wildcards.
func (a *account) writeHosts(path string) error {
	return writeFile(path, func(w *bufio.Writer) error {
		for _, s := range a.names {
			for _, ip := range s.v4 {
				fmt.Fprintf(w, "%s %s\n", ip, s.query)
			}
			for _, ip := range s.v6 {
				fmt.Fprintf(w, "%s %s\n", ip, s.query)
			}
		}
		return nil
	})
}

// zoneOrigin is the zone that holds every generated name, for the file plugin.
const zoneOrigin = "amazonaws.com"

// writeZone writes an RFC 1035 zone file of zoneOrigin with the same names, wildcards and
// addresses, and the TTL the plugin answers with.
func (a *account) writeZone(path string) error {
	return writeFile(path, func(w *bufio.Writer) error {
		fmt.Fprintf(w, "$ORIGIN %s.\n$TTL 60\n", zoneOrigin)
		fmt.Fprintf(w, "@ IN SOA ns-1536.awsdns-00.co.uk. awsdns-hostmaster.amazon.com. 1 7200 900 1209600 60\n")
		fmt.Fprintf(w, "@ IN NS ns-1536.awsdns-00.co.uk.\n")
		for _, s := range a.names {
			owner := s.name + "."
			if s.wildcard {
				owner = "*." + owner
			}
			for _, ip := range s.v4 {
				fmt.Fprintf(w, "%s 60 IN A %s\n", owner, ip)
			}
			for _, ip := range s.v6 {
				fmt.Fprintf(w, "%s 60 IN AAAA %s\n", owner, ip)
			}
		}
		return nil
	})
}

// writeQueries writes a dnsperf query file over every served name, shuffled: an A query per
// name and an AAAA query per dualstack name. Names of endpoint skip (if >= 0) are left out.
func (a *account) writeQueries(path string, skip int) (int, error) {
	var lines []string
	for _, s := range a.names {
		if s.endpoint == skip {
			continue
		}
		lines = append(lines, s.query+" A")
		if len(s.v6) > 0 {
			lines = append(lines, s.query+" AAAA")
		}
	}
	rng := rand.New(rand.NewPCG(uint64(len(lines)), 7))
	rng.Shuffle(len(lines), func(i, j int) { lines[i], lines[j] = lines[j], lines[i] })
	return len(lines), writeFile(path, func(w *bufio.Writer) error {
		for _, l := range lines {
			w.WriteString(l)
			w.WriteByte('\n')
		}
		return nil
	})
}

// probe is a name and type every server of the account answers with records.
func (a *account) probe() string { return a.names[0].query + "." }

func writeFile(path string, fill func(*bufio.Writer) error) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	if err := fill(w); err != nil {
		f.Close()
		return err
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
