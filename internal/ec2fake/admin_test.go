package ec2fake_test

// The JSON admin API under /_fake/, which cmd/ec2fake serves for demos and vpcebench.

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/ec2"

	"github.com/coredns-vpce/coredns-vpce/internal/ec2fake"
)

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
