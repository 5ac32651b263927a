package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
)

// target is a platform of the release.
type target struct{ os, arch string }

func parseTarget(s string) (target, error) {
	goos, goarch, ok := strings.Cut(strings.TrimSpace(s), "/")
	if !ok || goos == "" || goarch == "" || strings.Contains(goarch, "/") {
		return target{}, fmt.Errorf("target %q: want GOOS/GOARCH, such as linux/arm64", s)
	}
	return target{goos, goarch}, nil
}

func (t target) String() string { return t.os + "_" + t.arch }

// buildBinary builds dist/<os>_<arch>/coredns as make build does: static (no C library on the
// image's empty base, nor assumed on a server), without local paths, stripped, with the version
// that -version prints.
func buildBinary(o options, t target) (string, error) {
	bin := filepath.Join(o.dist, t.String(), "coredns")
	cmd := exec.Command(o.goTool, "build", "-trimpath", "-ldflags", "-s -w -X main.version="+o.version, "-o", bin, "./cmd/coredns")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOOS="+t.os, "GOARCH="+t.arch)
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return "", fmt.Errorf("go build for %s/%s: %v", t.os, t.arch, err)
	}
	return bin, nil
}
