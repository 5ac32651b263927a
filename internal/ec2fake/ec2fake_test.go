package ec2fake_test

// The helpers the fake's tests share, and the server's own behaviour: its request log,
// concurrent use, closing while requests hang, and the SDK's HTTP client against it.

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
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

func statuses(reqs []ec2fake.Request) []int {
	var out []int
	for _, r := range reqs {
		out = append(out, r.Status)
	}
	return out
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
