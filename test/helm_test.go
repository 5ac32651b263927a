package test

// deploy/helm/values.yaml with the official CoreDNS Helm chart: rendered by Helm itself, its
// objects hold the image, the IAM role and the cache volume, and its Corefile, served by the
// built binary with only what cannot run here changed (localCorefile), answers a cluster name
// and an endpoint name.

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/coredns-vpce/coredns-vpce/internal/testkit"
)

const helmValues = "../deploy/helm/values.yaml"

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
