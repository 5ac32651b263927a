package test

// Checks of what deploy/ ships: the Kubernetes manifests decode strictly into the Kubernetes API
// types, their Corefiles pass this build's own parser and the vpce plugin's setup, and the
// Grafana dashboard asks only for series that this build exports.

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io"
	"io/fs"
	"net"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/coredns/caddy"
	"github.com/coredns/caddy/caddyfile"
	"github.com/coredns/coredns/plugin"
	"github.com/prometheus/client_golang/prometheus"
	appsv1 "k8s.io/api/apps/v1"
	corev1 "k8s.io/api/core/v1"
	policyv1 "k8s.io/api/policy/v1"
	rbacv1 "k8s.io/api/rbac/v1"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/intstr"
	k8syaml "k8s.io/apimachinery/pkg/util/yaml"
	kjson "sigs.k8s.io/json"
	"sigs.k8s.io/yaml"

	"github.com/coredns-vpce/coredns-vpce/cmd/coredns/plugins"
)

const (
	deployDir       = "../deploy/kubernetes"
	deployAddonFile = "eks-addon-configuration.yaml" // the EKS add-on's configuration values, not a manifest
	deployDashboard = "../deploy/grafana/coredns-vpce.json"
	deployImageConf = "../cmd/image/Corefile"
)

// deployManifests are the manifest files that must exist (more may).
var deployManifests = []string{"cluster-dns/coredns-vpce.yaml", "stub/coredns-vpce.yaml"}

// deployKinds are the kinds a manifest may hold, by apiVersion/kind.
var deployKinds = map[string]func() any{
	"v1/ServiceAccount":                               func() any { return new(corev1.ServiceAccount) },
	"v1/ConfigMap":                                    func() any { return new(corev1.ConfigMap) },
	"v1/Service":                                      func() any { return new(corev1.Service) },
	"v1/Namespace":                                    func() any { return new(corev1.Namespace) },
	"apps/v1/Deployment":                              func() any { return new(appsv1.Deployment) },
	"policy/v1/PodDisruptionBudget":                   func() any { return new(policyv1.PodDisruptionBudget) },
	"rbac.authorization.k8s.io/v1/ClusterRole":        func() any { return new(rbacv1.ClusterRole) },
	"rbac.authorization.k8s.io/v1/ClusterRoleBinding": func() any { return new(rbacv1.ClusterRoleBinding) },
}

// decodeManifests decodes every document of a multi-document YAML file strictly, as the API
// server does: an unknown or duplicate field, a field in the wrong case or of the wrong type,
// or an unknown kind is an error.
func decodeManifests(data []byte) ([]any, error) {
	r := k8syaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	var objs []any
	for n := 1; ; n++ {
		doc, err := r.Read()
		if err == io.EOF {
			return objs, nil
		}
		if err != nil {
			return nil, fmt.Errorf("document %d: %w", n, err)
		}
		j, err := yaml.YAMLToJSONStrict(doc)
		if err != nil {
			return nil, fmt.Errorf("document %d: %w", n, err)
		}
		if bytes.Equal(bytes.TrimSpace(j), []byte("null")) {
			continue // only comments
		}
		var tm metav1.TypeMeta
		if err := json.Unmarshal(j, &tm); err != nil {
			return nil, fmt.Errorf("document %d: %w", n, err)
		}
		newObj, ok := deployKinds[tm.APIVersion+"/"+tm.Kind]
		if !ok {
			return nil, fmt.Errorf("document %d: unexpected apiVersion %q kind %q", n, tm.APIVersion, tm.Kind)
		}
		obj := newObj()
		strict, err := kjson.UnmarshalStrict(j, obj, kjson.DisallowUnknownFields, kjson.DisallowDuplicateFields)
		if err == nil && len(strict) > 0 {
			err = errors.Join(strict...)
		}
		if err != nil {
			return nil, fmt.Errorf("document %d (%s): %w", n, tm.Kind, err)
		}
		objs = append(objs, obj)
	}
}

// deploySetups are the directives whose setup checkCorefile runs: vpce, and the plugins of
// CoreDNS whose setup only parses. The others are checked against the build's directive list
// only: kubernetes' setup needs a cluster, ready's and prometheus' register listeners in
// process-wide state.
var deploySetups = []string{"vpce", "forward", "cache", "health", "loadbalance", "loop", "acl"}

// checkCorefile parses a Corefile with this build's parser, checks that every directive is one
// of this build's plugins, and runs the setup of deploySetups' directives (vpce's included) on
// their blocks, so that an unknown or misspelt option fails.
func checkCorefile(name, corefile string) ([]caddyfile.ServerBlock, error) {
	blocks, err := caddyfile.Parse(name, strings.NewReader(corefile), nil)
	if err != nil {
		return nil, err
	}
	if len(blocks) == 0 {
		return nil, fmt.Errorf("%s: no server block", name)
	}
	for _, sb := range blocks {
		var dirs []string
		for dir := range sb.Tokens {
			dirs = append(dirs, dir)
		}
		sort.Strings(dirs)
		for _, dir := range dirs {
			if !slices.Contains(plugins.Directives, dir) {
				return nil, fmt.Errorf("%s: server block %v: %q is not a plugin of this build (plugin.cfg)", name, sb.Keys, dir)
			}
			if !slices.Contains(deploySetups, dir) {
				continue
			}
			setup, err := caddy.DirectiveAction("dns", dir)
			if err != nil {
				return nil, err
			}
			c := caddy.NewTestController("dns", "")
			c.Dispenser = caddyfile.NewDispenserTokens(name, sb.Tokens[dir])
			c.ServerBlockKeys = sb.Keys
			if err := setup(c); err != nil {
				return nil, fmt.Errorf("%s: server block %v: %w", name, sb.Keys, err)
			}
		}
	}
	return blocks, nil
}

// directiveArgs returns the arguments of each occurrence of dir in sb, on its own line.
func directiveArgs(sb caddyfile.ServerBlock, dir string) [][]string {
	var all [][]string
	toks := sb.Tokens[dir]
	for i := 0; i < len(toks); i++ {
		if toks[i].Text != dir {
			continue
		}
		var args []string
		for j := i + 1; j < len(toks) && toks[j].Line == toks[i].Line && toks[j].Text != "{"; j++ {
			args = append(args, toks[j].Text)
		}
		all = append(all, args)
	}
	return all
}

// optionArgs returns the arguments of the option lines named option inside dir's blocks.
func optionArgs(sb caddyfile.ServerBlock, dir, option string) [][]string {
	var all [][]string
	toks := sb.Tokens[dir]
	for i, tok := range toks {
		if tok.Text != option || i == 0 || toks[i-1].Line == tok.Line {
			continue // not at the start of a line
		}
		var args []string
		for j := i + 1; j < len(toks) && toks[j].Line == tok.Line && toks[j].Text != "{" && toks[j].Text != "}"; j++ {
			args = append(args, toks[j].Text)
		}
		all = append(all, args)
	}
	return all
}

// listenPort returns the port of a health, ready or prometheus address, which must listen on
// every interface for the kubelet and Prometheus to reach it.
func listenPort(addr string) (int, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return 0, err
	}
	if host != "" && host != "0.0.0.0" && host != "::" {
		return 0, fmt.Errorf("%s listens on %s only: the kubelet and Prometheus would not reach it", addr, host)
	}
	return strconv.Atoi(port)
}

func readDeployFile(t *testing.T, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

func TestDeployManifests(t *testing.T) {
	files, err := filepath.Glob(filepath.Join(deployDir, "*", "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var seen []string
	for _, file := range files {
		rel, _ := filepath.Rel(deployDir, file)
		if filepath.Base(file) == deployAddonFile {
			continue
		}
		seen = append(seen, filepath.ToSlash(rel))
		t.Run(rel, func(t *testing.T) {
			objs, err := decodeManifests(readDeployFile(t, file))
			if err != nil {
				t.Fatalf("%s: %v", rel, err)
			}
			checkDeployment(t, objs)
		})
	}
	for _, want := range deployManifests {
		if !slices.Contains(seen, want) {
			t.Errorf("%s/%s is missing (found %q)", deployDir, want, seen)
		}
	}
}

// deployObjects are one manifest file's objects, by kind.
type deployObjects struct {
	accounts    map[string]*corev1.ServiceAccount
	configMaps  map[string]*corev1.ConfigMap
	services    []*corev1.Service
	deployments []*appsv1.Deployment
	budgets     []*policyv1.PodDisruptionBudget
}

func sortObjects(objs []any) deployObjects {
	o := deployObjects{accounts: map[string]*corev1.ServiceAccount{}, configMaps: map[string]*corev1.ConfigMap{}}
	for _, obj := range objs {
		switch x := obj.(type) {
		case *corev1.ServiceAccount:
			o.accounts[x.Namespace+"/"+x.Name] = x
		case *corev1.ConfigMap:
			o.configMaps[x.Namespace+"/"+x.Name] = x
		case *corev1.Service:
			o.services = append(o.services, x)
		case *appsv1.Deployment:
			o.deployments = append(o.deployments, x)
		case *policyv1.PodDisruptionBudget:
			o.budgets = append(o.budgets, x)
		}
	}
	return o
}

var roleARN = regexp.MustCompile(`^arn:aws[a-z-]*:iam::[0-9]{12}:role/[\w+=,.@/-]+$`)

// selects tells whether a label selector selects pods with these labels.
func selects(sel *metav1.LabelSelector, labels map[string]string) bool {
	if sel == nil || len(sel.MatchLabels) == 0 {
		return false
	}
	for k, v := range sel.MatchLabels {
		if labels[k] != v {
			return false
		}
	}
	return true
}

func checkDeployment(t *testing.T, objs []any) {
	o := sortObjects(objs)
	if len(o.deployments) != 1 || len(o.services) != 1 || len(o.budgets) != 1 || len(o.configMaps) != 1 || len(o.accounts) != 1 {
		t.Fatalf("want one each of Deployment, Service, PodDisruptionBudget, ConfigMap, ServiceAccount; have %d, %d, %d, %d, %d",
			len(o.deployments), len(o.services), len(o.budgets), len(o.configMaps), len(o.accounts))
	}
	d := o.deployments[0]
	ns := d.Namespace
	pod := d.Spec.Template
	labels := pod.Labels

	if d.Spec.Replicas == nil || *d.Spec.Replicas < 2 {
		t.Errorf("Deployment %s: replicas %v, want 2 or more", d.Name, d.Spec.Replicas)
	}
	if !selects(d.Spec.Selector, labels) {
		t.Errorf("Deployment %s: selector %v does not select its pods %v", d.Name, d.Spec.Selector, labels)
	}
	// Spread over zones and nodes.
	spread := map[string]bool{}
	for _, c := range pod.Spec.TopologySpreadConstraints {
		if !selects(c.LabelSelector, labels) {
			t.Errorf("topology spread over %s: selector %v does not select the pods", c.TopologyKey, c.LabelSelector)
		}
		spread[c.TopologyKey] = true
	}
	for _, key := range []string{"topology.kubernetes.io/zone", "kubernetes.io/hostname"} {
		if !spread[key] {
			t.Errorf("no topology spread constraint over %s", key)
		}
	}
	// The forward plugin must not resolve through the cluster DNS: that loops.
	if pod.Spec.DNSPolicy != corev1.DNSDefault {
		t.Errorf("dnsPolicy %q, want Default (the node's resolver), or forward loops back through kube-dns", pod.Spec.DNSPolicy)
	}

	// IRSA.
	sa := o.accounts[ns+"/"+pod.Spec.ServiceAccountName]
	if sa == nil {
		t.Errorf("serviceAccountName %q: no such ServiceAccount in %s", pod.Spec.ServiceAccountName, ns)
	} else if arn := sa.Annotations["eks.amazonaws.com/role-arn"]; !roleARN.MatchString(arn) {
		t.Errorf("ServiceAccount %s: eks.amazonaws.com/role-arn %q, want an IAM role ARN", sa.Name, arn)
	}

	// The pod's security context.
	psc := pod.Spec.SecurityContext
	if psc == nil || psc.RunAsNonRoot == nil || !*psc.RunAsNonRoot || psc.RunAsUser == nil || *psc.RunAsUser == 0 {
		t.Errorf("pod securityContext %+v, want runAsNonRoot and a non-root runAsUser", psc)
	}

	if len(pod.Spec.Containers) != 1 {
		t.Fatalf("%d containers, want 1", len(pod.Spec.Containers))
	}
	c := pod.Spec.Containers[0]
	if c.Image == "" || len(c.Command) != 0 || len(c.Args) != 0 {
		t.Errorf("container %s: image %q command %q args %q, want the image's entrypoint", c.Name, c.Image, c.Command, c.Args)
	}
	ports := map[string]corev1.ContainerPort{}
	for _, p := range c.Ports {
		ports[fmt.Sprintf("%d/%s", p.ContainerPort, p.Protocol)] = p
	}
	for _, want := range []string{"53/UDP", "53/TCP", "9153/TCP", "8080/TCP", "8181/TCP"} {
		if _, ok := ports[want]; !ok {
			t.Errorf("container %s: no port %s (has %v)", c.Name, want, c.Ports)
		}
	}
	if p := ports["9153/TCP"]; p.Name != "metrics" {
		t.Errorf("container port 9153 named %q, want metrics", p.Name)
	}
	checkProbe(t, "readinessProbe", c.ReadinessProbe, "/ready", 8181)
	checkProbe(t, "livenessProbe", c.LivenessProbe, "/health", 8080)
	if pod.Annotations["prometheus.io/port"] != "9153" || pod.Annotations["prometheus.io/scrape"] != "true" {
		t.Errorf("pod annotations %v, want prometheus.io/scrape true and prometheus.io/port 9153", pod.Annotations)
	}

	// Resources: sized for up to 10,000 endpoints.
	req, lim := c.Resources.Requests.Memory(), c.Resources.Limits.Memory()
	if req.Cmp(resource.MustParse("64Mi")) < 0 || lim.Cmp(resource.MustParse("256Mi")) < 0 || req.Cmp(*lim) > 0 {
		t.Errorf("memory request %v limit %v, want a request of 64Mi or more and a limit of 256Mi or more above it", req, lim)
	}
	if c.Resources.Requests.Cpu().IsZero() {
		t.Errorf("no CPU request")
	}

	// The container's security context.
	sc := c.SecurityContext
	if sc == nil || sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem ||
		sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation ||
		sc.RunAsNonRoot == nil || !*sc.RunAsNonRoot || sc.Capabilities == nil ||
		!slices.Equal(sc.Capabilities.Drop, []corev1.Capability{"ALL"}) ||
		!slices.Equal(sc.Capabilities.Add, []corev1.Capability{"NET_BIND_SERVICE"}) {
		t.Errorf("container securityContext %+v, want non-root, a read-only root filesystem, no privilege escalation, capabilities ALL dropped and NET_BIND_SERVICE added", sc)
	}

	// Volumes: the Corefile from the ConfigMap at /etc/coredns, an emptyDir for the cache file.
	mounts := map[string]corev1.VolumeMount{}
	for _, m := range c.VolumeMounts {
		mounts[m.Name] = m
	}
	var corefile string
	emptyDirs := map[string]bool{} // mount paths
	for _, v := range pod.Spec.Volumes {
		m, ok := mounts[v.Name]
		if !ok {
			t.Errorf("volume %s is not mounted", v.Name)
			continue
		}
		switch {
		case v.ConfigMap != nil:
			cm := o.configMaps[ns+"/"+v.ConfigMap.Name]
			if cm == nil {
				t.Errorf("volume %s: no ConfigMap %s in %s", v.Name, v.ConfigMap.Name, ns)
				continue
			}
			if m.MountPath != "/etc/coredns" {
				t.Errorf("the ConfigMap is mounted at %s, want /etc/coredns (the image's -conf /etc/coredns/Corefile)", m.MountPath)
			}
			corefile = cm.Data["Corefile"]
		case v.EmptyDir != nil:
			emptyDirs[m.MountPath] = true
		}
	}
	if corefile == "" {
		t.Fatalf("no Corefile mounted from a ConfigMap")
	}

	// The Corefile: this build's parser and plugins, vpce's setup, and agreement with the pod.
	blocks, err := checkCorefile("Corefile", corefile)
	if err != nil {
		t.Fatalf("Corefile: %v", err)
	}
	var vpceBlocks int
	for _, sb := range blocks {
		for _, key := range sb.Keys {
			if _, port, err := net.SplitHostPort(key); err == nil && port != "53" {
				t.Errorf("server block %s listens on port %s, the pod's DNS port is 53", key, port)
			}
		}
		for dir, want := range map[string]struct {
			addr string
			port int32
		}{"health": {":8080", 8080}, "ready": {":8181", 8181}, "prometheus": {"localhost:9153", 9153}} {
			for _, args := range directiveArgs(sb, dir) {
				addr := want.addr
				if len(args) > 0 {
					addr = args[0]
				}
				port, err := listenPort(addr)
				if err != nil {
					t.Errorf("%s: %v", dir, err)
				} else if int32(port) != want.port {
					t.Errorf("%s listens on port %d, the pod expects %d", dir, port, want.port)
				}
			}
		}
		if len(sb.Tokens["vpce"]) == 0 {
			continue
		}
		vpceBlocks++
		caches := optionArgs(sb, "vpce", "cache_file")
		if len(caches) != 1 || len(caches[0]) != 1 {
			t.Errorf("vpce in %v: cache_file %q, want one", sb.Keys, caches)
			continue
		}
		if !emptyDirs[filepath.Dir(caches[0][0])] {
			t.Errorf("vpce cache_file %s is not in an emptyDir volume (mounted: %v); the root filesystem is read-only", caches[0][0], emptyDirs)
		}
	}
	if vpceBlocks == 0 {
		t.Errorf("the Corefile has no vpce block")
	}

	// The PodDisruptionBudget and the Service select the pods.
	pdb := o.budgets[0]
	if !selects(pdb.Spec.Selector, labels) || (pdb.Spec.MaxUnavailable == nil && pdb.Spec.MinAvailable == nil) {
		t.Errorf("PodDisruptionBudget %s: selector %v, maxUnavailable %v, minAvailable %v", pdb.Name, pdb.Spec.Selector, pdb.Spec.MaxUnavailable, pdb.Spec.MinAvailable)
	}
	svc := o.services[0]
	if !selects(&metav1.LabelSelector{MatchLabels: svc.Spec.Selector}, labels) {
		t.Errorf("Service %s: selector %v does not select the pods %v", svc.Name, svc.Spec.Selector, labels)
	}
	if net.ParseIP(svc.Spec.ClusterIP) == nil {
		t.Errorf("Service %s: clusterIP %q, want a fixed address (kubelets and forwarders name it)", svc.Name, svc.Spec.ClusterIP)
	}
	svcPorts := map[string]bool{}
	for _, p := range svc.Spec.Ports {
		target := p.TargetPort
		if target == (intstr.IntOrString{}) {
			target = intstr.FromInt32(p.Port)
		}
		found := false
		for _, cp := range c.Ports {
			if cp.Protocol == p.Protocol && (target.IntVal == cp.ContainerPort && target.Type == intstr.Int || target.Type == intstr.String && target.StrVal == cp.Name) {
				found = true
			}
		}
		if !found {
			t.Errorf("Service %s port %s: target %s/%s is no container port", svc.Name, p.Name, target.String(), p.Protocol)
		}
		svcPorts[fmt.Sprintf("%d/%s", p.Port, p.Protocol)] = true
	}
	if !svcPorts["53/UDP"] || !svcPorts["53/TCP"] {
		t.Errorf("Service %s: ports %v, want 53/UDP and 53/TCP", svc.Name, svcPorts)
	}
}

func checkProbe(t *testing.T, name string, p *corev1.Probe, path string, port int32) {
	t.Helper()
	if p == nil || p.HTTPGet == nil {
		t.Errorf("%s: %+v, want an HTTP GET of :%d%s", name, p, port, path)
		return
	}
	if p.HTTPGet.Path != path || p.HTTPGet.Port != intstr.FromInt32(port) {
		t.Errorf("%s: GET :%s%s, want :%d%s", name, p.HTTPGet.Port.String(), p.HTTPGet.Path, port, path)
	}
}

// TestDeployEKSAddon checks the EKS CoreDNS add-on's configuration values: only keys the add-on
// takes here (corefile), a Corefile of known plugins, and a stub forward of amazonaws.com to
// the clusterIP of the stub deployment's Service.
func TestDeployEKSAddon(t *testing.T) {
	data := readDeployFile(t, filepath.Join(deployDir, "stub", deployAddonFile))
	var values struct {
		Corefile string `json:"corefile"`
	}
	if err := yaml.UnmarshalStrict(data, &values); err != nil {
		t.Fatalf("%s: %v", deployAddonFile, err)
	}
	blocks, err := checkCorefile(deployAddonFile, values.Corefile)
	if err != nil {
		t.Fatal(err)
	}
	objs, err := decodeManifests(readDeployFile(t, filepath.Join(deployDir, "stub", "coredns-vpce.yaml")))
	if err != nil {
		t.Fatal(err)
	}
	svc := sortObjects(objs).services[0]
	var stub bool
	for _, sb := range blocks {
		if !slices.Contains(sb.Keys, "amazonaws.com:53") {
			continue
		}
		for _, args := range directiveArgs(sb, "forward") {
			stub = stub || slices.Equal(args, []string{".", svc.Spec.ClusterIP})
		}
		if len(sb.Tokens["vpce"]) != 0 {
			t.Errorf("the add-on runs AWS's CoreDNS image, which has no vpce plugin")
		}
	}
	if !stub {
		t.Errorf("no server block amazonaws.com:53 with forward . %s (the clusterIP of Service %s)", svc.Spec.ClusterIP, svc.Name)
	}
}

// TestDeployImageCorefile checks the image's default Corefile like the manifests' ones.
func TestDeployImageCorefile(t *testing.T) {
	if _, err := checkCorefile(deployImageConf, string(readDeployFile(t, deployImageConf))); err != nil {
		t.Fatal(err)
	}
}

// TestDeployChecksCatchTypos makes sure that the checks above fail on a misspelt field,
// directive or vpce option, and on a misspelt metric.
func TestDeployChecksCatchTypos(t *testing.T) {
	manifest := string(readDeployFile(t, filepath.Join(deployDir, deployManifests[0])))
	for _, typo := range [][2]string{
		{"readinessProbe:", "readinesProbe:"},                                              // unknown field
		{"readinessProbe:", "ReadinessProbe:"},                                             // wrong case
		{"replicas: 2", "replicas: two"},                                                   // wrong type
		{"kind: Deployment", "kind: Deploymnet"},                                           // unknown kind
		{"      dnsPolicy: Default", "      dnsPolicy: Default\n      dnsPolicy: Default"}, // duplicate
	} {
		if !strings.Contains(manifest, typo[0]) {
			t.Fatalf("%s no longer holds %q", deployManifests[0], typo[0])
		}
		if _, err := decodeManifests([]byte(strings.Replace(manifest, typo[0], typo[1], 1))); err == nil {
			t.Errorf("a manifest with %q for %q decodes", typo[1], typo[0])
		}
	}

	corefile := string(readDeployFile(t, deployImageConf))
	for _, typo := range [][2]string{
		{"cache_file", "cache_fiel"},    // vpce option
		{"vpce {", "vpce {\n  ttl x"},   // bad vpce value
		{"loadbalance", "loadbalancer"}, // directive
		{"forward . /etc/resolv.conf", "forward . /etc/resolv.conf {\n  max_concurent 10\n}"}, // another plugin's option
	} {
		if !strings.Contains(corefile, typo[0]) {
			t.Fatalf("%s no longer holds %q", deployImageConf, typo[0])
		}
		if _, err := checkCorefile("typo", strings.Replace(corefile, typo[0], typo[1], 1)); err == nil {
			t.Errorf("a Corefile with %q for %q passes", typo[1], typo[0])
		} else {
			t.Logf("%q: %v", typo[1], err)
		}
	}

	dashboard := string(readDeployFile(t, deployDashboard))
	for _, typo := range [][2]string{
		{"coredns_vpce_refresh_duration_seconds_bucket", "coredns_vpce_refresh_duration_seconds_buckets"},
		{"coredns_vpce_endpoints", "coredns_vpce_endpiont"},
		{"coredns_dns_requests_total", "coredns_dns_request_total"},
	} {
		if !strings.Contains(dashboard, typo[0]) {
			t.Fatalf("%s no longer holds %q", deployDashboard, typo[0])
		}
		if problems := dashboardProblems([]byte(strings.Replace(dashboard, typo[0], typo[1], 1)), knownSeries(t)); len(problems) == 0 {
			t.Errorf("a dashboard with %q for %q passes", typo[1], typo[0])
		}
	}
}

// coreSeries are the series of CoreDNS itself (and of its forward and cache plugins) that the
// dashboard may use, by family name and type. Each is checked against the process's registry.
var coreSeries = map[string]string{
	"coredns_dns_requests_total":                   "counter",
	"coredns_dns_responses_total":                  "counter",
	"coredns_dns_request_duration_seconds":         "histogram",
	"coredns_dns_request_size_bytes":               "histogram",
	"coredns_dns_response_size_bytes":              "histogram",
	"coredns_panics_total":                         "counter",
	"coredns_cache_hits_total":                     "counter",
	"coredns_cache_misses_total":                   "counter",
	"coredns_cache_entries":                        "gauge",
	"coredns_proxy_request_duration_seconds":       "histogram",
	"coredns_forward_max_concurrent_rejects_total": "counter",
}

// vpceFamilies reads the metric families the vpce plugin defines from its source: every
// prometheus.*Opts literal in plugin/vpce and its packages (its Namespace, Subsystem and Name) and every
// prometheus.BuildFQName call (a custom collector's), resolved from string literals, the
// package's constants and plugin.Namespace.
func vpceFamilies(t *testing.T) map[string]string {
	t.Helper()
	fset := token.NewFileSet()
	var files []string
	err := filepath.WalkDir("../plugin/vpce", func(path string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(path, ".go") {
			files = append(files, path)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	consts := map[string]string{}
	var opts []*ast.CompositeLit
	var kinds []string
	var fqNames []*ast.CallExpr
	for _, file := range files {
		if strings.HasSuffix(file, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, file, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(f, func(n ast.Node) bool {
			switch x := n.(type) {
			case *ast.ValueSpec:
				for i, id := range x.Names {
					if i < len(x.Values) {
						if lit, ok := x.Values[i].(*ast.BasicLit); ok && lit.Kind == token.STRING {
							consts[id.Name], _ = strconv.Unquote(lit.Value)
						}
					}
				}
			case *ast.CallExpr: // a custom collector's prometheus.NewDesc(prometheus.BuildFQName(...), ...)
				if sel, ok := x.Fun.(*ast.SelectorExpr); ok && sel.Sel.Name == "BuildFQName" && len(x.Args) == 3 {
					if pkg, ok := sel.X.(*ast.Ident); ok && pkg.Name == "prometheus" {
						fqNames = append(fqNames, x)
					}
				}
			case *ast.CompositeLit:
				if sel, ok := x.Type.(*ast.SelectorExpr); ok {
					if pkg, ok := sel.X.(*ast.Ident); ok && pkg.Name == "prometheus" && strings.HasSuffix(sel.Sel.Name, "Opts") {
						opts = append(opts, x)
						kinds = append(kinds, strings.ToLower(strings.TrimSuffix(sel.Sel.Name, "Opts")))
					}
				}
			}
			return true
		})
	}
	resolve := func(e ast.Expr) string {
		switch x := e.(type) {
		case *ast.BasicLit:
			s, err := strconv.Unquote(x.Value)
			if err == nil {
				return s
			}
		case *ast.Ident:
			if s, ok := consts[x.Name]; ok {
				return s
			}
		case *ast.SelectorExpr:
			if pkg, ok := x.X.(*ast.Ident); ok && pkg.Name == "plugin" && x.Sel.Name == "Namespace" {
				return plugin.Namespace
			}
		}
		t.Fatalf("%s: cannot resolve %T", fset.Position(e.Pos()), e)
		return ""
	}
	families := map[string]string{}
	for i, lit := range opts {
		fields := map[string]string{}
		for _, el := range lit.Elts {
			if kv, ok := el.(*ast.KeyValueExpr); ok {
				if key, ok := kv.Key.(*ast.Ident); ok && (key.Name == "Namespace" || key.Name == "Subsystem" || key.Name == "Name") {
					fields[key.Name] = resolve(kv.Value)
				}
			}
		}
		families[prometheus.BuildFQName(fields["Namespace"], fields["Subsystem"], fields["Name"])] = kinds[i]
	}
	for _, call := range fqNames {
		families[prometheus.BuildFQName(resolve(call.Args[0]), resolve(call.Args[1]), resolve(call.Args[2]))] = "untyped"
	}
	if len(families) == 0 {
		t.Fatal("no metrics found in plugin/vpce")
	}
	return families
}

// registered tells whether the process's default registry has a metric family of this name:
// registering another collector of the name fails if so, and is undone if not.
func registered(name string) bool {
	probe := prometheus.NewGauge(prometheus.GaugeOpts{Name: name, Help: "deploy_test probe"})
	if err := prometheus.DefaultRegisterer.Register(probe); err != nil {
		return true
	}
	prometheus.DefaultRegisterer.Unregister(probe)
	return false
}

// knownSeries lists the series names the dashboard may use: the vpce plugin's and coreSeries,
// with the _bucket, _sum and _count series of histograms and summaries.
func knownSeries(t *testing.T) map[string]bool {
	t.Helper()
	known := map[string]bool{}
	families := vpceFamilies(t)
	for name, kind := range coreSeries {
		families[name] = kind
	}
	for name, kind := range families {
		if !registered(name) {
			t.Errorf("metric %s is not registered by this build", name)
		}
		switch kind {
		case "histogram":
			known[name+"_bucket"], known[name+"_sum"], known[name+"_count"] = true, true, true
		case "summary":
			known[name], known[name+"_sum"], known[name+"_count"] = true, true, true
		default:
			known[name] = true
		}
	}
	return known
}

var seriesName = regexp.MustCompile(`(?:^|[^A-Za-z0-9_:])(coredns_[A-Za-z0-9_:]*)`)

// dashboardProblems lists what is wrong with a Grafana dashboard: unparsable JSON, panels
// without queries or with the same id, queries of series not in known.
func dashboardProblems(data []byte, known map[string]bool) []string {
	var problems []string
	var dash struct {
		UID        string            `json:"uid"`
		Title      string            `json:"title"`
		Panels     []json.RawMessage `json:"panels"`
		Templating struct {
			List []struct {
				Name  string `json:"name"`
				Type  string `json:"type"`
				Query any    `json:"query"`
			} `json:"list"`
		} `json:"templating"`
	}
	if err := json.Unmarshal(data, &dash); err != nil {
		return []string{err.Error()}
	}
	if dash.UID == "" || dash.Title == "" {
		problems = append(problems, "the dashboard needs a uid and a title")
	}
	var exprs []string
	for _, v := range dash.Templating.List {
		switch q := v.Query.(type) {
		case string:
			exprs = append(exprs, q)
		case map[string]any:
			if s, ok := q["query"].(string); ok {
				exprs = append(exprs, s)
			}
		}
	}
	ids := map[float64]bool{}
	var queries int
	for _, raw := range dash.Panels {
		var p struct {
			ID      float64 `json:"id"`
			Type    string  `json:"type"`
			Title   string  `json:"title"`
			Targets []struct {
				Expr       string `json:"expr"`
				Datasource struct {
					UID string `json:"uid"`
				} `json:"datasource"`
			} `json:"targets"`
		}
		if err := json.Unmarshal(raw, &p); err != nil {
			problems = append(problems, err.Error())
			continue
		}
		if ids[p.ID] {
			problems = append(problems, fmt.Sprintf("panel id %v used twice", p.ID))
		}
		ids[p.ID] = true
		if p.Type == "row" {
			continue
		}
		if len(p.Targets) == 0 {
			problems = append(problems, fmt.Sprintf("panel %q has no query", p.Title))
		}
		for _, target := range p.Targets {
			if strings.TrimSpace(target.Expr) == "" {
				problems = append(problems, fmt.Sprintf("panel %q: a query without expr", p.Title))
			}
			if target.Datasource.UID != "${datasource}" {
				problems = append(problems, fmt.Sprintf("panel %q: datasource %q, want ${datasource}", p.Title, target.Datasource.UID))
			}
			exprs = append(exprs, target.Expr)
			queries++
		}
	}
	if queries == 0 {
		problems = append(problems, "no panel queries anything")
	}
	for _, expr := range exprs {
		for _, m := range seriesName.FindAllStringSubmatch(expr, -1) {
			if !known[m[1]] {
				problems = append(problems, fmt.Sprintf("%s (in %q) is no series of this build", m[1], expr))
			}
		}
	}
	return problems
}

func TestDeployGrafanaDashboard(t *testing.T) {
	data := readDeployFile(t, deployDashboard)
	known := knownSeries(t)
	for _, p := range dashboardProblems(data, known) {
		t.Error(p)
	}
	// Every metric of the plugin should have a panel; not an error, a reminder.
	for name := range vpceFamilies(t) {
		if !bytes.Contains(data, []byte(name)) {
			t.Logf("no panel shows %s", name)
		}
	}
}
