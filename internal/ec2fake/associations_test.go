package ec2fake_test

// DescribeVpcEndpointAssociations: the associations of Resource and ServiceNetwork endpoints,
// paged by at most 100 and filtered as the API reference documents.

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"

	"github.com/coredns-vpce/coredns-vpce/internal/ec2fake"
)

const actDVEA = "DescribeVpcEndpointAssociations"

// loadLattice loads the reference's Resource and ServiceNetwork endpoints with their five
// associations.
func loadLattice(t *testing.T, s *ec2fake.Server) ec2fake.State {
	t.Helper()
	st, err := ec2fake.ReadState("../../plugin/vpce/testdata/resource.json")
	if err != nil {
		t.Fatal(err)
	}
	s.Load(st.VpcEndpoints, nil, nil, nil)
	for _, as := range st.VpcEndpointAssociations {
		s.PutAssociation(as)
	}
	return st
}

// listAssociations follows NextToken to the end, as the plugin does (there is no paginator),
// and returns the ids seen and the number of calls.
func listAssociations(t *testing.T, client *ec2.Client, in *ec2.DescribeVpcEndpointAssociationsInput) ([]string, int, error) {
	t.Helper()
	var ids []string
	for calls := 1; ; calls++ {
		out, err := client.DescribeVpcEndpointAssociations(context.Background(), in)
		if err != nil {
			return nil, calls, err
		}
		for _, as := range out.VpcEndpointAssociations {
			ids = append(ids, aws.ToString(as.Id))
		}
		if aws.ToString(out.NextToken) == "" || calls > 50 {
			return ids, calls, nil
		}
		in.NextToken = out.NextToken
	}
}

func TestAssociationsPaging(t *testing.T) {
	s := startFake(t)
	client := newClient(s.URL())
	s.PutEndpoint(types.VpcEndpoint{VpcEndpointId: aws.String("vpce-sn"), VpcEndpointType: types.VpcEndpointTypeServiceNetwork})
	var want []string
	for i := range 250 {
		id := fmt.Sprintf("vpce-rsc-asc-%05d", i)
		want = append(want, id)
		s.PutAssociation(types.VpcEndpointAssociation{Id: aws.String(id), VpcEndpointId: aws.String("vpce-sn")})
	}
	for _, tc := range []struct {
		max   *int32
		calls int
	}{{aws.Int32(100), 3}, {aws.Int32(7), 36}, {nil, 3}} {
		got, calls, err := listAssociations(t, client, &ec2.DescribeVpcEndpointAssociationsInput{VpcEndpointIds: []string{"vpce-sn"}, MaxResults: tc.max})
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got, want) || calls != tc.calls {
			t.Errorf("MaxResults %v: %d associations in %d calls, want %d in %d", aws.ToInt32(tc.max), len(got), calls, len(want), tc.calls)
		}
	}
	for _, bad := range []int32{0, 101, 1000} {
		_, err := client.DescribeVpcEndpointAssociations(context.Background(), &ec2.DescribeVpcEndpointAssociationsInput{MaxResults: aws.Int32(bad)})
		if code, status := apiErr(t, err); code != "InvalidParameterValue" || status != http.StatusBadRequest {
			t.Errorf("MaxResults %d: %s %d, want InvalidParameterValue", bad, code, status)
		}
	}
}

func TestAssociationsSelection(t *testing.T) {
	s := startFake(t)
	client := newClient(s.URL())
	loadLattice(t, s)
	s.PutEndpoint(types.VpcEndpoint{VpcEndpointId: aws.String("vpce-none"), VpcEndpointType: types.VpcEndpointTypeResource})
	const (
		rsc1, rsc2, snra, snsa, gone = "vpce-rsc-asc-0a1a2a3a4a5a6a7a8", "vpce-rsc-asc-0b1b2b3b4b5b6b7b8",
			"vpce-rsc-asc-0d4e5f6a7b8c9d0e1", "vpce-svc-asc-0123456789abcdef0", "vpce-rsc-asc-0f0e0d0c0b0a09080"
		sn = "arn:aws:vpc-lattice:us-east-1:444455556666:servicenetwork/sn-0123abcd4567ef890"
	)
	filter := func(name string, values ...string) []types.Filter {
		return []types.Filter{{Name: aws.String(name), Values: values}}
	}
	for _, tc := range []struct {
		name string
		in   ec2.DescribeVpcEndpointAssociationsInput
		want []string
	}{
		{"all", ec2.DescribeVpcEndpointAssociationsInput{}, []string{rsc1, rsc2, snra, gone, snsa}},
		{"by endpoint", ec2.DescribeVpcEndpointAssociationsInput{VpcEndpointIds: []string{"vpce-0a1b2c3d4e5f60718"}}, []string{rsc1, rsc2}},
		{"an endpoint without any", ec2.DescribeVpcEndpointAssociationsInput{VpcEndpointIds: []string{"vpce-none"}}, nil},
		{"vpc-endpoint-id", ec2.DescribeVpcEndpointAssociationsInput{Filters: filter("vpc-endpoint-id", "vpce-0f9e8d7c6b5a49382")}, []string{snra, gone, snsa}},
		{"accessibility", ec2.DescribeVpcEndpointAssociationsInput{Filters: filter("associated-resource-accessibility", "inaccessible")}, []string{gone}},
		{"association-id", ec2.DescribeVpcEndpointAssociationsInput{Filters: filter("association-id", snsa, rsc2)}, []string{rsc2, snsa}},
		{"associated-resource-id", ec2.DescribeVpcEndpointAssociationsInput{Filters: filter("associated-resource-id", "rcfg-0dd11ee22ff33aa77")}, []string{snra}},
		{"service-network-arn", ec2.DescribeVpcEndpointAssociationsInput{Filters: filter("service-network-arn", sn)}, []string{snra, gone, snsa}},
		{"resource-configuration-group-arn", ec2.DescribeVpcEndpointAssociationsInput{
			Filters: filter("resource-configuration-group-arn", "arn:aws:vpc-lattice:us-east-1:444455556666:resourceconfiguration/rcfg-0aa11bb22cc33dd44")}, []string{rsc1, rsc2}},
	} {
		got, _, err := listAssociations(t, client, &tc.in)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s: %v, want %v", tc.name, got, tc.want)
		}
	}
	_, err := client.DescribeVpcEndpointAssociations(context.Background(), &ec2.DescribeVpcEndpointAssociationsInput{VpcEndpointIds: []string{"vpce-nope"}})
	if code, _ := apiErr(t, err); code != "InvalidVpcEndpointId.NotFound" {
		t.Errorf("unknown endpoint: %s", code)
	}
	_, err = client.DescribeVpcEndpointAssociations(context.Background(), &ec2.DescribeVpcEndpointAssociationsInput{Filters: filter("vpc-id", "vpc-1")})
	if code, _ := apiErr(t, err); code != "InvalidParameterValue" {
		t.Errorf("undocumented filter: %s", code)
	}
}

// TestAssociationsWire: every field the SDK decodes comes back as it was put.
func TestAssociationsWire(t *testing.T) {
	s := startFake(t)
	client := newClient(s.URL())
	st := loadLattice(t, s)
	out, err := client.DescribeVpcEndpointAssociations(context.Background(), &ec2.DescribeVpcEndpointAssociationsInput{})
	if err != nil {
		t.Fatal(err)
	}
	byID := map[string]types.VpcEndpointAssociation{}
	for _, as := range out.VpcEndpointAssociations {
		byID[aws.ToString(as.Id)] = as
	}
	for _, want := range st.VpcEndpointAssociations {
		got := byID[aws.ToString(want.Id)]
		if fmt.Sprintf("%+v", deref(got)) != fmt.Sprintf("%+v", deref(want)) {
			t.Errorf("got  %+v\nwant %+v", deref(got), deref(want))
		}
	}
	eps, err := client.DescribeVpcEndpoints(context.Background(), &ec2.DescribeVpcEndpointsInput{})
	if err != nil || aws.ToString(eps.VpcEndpoints[0].ResourceConfigurationArn) == "" || aws.ToString(eps.VpcEndpoints[1].ServiceNetworkArn) == "" {
		t.Errorf("the endpoints lost their ARNs: %v %+v", err, eps)
	}
}

// deref renders an association's pointers as values, for comparison.
func deref(as types.VpcEndpointAssociation) []string {
	entry := func(d *types.DnsEntry) string {
		if d == nil {
			return "<nil>"
		}
		return aws.ToString(d.DnsName) + " " + aws.ToString(d.HostedZoneId)
	}
	return []string{aws.ToString(as.Id), aws.ToString(as.VpcEndpointId), aws.ToString(as.ServiceNetworkArn), aws.ToString(as.ServiceNetworkName),
		aws.ToString(as.AssociatedResourceAccessibility), aws.ToString(as.FailureCode), aws.ToString(as.FailureReason),
		entry(as.DnsEntry), entry(as.PrivateDnsEntry), aws.ToString(as.AssociatedResourceArn), aws.ToString(as.ResourceConfigurationGroupArn)}
}

func TestAssociationsAdmin(t *testing.T) {
	s := startFake(t)
	s.PutEndpoint(types.VpcEndpoint{VpcEndpointId: aws.String("vpce-sn"), VpcEndpointType: types.VpcEndpointTypeServiceNetwork})
	st, body := adminCall(t, s, "POST", "/_fake/associations", `{"Id": "vpce-rsc-asc-1", "VpcEndpointId": "vpce-sn",
		"AssociatedResourceAccessibility": "Accessible", "PrivateDnsEntry": {"DnsName": "db.example.com"}}`)
	if st != http.StatusNoContent {
		t.Fatalf("put: %d %s", st, body)
	}
	st, body = adminCall(t, s, "POST", "/_fake/associations/vpce-rsc-asc-1/accessibility?value=Inaccessible", "")
	if got := s.Snapshot().VpcEndpointAssociations; st != http.StatusNoContent || len(got) != 1 ||
		aws.ToString(got[0].AssociatedResourceAccessibility) != "Inaccessible" || aws.ToString(got[0].PrivateDnsEntry.DnsName) != "db.example.com" {
		t.Errorf("set accessibility: %d %s %+v", st, body, got)
	}
	for _, c := range []struct {
		method, path, body string
		want               int
	}{
		{"POST", "/_fake/associations/vpce-rsc-asc-2/accessibility?value=Accessible", "", http.StatusNotFound},
		{"POST", "/_fake/associations/vpce-rsc-asc-1/accessibility", "", http.StatusBadRequest},
		{"POST", "/_fake/associations", `{"Id": "vpce-rsc-asc-3"}`, http.StatusBadRequest},
		{"DELETE", "/_fake/associations/vpce-rsc-asc-1", "", http.StatusNoContent},
	} {
		if st, _ := adminCall(t, s, c.method, c.path, c.body); st != c.want {
			t.Errorf("%s %s: %d, want %d", c.method, c.path, st, c.want)
		}
	}
	if got := s.Snapshot().VpcEndpointAssociations; len(got) != 0 {
		t.Errorf("after delete: %+v", got)
	}
}
