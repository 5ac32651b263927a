package testkit

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/coredns-vpce/coredns-vpce/internal/ec2fake"
)

// The credentials SetClientEnv gives the SDK: distinctive, so that a test can look for them
// where they must not be (logs, metrics).
const (
	AccessKey    = "AKIATESTLIVE0000001"
	SecretKey    = "live-secret-never-in-logs"
	SessionToken = "live-session-token-never-in-logs"
)

// SetClientEnv gives the AWS SDK's default configuration in this process, for the rest of the
// test, the static credentials above and nothing real: no shared configuration files, no
// instance metadata (ec2fake.ClientEnv). Clients then reach the fake through an endpoint
// override.
func SetClientEnv(t testing.TB) {
	t.Helper()
	for _, kv := range ec2fake.ClientEnv(AccessKey, SecretKey, SessionToken) {
		k, v, _ := strings.Cut(kv, "=")
		t.Setenv(k, v)
	}
}

// StartFake starts a new EC2 fake on 127.0.0.1 for the rest of the test, with the SDK's
// environment set for it (SetClientEnv).
func StartFake(t testing.TB) *ec2fake.Server {
	t.Helper()
	SetClientEnv(t)
	return ServeFake(t, ec2fake.New())
}

// ServeFake starts fake, set up as the test wants it, on 127.0.0.1 for the rest of the test.
// It sets no environment: for a fake whose clients get theirs elsewhere.
func ServeFake(t testing.TB, fake *ec2fake.Server) *ec2fake.Server {
	t.Helper()
	if err := fake.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(fake.Close)
	return fake
}

// PutEndpoint adds an available interface endpoint with one interface per address to the
// fake: its regional name vpce-<n>-rnd.svc.us-east-1.vpce.amazonaws.com and a private name.
func PutEndpoint(fake *ec2fake.Server, n int, vpc, private string, addrs ...string) {
	id := fmt.Sprintf("vpce-%017x", n)
	names := []string{id + "-rnd.svc.us-east-1.vpce.amazonaws.com"}
	if private != "" {
		names = append(names, private)
	}
	fake.AddEndpoint(ec2fake.Endpoint{ID: id, VPC: vpc, Names: names, Addrs: addrs, PrivateDNS: private != "",
		Created: time.Date(2024, 1, 1, 0, 0, n, 0, time.UTC)})
}
