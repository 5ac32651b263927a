package test

import (
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/coredns-vpce/coredns-vpce/internal/ec2fake"
	"github.com/coredns-vpce/coredns-vpce/internal/testkit"
)

const liveCorefile = `.:0 {
    bind 127.0.0.1
    ready READY
    vpce {
        region us-east-1
        aws_endpoint EC2
        refresh 100ms
        EXTRA
    }
    forward . UPSTREAM
}`

// startLive starts CoreDNS following the EC2 API at ec2URL; extra goes into the vpce block.
// It returns the DNS address and the ready plugin's URL.
func startLive(t *testing.T, ec2URL, extra string) (udp, ready string) {
	t.Helper()
	readyAddr := testkit.FreeAddr(t)
	r := strings.NewReplacer("READY", readyAddr, "EC2", ec2URL, "EXTRA", extra)
	udp, _ = startServer(t, r.Replace(liveCorefile))
	return udp, "http://" + readyAddr + "/ready"
}

// addrsOf returns the A records of name, or "upstream" when the query went on (testkit.Answer).
func addrsOf(t *testing.T, udp, name string) string {
	t.Helper()
	return testkit.Answer(testkit.Query(t, "udp", udp, name, dns.TypeA))
}

func expectAddrs(t *testing.T, udp, name, want string) {
	t.Helper()
	testkit.Eventually(t, 10*time.Second, func() error {
		if got := addrsOf(t, udp, name); got != want {
			return fmt.Errorf("%s: %q, want %q", name, got, want)
		}
		return nil
	})
}

func isReady(t *testing.T, url string) bool {
	t.Helper()
	resp, err := http.Get(url)
	if err != nil {
		t.Fatalf("ready endpoint: %v", err)
	}
	resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

func TestLiveFollowsTheAccount(t *testing.T) {
	fake := testkit.StartFake(t)
	fake.AddEndpoint(ec2fake.Endpoint{ID: "vpce-01", VPC: "vpc-1", PrivateDNS: true, Addrs: []string{"10.0.1.1", "10.0.2.1"},
		Names: []string{"vpce-01-abc.ssm.us-east-1.vpce.amazonaws.com", "ssm.us-east-1.amazonaws.com"}})
	udp, _ := startLive(t, fake.URL(), "")

	expectAddrs(t, udp, "ssm.us-east-1.amazonaws.com.", "10.0.1.1 10.0.2.1")
	// A new endpoint answers within a refresh.
	fake.AddEndpoint(ec2fake.Endpoint{ID: "vpce-02", VPC: "vpc-1", PrivateDNS: true, Addrs: []string{"10.0.1.2"},
		Names: []string{"vpce-02-def.sts.us-east-1.vpce.amazonaws.com", "sts.us-east-1.amazonaws.com"}})
	expectAddrs(t, udp, "sts.us-east-1.amazonaws.com.", "10.0.1.2")
	expectAddrs(t, udp, "vpce-02-def.sts.us-east-1.vpce.amazonaws.com.", "10.0.1.2")
	// A deleted one goes to the next plugin.
	fake.DeleteEndpoint("vpce-01")
	expectAddrs(t, udp, "ssm.us-east-1.amazonaws.com.", "upstream")
	expectAddrs(t, udp, "vpce-01-abc.ssm.us-east-1.vpce.amazonaws.com.", "upstream")
	// pendingAcceptance, then accepted.
	fake.AddEndpoint(ec2fake.Endpoint{ID: "vpce-03", VPC: "vpc-1", PrivateDNS: true, State: "pendingAcceptance", Addrs: []string{"10.0.1.3"},
		Names: []string{"vpce-03-ghi.vpce-svc-0abc.us-east-1.vpce.amazonaws.com", "api.partner.example.com"}})
	time.Sleep(300 * time.Millisecond) // three refreshes
	if got := addrsOf(t, udp, "api.partner.example.com."); got != "upstream" {
		t.Errorf("pendingAcceptance endpoint served: %s", got)
	}
	fake.SetEndpointState("vpce-03", "available")
	expectAddrs(t, udp, "api.partner.example.com.", "10.0.1.3")
}

// TestLiveFaults: through every fault the known names keep their answers (never SERVFAIL,
// never a wrong address), and the plugin picks up a change once the fault ends.
func TestLiveFaults(t *testing.T) {
	fake := testkit.StartFake(t)
	fake.AddEndpoint(ec2fake.Endpoint{ID: "vpce-01", VPC: "vpc-1", PrivateDNS: true, Addrs: []string{"10.0.1.1", "10.0.2.1"},
		Names: []string{"ssm.us-east-1.amazonaws.com"}})
	udp, _ := startLive(t, fake.URL(), "")
	expectAddrs(t, udp, "ssm.us-east-1.amazonaws.com.", "10.0.1.1 10.0.2.1")

	for i, f := range []ec2fake.Fault{
		{Kind: ec2fake.Throttle},
		{Kind: ec2fake.InternalError},
		{Kind: ec2fake.Unauthorized},
		{Kind: ec2fake.ExpiredCredentials},
		{Kind: ec2fake.Malformed},
		{Kind: ec2fake.InternalError, Action: "DescribeNetworkInterfaces"},
	} {
		t.Run(fmt.Sprintf("%s %s", f.Kind, f.Action), func(t *testing.T) {
			fake.Inject(f)
			name := fmt.Sprintf("new%d.example.com", i)
			fake.AddEndpoint(ec2fake.Endpoint{ID: fmt.Sprintf("vpce-1%d", i), VPC: "vpc-1", PrivateDNS: true, Addrs: []string{"10.9.9.9"}, Names: []string{name}})
			for range 20 {
				if got := addrsOf(t, udp, "ssm.us-east-1.amazonaws.com."); got != "10.0.1.1 10.0.2.1" && got != "10.0.2.1 10.0.1.1" {
					t.Fatalf("during the fault: %q", got)
				}
				if got := addrsOf(t, udp, name+"."); got != "upstream" {
					t.Fatalf("a change published during the fault: %q", got)
				}
				time.Sleep(25 * time.Millisecond)
			}
			fake.ClearFaults()
			expectAddrs(t, udp, name+".", "10.9.9.9")
		})
	}
}

func TestLiveStartsWithAWSDown(t *testing.T) {
	testkit.SetClientEnv(t)
	down := testkit.FreeAddr(t)

	t.Run("without cache file", func(t *testing.T) {
		udp, ready := startLive(t, "http://"+down, "")
		// CoreDNS is up and serves everything else; the plugin is not ready and passes on.
		if got := addrsOf(t, udp, "ssm.us-east-1.amazonaws.com."); got != "upstream" {
			t.Fatalf("before any view: %q", got)
		}
		if isReady(t, ready) {
			t.Fatal("ready without a view")
		}
		// AWS comes up: the view loads and the plugin becomes ready.
		fake := ec2fake.New()
		fake.AddEndpoint(ec2fake.Endpoint{ID: "vpce-01", VPC: "vpc-1", PrivateDNS: true, Addrs: []string{"10.0.1.1"}, Names: []string{"ssm.us-east-1.amazonaws.com"}})
		if err := fake.StartAt(down); err != nil {
			t.Fatal(err)
		}
		defer fake.Close()
		expectAddrs(t, udp, "ssm.us-east-1.amazonaws.com.", "10.0.1.1")
		testkit.Eventually(t, 10*time.Second, func() error {
			if !isReady(t, ready) {
				return fmt.Errorf("not ready with a view")
			}
			return nil
		})
	})

	t.Run("with cache file", func(t *testing.T) {
		down := testkit.FreeAddr(t)
		cache := filepath.Join(t.TempDir(), "vpce.json")
		snapshot, err := os.ReadFile("../example/snapshot.json")
		if err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(cache, snapshot, 0o600); err != nil {
			t.Fatal(err)
		}
		udp, ready := startLive(t, "http://"+down, "cache_file "+cache)
		// Served at once, from the cache, and ready.
		if got := addrsOf(t, udp, "ssm.ap-northeast-1.amazonaws.com."); got != "172.20.144.169 172.20.128.22" {
			t.Fatalf("from the cache file: %q", got)
		}
		if !isReady(t, ready) {
			t.Fatal("not ready with the cache file's view")
		}
	})

	t.Run("with a corrupt cache file", func(t *testing.T) {
		down := testkit.FreeAddr(t)
		cache := filepath.Join(t.TempDir(), "vpce.json")
		if err := os.WriteFile(cache, []byte(`{"VpcEndpoints": [`), 0o600); err != nil {
			t.Fatal(err)
		}
		udp, ready := startLive(t, "http://"+down, "cache_file "+cache)
		if got := addrsOf(t, udp, "example.org."); got != "upstream" {
			t.Fatalf("CoreDNS does not serve: %q", got)
		}
		if isReady(t, ready) {
			t.Fatal("ready with a corrupt cache file and no API")
		}
	})
}

func TestLiveCacheFile(t *testing.T) {
	fake := testkit.StartFake(t)
	fake.AddEndpoint(ec2fake.Endpoint{ID: "vpce-01", VPC: "vpc-1", PrivateDNS: true, Addrs: []string{"10.0.1.1"}, Names: []string{"ssm.us-east-1.amazonaws.com"}})
	cache := filepath.Join(t.TempDir(), "vpce.json")
	udp, _ := startLive(t, fake.URL(), "cache_file "+cache)
	expectAddrs(t, udp, "ssm.us-east-1.amazonaws.com.", "10.0.1.1")
	testkit.Eventually(t, 5*time.Second, func() error {
		fi, err := os.Stat(cache)
		if err != nil {
			return err
		}
		if fi.Mode().Perm() != 0o600 {
			return fmt.Errorf("cache file mode %v, want 0600", fi.Mode().Perm())
		}
		return nil
	})
	// The cache is a snapshot: a server reading it as one answers the same.
	snapUDP, _ := startServer(t, strings.ReplaceAll(exampleCorefile, "SNAPSHOT", cache))
	if got := addrsOf(t, snapUDP, "ssm.us-east-1.amazonaws.com."); got != "10.0.1.1" {
		t.Errorf("cache file served as a snapshot: %q", got)
	}
	// A change rewrites it; no temporary file is left behind.
	fake.AddEndpoint(ec2fake.Endpoint{ID: "vpce-02", VPC: "vpc-1", PrivateDNS: true, Addrs: []string{"10.0.1.2"}, Names: []string{"sts.us-east-1.amazonaws.com"}})
	testkit.Eventually(t, 5*time.Second, func() error {
		data, err := os.ReadFile(cache)
		if err != nil || !strings.Contains(string(data), "sts.us-east-1.amazonaws.com") {
			return fmt.Errorf("cache file not rewritten: %v", err)
		}
		return nil
	})
	entries, err := os.ReadDir(filepath.Dir(cache))
	if err != nil || len(entries) != 1 {
		t.Errorf("cache directory holds %v (%v), want the cache file only", entries, err)
	}
}

func TestLiveVPCPriority(t *testing.T) {
	fake := testkit.StartFake(t)
	older := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	fake.AddEndpoint(ec2fake.Endpoint{ID: "vpce-0a", VPC: "vpc-1", PrivateDNS: true, Addrs: []string{"10.1.0.1"}, Names: []string{"ssm.us-east-1.amazonaws.com"}, Created: older})
	fake.AddEndpoint(ec2fake.Endpoint{ID: "vpce-0b", VPC: "vpc-2", PrivateDNS: true, Addrs: []string{"10.2.0.1"}, Names: []string{"ssm.us-east-1.amazonaws.com"}, Created: older.Add(time.Hour)})
	fake.AddEndpoint(ec2fake.Endpoint{ID: "vpce-0c", VPC: "vpc-3", PrivateDNS: true, Addrs: []string{"10.3.0.1"}, Names: []string{"kms.us-east-1.amazonaws.com"}})

	udp, _ := startLive(t, fake.URL(), "")
	expectAddrs(t, udp, "ssm.us-east-1.amazonaws.com.", "10.1.0.1") // the oldest by default

	udp, _ = startLive(t, fake.URL(), "vpc vpc-2 vpc-1")
	expectAddrs(t, udp, "ssm.us-east-1.amazonaws.com.", "10.2.0.1") // the list's order wins
	expectAddrs(t, udp, "kms.us-east-1.amazonaws.com.", "upstream") // only the listed VPCs
	for _, r := range fake.Requests() {
		if r.Params.Get("Filter.1.Name") == "" {
			t.Fatalf("%s without filters", r.Action)
		}
	}
}
