package main

import (
	"fmt"
	"regexp"
	"strings"
)

var (
	// describeRelease is `git describe --tags` on a release tag (v1.2.3, v1.2.3-rc.1) or n
	// commits after one (-n-g<hash>).
	describeRelease = regexp.MustCompile(`^v?(\d+\.\d+\.\d+(?:-[0-9A-Za-z.]+?)?)(?:-(\d+)-g([0-9a-f]+))?$`)
	// describeCommit is `git describe --always` without a tag: the abbreviated commit.
	describeCommit = regexp.MustCompile(`^[0-9a-f]{4,40}$`)
)

// packageVersion turns the release's version (`git describe --tags --always --dirty`) into a
// semantic version that dpkg and rpm order as git does: a tag's own, its pre-release before
// it (1.2.3-rc.1, packaged 1.2.3~rc.1), and the commits after a tag after it, as build
// metadata (v1.2.3-4-gabcdef: 1.2.3+4.gabcdef). Without a tag, 0.0.0+git.<commit>.
func packageVersion(describe string) (string, error) {
	// -dirty: uncommitted changes, after whatever describes the commit.
	commit, dirty := strings.CutSuffix(describe, "-dirty")
	var meta []string
	version := ""
	if m := describeRelease.FindStringSubmatch(commit); m != nil {
		version = m[1]
		if m[2] != "" {
			meta = append(meta, m[2], "g"+m[3])
		}
	} else if describeCommit.MatchString(commit) {
		version, meta = "0.0.0", []string{"git", commit}
	} else {
		return "", fmt.Errorf("version %q: want what git describe --tags --always --dirty prints (v1.2.3, v1.2.3-4-gabcdef, abcdef-dirty)", describe)
	}
	if dirty {
		meta = append(meta, "dirty")
	}
	if len(meta) == 0 {
		return version, nil
	}
	return version + "+" + strings.Join(meta, "."), nil
}
