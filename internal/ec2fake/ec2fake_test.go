package ec2fake_test

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/smithy-go"

	"github.com/coredns-vpce/coredns-vpce/internal/ec2fake"
	"github.com/coredns-vpce/coredns-vpce/internal/sdkhttp"
	"github.com/coredns-vpce/coredns-vpce/internal/testkit"
)

const (
	actDVE  = "DescribeVpcEndpoints"
	actDNI  = "DescribeNetworkInterfaces"
	actDVES = "DescribeVpcEndpointServices"
	actDS   = "DescribeSubnets"
)

// startFake starts a fake that is closed when the test ends. It sets no environment: the
// tests' clients are given their configuration.
func startFake(t *testing.T) *ec2fake.Server { return testkit.ServeFake(t, ec2fake.New()) }

// newClient returns a real SDK client for the endpoint at url that does not
// retry, so each call is exactly one request.
func newClient(url string, optFns ...func(*ec2.Options)) *ec2.Client {
	cfg := aws.Config{
		Region:      "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", "session-token"),
		Retryer:     func() aws.Retryer { return aws.NopRetryer{} },
		HTTPClient:  sdkhttp.OwnBody(&http.Client{}),
	}
	return ec2.NewFromConfig(cfg, append([]func(*ec2.Options){func(o *ec2.Options) {
		o.BaseEndpoint = aws.String(url)
	}}, optFns...)...)
}

// rawPost sends a form the way the SDK does, with a placeholder signature
// unless unsigned, and returns the status and body.
func rawPost(t *testing.T, endpoint string, form url.Values, unsigned bool) (int, []byte) {
	t.Helper()
	req, err := http.NewRequest(http.MethodPost, endpoint, strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	if !unsigned {
		req.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20260302/us-east-1/ec2/aws4_request, SignedHeaders=host, Signature=00")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp.StatusCode, body
}

func form(action string, kv ...string) url.Values {
	v := url.Values{"Action": {action}, "Version": {"2016-11-15"}}
	for i := 0; i+1 < len(kv); i += 2 {
		v.Add(kv[i], kv[i+1])
	}
	return v
}

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

func sortedBy[T any](items []T, id func(T) *string) []T {
	out := slices.Clone(items)
	slices.SortFunc(out, func(a, b T) int { return strings.Compare(*id(a), *id(b)) })
	return out
}

func endpointID(ep types.VpcEndpoint) *string       { return ep.VpcEndpointId }
func interfaceID(ni types.NetworkInterface) *string { return ni.NetworkInterfaceId }
func serviceName(sd types.ServiceDetail) *string    { return sd.ServiceName }

// mustEqual fails with both values as JSON, which shows nil versus empty.
func mustEqual(t *testing.T, what string, got, want any) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		g, _ := json.MarshalIndent(got, "", " ")
		w, _ := json.MarshalIndent(want, "", " ")
		t.Errorf("%s:\ngot  %s\nwant %s", what, g, w)
	}
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

// xmlNode is a generic XML element, for comparing documents structurally.
type xmlNode struct {
	XMLName  xml.Name
	Text     string    `xml:",chardata"`
	Children []xmlNode `xml:",any"`
}

func parseXML(t *testing.T, doc []byte) xmlNode {
	t.Helper()
	var n xmlNode
	if err := xml.Unmarshal(doc, &n); err != nil {
		t.Fatalf("%v in\n%s", err, doc)
	}
	var trim func(*xmlNode)
	trim = func(n *xmlNode) {
		n.Text = strings.TrimSpace(n.Text)
		for i := range n.Children {
			trim(&n.Children[i])
		}
	}
	trim(&n)
	return n
}

func (n xmlNode) child(name string) (xmlNode, bool) {
	for _, c := range n.Children {
		if c.XMLName.Local == name {
			return c, true
		}
	}
	return xmlNode{}, false
}

// items indexes the items of a response's set by their first child's text.
func items(t *testing.T, doc xmlNode, set string) map[string]xmlNode {
	t.Helper()
	s, ok := doc.child(set)
	if !ok {
		t.Fatalf("%s: no %s", doc.XMLName.Local, set)
	}
	out := map[string]xmlNode{}
	for _, it := range s.Children {
		out[it.Children[0].Text] = it
	}
	return out
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

func TestPaging(t *testing.T) {
	const n = 2500
	s := startFake(t)
	client := newClient(s.URL())
	ctx := context.Background()
	var wantIDs []string
	for i := range n {
		id := fmt.Sprintf("%05d", i)
		wantIDs = append(wantIDs, id)
		s.PutEndpoint(types.VpcEndpoint{VpcEndpointId: aws.String("vpce-" + id)})
		s.PutInterface(types.NetworkInterface{NetworkInterfaceId: aws.String("eni-" + id)})
	}

	// listing runs a paginator to the end and returns the IDs seen. A broken
	// last page would make the paginator run forever, so it gives up.
	const maxPages = 10
	errEndless := errors.New("paginator did not stop")
	listings := map[string]func() ([]string, error){
		actDVE: func() ([]string, error) {
			var ids []string
			p := ec2.NewDescribeVpcEndpointsPaginator(client, &ec2.DescribeVpcEndpointsInput{MaxResults: aws.Int32(1000)})
			for pages := 0; p.HasMorePages(); pages++ {
				if pages == maxPages {
					return nil, errEndless
				}
				page, err := p.NextPage(ctx)
				if err != nil {
					return nil, err
				}
				for _, ep := range page.VpcEndpoints {
					ids = append(ids, strings.TrimPrefix(*ep.VpcEndpointId, "vpce-"))
				}
				if len(ids) == n && page.NextToken != nil {
					return nil, fmt.Errorf("last page has NextToken %q", *page.NextToken)
				}
			}
			return ids, nil
		},
		actDNI: func() ([]string, error) {
			var ids []string
			p := ec2.NewDescribeNetworkInterfacesPaginator(client, &ec2.DescribeNetworkInterfacesInput{MaxResults: aws.Int32(1000)})
			for pages := 0; p.HasMorePages(); pages++ {
				if pages == maxPages {
					return nil, errEndless
				}
				page, err := p.NextPage(ctx)
				if err != nil {
					return nil, err
				}
				for _, ni := range page.NetworkInterfaces {
					ids = append(ids, strings.TrimPrefix(*ni.NetworkInterfaceId, "eni-"))
				}
				if len(ids) == n && page.NextToken != nil {
					return nil, fmt.Errorf("last page has NextToken %q", *page.NextToken)
				}
			}
			return ids, nil
		},
	}
	for action, list := range listings {
		s.ResetCalls()
		ids, err := list()
		if err != nil {
			t.Fatalf("%s: %v", action, err)
		}
		if !slices.Equal(ids, wantIDs) {
			t.Errorf("%s: got %d items, want each of %d once in ID order", action, len(ids), n)
		}
		if got := s.Calls(action); got != 3 {
			t.Errorf("%s: %d calls, want 3", action, got)
		}
		var pages []int
		for _, r := range s.Requests() {
			pages = append(pages, r.Page)
			if r.Params.Get("MaxResults") != "1000" || r.Status != http.StatusOK {
				t.Errorf("%s: request %v status %d", action, r.Params, r.Status)
			}
		}
		mustEqual(t, action+" pages", pages, []int{1, 2, 3})
	}
}

// idsOrCode is what an SDK call returned: the IDs listed, or the error code.
type idsOrCode struct {
	ids  []string
	code string
}

func result[T any](items []T, id func(T) *string, err error) idsOrCode {
	if err != nil {
		var ae smithy.APIError
		if errors.As(err, &ae) {
			return idsOrCode{code: ae.ErrorCode()}
		}
		return idsOrCode{code: err.Error()}
	}
	out := idsOrCode{ids: []string{}}
	for _, it := range items {
		out.ids = append(out.ids, *id(it))
	}
	return out
}

func filters(kv ...string) []types.Filter {
	var out []types.Filter
	for i := 0; i+1 < len(kv); i += 2 {
		out = append(out, types.Filter{Name: aws.String(kv[i]), Values: strings.Split(kv[i+1], ",")})
	}
	return out
}

func tags(kv ...string) []types.Tag {
	var out []types.Tag
	for i := 0; i+1 < len(kv); i += 2 {
		out = append(out, types.Tag{Key: aws.String(kv[i]), Value: aws.String(kv[i+1])})
	}
	return out
}

func TestFilters(t *testing.T) {
	s := startFake(t)
	client := newClient(s.URL())
	ctx := context.Background()
	s.Load(
		[]types.VpcEndpoint{
			{VpcEndpointId: aws.String("vpce-1"), VpcId: aws.String("vpc-a"), VpcEndpointType: "Interface",
				ServiceName: aws.String("com.amazonaws.us-east-1.ssm"), State: "available", Tags: tags("Name", "one", "env", "prod")},
			{VpcEndpointId: aws.String("vpce-2"), VpcId: aws.String("vpc-a"), VpcEndpointType: "Gateway",
				ServiceName: aws.String("com.amazonaws.us-east-1.s3"), State: "available", Tags: tags("env", "dev")},
			{VpcEndpointId: aws.String("vpce-3"), VpcId: aws.String("vpc-b"), VpcEndpointType: "Interface",
				ServiceName: aws.String("com.amazonaws.us-east-1.ssm"), State: "pendingAcceptance"},
			{VpcEndpointId: aws.String("vpce-4"), VpcId: aws.String("vpc-b"), VpcEndpointType: "Interface",
				ServiceName: aws.String("com.amazonaws.us-east-1.ecr.dkr"), State: "Available"},
		},
		[]types.NetworkInterface{
			{NetworkInterfaceId: aws.String("eni-1"), VpcId: aws.String("vpc-a"), InterfaceType: "vpc_endpoint", AvailabilityZone: aws.String("us-east-1a")},
			{NetworkInterfaceId: aws.String("eni-2"), VpcId: aws.String("vpc-a"), InterfaceType: "interface", AvailabilityZone: aws.String("us-east-1b")},
			{NetworkInterfaceId: aws.String("eni-3"), VpcId: aws.String("vpc-b"), InterfaceType: "vpc_endpoint", AvailabilityZone: aws.String("us-east-1b")},
		},
		[]types.ServiceDetail{
			{ServiceName: aws.String("svc-a")}, {ServiceName: aws.String("svc-b")}, {ServiceName: aws.String("svc-c")},
		},
		[]types.Subnet{
			{SubnetId: aws.String("subnet-1"), VpcId: aws.String("vpc-a")},
			{SubnetId: aws.String("subnet-2"), VpcId: aws.String("vpc-a")},
			{SubnetId: aws.String("subnet-3"), VpcId: aws.String("vpc-b")},
		},
	)
	dve := func(in *ec2.DescribeVpcEndpointsInput) idsOrCode {
		out, err := client.DescribeVpcEndpoints(ctx, in)
		if err != nil {
			return result[types.VpcEndpoint](nil, nil, err)
		}
		return result(out.VpcEndpoints, endpointID, nil)
	}
	dni := func(in *ec2.DescribeNetworkInterfacesInput) idsOrCode {
		out, err := client.DescribeNetworkInterfaces(ctx, in)
		if err != nil {
			return result[types.NetworkInterface](nil, nil, err)
		}
		return result(out.NetworkInterfaces, interfaceID, nil)
	}
	dves := func(in *ec2.DescribeVpcEndpointServicesInput) idsOrCode {
		out, err := client.DescribeVpcEndpointServices(ctx, in)
		if err != nil {
			return result[types.ServiceDetail](nil, nil, err)
		}
		return result(out.ServiceDetails, serviceName, nil)
	}
	ds := func(in *ec2.DescribeSubnetsInput) idsOrCode {
		out, err := client.DescribeSubnets(ctx, in)
		if err != nil {
			return result[types.Subnet](nil, nil, err)
		}
		return result(out.Subnets, func(sn types.Subnet) *string { return sn.SubnetId }, nil)
	}
	ids := func(ids ...string) idsOrCode { return idsOrCode{ids: append([]string{}, ids...)} }
	code := func(c string) idsOrCode { return idsOrCode{code: c} }

	cases := []struct {
		name string
		got  func() idsOrCode
		want idsOrCode
	}{
		{"vpc-id", func() idsOrCode { return dve(&ec2.DescribeVpcEndpointsInput{Filters: filters("vpc-id", "vpc-a")}) }, ids("vpce-1", "vpce-2")},
		{"vpc-id OR", func() idsOrCode {
			return dve(&ec2.DescribeVpcEndpointsInput{Filters: filters("vpc-id", "vpc-a,vpc-b")})
		}, ids("vpce-1", "vpce-2", "vpce-3", "vpce-4")},
		{"vpc-endpoint-type", func() idsOrCode {
			return dve(&ec2.DescribeVpcEndpointsInput{Filters: filters("vpc-endpoint-type", "Interface")})
		}, ids("vpce-1", "vpce-3", "vpce-4")},
		{"service-name", func() idsOrCode {
			return dve(&ec2.DescribeVpcEndpointsInput{Filters: filters("service-name", "com.amazonaws.us-east-1.ssm")})
		}, ids("vpce-1", "vpce-3")},
		{"vpc-endpoint-state ignores case", func() idsOrCode {
			return dve(&ec2.DescribeVpcEndpointsInput{Filters: filters("vpc-endpoint-state", "Available")})
		}, ids("vpce-1", "vpce-2", "vpce-4")},
		{"vpc-endpoint-state pending", func() idsOrCode {
			return dve(&ec2.DescribeVpcEndpointsInput{Filters: filters("vpc-endpoint-state", "PENDINGACCEPTANCE")})
		}, ids("vpce-3")},
		{"vpc-endpoint-id", func() idsOrCode {
			return dve(&ec2.DescribeVpcEndpointsInput{Filters: filters("vpc-endpoint-id", "vpce-2,vpce-4,vpce-9")})
		}, ids("vpce-2", "vpce-4")},
		{"tag:key", func() idsOrCode { return dve(&ec2.DescribeVpcEndpointsInput{Filters: filters("tag:env", "prod")}) }, ids("vpce-1")},
		{"tag:key OR", func() idsOrCode {
			return dve(&ec2.DescribeVpcEndpointsInput{Filters: filters("tag:env", "prod,dev")})
		}, ids("vpce-1", "vpce-2")},
		{"tag:key value of another key", func() idsOrCode {
			return dve(&ec2.DescribeVpcEndpointsInput{Filters: filters("tag:Name", "prod")})
		}, ids()},
		{"tag-key", func() idsOrCode { return dve(&ec2.DescribeVpcEndpointsInput{Filters: filters("tag-key", "env")}) }, ids("vpce-1", "vpce-2")},
		{"filters AND", func() idsOrCode {
			return dve(&ec2.DescribeVpcEndpointsInput{Filters: filters("vpc-id", "vpc-b", "vpc-endpoint-state", "available")})
		}, ids("vpce-4")},
		{"VpcEndpointIds", func() idsOrCode {
			return dve(&ec2.DescribeVpcEndpointsInput{VpcEndpointIds: []string{"vpce-3", "vpce-1"}})
		}, ids("vpce-1", "vpce-3")},
		{"VpcEndpointIds missing", func() idsOrCode {
			return dve(&ec2.DescribeVpcEndpointsInput{VpcEndpointIds: []string{"vpce-1", "vpce-9"}})
		}, code("InvalidVpcEndpointId.NotFound")},
		{"unknown endpoint filter", func() idsOrCode { return dve(&ec2.DescribeVpcEndpointsInput{Filters: filters("vpc", "vpc-a")}) }, code("InvalidParameterValue")},

		{"interface-type", func() idsOrCode {
			return dni(&ec2.DescribeNetworkInterfacesInput{Filters: filters("interface-type", "vpc_endpoint")})
		}, ids("eni-1", "eni-3")},
		{"interface vpc-id", func() idsOrCode {
			return dni(&ec2.DescribeNetworkInterfacesInput{Filters: filters("vpc-id", "vpc-a")})
		}, ids("eni-1", "eni-2")},
		{"network-interface-id", func() idsOrCode {
			return dni(&ec2.DescribeNetworkInterfacesInput{Filters: filters("network-interface-id", "eni-2")})
		}, ids("eni-2")},
		{"availability-zone", func() idsOrCode {
			return dni(&ec2.DescribeNetworkInterfacesInput{Filters: filters("availability-zone", "us-east-1b")})
		}, ids("eni-2", "eni-3")},
		{"interface filters AND", func() idsOrCode {
			return dni(&ec2.DescribeNetworkInterfacesInput{Filters: filters("interface-type", "vpc_endpoint", "availability-zone", "us-east-1b")})
		}, ids("eni-3")},
		{"NetworkInterfaceIds", func() idsOrCode {
			return dni(&ec2.DescribeNetworkInterfacesInput{NetworkInterfaceIds: []string{"eni-3"}})
		}, ids("eni-3")},
		{"NetworkInterfaceIds with MaxResults", func() idsOrCode {
			return dni(&ec2.DescribeNetworkInterfacesInput{NetworkInterfaceIds: []string{"eni-3"}, MaxResults: aws.Int32(5)})
		}, code("InvalidParameterCombination")},
		{"unknown interface filter", func() idsOrCode {
			return dni(&ec2.DescribeNetworkInterfacesInput{Filters: filters("service-name", "x")})
		}, code("InvalidParameterValue")},

		{"service-name (services)", func() idsOrCode {
			return dves(&ec2.DescribeVpcEndpointServicesInput{Filters: filters("service-name", "svc-a,svc-c")})
		}, ids("svc-a", "svc-c")},
		{"ServiceNames", func() idsOrCode {
			return dves(&ec2.DescribeVpcEndpointServicesInput{ServiceNames: []string{"svc-b"}})
		}, ids("svc-b")},
		{"ServiceNames missing", func() idsOrCode {
			return dves(&ec2.DescribeVpcEndpointServicesInput{ServiceNames: []string{"svc-x"}})
		}, code("InvalidServiceName")},

		{"subnet vpc-id", func() idsOrCode { return ds(&ec2.DescribeSubnetsInput{Filters: filters("vpc-id", "vpc-a")}) }, ids("subnet-1", "subnet-2")},
		{"subnet-id", func() idsOrCode { return ds(&ec2.DescribeSubnetsInput{Filters: filters("subnet-id", "subnet-3")}) }, ids("subnet-3")},
		{"unknown subnet filter", func() idsOrCode { return ds(&ec2.DescribeSubnetsInput{Filters: filters("cidr", "x")}) }, code("InvalidParameterValue")},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) { mustEqual(t, c.name, c.got(), c.want) })
	}

	// The SDK's filter serialization, as recorded.
	s.ResetCalls()
	dve(&ec2.DescribeVpcEndpointsInput{Filters: filters("vpc-id", "vpc-a,vpc-b", "tag:env", "prod")})
	p := s.Requests()[0].Params
	mustEqual(t, "filter params", []string{
		p.Get("Filter.1.Name"), p.Get("Filter.1.Value.1"), p.Get("Filter.1.Value.2"),
		p.Get("Filter.2.Name"), p.Get("Filter.2.Value.1"),
	}, []string{"vpc-id", "vpc-a", "vpc-b", "tag:env", "prod"})
}

func TestParameterValidation(t *testing.T) {
	s := startFake(t)
	other := startFake(t)
	client := newClient(s.URL())
	ctx := context.Background()
	for i := range 1500 {
		s.PutEndpoint(types.VpcEndpoint{VpcEndpointId: aws.String(fmt.Sprintf("vpce-%05d", i))})
		s.PutInterface(types.NetworkInterface{NetworkInterfaceId: aws.String(fmt.Sprintf("eni-%05d", i))})
		other.PutEndpoint(types.VpcEndpoint{VpcEndpointId: aws.String(fmt.Sprintf("vpce-%05d", i))})
	}
	token := func(c *ec2.Client, action string) string {
		t.Helper()
		var next *string
		var err error
		if action == actDVE {
			var out *ec2.DescribeVpcEndpointsOutput
			out, err = c.DescribeVpcEndpoints(ctx, &ec2.DescribeVpcEndpointsInput{MaxResults: aws.Int32(5)})
			if err == nil {
				next = out.NextToken
			}
		} else {
			var out *ec2.DescribeNetworkInterfacesOutput
			out, err = c.DescribeNetworkInterfaces(ctx, &ec2.DescribeNetworkInterfacesInput{MaxResults: aws.Int32(5)})
			if err == nil {
				next = out.NextToken
			}
		}
		if err != nil || next == nil {
			t.Fatalf("%s: no token (%v)", action, err)
		}
		return *next
	}
	dve := func(maxResults int32, token string) (int, error) {
		in := &ec2.DescribeVpcEndpointsInput{MaxResults: aws.Int32(maxResults)}
		if token != "" {
			in.NextToken = aws.String(token)
		}
		out, err := client.DescribeVpcEndpoints(ctx, in)
		if err != nil {
			return 0, err
		}
		return len(out.VpcEndpoints), nil
	}
	dni := func(maxResults int32) (int, error) {
		out, err := client.DescribeNetworkInterfaces(ctx, &ec2.DescribeNetworkInterfacesInput{MaxResults: aws.Int32(maxResults)})
		if err != nil {
			return 0, err
		}
		return len(out.NetworkInterfaces), nil
	}

	cases := []struct {
		name     string
		call     func() (int, error)
		wantN    int
		wantCode string
	}{
		{"endpoints MaxResults 0", func() (int, error) { return dve(0, "") }, 0, "InvalidParameterValue"},
		{"endpoints MaxResults 1", func() (int, error) { return dve(1, "") }, 1, ""},
		{"endpoints MaxResults above 1000 is capped", func() (int, error) { return dve(5000, "") }, 1000, ""},
		{"interfaces MaxResults 4", func() (int, error) { return dni(4) }, 0, "InvalidParameterValue"},
		{"interfaces MaxResults 5", func() (int, error) { return dni(5) }, 5, ""},
		{"interfaces MaxResults 1001", func() (int, error) { return dni(1001) }, 0, "InvalidParameterValue"},
		{"garbage token", func() (int, error) { return dve(5, "garbage") }, 0, "InvalidPaginationToken"},
		{"token of another action", func() (int, error) { return dve(5, token(client, actDNI)) }, 0, "InvalidPaginationToken"},
		{"token of another server", func() (int, error) { return dve(5, token(newClient(other.URL()), actDVE)) }, 0, "InvalidPaginationToken"},
		{"valid token", func() (int, error) { return dve(5, token(client, actDVE)) }, 5, ""},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			n, err := c.call()
			gotCode := ""
			var ae smithy.APIError
			if errors.As(err, &ae) {
				gotCode = ae.ErrorCode()
				var re *awshttp.ResponseError
				if !errors.As(err, &re) || re.HTTPStatusCode() != http.StatusBadRequest {
					t.Errorf("want HTTP 400, got %v", err)
				}
			} else if err != nil {
				t.Fatal(err)
			}
			if n != c.wantN || gotCode != c.wantCode {
				t.Errorf("got %d items, code %q; want %d, %q", n, gotCode, c.wantN, c.wantCode)
			}
		})
	}

	status, body := rawPost(t, s.URL(), form("DescribeInstances"), false)
	if status != http.StatusBadRequest || !bytes.Contains(body, []byte("<Code>InvalidAction</Code>")) {
		t.Errorf("unknown action: %d %s", status, body)
	}
	status, body = rawPost(t, s.URL(), form(actDVE, "Filter.1.Value.1", "x"), false)
	msg, _ := parseXML(t, body).child("Errors")
	if status != http.StatusBadRequest || msg.Children[0].Children[1].Text != "The filter 'null' is invalid" {
		t.Errorf("filter without name: %d %s", status, body)
	}
}

// apiErr returns the EC2 error code and HTTP status of err.
func apiErr(t *testing.T, err error) (string, int) {
	t.Helper()
	var ae smithy.APIError
	var re *awshttp.ResponseError
	if !errors.As(err, &ae) || !errors.As(err, &re) {
		t.Fatalf("not an API error: %v", err)
	}
	return ae.ErrorCode(), re.HTTPStatusCode()
}

func TestFaultKinds(t *testing.T) {
	s := startFake(t)
	client := newClient(s.URL())
	ctx := context.Background()
	s.PutEndpoint(types.VpcEndpoint{VpcEndpointId: aws.String("vpce-1")})
	describe := func(ctx context.Context) error {
		_, err := client.DescribeVpcEndpoints(ctx, &ec2.DescribeVpcEndpointsInput{})
		return err
	}

	for _, c := range []struct {
		kind   ec2fake.FaultKind
		code   string
		status int
	}{
		{ec2fake.Throttle, "RequestLimitExceeded", 503},
		{ec2fake.InternalError, "InternalError", 500},
		{ec2fake.Unauthorized, "UnauthorizedOperation", 403},
		{ec2fake.ExpiredCredentials, "RequestExpired", 400},
	} {
		t.Run(c.kind.String(), func(t *testing.T) {
			s.ResetCalls()
			s.Inject(ec2fake.Fault{Kind: c.kind, Count: 1})
			code, status := apiErr(t, describe(ctx))
			if code != c.code || status != c.status {
				t.Errorf("got %s %d, want %s %d", code, status, c.code, c.status)
			}
			if err := describe(ctx); err != nil {
				t.Errorf("after Count ran out: %v", err)
			}
			mustEqual(t, "statuses", statuses(s.Requests()), []int{c.status, 200})
		})
	}

	t.Run("Malformed", func(t *testing.T) {
		s.Inject(ec2fake.Fault{Kind: ec2fake.Malformed, Count: 1})
		err := describe(ctx)
		var de *smithy.DeserializationError
		if !errors.As(err, &de) {
			t.Fatalf("want a deserialization error, got %v", err)
		}
	})

	t.Run("Slow answers after Delay", func(t *testing.T) {
		s.Inject(ec2fake.Fault{Kind: ec2fake.Slow, Delay: 200 * time.Millisecond, Count: 1})
		start := time.Now()
		if err := describe(ctx); err != nil {
			t.Fatal(err)
		}
		if d := time.Since(start); d < 200*time.Millisecond {
			t.Errorf("answered after %v", d)
		}
	})

	t.Run("Slow times out", func(t *testing.T) {
		s.ResetCalls()
		s.Inject(ec2fake.Fault{Kind: ec2fake.Slow, Delay: time.Minute, Count: 1})
		tctx, cancel := context.WithTimeout(ctx, 200*time.Millisecond)
		defer cancel()
		start := time.Now()
		err := describe(tctx)
		if !errors.Is(err, context.DeadlineExceeded) {
			t.Fatalf("want a timeout, got %v", err)
		}
		if d := time.Since(start); d > 5*time.Second {
			t.Errorf("timed out after %v", d)
		}
		// The server notices the client left and logs no answer.
		testkit.Eventually(t, 5*time.Second, func() error {
			if n := len(s.Requests()); n != 1 {
				return fmt.Errorf("%d requests logged, want 1", n)
			}
			return nil
		})
		mustEqual(t, "statuses", statuses(s.Requests()), []int{0})
	})

	t.Run("unsigned", func(t *testing.T) {
		s.ResetCalls()
		resp, err := http.PostForm(s.URL(), form(actDVE))
		if err != nil {
			t.Fatal(err)
		}
		body, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized || !bytes.Contains(body, []byte("<Code>AuthFailure</Code>")) {
			t.Errorf("got %d %s", resp.StatusCode, body)
		}
		if s.Calls(actDVE) != 1 {
			t.Errorf("unsigned request not counted")
		}
	})
}

func statuses(reqs []ec2fake.Request) []int {
	var out []int
	for _, r := range reqs {
		out = append(out, r.Status)
	}
	return out
}

func TestFaultMatching(t *testing.T) {
	s := startFake(t)
	client := newClient(s.URL())
	ctx := context.Background()
	for i := range 25 {
		s.PutEndpoint(types.VpcEndpoint{VpcEndpointId: aws.String(fmt.Sprintf("vpce-%02d", i))})
	}
	page := func(token *string) (*string, error) {
		out, err := client.DescribeVpcEndpoints(ctx, &ec2.DescribeVpcEndpointsInput{MaxResults: aws.Int32(10), NextToken: token})
		if err != nil {
			return nil, err
		}
		return out.NextToken, nil
	}

	t.Run("page 2 of 3", func(t *testing.T) {
		s.ResetCalls()
		s.Inject(ec2fake.Fault{Action: actDVE, Page: 2, Kind: ec2fake.Throttle, Count: 1})
		tok2, err := page(nil)
		if err != nil {
			t.Fatalf("page 1: %v", err)
		}
		if _, err := page(tok2); err == nil {
			t.Fatal("page 2 not faulted")
		}
		tok3, err := page(tok2)
		if err != nil {
			t.Fatalf("page 2 retried: %v", err)
		}
		if last, err := page(tok3); err != nil || last != nil {
			t.Fatalf("page 3: %v, next %v", err, last)
		}
		var got [][2]int
		for _, r := range s.Requests() {
			got = append(got, [2]int{r.Page, r.Status})
		}
		mustEqual(t, "pages and statuses", got, [][2]int{{1, 200}, {2, 503}, {2, 200}, {3, 200}})
	})

	t.Run("Count", func(t *testing.T) {
		s.Inject(ec2fake.Fault{Kind: ec2fake.InternalError, Count: 2})
		for i, wantErr := range []bool{true, true, false} {
			if _, err := page(nil); (err != nil) != wantErr {
				t.Errorf("call %d: %v", i+1, err)
			}
		}
	})

	t.Run("until ClearFaults", func(t *testing.T) {
		s.Inject(ec2fake.Fault{Kind: ec2fake.Unauthorized})
		for range 3 {
			if _, err := page(nil); err == nil {
				t.Fatal("not faulted")
			}
		}
		s.ClearFaults()
		if _, err := page(nil); err != nil {
			t.Fatal(err)
		}
	})

	t.Run("Action", func(t *testing.T) {
		s.Inject(ec2fake.Fault{Action: actDNI, Kind: ec2fake.Throttle})
		defer s.ClearFaults()
		if _, err := page(nil); err != nil {
			t.Fatalf("fault of another action applied: %v", err)
		}
		_, err := client.DescribeNetworkInterfaces(ctx, &ec2.DescribeNetworkInterfacesInput{})
		if code, _ := apiErr(t, err); code != "RequestLimitExceeded" {
			t.Errorf("got %s", code)
		}
	})

	t.Run("SDK retries transient faults", func(t *testing.T) {
		s.ResetCalls()
		s.Inject(ec2fake.Fault{Kind: ec2fake.Throttle, Count: 1})
		s.Inject(ec2fake.Fault{Kind: ec2fake.InternalError, Count: 1})
		retrying := newClient(s.URL(), func(o *ec2.Options) {
			o.Retryer = retry.AddWithMaxBackoffDelay(retry.NewStandard(), 50*time.Millisecond)
		})
		if _, err := retrying.DescribeVpcEndpoints(ctx, &ec2.DescribeVpcEndpointsInput{}); err != nil {
			t.Fatal(err)
		}
		mustEqual(t, "statuses", statuses(s.Requests()), []int{503, 500, 200})
	})
}

func TestRequestLog(t *testing.T) {
	s := startFake(t)
	client := newClient(s.URL())
	ctx := context.Background()
	var hooked []string
	var mu sync.Mutex
	s2 := ec2fake.New()
	s2.OnRequest(func(r ec2fake.Request) {
		mu.Lock()
		defer mu.Unlock()
		hooked = append(hooked, fmt.Sprintf("%s %d %d", r.Action, r.Page, r.Status))
	})
	testkit.ServeFake(t, s2)

	if _, err := client.DescribeNetworkInterfaces(ctx, &ec2.DescribeNetworkInterfacesInput{
		IncludeManagedResources: aws.Bool(true),
		Filters:                 filters("interface-type", "vpc_endpoint"),
	}); err != nil {
		t.Fatal(err)
	}
	if _, err := client.DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{}); err != nil {
		t.Fatal(err)
	}
	if _, err := newClient(s2.URL()).DescribeSubnets(ctx, &ec2.DescribeSubnetsInput{}); err != nil {
		t.Fatal(err)
	}

	reqs := s.Requests()
	if len(reqs) != 2 || s.Calls(actDNI) != 1 || s.Calls(actDS) != 1 || s.Calls(actDVE) != 0 {
		t.Fatalf("log %+v", reqs)
	}
	r := reqs[0]
	if r.Action != actDNI || r.Page != 1 || r.Status != 200 {
		t.Errorf("request %+v", r)
	}
	mustEqual(t, "params", []string{
		r.Params.Get("Version"), r.Params.Get("IncludeManagedResources"), r.Params.Get("Filter.1.Name"), r.Params.Get("Filter.1.Value.1"),
	}, []string{"2016-11-15", "true", "interface-type", "vpc_endpoint"})
	for k, v := range r.Params {
		if slices.ContainsFunc(v, func(s string) bool { return strings.Contains(s, "session-token") || strings.Contains(s, "AWS4-") }) {
			t.Errorf("credential material logged: %s=%v", k, v)
		}
	}

	// The log is a copy.
	r.Params.Set("Version", "changed")
	if s.Requests()[0].Params.Get("Version") != "2016-11-15" {
		t.Error("Requests shares Params with the log")
	}
	s.ResetCalls()
	if len(s.Requests()) != 0 || s.Calls(actDNI) != 0 {
		t.Error("ResetCalls kept entries")
	}
	mu.Lock()
	defer mu.Unlock()
	mustEqual(t, "OnRequest", hooked, []string{"DescribeSubnets 1 200"})
}

func TestConcurrentUse(t *testing.T) {
	s := startFake(t)
	client := newClient(s.URL())
	ctx := context.Background()
	for i := range 50 {
		s.PutEndpoint(types.VpcEndpoint{VpcEndpointId: aws.String(fmt.Sprintf("vpce-%02d", i)), State: "available"})
	}
	stop := make(chan struct{})
	var writers sync.WaitGroup
	writers.Go(func() {
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			id := fmt.Sprintf("vpce-x%d", i%10)
			s.PutEndpoint(types.VpcEndpoint{VpcEndpointId: aws.String(id)})
			s.SetEndpointState(id, "pendingAcceptance")
			s.PutInterface(types.NetworkInterface{NetworkInterfaceId: aws.String(id)})
			s.DeleteInterface(id)
			s.DeleteEndpoint(id)
			s.Inject(ec2fake.Fault{Kind: ec2fake.Slow, Delay: time.Millisecond, Count: 1})
			_ = s.Requests()
			_ = s.Calls(actDVE)
			_ = s.Snapshot()
			if i%50 == 0 {
				s.ClearFaults()
				s.ResetCalls()
			}
		}
	})
	var readers sync.WaitGroup
	for range 8 {
		readers.Go(func() {
			for range 10 {
				seen := 0
				p := ec2.NewDescribeVpcEndpointsPaginator(client, &ec2.DescribeVpcEndpointsInput{
					MaxResults: aws.Int32(7),
					Filters:    filters("vpc-endpoint-state", "available"),
				})
				for pages := 0; p.HasMorePages(); pages++ {
					page, err := p.NextPage(ctx)
					if err != nil || pages == 10 {
						t.Error("paging failed:", err)
						return
					}
					seen += len(page.VpcEndpoints)
				}
				if seen != 50 {
					t.Errorf("saw %d available endpoints, want 50", seen)
				}
			}
		})
	}
	readers.Wait()
	close(stop)
	writers.Wait()
}

func TestCloseReleasesSlowRequests(t *testing.T) {
	s := ec2fake.New()
	if err := s.Start(); err != nil {
		t.Fatal(err)
	}
	s.Inject(ec2fake.Fault{Kind: ec2fake.Slow}) // no Delay: hold until released
	errc := make(chan error, 1)
	go func() {
		_, err := newClient(s.URL()).DescribeVpcEndpoints(context.Background(), &ec2.DescribeVpcEndpointsInput{})
		errc <- err
	}()
	// Give the request time to reach the handler: the log records requests
	// only once they are answered.
	time.Sleep(100 * time.Millisecond)
	start := time.Now()
	s.Close()
	if d := time.Since(start); d > time.Second {
		t.Errorf("Close took %v", d)
	}
	if err := <-errc; err == nil {
		t.Error("held request answered normally")
	}
}

func TestAdminAPI(t *testing.T) {
	s := startFake(t)
	client := newClient(s.URL())
	ctx := context.Background()
	admin := func(method, path, body string) (int, string) {
		t.Helper()
		return adminCall(t, s, method, path, body)
	}
	mustStatus := func(what string, got int, body string, want int) {
		t.Helper()
		if got != want {
			t.Fatalf("%s: status %d (%s), want %d", what, got, body, want)
		}
	}

	// AWS CLI style JSON, as describe-vpc-endpoints prints it.
	st, body := admin("POST", "/_fake/endpoints", `{
		"VpcEndpointId": "vpce-0a1b2c3d4e5f60718",
		"VpcEndpointType": "Interface",
		"VpcId": "vpc-0123456789abcdef0",
		"ServiceName": "com.amazonaws.us-east-1.ssm",
		"State": "pendingAcceptance",
		"NetworkInterfaceIds": ["eni-0a11b22c33d44e55f"],
		"DnsEntries": [{"DnsName": "ssm.us-east-1.amazonaws.com", "HostedZoneId": "Z0681234ABCDEFGH1JKL2"}],
		"CreationTimestamp": "2026-03-02T14:05:11.482000+00:00",
		"NetworkInterfaces": [{"NetworkInterfaceId": "eni-0a11b22c33d44e55f", "PrivateIpAddress": "10.20.1.45",
			"InterfaceType": "vpc_endpoint"}]
	}`)
	mustStatus("put endpoint", st, body, http.StatusNoContent)
	eps, err := client.DescribeVpcEndpoints(ctx, &ec2.DescribeVpcEndpointsInput{})
	if err != nil {
		t.Fatal(err)
	}
	if len(eps.VpcEndpoints) != 1 || eps.VpcEndpoints[0].State != "pendingAcceptance" ||
		!eps.VpcEndpoints[0].CreationTimestamp.Equal(time.Date(2026, 3, 2, 14, 5, 11, 482e6, time.UTC)) ||
		*eps.VpcEndpoints[0].DnsEntries[0].HostedZoneId != "Z0681234ABCDEFGH1JKL2" {
		t.Fatalf("endpoints %+v", eps.VpcEndpoints)
	}
	nis, err := client.DescribeNetworkInterfaces(ctx, &ec2.DescribeNetworkInterfacesInput{})
	if err != nil || len(nis.NetworkInterfaces) != 1 || *nis.NetworkInterfaces[0].PrivateIpAddress != "10.20.1.45" {
		t.Fatalf("interfaces %v %+v", err, nis)
	}

	st, body = admin("POST", "/_fake/endpoints/vpce-0a1b2c3d4e5f60718/state?state=available", "")
	mustStatus("set state", st, body, http.StatusNoContent)
	st, body = admin("GET", "/_fake/state", "")
	mustStatus("dump", st, body, http.StatusOK)
	var dump ec2fake.State
	if err := json.Unmarshal([]byte(body), &dump); err != nil {
		t.Fatal(err)
	}
	if len(dump.VpcEndpoints) != 1 || dump.VpcEndpoints[0].State != "available" || len(dump.NetworkInterfaces) != 1 {
		t.Fatalf("dump %s", body)
	}

	st, body = admin("POST", "/_fake/faults", `{"Action": "DescribeVpcEndpoints", "Kind": "Slow", "Delay": "10ms", "Count": 1}`)
	mustStatus("inject slow", st, body, http.StatusNoContent)
	st, body = admin("POST", "/_fake/faults", `{"Action": "DescribeVpcEndpoints", "Kind": "Unauthorized"}`)
	mustStatus("inject", st, body, http.StatusNoContent)
	_, err = client.DescribeVpcEndpoints(ctx, &ec2.DescribeVpcEndpointsInput{}) // takes the Slow fault
	if err != nil {
		t.Fatal(err)
	}
	_, err = client.DescribeVpcEndpoints(ctx, &ec2.DescribeVpcEndpointsInput{})
	if code, _ := apiErr(t, err); code != "UnauthorizedOperation" {
		t.Errorf("got %s", code)
	}
	st, body = admin("DELETE", "/_fake/faults", "")
	mustStatus("clear faults", st, body, http.StatusNoContent)
	if _, err := client.DescribeVpcEndpoints(ctx, &ec2.DescribeVpcEndpointsInput{}); err != nil {
		t.Fatal(err)
	}

	st, body = admin("DELETE", "/_fake/endpoints/vpce-0a1b2c3d4e5f60718", "")
	mustStatus("delete", st, body, http.StatusNoContent)
	if got := s.Snapshot(); len(got.VpcEndpoints) != 0 || len(got.NetworkInterfaces) != 0 {
		t.Errorf("after delete: %+v", got)
	}

	for _, c := range []struct{ method, path, body string }{
		{"DELETE", "/_fake/endpoints/vpce-nope", ""},
		{"POST", "/_fake/endpoints/vpce-nope/state?state=available", ""},
	} {
		if st, _ := admin(c.method, c.path, c.body); st != http.StatusNotFound {
			t.Errorf("%s %s: %d, want 404", c.method, c.path, st)
		}
	}
	for _, c := range []struct{ method, path, body string }{
		{"POST", "/_fake/endpoints", `{"VpcEndpointId": "vpce-1", "Typo": 1}`},
		{"POST", "/_fake/endpoints", `{"VpcId": "vpc-1"}`},
		{"POST", "/_fake/faults", `{"Kind": "Flaky"}`},
		{"POST", "/_fake/faults", `{"Kind": "Slow", "Delay": "soon"}`},
		{"POST", "/_fake/faults", `{"Action": "DescribeVpcEndpoints"}`},
	} {
		if st, _ := admin(c.method, c.path, c.body); st != http.StatusBadRequest {
			t.Errorf("%s %s %s: %d, want 400", c.method, c.path, c.body, st)
		}
	}
	if s.Calls(actDVE) != 4 || len(s.Requests()) != 5 {
		t.Errorf("admin requests logged as EC2 calls: %+v", s.Requests())
	}
}

// adminCall sends a request to the fake's admin API and returns the status
// and body of the answer.
func adminCall(t *testing.T, s *ec2fake.Server, method, path, body string) (int, string) {
	t.Helper()
	req, err := http.NewRequest(method, s.URL()+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// TestHTTPClientSurvivesSDKBodyClose guards sdkhttp.OwnBody's workaround:
// without it about 1% of these non-retried calls fail with "use of closed
// network connection".
func TestHTTPClientSurvivesSDKBodyClose(t *testing.T) {
	s := startFake(t)
	for i := range 30 {
		s.PutEndpoint(types.VpcEndpoint{
			VpcEndpointId:  aws.String(fmt.Sprintf("vpce-%02d", i)),
			PolicyDocument: aws.String(strings.Repeat("x", 1000)),
		})
	}
	client := newClient(s.URL())
	for i := range 250 {
		if _, err := client.DescribeVpcEndpoints(context.Background(), &ec2.DescribeVpcEndpointsInput{}); err != nil {
			t.Fatalf("call %d: %v", i, err)
		}
	}
}
