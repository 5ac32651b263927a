package test

import (
	"fmt"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/coredns-vpce/coredns-vpce/internal/ec2fake"
	"github.com/coredns-vpce/coredns-vpce/internal/testkit"
)

func httpGet(t *testing.T, url string) (int, string) {
	t.Helper()
	c := http.Client{Timeout: 2 * time.Second}
	resp, err := c.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(body)
}

// TestMetrics scrapes the running server's /metrics and finds every series the plugin
// README lists, with its labels.
func TestMetrics(t *testing.T) {
	fake := testkit.StartFake(t)
	// The registry is the test process's: this test alone uses region us-west-1, so that its
	// per-region counts are exact; the other series are checked for presence.
	fake.AddEndpoint(ec2fake.Endpoint{ID: "vpce-01", VPC: "vpc-1", Service: "com.amazonaws.us-west-1.ssm", PrivateDNS: true,
		Addrs: []string{"10.0.1.1", "10.0.2.1"},
		Names: []string{"vpce-01-abc.ssm.us-west-1.vpce.amazonaws.com", "vpce-01-abc-us-east-1a.ssm.us-west-1.vpce.amazonaws.com", "ssm.us-west-1.amazonaws.com"}})
	fake.AddEndpoint(ec2fake.Endpoint{ID: "vpce-02", VPC: "vpc-2", Service: "com.amazonaws.us-west-1.ssm", PrivateDNS: true,
		Addrs: []string{"10.0.3.1"}, Names: []string{"ssm.us-west-1.amazonaws.com"}, Created: time.Now()})
	prom := testkit.FreeAddr(t)
	udp, _ := startServer(t, fmt.Sprintf(`.:0 {
    bind 127.0.0.1
    prometheus %s
    vpce {
        region us-west-1
        aws_endpoint %s
        refresh 100ms
        authoritative
        rpz vpce.rpz
    }
    transfer vpce.rpz {
        to 127.0.0.2:9
    }
    forward . UPSTREAM
}`, prom, fake.URL()))
	expectAddrs(t, udp, "vpce-01-abc-us-east-1a.ssm.us-west-1.vpce.amazonaws.com.", "10.0.1.1")
	testkit.Query(t, "udp", udp, "ssm.us-west-1.amazonaws.com.", dns.TypeA)
	testkit.Query(t, "udp", udp, "ssm.us-west-1.amazonaws.com.", dns.TypeAAAA) // nodata
	testkit.Query(t, "udp", udp, "x.ssm.us-west-1.amazonaws.com.", dns.TypeA)  // nxdomain
	testkit.Query(t, "udp", udp, "example.org.", dns.TypeA)                    // passed on
	fake.Inject(ec2fake.Fault{Kind: ec2fake.Unauthorized, Count: 1})           // one failed refresh, not retried
	time.Sleep(500 * time.Millisecond)

	server := `server="dns://127.0.0.1:0"`
	block := server + `,view="",zones="."` // no view plugin in this block
	want := []string{
		`coredns_vpce_endpoints{region="us-west-1",` + server + `,type="Interface",view="",zones="."} 2`, // vpce-02 serves vpc-2's clients
		`coredns_vpce_conflicts{` + block + `} 0`,                                                        // two VPCs, no conflict
		`coredns_vpce_names{kind="regional",region="us-west-1",` + block + `} 1`,
		`coredns_vpce_names{kind="zonal",region="us-west-1",` + block + `} 1`,
		`coredns_vpce_names{kind="private",region="us-west-1",` + block + `} 1`,
		`coredns_vpce_conflicts{` + block + `} `,
		`coredns_vpce_view_age_seconds{` + block + `} `,
		`coredns_vpce_rpz_serial{` + server + `,view="",zone="vpce.rpz.",zones="."} 1.`, // a serial of 10 digits
		`coredns_vpce_refreshes_total{account="default",region="us-west-1",result="changed"} 1`,
		`coredns_vpce_refreshes_total{account="default",region="us-west-1",result="unchanged"} `,
		`coredns_vpce_refreshes_total{account="default",region="us-west-1",result="failed"} `,
		`coredns_vpce_refresh_duration_seconds_bucket{account="default",region="us-west-1",le="0.05"} `,
		`coredns_vpce_last_success_timestamp_seconds{account="default",region="us-west-1"} `,
		`coredns_vpce_api_requests_total{code="OK",operation="DescribeVpcEndpoints"} `,
		`coredns_vpce_api_requests_total{code="OK",operation="DescribeNetworkInterfaces"} `,
		`coredns_vpce_api_requests_total{code="UnauthorizedOperation",operation="DescribeVpcEndpoints"} `,
		`coredns_vpce_answers_total{kind="zonal",result="answer",` + server + `} `,
		`coredns_vpce_answers_total{kind="private",result="answer",` + server + `} `,
		`coredns_vpce_answers_total{kind="private",result="nodata",` + server + `} `,
		`coredns_vpce_answers_total{kind="private",result="nxdomain",` + server + `} `,
		`coredns_vpce_passed_total{` + server + `} `,    // example.org, and any query before the first view
		`coredns_vpce_panics_total{where="snapshot"} 0`, // exported before any panic
	}
	testkit.Eventually(t, 5*time.Second, func() error {
		_, body := httpGet(t, "http://"+prom+"/metrics")
		for _, series := range want {
			if !strings.Contains(body, series) {
				return fmt.Errorf("/metrics lacks %s\n%s", series, grepLines(body, "coredns_vpce_"))
			}
		}
		return nil
	})
	_, body := httpGet(t, "http://"+prom+"/metrics")
	for _, secret := range []string{testkit.AccessKey, testkit.SecretKey, testkit.SessionToken} {
		if strings.Contains(body, secret) {
			t.Errorf("/metrics holds the credential %q", secret)
		}
	}
}

func grepLines(s, substr string) string {
	var out []string
	for line := range strings.SplitSeq(s, "\n") {
		if strings.Contains(line, substr) && !strings.HasPrefix(line, "#") {
			out = append(out, line)
		}
	}
	return strings.Join(out, "\n")
}

// TestHealthAndReadyWhileAWSHangs: with the EC2 API hanging, /health answers at once and
// /ready says not ready; once the API answers, ready.
func TestHealthAndReadyWhileAWSHangs(t *testing.T) {
	fake := testkit.StartFake(t)
	fake.AddEndpoint(ec2fake.Endpoint{ID: "vpce-01", VPC: "vpc-1", PrivateDNS: true, Addrs: []string{"10.0.1.1"}, Names: []string{"ssm.us-east-1.amazonaws.com"}})
	fake.Inject(ec2fake.Fault{Kind: ec2fake.Slow}) // every call hangs until the client gives up
	health, ready := testkit.FreeAddr(t), testkit.FreeAddr(t)
	udp, _ := startServer(t, fmt.Sprintf(`.:0 {
    bind 127.0.0.1
    health %s
    ready %s
    vpce {
        region us-east-1
        aws_endpoint %s
        refresh 100ms
    }
    forward . UPSTREAM
}`, health, ready, fake.URL()))
	began := time.Now()
	if code, _ := httpGet(t, "http://"+health+"/health"); code != http.StatusOK {
		t.Errorf("/health: %d while AWS hangs, want 200", code)
	}
	if code, _ := httpGet(t, "http://"+ready+"/ready"); code != http.StatusServiceUnavailable {
		t.Errorf("/ready: %d before any view, want 503", code)
	}
	if d := time.Since(began); d > time.Second {
		t.Errorf("health and ready took %v while AWS hangs", d)
	}
	if got := addrsOf(t, udp, "example.org."); got != "upstream" {
		t.Errorf("CoreDNS does not serve while AWS hangs: %q", got)
	}
	fake.ClearFaults()
	testkit.Eventually(t, 45*time.Second, func() error { // the hung page times out first
		if code, _ := httpGet(t, "http://"+ready+"/ready"); code != http.StatusOK {
			return fmt.Errorf("/ready: %d after AWS answered", code)
		}
		return nil
	})
}

// TestGapReport: a query for a service without an endpoint is counted.
func TestGapReport(t *testing.T) {
	fake := testkit.StartFake(t)
	fake.AddEndpoint(ec2fake.Endpoint{ID: "vpce-01", VPC: "vpc-1", PrivateDNS: true, Addrs: []string{"10.0.1.1"}, Names: []string{"ecs.us-east-1.amazonaws.com"}})
	prom := testkit.FreeAddr(t)
	udp, _ := startServer(t, fmt.Sprintf(`.:0 {
    bind 127.0.0.1
    prometheus %s
    vpce {
        region us-east-1
        aws_endpoint %s
    }
    forward . UPSTREAM
}`, prom, fake.URL()))
	expectAddrs(t, udp, "ecs.us-east-1.amazonaws.com.", "10.0.1.1")
	for range 3 {
		addrsOf(t, udp, "my-bucket.s3.eu-west-1.amazonaws.com.")
	}
	addrsOf(t, udp, "ec2.us-east-1.api.aws.")
	addrsOf(t, udp, "example.org.")
	_, body := httpGet(t, "http://"+prom+"/metrics")
	for _, series := range []string{
		`coredns_vpce_gap_queries_total{region="eu-west-1",server="dns://127.0.0.1:0",service="s3"} 3`,
		`coredns_vpce_gap_queries_total{region="us-east-1",server="dns://127.0.0.1:0",service="ec2"} 1`,
	} {
		if !strings.Contains(body, series) {
			t.Errorf("/metrics lacks %s\n%s", series, grepLines(body, "gap"))
		}
	}
	// Served names are no gap; the metrics registry is the process's, so ecs is asked only here.
	if strings.Contains(grepLines(body, "gap_queries"), `service="ecs"`) {
		t.Error("a served name counted as a gap")
	}
}
