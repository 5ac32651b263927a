package ec2fake_test

import (
	"context"
	"encoding/json"
	"encoding/xml"
	"errors"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/credentials/stscreds"
	"github.com/aws/aws-sdk-go-v2/service/ec2"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/coredns-vpce/coredns-vpce/internal/ec2fake"
	"github.com/coredns-vpce/coredns-vpce/internal/sdkhttp"
)

const (
	actAR    = "AssumeRole"
	accountA = "111111111111"
	accountB = "222222222222"
	roleA    = "arn:aws:iam::111111111111:role/coredns-vpce"
	roleB    = "arn:aws:iam::222222222222:role/ops/coredns-vpce-reader" // a role with a path
)

// baseConfig is the configuration of the caller of AssumeRole: static keys,
// which the fake serves from its default account, and no retries.
func baseConfig() aws.Config {
	return aws.Config{
		Region:      "us-east-1",
		Credentials: credentials.NewStaticCredentialsProvider("AKIDEXAMPLE", "secret", ""),
		Retryer:     func() aws.Retryer { return aws.NopRetryer{} },
		HTTPClient:  sdkhttp.OwnBody(&http.Client{}),
	}
}

// assumeRole returns the SDK's AssumeRole provider for roleARN, with the fake
// as STS endpoint, as plugin/vpce builds it.
func assumeRole(s *ec2fake.Server, roleARN, externalID string) *stscreds.AssumeRoleProvider {
	stsClient := sts.NewFromConfig(baseConfig(), func(o *sts.Options) { o.BaseEndpoint = aws.String(s.URL()) })
	return stscreds.NewAssumeRoleProvider(stsClient, roleARN, func(o *stscreds.AssumeRoleOptions) {
		o.RoleSessionName = "coredns-vpce"
		if externalID != "" {
			o.ExternalID = aws.String(externalID)
		}
	})
}

// roleClient returns an EC2 client of the fake that signs with credentials
// assumed for roleARN, cached and refreshed as plugin/vpce does.
func roleClient(s *ec2fake.Server, roleARN, externalID string) *ec2.Client {
	cfg := baseConfig()
	cfg.Credentials = aws.NewCredentialsCache(assumeRole(s, roleARN, externalID))
	return ec2.NewFromConfig(cfg, func(o *ec2.Options) { o.BaseEndpoint = aws.String(s.URL()) })
}

func endpointIDs(t *testing.T, client *ec2.Client) ([]string, error) {
	t.Helper()
	out, err := client.DescribeVpcEndpoints(context.Background(), &ec2.DescribeVpcEndpointsInput{})
	if err != nil {
		return nil, err
	}
	var ids []string
	for _, ep := range out.VpcEndpoints {
		ids = append(ids, aws.ToString(ep.VpcEndpointId))
	}
	return ids, nil
}

func mustEndpointIDs(t *testing.T, what string, client *ec2.Client, want ...string) {
	t.Helper()
	got, err := endpointIDs(t, client)
	if err != nil {
		t.Fatalf("%s: %v", what, err)
	}
	if !slices.Equal(got, want) {
		t.Errorf("%s: endpoints %v, want %v", what, got, want)
	}
}

// threeAccounts starts a fake with an endpoint in its default account and in
// each of two role accounts.
func threeAccounts(t *testing.T) *ec2fake.Server {
	t.Helper()
	s := startFake(t)
	s.AddRole(roleA, "ext-a")
	s.AddRole(roleB, "")
	s.AddEndpoint(ec2fake.Endpoint{ID: "vpce-default", VPC: "vpc-0", Addrs: []string{"10.0.0.1"}})
	s.Account(accountA).AddEndpoint(ec2fake.Endpoint{ID: "vpce-a", VPC: "vpc-a", Addrs: []string{"10.1.0.1"}})
	s.Account(accountB).AddEndpoint(ec2fake.Endpoint{ID: "vpce-b1", VPC: "vpc-b", Addrs: []string{"10.2.0.1"}})
	s.Account(accountB).AddEndpoint(ec2fake.Endpoint{ID: "vpce-b2", VPC: "vpc-b", Addrs: []string{"10.2.0.2"}})
	return s
}

func TestAssumeRoleSeparatesAccounts(t *testing.T) {
	s := threeAccounts(t)
	mustEndpointIDs(t, "default account", newClient(s.URL()), "vpce-default")
	mustEndpointIDs(t, "account A", roleClient(s, roleA, "ext-a"), "vpce-a")
	// A role without an ExternalId condition takes any, as a trust policy
	// without one does.
	mustEndpointIDs(t, "account B", roleClient(s, roleB, "whatever"), "vpce-b1", "vpce-b2")

	if n := s.Calls(actAR); n != 2 {
		t.Errorf("default account logged %d AssumeRole calls, want 2 (the callers' keys are its)", n)
	}
	for _, id := range []string{"", accountA, accountB} {
		a := s.Account(id)
		if a.ID() != id || a.Calls(actDVE) != 1 {
			t.Errorf("account %q: ID %q, %d %s calls, want 1", id, a.ID(), a.Calls(actDVE), actDVE)
		}
		if id != "" && a.Calls(actAR) != 0 {
			t.Errorf("account %s logged AssumeRole calls made with the default account's keys", id)
		}
		for _, r := range a.Requests() {
			if r.Account != id {
				t.Errorf("account %q logged a request of account %q", id, r.Account)
			}
		}
	}
	if r := s.Account(accountA).Requests(); len(r) != 1 || r[0].Status != http.StatusOK {
		t.Errorf("account A's request log %+v", r)
	}

	// The issued credentials look like STS's and name the role's account.
	creds, err := assumeRole(s, roleB, "").Retrieve(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !regexp.MustCompile(`^ASIA222222222222[A-Z2-7]{4}$`).MatchString(creds.AccessKeyID) ||
		len(creds.SecretAccessKey) != 40 || creds.SessionToken == "" || !creds.CanExpire ||
		creds.Expires.Before(time.Now().Add(14*time.Minute)) || creds.Expires.After(time.Now().Add(16*time.Minute)) {
		t.Errorf("credentials %+v, want ASIA<account>…, expiring in the 15 minutes stscreds asks for", creds)
	}
	if creds.AccountID != accountB {
		t.Errorf("credentials' AccountID %q, want %s (from the assumed role's ARN)", creds.AccountID, accountB)
	}
}

func TestAssumeRoleFaultsPerAccount(t *testing.T) {
	s := threeAccounts(t)
	clientA, clientB := roleClient(s, roleA, "ext-a"), roleClient(s, roleB, "")
	s.Account(accountA).Inject(ec2fake.Fault{Kind: ec2fake.Throttle})

	_, err := endpointIDs(t, clientA)
	if code, status := apiErr(t, err); code != "RequestLimitExceeded" || status != 503 {
		t.Errorf("account A: %s %d, want RequestLimitExceeded 503", code, status)
	}
	mustEndpointIDs(t, "account B while A is throttled", clientB, "vpce-b1", "vpce-b2")
	mustEndpointIDs(t, "default account while A is throttled", newClient(s.URL()), "vpce-default")

	// Accounts are independent under concurrent use, too.
	var wg sync.WaitGroup
	errs := make(chan error, 40)
	for i := range 20 {
		wg.Go(func() {
			if _, err := endpointIDs(t, clientB); err != nil {
				errs <- err
			}
		})
		wg.Go(func() {
			if _, err := endpointIDs(t, clientA); err == nil {
				errs <- errors.New("account A answered while throttled")
			}
			if i%5 == 0 {
				s.Account(accountB).PutEndpoint(s.Account(accountB).Snapshot().VpcEndpoints[0])
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	if n := s.Account(accountA).Calls(actDVE); n != 21 {
		t.Errorf("account A logged %d calls, want 21", n)
	}

	s.Account(accountA).ClearFaults()
	mustEndpointIDs(t, "account A after ClearFaults", clientA, "vpce-a")

	// A fault without an Action leaves STS alone; one naming AssumeRole
	// fails it with STS's error.
	s.Inject(ec2fake.Fault{Action: actDVE, Kind: ec2fake.InternalError, Count: 1})
	s.Inject(ec2fake.Fault{Kind: ec2fake.Unauthorized, Count: 1})
	if _, err := assumeRole(s, roleA, "ext-a").Retrieve(context.Background()); err != nil {
		t.Fatalf("AssumeRole with a fault for any EC2 action: %v", err)
	}
	s.ClearFaults()
	s.Inject(ec2fake.Fault{Action: actAR, Kind: ec2fake.Throttle, Count: 1})
	_, err = assumeRole(s, roleA, "ext-a").Retrieve(context.Background())
	if code, status := apiErr(t, err); code != "Throttling" || status != 400 {
		t.Errorf("AssumeRole throttled: %s %d, want Throttling 400", code, status)
	}
}

func TestAssumeRoleDenied(t *testing.T) {
	s := threeAccounts(t)
	for _, c := range []struct {
		what, role, externalID string
	}{
		{"wrong ExternalId", roleA, "ext-b"},
		{"missing ExternalId", roleA, ""},
		{"unknown role", "arn:aws:iam::111111111111:role/other", "ext-a"},
		{"role of another account", "arn:aws:iam::333333333333:role/coredns-vpce", "ext-a"},
	} {
		_, err := endpointIDs(t, roleClient(s, c.role, c.externalID))
		if code, status := apiErr(t, err); code != "AccessDenied" || status != 403 {
			t.Errorf("%s: %s %d, want AccessDenied 403", c.what, code, status)
		}
		if !strings.Contains(err.Error(), "not authorized to perform: sts:AssumeRole on resource: "+c.role) {
			t.Errorf("%s: %v", c.what, err)
		}
	}
	if n := s.Account(accountA).Calls(actDVE); n != 0 {
		t.Errorf("account A got %d calls without credentials", n)
	}
	if st := statuses(s.Requests()); !slices.Equal(st, []int{403, 403, 403, 403}) {
		t.Errorf("default account statuses %v", st)
	}

	var stsForm = func(kv ...string) url.Values {
		v := url.Values{"Action": {actAR}, "Version": {"2011-06-15"}}
		for i := 0; i+1 < len(kv); i += 2 {
			v.Set(kv[i], kv[i+1])
		}
		return v
	}
	valid := []string{"RoleArn", roleB, "RoleSessionName", "s1"}
	for _, c := range []struct {
		what string
		form url.Values
		code string
	}{
		{"no RoleArn", stsForm("RoleSessionName", "s1"), "ValidationError"},
		{"no RoleSessionName", stsForm("RoleArn", roleB), "ValidationError"},
		{"short RoleArn", stsForm("RoleArn", "arn:aws:iam::1:r", "RoleSessionName", "s1"), "ValidationError"},
		{"not an ARN", stsForm("RoleArn", "role/coredns-vpce-reader", "RoleSessionName", "s1"), "ValidationError"},
		{"bad RoleSessionName", stsForm("RoleArn", roleB, "RoleSessionName", "a b"), "ValidationError"},
		{"short ExternalId", stsForm(append(valid, "ExternalId", "x")...), "ValidationError"},
		{"short DurationSeconds", stsForm(append(valid, "DurationSeconds", "899")...), "ValidationError"},
		{"DurationSeconds over MaxSessionDuration", stsForm(append(valid, "DurationSeconds", "3601")...), "ValidationError"},
		{"DurationSeconds not a number", stsForm(append(valid, "DurationSeconds", "1h")...), "ValidationError"},
		{"an STS action the fake does not serve", stsForm("Action", "GetCallerIdentity"), "InvalidAction"},
	} {
		status, body := rawPost(t, s.URL(), c.form, false)
		if status != 400 || !strings.Contains(string(body), "<Code>"+c.code+"</Code>") {
			t.Errorf("%s: %d %s, want 400 %s", c.what, status, body, c.code)
		}
	}
	if status, body := rawPost(t, s.URL(), stsForm(append(valid, "DurationSeconds", "3600")...), false); status != 200 {
		t.Errorf("valid request: %d %s", status, body)
	}
}

// text is the text of the element at path below n, "" if there is none.
func (n xmlNode) text(path ...string) string {
	for _, p := range path {
		c, ok := n.child(p)
		if !ok {
			return ""
		}
		n = c
	}
	return n.Text
}

func TestAssumeRoleWire(t *testing.T) {
	s := threeAccounts(t)
	req := url.Values{"Action": {actAR}, "Version": {"2011-06-15"}, "RoleArn": {roleB}, "RoleSessionName": {"wire"}}
	const ns = "https://sts.amazonaws.com/doc/2011-06-15/"

	status, body := rawPost(t, s.URL(), req, true)
	doc := parseXML(t, body)
	if status != 403 || doc.XMLName != (xml.Name{Space: ns, Local: "ErrorResponse"}) || doc.text("Error", "Type") != "Sender" ||
		doc.text("Error", "Code") != "MissingAuthenticationToken" || doc.text("Error", "Message") == "" || doc.text("RequestId") == "" {
		t.Errorf("unsigned: %d %s", status, body)
	}
	if r := s.Requests(); len(r) != 1 || r[0].Action != actAR || r[0].Status != 403 {
		t.Errorf("request log %+v", r)
	}

	status, body = rawPost(t, s.URL(), req, false)
	doc = parseXML(t, body)
	cr, _ := doc.child("AssumeRoleResult")
	cr, _ = cr.child("Credentials")
	akid, token, exp := cr.text("AccessKeyId"), cr.text("SessionToken"), cr.text("Expiration")
	if status != 200 || doc.XMLName != (xml.Name{Space: ns, Local: "AssumeRoleResponse"}) ||
		doc.text("ResponseMetadata", "RequestId") == "" ||
		!regexp.MustCompile(`^ASIA222222222222[A-Z2-7]{4}$`).MatchString(akid) ||
		len(cr.text("SecretAccessKey")) != 40 || token == "" ||
		!regexp.MustCompile(`^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$`).MatchString(exp) ||
		doc.text("AssumeRoleResult", "AssumedRoleUser", "Arn") != "arn:aws:sts::222222222222:assumed-role/coredns-vpce-reader/wire" ||
		!regexp.MustCompile(`^AROA[A-Z2-7]{17}:wire$`).MatchString(doc.text("AssumeRoleResult", "AssumedRoleUser", "AssumedRoleId")) {
		t.Errorf("signed: %d %s", status, body)
	}
	if e, err := time.Parse(time.RFC3339, exp); err != nil || time.Until(e) < 59*time.Minute {
		t.Errorf("Expiration %s, want the default DurationSeconds of an hour", exp)
	}

	// The issued key routes to account B, only with its session token.
	ec2Status := func(token string) int {
		hr, err := http.NewRequest(http.MethodPost, s.URL(), strings.NewReader(form(actDVE).Encode()))
		if err != nil {
			t.Fatal(err)
		}
		hr.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		hr.Header.Set("Authorization", "AWS4-HMAC-SHA256 Credential="+akid+"/20260302/us-east-1/ec2/aws4_request, SignedHeaders=host, Signature=00")
		hr.Header.Set("X-Amz-Security-Token", token)
		resp, err := http.DefaultClient.Do(hr)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if st := ec2Status(token); st != 200 || s.Account(accountB).Calls(actDVE) != 1 {
		t.Errorf("with its token: %d, account B calls %d", st, s.Account(accountB).Calls(actDVE))
	}
	if st := ec2Status("forged"); st != 401 || s.Account(accountB).Calls(actDVE) != 2 {
		t.Errorf("with a forged token: %d, want 401 AuthFailure", st)
	}
}

func TestAssumedCredentialsExpire(t *testing.T) {
	s := threeAccounts(t)
	s.SetCredentialLifetime(time.Second)
	creds, err := assumeRole(s, roleB, "").Retrieve(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if time.Until(creds.Expires) > time.Second {
		t.Fatalf("credentials expire at %v, want within a second", creds.Expires)
	}
	static := baseConfig()
	static.Credentials = credentials.NewStaticCredentialsProvider(creds.AccessKeyID, creds.SecretAccessKey, creds.SessionToken)
	client := ec2.NewFromConfig(static, func(o *ec2.Options) { o.BaseEndpoint = aws.String(s.URL()) })
	mustEndpointIDs(t, "fresh credentials", client, "vpce-b1", "vpce-b2")

	refreshing := roleClient(s, roleB, "")
	mustEndpointIDs(t, "refreshing client", refreshing, "vpce-b1", "vpce-b2")
	time.Sleep(time.Until(creds.Expires.Add(1100 * time.Millisecond)))
	_, err = endpointIDs(t, client)
	if code, status := apiErr(t, err); code != "RequestExpired" || status != 400 {
		t.Errorf("expired credentials: %s %d, want RequestExpired 400", code, status)
	}
	before := s.Calls(actAR)
	mustEndpointIDs(t, "refreshing client after expiry", refreshing, "vpce-b1", "vpce-b2")
	if s.Calls(actAR) != before+1 {
		t.Errorf("the cached provider did not assume the role again")
	}
}

// unsetenv unsets key for the test, restoring it afterwards.
func unsetenv(t *testing.T, key string) {
	t.Setenv(key, "")
	if err := os.Unsetenv(key); err != nil {
		t.Fatal(err)
	}
}

// TestAssumeRoleEnvEndpoint reaches the fake's STS the way plugin/vpce's
// tests do: the plugin loads the default configuration and builds its STS
// client from it, so only AWS_ENDPOINT_URL_STS can point it at the fake.
func TestAssumeRoleEnvEndpoint(t *testing.T) {
	s := threeAccounts(t)
	dir := t.TempDir()
	for k, v := range map[string]string{
		"AWS_ENDPOINT_URL_STS":        s.URL(),
		"AWS_ACCESS_KEY_ID":           "AKIDEXAMPLE",
		"AWS_SECRET_ACCESS_KEY":       "secret",
		"AWS_REGION":                  "us-east-1",
		"AWS_CONFIG_FILE":             filepath.Join(dir, "config"),
		"AWS_SHARED_CREDENTIALS_FILE": filepath.Join(dir, "credentials"),
		"AWS_EC2_METADATA_DISABLED":   "true",
	} {
		t.Setenv(k, v)
	}
	for _, k := range []string{"AWS_PROFILE", "AWS_SESSION_TOKEN", "AWS_ENDPOINT_URL", "AWS_ENDPOINT_URL_EC2",
		"AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE"} {
		unsetenv(t, k)
	}
	ctx := context.Background()
	load := func() aws.Config {
		t.Helper()
		cfg, err := config.LoadDefaultConfig(ctx, config.WithRetryMaxAttempts(1))
		if err != nil {
			t.Fatal(err)
		}
		return cfg
	}
	client := func(cfg aws.Config) *ec2.Client {
		provider := stscreds.NewAssumeRoleProvider(sts.NewFromConfig(cfg), roleA, func(o *stscreds.AssumeRoleOptions) {
			o.RoleSessionName = "coredns-vpce"
			o.ExternalID = aws.String("ext-a")
		})
		cfg.Credentials = aws.NewCredentialsCache(provider)
		return ec2.NewFromConfig(cfg, func(o *ec2.Options) { o.BaseEndpoint = aws.String(s.URL()) })
	}

	mustEndpointIDs(t, "role via AWS_ENDPOINT_URL_STS", client(load()), "vpce-a")
	if s.Calls(actAR) != 1 || s.Account(accountA).Calls(actDVE) != 1 {
		t.Errorf("AssumeRole calls %d, account A calls %d; want 1 and 1", s.Calls(actAR), s.Account(accountA).Calls(actDVE))
	}

	// AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true turns the variable off: STS
	// would then be the real one. Catch the request before it leaves.
	t.Setenv("AWS_IGNORE_CONFIGURED_ENDPOINT_URLS", "true")
	cfg := load()
	var host string
	cfg.HTTPClient = clientFunc(func(r *http.Request) (*http.Response, error) {
		host = r.URL.Host
		return nil, errors.New("not sent")
	})
	if _, err := endpointIDs(t, client(cfg)); err == nil || host == "" || strings.HasPrefix(host, "127.0.0.1") {
		t.Errorf("with AWS_IGNORE_CONFIGURED_ENDPOINT_URLS=true STS went to %q (%v), want AWS", host, err)
	}
}

type clientFunc func(*http.Request) (*http.Response, error)

func (f clientFunc) Do(r *http.Request) (*http.Response, error) { return f(r) }

func TestAdminAccountsAndRoles(t *testing.T) {
	s := startFake(t)
	admin := func(method, path, body string) int {
		t.Helper()
		status, _ := adminCall(t, s, method, path, body)
		return status
	}
	for _, c := range []struct {
		method, path, body string
		want               int
	}{
		{"POST", "/_fake/roles", `{"Arn": "` + roleA + `", "ExternalId": "ext-a"}`, 204},
		{"POST", "/_fake/roles", `{"Arn": "arn:aws:iam::111111111111:user/someone"}`, 400},
		{"POST", "/_fake/roles", `{"Arn": "arn:aws:iam::1111:role/short-account"}`, 400},
		{"POST", "/_fake/roles", `{"Arn": "nope"}`, 400},
		{"POST", "/_fake/endpoints?account=" + accountA, `{"VpcEndpointId": "vpce-a", "VpcEndpointType": "Interface"}`, 204},
		{"POST", "/_fake/endpoints/vpce-a/state?state=pendingAcceptance&account=" + accountA, "", 204},
		{"POST", "/_fake/endpoints/vpce-a/state?state=available", "", 404},
		{"POST", "/_fake/faults?account=" + accountA, `{"Kind": "Throttle", "Count": 1}`, 204},
	} {
		if got := admin(c.method, c.path, c.body); got != c.want {
			t.Errorf("%s %s %s: %d, want %d", c.method, c.path, c.body, got, c.want)
		}
	}
	if len(s.Snapshot().VpcEndpoints) != 0 {
		t.Errorf("the default account got account A's endpoint")
	}
	_, dump := adminCall(t, s, "GET", "/_fake/state?account="+accountA, "")
	var st ec2fake.State
	if err := json.Unmarshal([]byte(dump), &st); err != nil || len(st.VpcEndpoints) != 1 || st.VpcEndpoints[0].State != "pendingAcceptance" {
		t.Fatalf("account A state %s %v", dump, err)
	}

	client := roleClient(s, roleA, "ext-a")
	if _, err := endpointIDs(t, client); err == nil {
		t.Error("account A's fault did not apply")
	}
	mustEndpointIDs(t, "account A", client, "vpce-a")
	if admin("DELETE", "/_fake/endpoints/vpce-a?account="+accountA, "") != 204 || len(s.Account(accountA).Snapshot().VpcEndpoints) != 0 {
		t.Error("delete in account A")
	}
}
