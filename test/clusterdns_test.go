package test

// coredns-vpce as a Kubernetes cluster's DNS, with the Corefiles distributions ship: the built
// binary, its kubernetes plugin synced from a Kubernetes API fake (internal/k8sfake), answers
// the cluster's names and, from the same server, the endpoint names of the vpce block added to
// each Corefile. Only what cannot run on a test machine is changed (localCorefile): ports and
// addresses, the API server, the upstream, the paths of files.

import (
	"fmt"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/coredns-vpce/coredns-vpce/internal/k8sfake"
	"github.com/coredns-vpce/coredns-vpce/internal/testkit"
)

// The cluster of the fake: the API server's Service, the DNS Service, and a pod whose address
// is a loopback address of its own, so that a query can come from it.
const (
	clusterAPIName = "kubernetes.default.svc.cluster.local."
	clusterAPIIP   = "10.96.0.1"
	clusterDNSName = "kube-dns.kube-system.svc.cluster.local."
	clusterDNSIP   = "10.96.0.10"
	clusterPodIP   = "127.0.0.42"
)

// The example view's SSM endpoint (example/snapshot.json), sorted: answers rotate.
const (
	vpceName  = "ssm.ap-northeast-1.amazonaws.com."
	vpceAddrs = "172.20.128.22 172.20.144.169"
)

// clusterDistributions are the distributions whose Corefiles testdata/clusterdns/ holds, one
// directory each: the Corefile as the distribution ships it with a vpce block added (serving the
// example view, snapshot.json beside the Corefile), and the other files it reads, as they are
// in the pod's /etc/coredns/.
var clusterDistributions = []string{"kubeadm", "eks-addon", "k3s", "tuned-autopath"}

// readDistribution returns the files of a distribution's directory, by their paths relative to
// it.
func readDistribution(t *testing.T, name string) map[string]string {
	t.Helper()
	root := filepath.Join("testdata", "clusterdns", name)
	files := map[string]string{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		data, err := os.ReadFile(path)
		rel, _ := filepath.Rel(root, path)
		files[filepath.ToSlash(rel)] = string(data)
		return err
	})
	if err != nil || files["Corefile"] == "" {
		t.Fatalf("%s: %v (files %d, want a Corefile)", root, err, len(files))
	}
	return files
}

// exampleCluster serves a cluster from a fake on 127.0.0.1 and returns its URL: the namespaces
// default and kube-system, the Services kubernetes and kube-dns, and a pod in default at
// clusterPodIP.
func exampleCluster(t *testing.T) string {
	t.Helper()
	c := k8sfake.New()
	c.AddNamespace("default")
	c.AddNamespace("kube-system")
	c.AddService("default", "kubernetes", clusterAPIIP, "https", "10.0.0.11")
	c.AddService("kube-system", "kube-dns", clusterDNSIP, "dns", "10.244.0.2", "10.244.1.2")
	c.AddPod("default", "client", clusterPodIP)
	return testkit.ServeKubernetes(t, c)
}

// clusterServer is the address of a running coredns-vpce and the directory of its files.
type clusterServer struct {
	addr, dir string
}

// Rewrites of localCorefile: each line a distribution's Corefile has, and what it becomes.
var (
	serverKeyRE  = regexp.MustCompile(`(?m)^(\s*)(\S+):53 \{$`)
	healthRE     = regexp.MustCompile(`(?m)^(\s*)health( \{)?$`)
	readyRE      = regexp.MustCompile(`(?m)^(\s*)ready$`)
	prometheusRE = regexp.MustCompile(`(?m)^(\s*)prometheus \S+$`)
	kubernetesRE = regexp.MustCompile(`(?m)^(\s*)kubernetes .*\{$`)
	forwardRE    = regexp.MustCompile(`(?m)^(\s*)forward \. /etc/resolv\.conf`)
)

// localCorefile adapts a Corefile written for a pod to this machine, and only that: its
// servers listen on port on 127.0.0.1 instead of port 53 of the pod's address; health, ready
// and prometheus on free loopback addresses instead of their ports of the pod (ready on
// readyAddr); the kubernetes plugin asks the API server at apiURL (a pod finds its own); forward
// asks upstream (a pod's /etc/resolv.conf is the node's resolver); and the paths of the pod's
// files, /etc/coredns/ (the ConfigMaps) and /var/lib/coredns/ (the cache volume), are in dir.
func localCorefile(t *testing.T, corefile string, port int, readyAddr, apiURL, upstream, dir string) string {
	t.Helper()
	corefile = serverKeyRE.ReplaceAllString(corefile, fmt.Sprintf("${1}${2}:%d {\n${1}    bind 127.0.0.1", port))
	corefile = healthRE.ReplaceAllString(corefile, "${1}health "+testkit.FreeAddr(t)+"${2}")
	corefile = readyRE.ReplaceAllString(corefile, "${1}ready "+readyAddr)
	corefile = prometheusRE.ReplaceAllString(corefile, "${1}prometheus "+testkit.FreeAddr(t))
	corefile = kubernetesRE.ReplaceAllString(corefile, "$0\n${1}    endpoint "+apiURL)
	corefile = forwardRE.ReplaceAllString(corefile, "${1}forward . "+upstream)
	corefile = strings.ReplaceAll(corefile, "/etc/coredns/", dir+"/")
	return strings.ReplaceAll(corefile, "/var/lib/coredns/", dir+"/")
}

// startClusterDNS runs the built binary bin with the files of a pod's /etc/coredns/ (the
// Corefile and what it reads, by relative path), adapted by localCorefile, and the example
// view as snapshot.json, and waits until it serves: the kubernetes plugin has synced and vpce
// has its view. It fails the test if something of the pod's was left unadapted.
func startClusterDNS(t *testing.T, bin string, files map[string]string, apiURL, upstream string) clusterServer {
	t.Helper()
	dir := t.TempDir()
	port, readyAddr := testkit.FreePort(t), testkit.FreeAddr(t)
	local := func(s string) string { return localCorefile(t, s, port, readyAddr, apiURL, upstream, dir) }
	write := func(rel, content string) {
		path := filepath.Join(dir, rel)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var all strings.Builder
	for rel, content := range files {
		content = local(content)
		write(rel, content)
		all.WriteString(content)
	}
	if snap, err := os.ReadFile("../example/snapshot.json"); err != nil {
		t.Fatal(err)
	} else {
		write("snapshot.json", string(snap))
	}
	for _, left := range []string{":53 {", "/etc/resolv.conf", ":9153", "/etc/coredns", "/var/lib/coredns"} {
		if strings.Contains(all.String(), left) {
			t.Fatalf("%q left in the adapted Corefile:\n%s", left, all.String())
		}
	}
	logs := testkit.StartProcess(t, userEnv(t), bin, "-conf", filepath.Join(dir, "Corefile"))
	testkit.WaitReady(t, readyAddr, logs, 30*time.Second)
	// Ready can come a moment before the DNS server listens: CoreDNS opens its listeners after
	// the plugins' start-up, which the kubernetes plugin ends on its next check of the sync.
	addr := net.JoinHostPort("127.0.0.1", fmt.Sprint(port))
	testkit.Eventually(t, 10*time.Second, func() error {
		m := new(dns.Msg)
		m.SetQuestion(clusterAPIName, dns.TypeA)
		_, err := testkit.Ask("udp", addr, "", m)
		return err
	})
	return clusterServer{addr: addr, dir: dir}
}

// expectAnswer asks name (A) over UDP from src ("": 127.0.0.1) and compares testkit.SortedAnswer
// of the reply with want.
func expectAnswer(t *testing.T, addr, src, name, want string) {
	t.Helper()
	m := new(dns.Msg)
	m.SetQuestion(name, dns.TypeA)
	if got := testkit.SortedAnswer(testkit.Exchange(t, "udp", addr, src, m)); got != want {
		t.Errorf("A %s: %q, want %q", name, got, want)
	}
}

func TestClusterDNSDistributions(t *testing.T) {
	bin := testkit.BuildCommand(t, "../cmd/coredns")
	apiURL, upstream := exampleCluster(t), testkit.StartUpstream(t)
	for _, name := range clusterDistributions {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			files := readDistribution(t, name)
			s := startClusterDNS(t, bin, files, apiURL, upstream)
			checkClusterDNS(t, s.addr)
			if files["NodeHosts"] != "" {
				// k3s: its hosts file, and a server block of coredns-custom.
				expectAnswer(t, s.addr, "", "k3s-server-0.", "10.0.0.11")
				expectAnswer(t, s.addr, "", "db.corp.internal.", "10.20.0.5")
			}
			if strings.Contains(files["Corefile"], "autopath @kubernetes") {
				checkAutopath(t, s.addr)
			}
		})
	}
}

// checkClusterDNS: from one server, the cluster's names from the API server, the endpoint's
// addresses from the vpce view, and other names from the upstream.
func checkClusterDNS(t *testing.T, addr string) {
	t.Helper()
	expectAnswer(t, addr, "", clusterAPIName, clusterAPIIP)
	expectAnswer(t, addr, "", clusterDNSName, clusterDNSIP)
	expectAnswer(t, addr, "", "no-such-service.default.svc.cluster.local.", "NXDOMAIN")
	expectAnswer(t, addr, "", vpceName, vpceAddrs)
	expectAnswer(t, addr, "", "example.com.", "upstream")
	for _, network := range []string{"udp", "tcp"} {
		if got := testkit.SortedAnswer(testkit.Query(t, network, addr, vpceName, dns.TypeA)); got != vpceAddrs {
			t.Errorf("A %s over %s: %q, want %q", vpceName, network, got, vpceAddrs)
		}
	}
}

// checkAutopath: a pod's first search-path expansion of an endpoint name (in namespace
// default: NAME.default.svc.cluster.local) is answered at once with a CNAME to the name and
// the endpoint's addresses, because autopath asks vpce (after it in plugin.cfg) for the name;
// an upstream name the same way with the upstream's answer. From an address that is no pod's,
// the expansion is what it says: a name of the cluster domain, which does not exist.
func checkAutopath(t *testing.T, addr string) {
	t.Helper()
	expansion := vpceName + "default.svc.cluster.local."
	m := new(dns.Msg)
	m.SetQuestion(expansion, dns.TypeA)
	resp := testkit.Exchange(t, "udp", addr, clusterPodIP, m)
	cname, ok := dns.RR(nil), false
	if len(resp.Answer) > 0 {
		cname = resp.Answer[0]
		c, isCNAME := cname.(*dns.CNAME)
		ok = isCNAME && c.Hdr.Name == expansion && c.Target == vpceName
	}
	if !ok || resp.Rcode != dns.RcodeSuccess || strings.Join(testkit.SortedAddrs(resp.Answer), " ") != vpceAddrs {
		t.Errorf("A %s from the pod %s: %q, want a CNAME to %s and the endpoint's addresses %s",
			expansion, clusterPodIP, testkit.Chain(resp), vpceName, vpceAddrs)
	}
	m.SetQuestion("example.com.default.svc.cluster.local.", dns.TypeA)
	if got, want := testkit.Chain(testkit.Exchange(t, "udp", addr, clusterPodIP, m)),
		cnameChain("example.com.default.svc.cluster.local.", "example.com."); got != want {
		t.Errorf("A example.com.default.svc.cluster.local. from the pod: %q, want %q", got, want)
	}
	expectAnswer(t, addr, "", expansion, "NXDOMAIN")
}
