package vpce

import (
	"fmt"
	"testing"

	"github.com/coredns-vpce/coredns-vpce/internal/awsregion"
	"github.com/coredns-vpce/coredns-vpce/internal/testkit"
	"github.com/coredns-vpce/coredns-vpce/plugin/vpce/index"
	"github.com/miekg/dns"
)

func TestGapReport(t *testing.T) {
	for _, tc := range []struct{ name, service, region string }{
		{"ec2.us-east-1.amazonaws.com.", "ec2", "us-east-1"},
		{"my-bucket.s3.eu-west-1.amazonaws.com.", "s3", "eu-west-1"},
		{"dkr.ecr.ap-northeast-1.amazonaws.com.", "ecr", "ap-northeast-1"},
		{"sts.us-west-2.api.aws.", "sts", "us-west-2"},
		{"sts.me-west-1.api.aws.", "sts", "me-west-1"}, // every region the SDK knows (internal/awsregion)
		{"ec2.ab-fake-1.amazonaws.com.", "", ""},       // region-shaped, not a region
		{"ec2.moon-base-1.amazonaws.com.", "", ""},     // no such region
		{"s3.amazonaws.com.", "", ""},                  // global
		{"example.com.", "", ""},
	} {
		service, region, ok := awsServiceName([]byte(tc.name))
		if ok != (tc.service != "") || string(service) != tc.service || ok && awsregion.Names[region] != tc.region {
			t.Errorf("awsServiceName(%s) = %q %d %v, want %q %q", tc.name, service, region, ok, tc.service, tc.region)
		}
	}

	v := newTestVPCE(t, "testdata/affinity.json", index.Options{TTL: 60})
	v.gaps = newGapReport("dns://:53")
	for _, name := range []string{"ec2.us-east-1.amazonaws.com.", "ec2.us-east-1.amazonaws.com.", "logs.us-east-1.amazonaws.com.",
		"ssm.us-east-1.amazonaws.com.", "example.org."} { // ssm is served: no gap
		answerFrom(t, v, name, dns.TypeA, "10.1.1.5", "")
	}
	if got := v.gaps.take(); got != "ec2.us-east-1 2, logs.us-east-1 1" {
		t.Errorf("gap summary %q", got)
	}
	if got := v.gaps.take(); got != "" {
		t.Errorf("summary not reset: %q", got)
	}
	// Labels are AWS's service names: junk counts as other, and does not lock out a service
	// asked for after it.
	g := newGapReport("dns://:53")
	for i := range 300 {
		g.observe([]byte(fmt.Sprintf("junk%d.us-east-1.amazonaws.com.", i)))
	}
	g.observe([]byte("kms.us-east-1.amazonaws.com."))
	if got := g.take(); got != "other.us-east-1 300, kms.us-east-1 1" {
		t.Errorf("gap summary %q", got)
	}
	// On the query path: no allocation once a service and region have their counter.
	name := []byte("logs.eu-west-1.amazonaws.com.")
	g.observe(name)
	if n := testing.AllocsPerRun(100, func() { g.observe(name) }); n != 0 {
		t.Errorf("observe allocates %v times", n)
	}
}

// TestGapReportCopiesNames checks that the gap report keeps nothing of the query's buffer,
// which the next queries overwrite, and counts each name under AWS's service name.
func TestGapReportCopiesNames(t *testing.T) {
	v := newTestVPCE(t, "testdata/affinity.json", index.Options{TTL: 60})
	const server = "dns://:5301"
	v.gaps = newGapReport(server)
	for _, name := range []string{"EC2.US-EAST-1.AmazonAWS.com.", "SQS.EU-WEST-1.AmazonAWS.com.", "XYZ.US-WEST-2.AmazonAWS.com."} {
		answerFrom(t, v, name, dns.TypeA, "10.1.1.5", "")
	}
	if got := v.gaps.take(); got != "ec2.us-east-1 1, other.us-west-2 1, sqs.eu-west-1 1" {
		t.Errorf("gap summary %q", got)
	}
	for _, sr := range [][2]string{{"ec2", "us-east-1"}, {"sqs", "eu-west-1"}, {"other", "us-west-2"}} {
		if got := testkit.Counted(t, "gap_queries_total", "server", server, "service", sr[0], "region", sr[1]); got != 1 {
			t.Errorf("gap_queries_total %v = %v, want 1", sr, got)
		}
	}
}
