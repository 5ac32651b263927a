package main

import (
	"os/exec"
	"testing"
)

// TestPackageVersion: what git describe prints becomes a package version that dpkg orders as
// git does (checked with dpkg --compare-versions where dpkg is installed).
func TestPackageVersion(t *testing.T) {
	for _, tc := range []struct{ describe, want string }{
		{"v1.2.3", "1.2.3"},
		{"1.2.3", "1.2.3"},
		{"v1.2.3-dirty", "1.2.3+dirty"},
		{"v1.2.3-rc.1", "1.2.3-rc.1"},
		{"v1.2.3-4-gabcdef0", "1.2.3+4.gabcdef0"},
		{"v1.2.3-rc.1-4-gabcdef0-dirty", "1.2.3-rc.1+4.gabcdef0.dirty"},
		{"3aeae5b", "0.0.0+git.3aeae5b"},
		{"3aeae5b-dirty", "0.0.0+git.3aeae5b.dirty"},
	} {
		got, err := packageVersion(tc.describe)
		if err != nil || got != tc.want {
			t.Errorf("packageVersion(%q) = %q, %v; want %q", tc.describe, got, err, tc.want)
		}
	}
	for _, bad := range []string{"", "dev", "v1.2", "v1.2.3 ", "release-1"} {
		if got, err := packageVersion(bad); err == nil {
			t.Errorf("packageVersion(%q) = %q, want an error", bad, got)
		}
	}

	dpkg, err := exec.LookPath("dpkg")
	if err != nil {
		t.Skip("dpkg is not installed: the order of the versions is not checked")
	}
	// In git's order; nfpm writes a pre-release after "~", which dpkg sorts first.
	order := []string{"0.0.0+git.3aeae5b", "1.2.3~rc.1", "1.2.3~rc.1+4.gabcdef0", "1.2.3", "1.2.3+4.gabcdef0", "1.2.4"}
	for i := 1; i < len(order); i++ {
		if err := exec.Command(dpkg, "--compare-versions", order[i-1], "lt", order[i]).Run(); err != nil {
			t.Errorf("dpkg: %s is not before %s", order[i-1], order[i])
		}
	}
}
