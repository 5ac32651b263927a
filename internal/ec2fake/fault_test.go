package ec2fake_test

// Injected faults: each kind as the SDK sees it, and which calls a fault hits.

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/aws/smithy-go"

	"github.com/coredns-vpce/coredns-vpce/internal/ec2fake"
	"github.com/coredns-vpce/coredns-vpce/internal/testkit"
)

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
