package test

// Resource and ServiceNetwork endpoints: their custom names answer, from anywhere, as a CNAME
// to the association's default name followed by the upstream's records for it.

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/miekg/dns"

	"github.com/coredns-vpce/coredns-vpce/internal/testkit"
)

// The example snapshot's custom names and their default names.
const (
	exampleOrders    = "orders.cluster-c9xyzexample.ap-northeast-1.rds.amazonaws.com."
	exampleOrdersTgt = "vpce-0c8d9e0f1a2b3c4d5.rcfg-0aa11bb22cc33dd44.4232ccc.vpc-lattice-rsc.ap-northeast-1.on.aws."
	exampleDB        = "db.payments.example.com."
	exampleDBTgt     = "vpce-0d9e0f1a2b3c4d5e6-snra-0e1f2a3b4c5d6e7f8.rcfg-0dd11ee22ff33aa77.4232ccc.vpc-lattice-rsc.ap-northeast-1.on.aws."
)

// cnameChain is testkit.Chain's summary of a custom name answered through the stub upstream.
func cnameChain(name, target string) string {
	return fmt.Sprintf("%s CNAME %s, %s A %s", name, target, target, testkit.UpstreamAddr)
}

// expectChain waits until name answers with want (testkit.Chain).
func expectChain(t *testing.T, udp, name, want string) {
	t.Helper()
	testkit.Eventually(t, 10*time.Second, func() error {
		if got := testkit.Chain(testkit.Query(t, "udp", udp, name, dns.TypeA)); got != want {
			return fmt.Errorf("%s: %q, want %q", name, got, want)
		}
		return nil
	})
}

func TestResourceNamesFromSnapshot(t *testing.T) {
	udp, tcp := startServer(t, strings.ReplaceAll(exampleCorefile, "SNAPSHOT", "../example/snapshot.json"))
	for _, net := range []struct{ name, addr string }{{"udp", udp}, {"tcp", tcp}} {
		for _, c := range []struct{ name, target string }{{exampleOrders, exampleOrdersTgt}, {exampleDB, exampleDBTgt}} {
			resp := testkit.Query(t, net.name, net.addr, c.name, dns.TypeA)
			if got, want := testkit.Chain(resp), cnameChain(c.name, c.target); got != want {
				t.Errorf("A %s over %s: %q, want %q", c.name, net.name, got, want)
			}
			if cname := resp.Answer[0]; cname.Header().Ttl != 60 {
				t.Errorf("the CNAME's TTL %d, want the plugin's ttl 60", cname.Header().Ttl)
			}
		}
	}
	// The default names are public DNS's: the upstream answers them.
	if got, want := testkit.Chain(testkit.Query(t, "udp", udp, exampleDBTgt, dns.TypeA)), exampleDBTgt+" A "+testkit.UpstreamAddr; got != want {
		t.Errorf("the default name: %q, want %q", got, want)
	}
}

func TestLiveServiceNetworkAssociation(t *testing.T) {
	fake := testkit.StartFake(t)
	// Its region, from the ARN, is this test's alone in the process's metrics.
	fake.PutEndpoint(types.VpcEndpoint{VpcEndpointId: aws.String("vpce-0sn"), VpcEndpointType: types.VpcEndpointTypeServiceNetwork,
		VpcId: aws.String("vpc-1"), State: "Available", PrivateDnsEnabled: aws.Bool(true), IpAddressType: "IPV4",
		ServiceNetworkArn: aws.String("arn:aws:vpc-lattice:eu-south-2:444455556666:servicenetwork/sn-0123")})
	prom := testkit.FreeAddr(t)
	udp, _ := startServer(t, fmt.Sprintf(`.:0 {
    bind 127.0.0.1
    prometheus %s
    vpce {
        region us-east-1
        aws_endpoint %s
        refresh 100ms
    }
    forward . UPSTREAM
}`, prom, fake.URL()))
	const (
		name   = "db.payments.example.com."
		target = "vpce-0sn-snra-0e1f.rcfg-0dd1.4232ccc.vpc-lattice-rsc.us-east-1.on.aws."
	)
	upstream := name + " A " + testkit.UpstreamAddr
	expectChain(t, udp, name, upstream) // no association yet: not ours

	// An association appears: its custom name answers within a refresh.
	fake.PutAssociation(types.VpcEndpointAssociation{Id: aws.String("vpce-rsc-asc-01"), VpcEndpointId: aws.String("vpce-0sn"),
		AssociatedResourceAccessibility: aws.String("Accessible"),
		DnsEntry:                        &types.DnsEntry{DnsName: aws.String(strings.TrimSuffix(target, "."))},
		PrivateDnsEntry:                 &types.DnsEntry{DnsName: aws.String("db.payments.example.com")}})
	expectChain(t, udp, name, cnameChain(name, target))
	_, body := httpGet(t, "http://"+prom+"/metrics")
	for _, series := range []string{
		`coredns_vpce_endpoints{region="eu-south-2",server="dns://127.0.0.1:0",type="ServiceNetwork",view="",zones="."} 1`,
		`coredns_vpce_endpoints{region="eu-south-2",server="dns://127.0.0.1:0",type="Resource",view="",zones="."} 0`,
		`coredns_vpce_names{kind="resource",region="eu-south-2",server="dns://127.0.0.1:0",view="",zones="."} 1`,
		`coredns_vpce_answers_total{kind="resource",result="answer",server="dns://127.0.0.1:0"} `,
	} {
		if !strings.Contains(body, series) {
			t.Errorf("/metrics lacks %s\n%s", series, grepLines(body, "coredns_vpce_"))
		}
	}
	// Inaccessible: the name goes to the next plugin.
	fake.SetAssociationAccessibility("vpce-rsc-asc-01", "Inaccessible")
	expectChain(t, udp, name, upstream)
	if n := fake.Calls("DescribeVpcEndpointAssociations"); n == 0 {
		t.Error("no DescribeVpcEndpointAssociations call")
	}
}
