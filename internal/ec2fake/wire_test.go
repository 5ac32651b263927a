package ec2fake_test

// The fake's wire format against AWS's: the recorded responses of testdata/ec2-wire decode
// through the real SDK into what the fake then serves back, and the fake's XML matches them
// element by element, errors included.

import (
	"context"
	"encoding/xml"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/coredns-vpce/coredns-vpce/internal/ec2fake"
)

func readSample(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "ec2-wire", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// samples decodes the recorded EC2 responses with the real SDK, by serving
// them verbatim, which yields state that is exactly what AWS sent.
type samples struct {
	endpoints  []types.VpcEndpoint
	interfaces []types.NetworkInterface
	services   []types.ServiceDetail
}

func loadSamples(t *testing.T) samples {
	t.Helper()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = r.ParseForm()
		file := map[string]string{
			actDVE:  "describe-vpc-endpoints-page1.xml",
			actDNI:  "describe-network-interfaces.xml",
			actDVES: "describe-vpc-endpoint-services.xml",
		}[r.PostForm.Get("Action")]
		if r.PostForm.Get("NextToken") != "" {
			file = "describe-vpc-endpoints-page2.xml"
		}
		_, _ = w.Write(readSample(t, file))
	}))
	defer srv.Close()
	client := newClient(srv.URL)
	ctx := context.Background()

	var out samples
	p := ec2.NewDescribeVpcEndpointsPaginator(client, &ec2.DescribeVpcEndpointsInput{})
	for pages := 0; p.HasMorePages(); pages++ {
		page, err := p.NextPage(ctx)
		if err != nil || pages == 2 {
			t.Fatal("paging the samples failed:", err)
		}
		out.endpoints = append(out.endpoints, page.VpcEndpoints...)
	}
	nis, err := client.DescribeNetworkInterfaces(ctx, &ec2.DescribeNetworkInterfacesInput{})
	if err != nil {
		t.Fatal(err)
	}
	out.interfaces = nis.NetworkInterfaces
	sds, err := client.DescribeVpcEndpointServices(ctx, &ec2.DescribeVpcEndpointServicesInput{})
	if err != nil {
		t.Fatal(err)
	}
	out.services = sds.ServiceDetails
	if len(out.endpoints) != 6 || len(out.interfaces) != 4 || len(out.services) != 3 {
		t.Fatalf("samples decoded to %d endpoints, %d interfaces, %d services; want 6, 4, 3",
			len(out.endpoints), len(out.interfaces), len(out.services))
	}
	return out
}

func TestRoundTripSamples(t *testing.T) {
	want := loadSamples(t)
	s := startFake(t)
	s.Load(want.endpoints, want.interfaces, want.services, nil)
	client := newClient(s.URL())
	ctx := context.Background()

	eps, err := client.DescribeVpcEndpoints(ctx, &ec2.DescribeVpcEndpointsInput{})
	if err != nil {
		t.Fatal(err)
	}
	mustEqual(t, "endpoints", eps.VpcEndpoints, sortedBy(want.endpoints, endpointID))
	nis, err := client.DescribeNetworkInterfaces(ctx, &ec2.DescribeNetworkInterfacesInput{})
	if err != nil {
		t.Fatal(err)
	}
	mustEqual(t, "interfaces", nis.NetworkInterfaces, sortedBy(want.interfaces, interfaceID))
	sds, err := client.DescribeVpcEndpointServices(ctx, &ec2.DescribeVpcEndpointServicesInput{})
	if err != nil {
		t.Fatal(err)
	}
	mustEqual(t, "services", sds.ServiceDetails, sortedBy(want.services, serviceName))
	mustEqual(t, "service names", sds.ServiceNames, []string{
		"com.amazonaws.us-east-1.ecr.dkr",
		"com.amazonaws.us-east-1.monitoring",
		"com.amazonaws.vpce.us-east-1.vpce-svc-0c7c07b604c6f4254",
	})

	// The equality above is only as strong as the decoded samples are full:
	// check that every field a consumer reads came through with its value.
	byEP := map[string]types.VpcEndpoint{}
	for _, ep := range eps.VpcEndpoints {
		byEP[*ep.VpcEndpointId] = ep
	}
	ssm, s3 := byEP["vpce-0a1b2c3d4e5f60718"], byEP["vpce-0e25b8cdd720f900e"]
	mustEqual(t, "ssm endpoint", []any{
		ssm.VpcEndpointType, *ssm.VpcId, *ssm.ServiceName, ssm.State, ssm.SubnetIds, ssm.IpAddressType,
		ssm.DnsOptions.DnsRecordIpType, *ssm.PrivateDnsEnabled, *ssm.RequesterManaged, ssm.NetworkInterfaceIds,
		len(ssm.DnsEntries), *ssm.DnsEntries[3].DnsName, *ssm.DnsEntries[3].HostedZoneId,
		ssm.CreationTimestamp.Equal(time.Date(2026, 3, 2, 14, 5, 11, 482e6, time.UTC)),
		*ssm.Tags[0].Key, *ssm.Tags[0].Value, *ssm.OwnerId,
	}, []any{
		types.VpcEndpointTypeInterface, "vpc-0123456789abcdef0", "com.amazonaws.us-east-1.ssm", types.State("available"),
		[]string{"subnet-0aaa1111bbbb2222c", "subnet-0ddd3333eeee4444f"}, types.IpAddressTypeDualstack,
		types.DnsRecordIpTypeDualstack, true, false, []string{"eni-0a11b22c33d44e55f", "eni-0f66e77d88c99b00a"},
		5, "ssm.us-east-1.amazonaws.com", "Z0681234ABCDEFGH1JKL2",
		true, "Name", "hub-ssm", "111122223333",
	})
	mustEqual(t, "s3 inbound-only", *s3.DnsOptions.PrivateDnsOnlyForInboundResolverEndpoint, true)
	mustEqual(t, "pending state", byEP["vpce-0c590a7d7dba52eca"].State, types.State("pendingAcceptance"))

	ni := nis.NetworkInterfaces[0] // eni-053aa6ef1e910c230, no IPv6
	mustEqual(t, "interface without IPv6", []any{*ni.NetworkInterfaceId, ni.Ipv6Addresses, ni.Ipv6Address},
		[]any{"eni-053aa6ef1e910c230", []types.NetworkInterfaceIpv6Address{}, (*string)(nil)})
	ni = nis.NetworkInterfaces[2] // eni-0a11b22c33d44e55f
	mustEqual(t, "interface", []any{
		*ni.NetworkInterfaceId, *ni.SubnetId, *ni.VpcId, *ni.AvailabilityZone, *ni.AvailabilityZoneId,
		*ni.Description, *ni.OwnerId, *ni.RequesterManaged, ni.Status, *ni.PrivateIpAddress,
		*ni.PrivateIpAddresses[0].PrivateIpAddress, *ni.PrivateIpAddresses[0].Primary,
		*ni.Ipv6Addresses[0].Ipv6Address, *ni.Ipv6Address, ni.InterfaceType,
	}, []any{
		"eni-0a11b22c33d44e55f", "subnet-0aaa1111bbbb2222c", "vpc-0123456789abcdef0", "us-east-1a", "use1-az4",
		"VPC Endpoint Interface vpce-0a1b2c3d4e5f60718", "111122223333", true, types.NetworkInterfaceStatusInUse, "10.20.1.45",
		"10.20.1.45", true,
		"2600:1f18:4a3:6c01:9d2e:41b7:c0a8:2d11", "2600:1f18:4a3:6c01:9d2e:41b7:c0a8:2d11", types.NetworkInterfaceTypeVpcEndpoint,
	})

	sd := sds.ServiceDetails[1] // monitoring
	mustEqual(t, "service", []any{
		*sd.ServiceName, *sd.ServiceId, sd.ServiceType[0].ServiceType, len(sd.AvailabilityZones), *sd.Owner,
		sd.BaseEndpointDnsNames, *sd.PrivateDnsName, len(sd.PrivateDnsNames), *sd.PrivateDnsNames[3].PrivateDnsName,
		sd.PrivateDnsNameVerificationState, sd.SupportedIpAddressTypes,
	}, []any{
		"com.amazonaws.us-east-1.monitoring", "vpce-svc-0fc975f3e7e5beba4", types.ServiceTypeInterface, 6, "amazon",
		[]string{"monitoring.us-east-1.vpce.amazonaws.com"}, "monitoring.us-east-1.amazonaws.com", 4, "monitoring-fips.us-east-1.api.aws",
		types.DnsNameStateVerified, []types.ServiceConnectivityType{"ipv6", "ipv4"},
	})
}

func TestRoundTripPut(t *testing.T) {
	s := startFake(t)
	client := newClient(s.URL())
	ctx := context.Background()

	// Nil fields must stay nil (their elements omitted), empty lists empty,
	// and text must survive XML escaping.
	sparse := types.VpcEndpoint{
		VpcEndpointId: aws.String("vpce-00000000000000001"),
		Tags:          []types.Tag{{Key: aws.String("Name"), Value: aws.String(`a<b & "c" ]]> 'd'`)}},
		SubnetIds:     []string{},
	}
	s.PutEndpoint(sparse)
	eps, err := client.DescribeVpcEndpoints(ctx, &ec2.DescribeVpcEndpointsInput{})
	if err != nil {
		t.Fatal(err)
	}
	mustEqual(t, "sparse endpoint", eps.VpcEndpoints, []types.VpcEndpoint{sparse})

	subnet := types.Subnet{
		SubnetId:           aws.String("subnet-0aaa1111bbbb2222c"),
		VpcId:              aws.String("vpc-0123456789abcdef0"),
		AvailabilityZone:   aws.String("us-east-1a"),
		AvailabilityZoneId: aws.String("use1-az4"),
		CidrBlock:          aws.String("10.20.1.0/24"),
		Ipv6CidrBlockAssociationSet: []types.SubnetIpv6CidrBlockAssociation{{
			AssociationId:      aws.String("subnet-cidr-assoc-0123456789abcdef0"),
			Ipv6CidrBlock:      aws.String("2600:1f18:4a3:6c01::/64"),
			Ipv6CidrBlockState: &types.SubnetCidrBlockState{State: types.SubnetCidrBlockStateCodeAssociated},
		}},
		State:   types.SubnetStateAvailable,
		OwnerId: aws.String("111122223333"),
		Tags:    []types.Tag{},
	}
	s.PutSubnet(subnet)
	sns, err := client.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{})
	if err != nil {
		t.Fatal(err)
	}
	mustEqual(t, "subnet", sns.Subnets, []types.Subnet{subnet})
}

// TestWireMatchesSamples compares the fake's XML with AWS's element by
// element, beyond what the SDK happens to decode.
func TestWireMatchesSamples(t *testing.T) {
	want := loadSamples(t)
	s := startFake(t)
	s.Load(want.endpoints, want.interfaces, want.services, nil)

	cases := []struct {
		action, set string
		samples     []string
	}{
		{actDVE, "vpcEndpointSet", []string{"describe-vpc-endpoints-page1.xml", "describe-vpc-endpoints-page2.xml"}},
		{actDNI, "networkInterfaceSet", []string{"describe-network-interfaces.xml"}},
		{actDVES, "serviceDetailSet", []string{"describe-vpc-endpoint-services.xml"}},
	}
	for _, c := range cases {
		status, body := rawPost(t, s.URL(), form(c.action), false)
		if status != http.StatusOK {
			t.Fatalf("%s: status %d", c.action, status)
		}
		got := parseXML(t, body)
		if got.XMLName.Space != "http://ec2.amazonaws.com/doc/2016-11-15/" || got.XMLName.Local != c.action+"Response" {
			t.Errorf("%s: root %v", c.action, got.XMLName)
		}
		if id, _ := got.child("requestId"); id.Text == "" {
			t.Errorf("%s: no requestId", c.action)
		}
		if _, ok := got.child("nextToken"); ok {
			t.Errorf("%s: single page has a nextToken element", c.action)
		}
		gotItems := items(t, got, c.set)
		wantItems := map[string]xmlNode{}
		for _, f := range c.samples {
			doc := parseXML(t, readSample(t, f))
			for id, it := range items(t, doc, c.set) {
				wantItems[id] = it
			}
			if c.action == actDVES {
				gotNames, _ := got.child("serviceNameSet")
				wantNames, _ := doc.child("serviceNameSet")
				mustEqual(t, "serviceNameSet", gotNames, wantNames)
			}
		}
		if len(gotItems) != len(wantItems) {
			t.Errorf("%s: %d items, want %d", c.action, len(gotItems), len(wantItems))
		}
		for id, w := range wantItems {
			if g := gotItems[id]; !reflect.DeepEqual(g, w) {
				gx, _ := xml.MarshalIndent(g, "", " ")
				wx, _ := xml.MarshalIndent(w, "", " ")
				t.Errorf("%s %s:\ngot  %s\nwant %s", c.action, id, gx, wx)
			}
		}
	}
}

func TestErrorBodiesMatchSamples(t *testing.T) {
	s := startFake(t)
	strip := func(n xmlNode) xmlNode {
		n.Children = slices.DeleteFunc(slices.Clone(n.Children), func(c xmlNode) bool { return c.XMLName.Local == "RequestID" })
		return n
	}
	check := func(name string, status, wantStatus int, body []byte, sample string) {
		t.Helper()
		if status != wantStatus {
			t.Errorf("%s: status %d, want %d", name, status, wantStatus)
		}
		got := parseXML(t, body)
		if id, _ := got.child("RequestID"); id.Text == "" {
			t.Errorf("%s: no RequestID in %s", name, body)
		}
		mustEqual(t, name, strip(got), strip(parseXML(t, readSample(t, sample))))
	}

	status, body := rawPost(t, s.URL(), form(actDVE, "VpcEndpointId.1", "vpce-0deadbeef00000000"), false)
	check("not found", status, http.StatusBadRequest, body, "error-invalid-vpc-endpoint-id.xml")

	s.Inject(ec2fake.Fault{Kind: ec2fake.Throttle, Count: 1})
	status, body = rawPost(t, s.URL(), form(actDVE), false)
	check("throttle", status, http.StatusServiceUnavailable, body, "error-request-limit-exceeded.xml")
}
