package test

// Answers too large for the client's UDP buffer: truncated to records of the set with TC, and
// whole over TCP.

import (
	"encoding/json"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/miekg/dns"

	"github.com/coredns-vpce/coredns-vpce/internal/testkit"
)

// hostileBigInterfaces is how many interfaces the large answer's endpoint has: 40 A records
// make 685 bytes, beyond 512; with 40 AAAA records the answer (about 1,800 bytes) is beyond
// 1232 too.
const hostileBigInterfaces = 40

func hostileBigSnapshot(t *testing.T) (file string, a, aaaa []string) {
	t.Helper()
	ep := types.VpcEndpoint{
		VpcEndpointId: aws.String("vpce-0big"), VpcEndpointType: types.VpcEndpointTypeInterface, VpcId: aws.String("vpc-1"),
		State: types.StateAvailable, PrivateDnsEnabled: aws.Bool(true), IpAddressType: types.IpAddressTypeDualstack,
		DnsOptions: &types.DnsOptions{DnsRecordIpType: types.DnsRecordIpTypeDualstack},
		DnsEntries: []types.DnsEntry{{DnsName: aws.String("vpce-0big-abcd1234.big.us-east-1.vpce.amazonaws.com")}, {DnsName: aws.String("big.us-east-1.amazonaws.com")}},
	}
	var nis []types.NetworkInterface
	for i := range hostileBigInterfaces {
		id := fmt.Sprintf("eni-big%02d", i)
		v4, v6 := fmt.Sprintf("10.0.%d.%d", i/6, 10+i), fmt.Sprintf("2600:1f18::%x", 0x100+i)
		nis = append(nis, types.NetworkInterface{NetworkInterfaceId: aws.String(id), AvailabilityZone: aws.String(fmt.Sprintf("us-east-1%c", 'a'+i%6)),
			PrivateIpAddress: aws.String(v4), Ipv6Addresses: []types.NetworkInterfaceIpv6Address{{Ipv6Address: aws.String(v6)}}})
		ep.NetworkInterfaceIds = append(ep.NetworkInterfaceIds, id)
		a, aaaa = append(a, v4), append(aaaa, net.ParseIP(v6).String())
	}
	data, err := json.Marshal(map[string]any{"VpcEndpoints": []types.VpcEndpoint{ep}, "NetworkInterfaces": nis})
	if err != nil {
		t.Fatal(err)
	}
	file = filepath.Join(t.TempDir(), "big.json")
	if err := os.WriteFile(file, data, 0o644); err != nil {
		t.Fatal(err)
	}
	slices.Sort(a)
	slices.Sort(aaaa)
	return file, a, aaaa
}

func TestHostileLargeAnswer(t *testing.T) {
	file, a, aaaa := hostileBigSnapshot(t)
	udp, tcp := startServer(t, strings.ReplaceAll(exampleCorefile, "SNAPSHOT", file))
	addrs := map[string]string{"udp": udp, "tcp": tcp}
	all := slices.Sorted(slices.Values(slices.Concat(a, aaaa)))
	const name = "big.us-east-1.amazonaws.com."
	cases := []struct {
		network string
		qtype   uint16
		edns    uint16 // 0: no EDNS
		want    []string
		tc      bool
	}{
		{"udp", dns.TypeA, 0, a, true},
		{"udp", dns.TypeAAAA, 0, aaaa, true},
		{"udp", dns.TypeA, 100, a, true}, // below 512 counts as 512
		{"udp", dns.TypeANY, 1232, all, true},
		{"udp", dns.TypeA, 1232, a, false},
		{"udp", dns.TypeANY, 4096, all, false},
		{"udp", dns.TypeANY, 65535, all, false},
		{"tcp", dns.TypeA, 0, a, false},
		{"tcp", dns.TypeANY, 0, all, false},
		{"tcp", dns.TypeANY, 512, all, false},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%s %s edns %d", c.network, dns.TypeToString[c.qtype], c.edns), func(t *testing.T) {
			m := hostileQuery(name, c.qtype)
			limit := dns.MinMsgSize
			if c.edns > 0 {
				m.SetEdns0(c.edns, false)
				limit = max(int(c.edns), dns.MinMsgSize)
			}
			resp, size := hostileExchange(t, c.network, addrs[c.network], m)
			got := hostileAddrs(t, name, resp.Answer)
			if resp.Rcode != dns.RcodeSuccess || resp.Truncated != c.tc {
				t.Fatalf("%s tc=%v (%d records, %d bytes), want NOERROR tc=%v", dns.RcodeToString[resp.Rcode], resp.Truncated, len(got), size, c.tc)
			}
			if c.network == "udp" && size > limit {
				t.Errorf("%d bytes over UDP, the client's limit is %d", size, limit)
			}
			if !c.tc && !slices.Equal(got, c.want) {
				t.Errorf("%d records, want all %d", len(got), len(c.want))
			}
			if c.tc {
				// A truncated answer holds only records of the set, fewer than all of them.
				if len(got) >= len(c.want) {
					t.Errorf("TC with all %d records", len(got))
				}
				for _, ip := range got {
					if !slices.Contains(c.want, ip) {
						t.Errorf("truncated answer holds %s, not one of the name's", ip)
					}
				}
			}
		})
	}
	// The client's retry over TCP of the truncated UDP answer gets everything.
	resp := testkit.Query(t, "tcp", tcp, name, dns.TypeANY)
	if got := hostileAddrs(t, name, resp.Answer); resp.Truncated || !slices.Equal(got, all) {
		t.Errorf("tcp ANY: tc=%v %d records, want %d", resp.Truncated, len(got), len(all))
	}
	// And the server still serves the small answers.
	for _, network := range []string{"udp", "tcp"} {
		resp := testkit.Query(t, network, addrs[network], "vpce-0big-abcd1234.big.us-east-1.vpce.amazonaws.com.", dns.TypeA)
		if got := hostileAddrs(t, resp.Question[0].Name, resp.Answer); !slices.Equal(got, a) {
			t.Errorf("%s regional name: %d records, want %d", network, len(got), len(a))
		}
	}
}
