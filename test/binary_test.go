package test

// The built programs, run as a user runs them: the coredns and vpce-snapshot binaries in
// processes of their own, with the environment of a fresh machine (PATH, an empty HOME, static
// credentials, nothing else), against the EC2 fake holding the example snapshot's account.
// Nothing of the machine running the tests (its AWS_CA_BUNDLE, proxy or CA variables, its
// ~/.aws) reaches them.

import (
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/coredns-vpce/coredns-vpce/internal/ec2fake"
	"github.com/coredns-vpce/coredns-vpce/internal/testkit"
	"github.com/miekg/dns"
)

// userEnv is a fresh machine's environment with static AWS credentials: PATH, an empty HOME.
func userEnv(t *testing.T) []string {
	return []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir(),
		"AWS_ACCESS_KEY_ID=" + testkit.AccessKey, "AWS_SECRET_ACCESS_KEY=" + testkit.SecretKey}
}

// exampleAccount serves the example snapshot's account from a fake on 127.0.0.1. It sets no
// environment: the programs under test get theirs from userEnv.
func exampleAccount(t *testing.T) *ec2fake.Server {
	t.Helper()
	st, err := ec2fake.ReadState("../example/snapshot.json")
	if err != nil {
		t.Fatal(err)
	}
	fake := ec2fake.New()
	fake.Load(st.VpcEndpoints, st.NetworkInterfaces, st.ServiceDetails, st.Subnets)
	for _, as := range st.VpcEndpointAssociations {
		fake.PutAssociation(as)
	}
	return testkit.ServeFake(t, fake)
}

const binaryCorefile = `.:PORT {
    bind 127.0.0.1
    ready READY
    vpce {
        region ap-northeast-1
        aws_endpoint EC2
        refresh 200ms
    }
    forward . UPSTREAM
}`

func TestBinaryLiveMode(t *testing.T) {
	bin := testkit.BuildCommand(t, "../cmd/coredns")
	fake := exampleAccount(t)
	port, readyAddr := fmt.Sprint(testkit.FreePort(t)), testkit.FreeAddr(t) // DNS: free for UDP and TCP
	addr := net.JoinHostPort("127.0.0.1", port)
	corefile := filepath.Join(t.TempDir(), "Corefile")
	r := strings.NewReplacer("PORT", port, "READY", readyAddr, "EC2", fake.URL(), "UPSTREAM", testkit.StartUpstream(t))
	if err := os.WriteFile(corefile, []byte(r.Replace(binaryCorefile)), 0o644); err != nil {
		t.Fatal(err)
	}
	logs := testkit.StartProcess(t, userEnv(t), bin, "-conf", corefile)
	testkit.WaitReady(t, readyAddr, logs, 20*time.Second)

	checkSeed(t, "udp", addr, true)
	checkSeed(t, "tcp", addr, false)
	// An endpoint created in the account answers within a refresh; deleted, its name goes on.
	fake.AddEndpoint(ec2fake.Endpoint{ID: "vpce-0new00000000000001", VPC: "vpc-0c5f4e3d2b1a09876", PrivateDNS: true,
		Addrs: []string{"172.20.130.77"}, Names: []string{"logs.ap-northeast-1.amazonaws.com"}})
	expectAddrs(t, addr, "logs.ap-northeast-1.amazonaws.com.", "172.20.130.77")
	fake.DeleteEndpoint("vpce-0new00000000000001")
	expectAddrs(t, addr, "logs.ap-northeast-1.amazonaws.com.", "upstream")
	if strings.Contains(logs.String(), "panic") {
		t.Fatalf("the server panicked:\n%s", logs)
	}
}

func TestBinarySnapshotExport(t *testing.T) {
	bin := testkit.BuildCommand(t, "../cmd/vpce-snapshot")
	fake := exampleAccount(t)
	out := filepath.Join(t.TempDir(), "snapshot.json")
	cmd := exec.Command(bin, "-out", out, "-o", "region ap-northeast-1", "-o", "aws_endpoint "+fake.URL())
	cmd.Env = userEnv(t)
	if msg, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("vpce-snapshot: %v\n%s", err, msg)
	}
	// The export serves the seed's answers as a snapshot, and the custom names of the Resource
	// and ServiceNetwork endpoints from their associations.
	udp, tcp := startServer(t, strings.ReplaceAll(exampleCorefile, "SNAPSHOT", out))
	checkSeed(t, "udp", udp, true)
	checkSeed(t, "tcp", tcp, false)
	if got, want := testkit.Chain(testkit.Query(t, "udp", udp, exampleDB, dns.TypeA)), cnameChain(exampleDB, exampleDBTgt); got != want {
		t.Errorf("A %s from the export: %q, want %q", exampleDB, got, want)
	}
}
