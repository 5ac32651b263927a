package test

// The programs beyond Go that some tests run: Unbound, BIND's named and dnsmasq (the guide's
// snippets, test/hybrid_test.go), kdig and dig (test/encrypted_test.go), from Debian's
// packages; Helm (helm_test.go), with go run, and the official CoreDNS chart beside the clone.
// `make test` needs Go only: a test
// whose program is missing skips, and says which program and package. VPCE_REQUIRE_TOOLS=1
// turns that skip into a failure: .ci/run installs the programs (make tools) and sets it, so
// that CI cannot pass on a test that did not run.

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

const requireToolsEnv = "VPCE_REQUIRE_TOOLS"

// toolDirs are searched after PATH: the servers live in /usr/sbin, which a non-root PATH lacks.
var toolDirs = []string{"/usr/sbin", "/sbin"}

// requireTool returns the path of the program name, from the Debian package pkg. When it is
// missing the test skips, or fails if VPCE_REQUIRE_TOOLS is set (to anything but 0).
func requireTool(t testing.TB, name, pkg string) string {
	t.Helper()
	if path, err := exec.LookPath(name); err == nil {
		return path
	}
	for _, dir := range toolDirs {
		if path := filepath.Join(dir, name); fileExecutable(path) {
			return path
		}
	}
	missing := fmt.Sprintf("%s is not installed (Debian package %s; `make tools` installs it)", name, pkg)
	if v := os.Getenv(requireToolsEnv); v != "" && v != "0" {
		t.Fatalf("%s, and %s=%s requires it", missing, requireToolsEnv, v)
	} else {
		t.Skipf("%s: skipped (%s=1 fails instead)", missing, requireToolsEnv)
	}
	return ""
}

func fileExecutable(path string) bool {
	fi, err := os.Stat(path)
	return err == nil && fi.Mode().IsRegular() && fi.Mode()&0o111 != 0
}

// toolTB records what requireTool would skip or fail with.
type toolTB struct {
	testing.TB
	skipped, failed string
}

func (*toolTB) Helper()                             {}
func (f *toolTB) Skipf(format string, args ...any)  { f.skipped = fmt.Sprintf(format, args...) }
func (f *toolTB) Fatalf(format string, args ...any) { f.failed = fmt.Sprintf(format, args...) }

// TestRequireTool: a missing program skips the test, naming the program and its package;
// VPCE_REQUIRE_TOOLS=1 makes it a failure; a program on PATH is found.
func TestRequireTool(t *testing.T) {
	const name, pkg = "vpce-test-no-such-program", "vpce-test-package"
	t.Setenv("PATH", t.TempDir())
	for _, env := range []string{"", "0", "1"} {
		t.Setenv(requireToolsEnv, env)
		f := &toolTB{TB: t}
		if path := requireTool(f, name, pkg); path != "" {
			t.Errorf("%s=%q: found %s", requireToolsEnv, env, path)
		}
		got, other := f.skipped, f.failed
		if env == "1" {
			got, other = f.failed, f.skipped
		}
		if !strings.Contains(got, name+" is not installed") || !strings.Contains(got, pkg) || other != "" {
			t.Errorf("%s=%q: skipped %q, failed %q", requireToolsEnv, env, f.skipped, f.failed)
		}
	}

	dir := t.TempDir()
	want := filepath.Join(dir, name)
	if err := os.WriteFile(want, []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	t.Setenv("PATH", dir)
	t.Setenv(requireToolsEnv, "1")
	if got := requireTool(t, name, pkg); got != want {
		t.Errorf("found %q, want %q", got, want)
	}
}

const (
	// helmCommand is Helm's CLI, run with go run so that neither the machine nor go.mod needs it.
	helmCommand = "helm.sh/helm/v4/cmd/helm@v4.3.2"
	// helmChart is the official chart beside the clone (CI has it there), and the version
	// deploy/helm/values.yaml is checked against.
	helmChart        = "../../shared/charts/coredns"
	helmChartVersion = "version: 1.46.2"
)

// requireChart returns the chart's absolute path. When it is absent the test skips, or fails
// if VPCE_REQUIRE_TOOLS is set (to anything but 0), as requireTool does for a missing program.
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
