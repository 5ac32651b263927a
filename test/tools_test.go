package test

// The programs beyond Go that some tests run: Unbound, BIND's named and dnsmasq (the guide's
// snippets, test/hybrid_test.go), kdig and dig (test/encrypted_test.go), from Debian's packages. `make test` needs Go only: a test
// whose program is missing skips, and says which program and package. VPCE_REQUIRE_TOOLS=1
// turns that skip into a failure: .ci/run installs the programs (make tools) and sets it, so
// that CI cannot pass on a test that did not run.

import (
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
