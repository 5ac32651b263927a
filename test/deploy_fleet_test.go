package test

// deploy/kubernetes/fleet: the exporter's Deployment, run as written (its command and arguments,
// with only the EC2 and S3 endpoints pointed at the fakes), writes the object that the readers'
// Corefile then serves; both manifests decode strictly, and the readers pass every check of
// the other deployments (deploy_test.go).

import (
	"fmt"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"

	"github.com/coredns-vpce/coredns-vpce/internal/ec2fake"
	"github.com/coredns-vpce/coredns-vpce/internal/testkit"
)

var fleetDir = filepath.Join(deployDir, "fleet")

func TestDeployFleet(t *testing.T) {
	objs, err := decodeManifests(readDeployFile(t, filepath.Join(fleetDir, "exporter", "vpce-snapshot.yaml")))
	if err != nil {
		t.Fatal(err)
	}
	exporter := sortObjects(objs)
	if len(exporter.deployments) != 1 || len(exporter.accounts) != 1 {
		t.Fatalf("exporter: want one Deployment and one ServiceAccount; have %d, %d", len(exporter.deployments), len(exporter.accounts))
	}
	d := exporter.deployments[0]
	pod := d.Spec.Template
	if d.Spec.Replicas == nil || *d.Spec.Replicas != 2 || !selects(d.Spec.Selector, pod.Labels) {
		t.Errorf("exporter Deployment: replicas %v, selector %v: want 2 replicas (high availability) and its pods selected", d.Spec.Replicas, d.Spec.Selector)
	}
	if sa := exporter.accounts[d.Namespace+"/"+pod.Spec.ServiceAccountName]; sa == nil || !roleARN.MatchString(sa.Annotations["eks.amazonaws.com/role-arn"]) {
		t.Errorf("exporter: ServiceAccount %q missing or without an IAM role", pod.Spec.ServiceAccountName)
	}
	c := pod.Spec.Containers[0]
	if sc := c.SecurityContext; len(pod.Spec.Containers) != 1 || sc == nil || sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem ||
		sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot || sc.Capabilities == nil || !slices.Equal(sc.Capabilities.Drop, []corev1.Capability{"ALL"}) {
		t.Errorf("exporter container: %d containers, securityContext %+v: want one, non-root, read-only, all capabilities dropped", len(pod.Spec.Containers), sc)
	}
	if !slices.Equal(c.Command, []string{"/vpce-snapshot"}) {
		t.Fatalf("exporter command %q, want /vpce-snapshot", c.Command)
	}
	out := flagValue(c.Args, "-out")
	if !strings.HasPrefix(out, "s3://") {
		t.Fatalf("exporter -out %q, want an S3 object", out)
	}

	// The exporter, run with its arguments, writes the object.
	ec2 := testkit.StartFake(t)
	testkit.PutEndpoint(ec2, 1, "vpc-1", "ssm.us-east-1.amazonaws.com", "10.0.1.1")
	s3 := testkit.StartS3(t)
	// The fake has one bucket: the manifest's object goes into it under the same key.
	_, key, _ := strings.Cut(strings.TrimPrefix(out, "s3://"), "/")
	object := "s3://" + testkit.S3Bucket + "/" + key
	args := append(slices.Clone(c.Args), "-o", "aws_endpoint "+ec2.URL(), "-s3-endpoint", s3.URL)
	args[slices.Index(args, out)] = object
	env := ec2fake.ClientEnv(testkit.AccessKey, testkit.SecretKey, testkit.SessionToken)
	testkit.StartProcess(t, env, testkit.BuildCommand(t, "../cmd/vpce-snapshot"), args...)
	testkit.Eventually(t, time.Minute, func() error {
		if s3.Counts().Puts == 0 {
			return fmt.Errorf("no object written")
		}
		return nil
	})

	// The readers serve it: their Corefile's snapshot is the exporter's object, and its setup
	// reads it (from the fake: the one line added points S3 there).
	objs, err = decodeManifests(readDeployFile(t, filepath.Join(fleetDir, "readers", "coredns-vpce.yaml")))
	if err != nil {
		t.Fatal(err)
	}
	readers := sortObjects(objs)
	for _, cm := range readers.configMaps {
		corefile := cm.Data["Corefile"]
		if !strings.Contains(corefile, "snapshot "+out+"\n") {
			t.Fatalf("the readers' Corefile does not serve the exporter's %s:\n%s", out, corefile)
		}
		cm.Data["Corefile"] = strings.Replace(corefile, "snapshot "+out+"\n",
			"snapshot "+object+"\n            s3_endpoint "+s3.URL+"\n", 1)
	}
	testkit.SetClientEnv(t)
	checkDeployment(t, objs)
}

// flagValue is the value after name in args.
func flagValue(args []string, name string) string {
	if i := slices.Index(args, name); i >= 0 && i+1 < len(args) {
		return args[i+1]
	}
	return ""
}
