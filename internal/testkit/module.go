package testkit

import (
	"os/exec"
	"strings"
	"testing"
)

// ModuleDir returns the directory of module path in the module cache, at the version this
// module's go.mod selects (the CoreDNS release it builds on, say).
func ModuleDir(t testing.TB, path string) string {
	t.Helper()
	out, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}", path).Output()
	dir := strings.TrimSpace(string(out))
	if err != nil || dir == "" {
		t.Fatalf("go list -m %s: %v %s (is the module downloaded? go mod download %s)", path, err, stderrOf(err), path)
	}
	return dir
}

// stderrOf is what a failed command printed on its standard error.
func stderrOf(err error) string {
	if ee, ok := err.(*exec.ExitError); ok {
		return string(ee.Stderr)
	}
	return ""
}
