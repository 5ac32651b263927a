package ec2fake_test

// Listings as EC2 gives them: paging by token, filters, and the validation of parameters.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/smithy-go"
)

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

	// drain runs a paginator to the end, next returning a page's IDs and token, and returns
	// the IDs seen. A broken last page would make the paginator run forever, so it gives up.
	const maxPages = 10
	drain := func(more func() bool, next func() ([]string, *string, error)) ([]string, error) {
		var ids []string
		for pages := 0; more(); pages++ {
			if pages == maxPages {
				return nil, errors.New("paginator did not stop")
			}
			page, token, err := next()
			if err != nil {
				return nil, err
			}
			ids = append(ids, page...)
			if len(ids) == n && token != nil {
				return nil, fmt.Errorf("last page has NextToken %q", *token)
			}
		}
		return ids, nil
	}
	listings := map[string]func() ([]string, error){
		actDVE: func() ([]string, error) {
			p := ec2.NewDescribeVpcEndpointsPaginator(client, &ec2.DescribeVpcEndpointsInput{MaxResults: aws.Int32(1000)})
			return drain(p.HasMorePages, func() ([]string, *string, error) {
				page, err := p.NextPage(ctx)
				if err != nil {
					return nil, nil, err
				}
				var ids []string
				for _, ep := range page.VpcEndpoints {
					ids = append(ids, strings.TrimPrefix(*ep.VpcEndpointId, "vpce-"))
				}
				return ids, page.NextToken, nil
			})
		},
		actDNI: func() ([]string, error) {
			p := ec2.NewDescribeNetworkInterfacesPaginator(client, &ec2.DescribeNetworkInterfacesInput{MaxResults: aws.Int32(1000)})
			return drain(p.HasMorePages, func() ([]string, *string, error) {
				page, err := p.NextPage(ctx)
				if err != nil {
					return nil, nil, err
				}
				var ids []string
				for _, ni := range page.NetworkInterfaces {
					ids = append(ids, strings.TrimPrefix(*ni.NetworkInterfaceId, "eni-"))
				}
				return ids, page.NextToken, nil
			})
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
