package vpce

import (
	"bytes"
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"github.com/coredns-vpce/coredns-vpce/internal/awsregion"
	"github.com/coredns-vpce/coredns-vpce/plugin/vpce/guard"

	"github.com/coredns/coredns/plugin"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/promauto"
)

// The gap report: queries for AWS service names (<service>.<region>.amazonaws.com and
// <service>.<region>.api.aws) that no endpoint serves and that went on to the next plugin.
// Those clients reach the service over the public path: NAT charges, and failures in private
// subnets.
var gapQueries = promauto.NewCounterVec(prometheus.CounterOpts{
	Namespace: plugin.Namespace, Subsystem: pluginName, Name: "gap_queries_total",
	Help: "Queries for AWS service names that no endpoint serves, passed on, by service and region.",
}, []string{"server", "service", "region"})

// gapSummaryEvery is how often the gap report is logged.
const gapSummaryEvery = 10 * time.Minute

// gapReport counts one plugin instance's gaps, for the metric and the periodic log summary.
// Counting takes no lock: a cell per service and region, its counter resolved once.
type gapReport struct {
	server string
	every  time.Duration // how often the summary is logged: gapSummaryEvery
	guard  guard.Step    // of the summaries
	cells  []gapCell     // by service (gapServices, then other) and region (awsregion.Names)
}

// gapCell counts one service in one region.
type gapCell struct {
	recent  atomic.Uint64 // queries since the last summary
	counter atomic.Pointer[gapCounter]
}

type gapCounter struct{ prometheus.Counter }

// observe counts name (lower-case FQDN) if it is an AWS service name. name is the query's
// buffer: nothing of it is kept. A service AWS does not name counts as "other", so that what
// clients ask cannot grow the metric's labels, nor lock out the services that come later.
func (g *gapReport) observe(name []byte) {
	svc, region, ok := awsServiceName(name)
	if !ok {
		return
	}
	s, known := serviceIndex[string(svc)]
	if !known {
		s = len(gapServices)
	}
	c := &g.cells[s*len(awsregion.Names)+region]
	c.recent.Add(1)
	counter := c.counter.Load()
	if counter == nil {
		counter = &gapCounter{gapQueries.WithLabelValues(g.server, gapService(s), awsregion.Names[region])}
		if !c.counter.CompareAndSwap(nil, counter) {
			counter = c.counter.Load()
		}
	}
	counter.Inc()
}

// gapService is the service label of index s of gapServices, or "other".
func gapService(s int) string {
	if s < len(gapServices) {
		return gapServices[s]
	}
	return "other"
}

// awsServiceName splits <...>.<service>.<region>.amazonaws.com. and <...>.<service>.<region>.api.aws.
// into the service (the label before the region, a part of name) and a known region (its
// index in awsregion.Names).
func awsServiceName(name []byte) (service []byte, region int, ok bool) {
	var rest []byte
	switch {
	case hasSuffix(name, ".amazonaws.com."):
		rest = name[:len(name)-len(".amazonaws.com.")]
	case hasSuffix(name, ".api.aws."):
		rest = name[:len(name)-len(".api.aws.")]
	default:
		return nil, 0, false
	}
	i := bytes.LastIndexByte(rest, '.')
	if i < 0 {
		return nil, 0, false
	}
	region, ok = awsregion.Index(rest[i+1:])
	if !ok {
		return nil, 0, false
	}
	rest = rest[:i]
	service = rest[bytes.LastIndexByte(rest, '.')+1:]
	return service, region, len(service) > 0
}

// summarize logs, every g.every, the gaps counted since the last summary.
func (g *gapReport) summarize(ctx context.Context) {
	t := time.NewTicker(g.every)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		g.summary()
	}
}

// summary logs the gaps counted since the last one. One that panics is lost; the next one
// counts afresh.
func (g *gapReport) summary() {
	_ = g.guard.Run(guard.GapReport, func() error {
		if s := g.take(); s != "" {
			log.Infof("Gap report: queries passed on for AWS services without an endpoint in the last %s: %s", g.every, s)
		}
		return nil
	})
}

// take returns the counts since the last call, most queried first, and resets them.
func (g *gapReport) take() string {
	type count struct {
		key string
		n   uint64
	}
	var counts []count
	for i := range g.cells {
		if n := g.cells[i].recent.Swap(0); n > 0 {
			counts = append(counts, count{gapService(i/len(awsregion.Names)) + "." + awsregion.Names[i%len(awsregion.Names)], n})
		}
	}
	slices.SortFunc(counts, func(a, b count) int {
		if a.n != b.n {
			return cmp.Compare(b.n, a.n)
		}
		return strings.Compare(a.key, b.key)
	})
	parts := make([]string, 0, len(counts))
	for _, c := range counts {
		parts = append(parts, fmt.Sprintf("%s %d", c.key, c.n))
	}
	return strings.Join(parts, ", ")
}

func newGapReport(server string) *gapReport {
	return &gapReport{server: server, every: gapSummaryEvery, cells: make([]gapCell, (len(gapServices)+1)*len(awsregion.Names))}
}

// gapServices are the services the gap report names, by the label before the region in their
// DNS names (ecr for api.ecr and dkr.ecr, sagemaker for api.sagemaker): AWS's services with
// interface endpoints. Any other label counts as "other".
var gapServices = []string{
	"access-analyzer", "acm", "acm-pca", "airflow", "amplify", "apigateway", "app-integrations", "appconfig",
	"appconfigdata", "application-autoscaling", "applicationinsights", "appmesh", "appmesh-envoy-management",
	"apprunner", "appstream2", "appsync", "aps", "aps-workspaces", "athena", "auditmanager", "autoscaling",
	"autoscaling-plans", "backup", "backup-gateway", "batch", "bedrock", "bedrock-agent", "bedrock-agent-runtime",
	"bedrock-runtime", "billingconductor", "braket", "cassandra", "cleanrooms", "cloudcontrolapi", "cloudformation",
	"cloudhsmv2", "cloudtrail", "codeartifact", "codebuild", "codecommit", "codedeploy", "codedeploy-commands-secure",
	"codeguru-profiler", "codeguru-reviewer", "codepipeline", "codestar-connections", "codewhisperer", "cognito-identity",
	"cognito-idp", "comprehend", "comprehendmedical", "config", "connect", "data-servicediscovery", "databrew",
	"dataexchange", "datasync", "datazone", "deadline", "devops-guru", "directconnect", "dlm", "dms", "docdb", "drs",
	"ds", "dynamodb", "ebs", "ec2", "ec2messages", "ecr", "ecs", "ecs-agent", "ecs-telemetry", "eks", "eks-auth",
	"elasticache", "elasticbeanstalk", "elasticbeanstalk-health", "elasticfilesystem", "elasticloadbalancing",
	"elasticmapreduce", "email", "email-smtp", "emr-containers", "emr-serverless", "emrwal", "entityresolution",
	"es", "events", "evidently", "execute-api", "finspace", "firehose", "fis", "forecast", "frauddetector", "fsx",
	"git-codecommit", "glacier", "glue", "grafana", "greengrass", "groundstation", "guardduty", "guardduty-data",
	"healthlake", "iam", "identitystore", "imagebuilder", "inspector2", "internetmonitor", "iot", "iotsitewise",
	"iottwinmaker", "iotwireless", "ivs", "kafka", "kafka-serverless", "kendra", "kinesis", "kinesisanalytics",
	"kinesisvideo", "kms", "kms-fips", "lakeformation", "lambda", "license-manager", "logs", "lookoutequipment",
	"lookoutvision", "m2", "macie2", "managedblockchain", "mediaconnect", "memory-db", "mgn", "migrationhub-orchestrator",
	"monitoring", "mq", "neptune", "network-firewall", "networkmonitor", "notebook", "omics", "organizations",
	"outposts", "panorama", "payment-cryptography", "personalize", "pinpoint", "pipes", "polly", "private-networks",
	"profile", "proton", "qldb", "quicksight", "rae", "ram", "rbin", "rds", "rds-data", "redshift", "redshift-data",
	"redshift-serverless", "refactor-spaces", "rekognition", "resiliencehub", "resource-groups", "robomaker",
	"rolesanywhere", "route53resolver", "rum", "runtime", "s3", "s3-accesspoint", "s3-control", "s3-outposts",
	"sagemaker", "savingsplans", "scheduler", "schemas", "sdb", "secretsmanager", "securityhub", "securitylake",
	"servicecatalog", "servicecatalog-appregistry", "servicediscovery", "ses", "signin", "simspaceweaver", "sms",
	"snow-device-management", "sns", "sqs", "ssm", "ssm-contacts", "ssm-incidents", "ssmmessages", "sso", "states",
	"storagegateway", "sts", "swf", "synthetics", "tagging", "textract", "timestream", "transcribe", "transcribestreaming",
	"transfer", "translate", "verifiedpermissions", "vpc-lattice", "wafv2", "wellarchitected", "workspaces", "xray",
}

// serviceIndex finds a service's position in gapServices without allocating.
var serviceIndex = func() map[string]int {
	m := make(map[string]int, len(gapServices))
	for i, s := range gapServices {
		m[s] = i
	}
	return m
}()
