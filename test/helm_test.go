package test

// deploy/helm/values.yaml with the official CoreDNS Helm chart: rendered by Helm itself, its
// objects hold the image, the IAM role and the cache volume, and its Corefile, served by the
// built binary with only what cannot run here changed (localCorefile), answers a cluster name
// and an endpoint name.

import (
	"bytes"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/coredns-vpce/coredns-vpce/internal/testkit"
)

const (
	// helmCommand is Helm's CLI, run with go run so that neither the machine nor go.mod needs it.
	helmCommand = "helm.sh/helm/v4/cmd/helm@v4.3.2"
	// helmChart is the official chart beside the clone (CI has it there), and the version
	// deploy/helm/values.yaml is checked against.
	helmChart        = "../../shared/charts/coredns"
	helmChartVersion = "version: 1.46.2"
	helmValues       = "../deploy/helm/values.yaml"
)

// requireChart returns the chart's absolute path. When it is absent the test skips, or fails
// if VPCE_REQUIRE_TOOLS is set (to anything but 0), as for a missing program (tools_test.go).
func requireChart(t *testing.T) string {
	t.Helper()
	dir, err := filepath.Abs(helmChart)
	if err != nil {
		t.Fatal(err)
	}
	chart, err := os.ReadFile(filepath.Join(dir, "Chart.yaml"))
	if err != nil {
		missing := "the official CoreDNS chart is not beside the clone (" + dir + ")"
		if v := os.Getenv(requireToolsEnv); v != "" && v != "0" {
			t.Fatalf("%s, and %s=%s requires it", missing, requireToolsEnv, v)
		}
		t.Skipf("%s: skipped (%s=1 fails instead)", missing, requireToolsEnv)
	}
	if !strings.Contains(string(chart), "\n"+helmChartVersion+"\n") {
		t.Logf("%s: not chart %s, which deploy/helm/values.yaml is checked against", dir, helmChartVersion)
	}
	return dir
}

// goEnv is what go run needs of this machine's Go, and nothing else of its environment: PATH,
// an empty HOME (Helm keeps its configuration and cache there), Go's caches and proxy.
func goEnv(t *testing.T) []string {
	t.Helper()
	out, err := exec.Command("go", "env", "-json", "GOPATH", "GOMODCACHE", "GOCACHE", "GOPROXY").Output()
	if err != nil {
		t.Fatalf("go env: %v", err)
	}
	var vars map[string]string
	if err := json.Unmarshal(out, &vars); err != nil {
		t.Fatal(err)
	}
	env := []string{"PATH=" + os.Getenv("PATH"), "HOME=" + t.TempDir()}
	for k, v := range vars {
		env = append(env, k+"="+v)
	}
	return env
}

// helmTemplate renders chart with values as `helm template coredns CHART -n kube-system -f
// VALUES` does, and returns the manifests.
func helmTemplate(t *testing.T, chart, values string) []byte {
	t.Helper()
	values, err := filepath.Abs(values)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command("go", "run", helmCommand, "template", "coredns", chart, "--namespace", "kube-system", "-f", values)
	cmd.Dir = t.TempDir() // outside this module: Helm is no dependency of it
	cmd.Env = goEnv(t)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("helm template: %v\n%s", err, stderr.String())
	}
	return out
}

// TestHelmPinned: make tools builds the Helm the test runs, not another version.
func TestHelmPinned(t *testing.T) {
	makefile, err := os.ReadFile("../Makefile")
	if err != nil {
		t.Fatal(err)
	}
	if want := "\nHELM  := " + helmCommand + "\n"; !strings.Contains(string(makefile), want) {
		t.Errorf("the Makefile's HELM is not %s", helmCommand)
	}
}

func TestHelmValues(t *testing.T) {
	chart := requireChart(t)
	objs, err := decodeManifests(helmTemplate(t, chart, helmValues))
	if err != nil {
		t.Fatalf("the rendered chart: %v", err)
	}
	o := sortObjects(objs)
	if len(o.deployments) != 1 || len(o.configMaps) != 1 {
		t.Fatalf("want one Deployment and one ConfigMap; have %d, %d", len(o.deployments), len(o.configMaps))
	}
	d := o.deployments[0]
	pod := d.Spec.Template.Spec
	c := pod.Containers[0]

	if !strings.Contains(c.Image, "/coredns-vpce:") {
		t.Errorf("image %q, want this project's (coredns-vpce)", c.Image)
	}
	if sa := o.accounts[d.Namespace+"/"+pod.ServiceAccountName]; sa == nil {
		t.Errorf("serviceAccountName %q: the chart created no such ServiceAccount", pod.ServiceAccountName)
	} else if arn := sa.Annotations["eks.amazonaws.com/role-arn"]; !roleARN.MatchString(arn) {
		t.Errorf("ServiceAccount %s: eks.amazonaws.com/role-arn %q, want an IAM role ARN", sa.Name, arn)
	}
	var corefile string
	for _, cm := range o.configMaps {
		corefile = cm.Data["Corefile"]
	}
	blocks, err := checkCorefile("Corefile", corefile)
	if err != nil {
		t.Fatalf("the rendered Corefile: %v\n%s", err, corefile)
	}
	var caches []string
	for _, sb := range blocks {
		for _, args := range optionArgs(sb, "vpce", "cache_file") {
			caches = append(caches, args...)
		}
	}
	if len(caches) != 1 {
		t.Fatalf("the rendered Corefile's vpce cache_file: %q, want one\n%s", caches, corefile)
	}
	if dir := filepath.Dir(caches[0]); !emptyDirMounted(pod, c, dir) {
		t.Errorf("vpce cache_file %s: no emptyDir mounted at %s (the root filesystem is read-only)", caches[0], dir)
	}

	// The rendered Corefile serves, in live mode against the EC2 fake holding the example
	// account: the EC2 API and the region (the fake account's) are what must change here
	// beyond localCorefile's.
	bin := testkit.BuildCommand(t, "../cmd/coredns")
	ec2 := exampleAccount(t)
	corefile = strings.Replace(corefile, "cache_file ", "aws_endpoint "+ec2.URL()+"\n    cache_file ", 1)
	corefile = strings.Replace(corefile, "region us-east-1", "region ap-northeast-1", 1)
	s := startClusterDNS(t, bin, map[string]string{"Corefile": corefile}, exampleCluster(t), testkit.StartUpstream(t))
	checkClusterDNS(t, s.addr)
	// The view is kept in the cache volume: a restarted container serves it at once.
	testkit.Eventually(t, 10*time.Second, func() error {
		_, err := os.Stat(filepath.Join(s.dir, filepath.Base(caches[0])))
		return err
	})
}

// emptyDirMounted tells whether an emptyDir volume of pod is mounted at dir in container c.
func emptyDirMounted(pod corev1.PodSpec, c corev1.Container, dir string) bool {
	for _, v := range pod.Volumes {
		if v.EmptyDir == nil {
			continue
		}
		for _, m := range c.VolumeMounts {
			if m.Name == v.Name && filepath.Clean(m.MountPath) == dir {
				return true
			}
		}
	}
	return false
}
