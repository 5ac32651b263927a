// Command release builds coredns-vpce's release into a directory, publishing nothing:
//
//	go run ./cmd/release -version v1.2.3 -dist dist
//
// For each target (GOOS/GOARCH) it builds the static binary into dist/<os>_<arch>/coredns, and
// packs it with README.md, LICENSE, Corefile.example and example/snapshot.json into
// dist/coredns-vpce_<version>_<os>_<arch>.tar.gz; for each Linux target it builds a .deb and
// an .rpm from packaging/nfpm.yaml with nfpm; then it writes the SHA-256 of every archive and
// package into dist/coredns-vpce_<version>_checksums.txt, in sha256sum's format. -binaries-only
// stops after the binaries (make image). It runs from the repository's root (make release).
// Time stamps in archives and packages are SOURCE_DATE_EPOCH's, so the same commit gives the
// same archives.
package main

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/coredns-vpce/coredns-vpce/internal/sourcedate"
)

// defaultTargets: Linux servers on x86 and Graviton, and macOS laptops trying the snapshot mode.
const defaultTargets = "linux/amd64,linux/arm64,darwin/amd64,darwin/arm64"

type options struct {
	version, dist, goTool string
	targets               []target
	binariesOnly          bool
	created               time.Time
}

func main() {
	var o options
	targets := flag.String("targets", defaultTargets, "the GOOS/GOARCH pairs to build, separated by commas")
	flag.StringVar(&o.version, "version", "", "the release's version, as `git describe --tags --always --dirty` prints it (required)")
	flag.StringVar(&o.dist, "dist", "dist", "the directory to write into")
	flag.StringVar(&o.goTool, "go", "go", "the go command that builds the binaries")
	flag.BoolVar(&o.binariesOnly, "binaries-only", false, "build the binaries only: no archives, packages nor checksums")
	flag.Parse()
	err := parseOptions(&o, *targets)
	if err == nil {
		err = release(o)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "release:", err)
		os.Exit(1)
	}
}

func parseOptions(o *options, targets string) error {
	if flag.NArg() != 0 || o.version == "" {
		return fmt.Errorf("usage: release -version VERSION [-dist DIR] [-targets OS/ARCH,...] [-binaries-only] [-go GO]")
	}
	for _, s := range strings.Split(targets, ",") {
		t, err := parseTarget(s)
		if err != nil {
			return err
		}
		o.targets = append(o.targets, t)
	}
	var err error
	o.created, err = sourcedate.Get()
	return err
}

func release(o options) error {
	var artifacts []string
	for _, t := range o.targets {
		bin, err := buildBinary(o, t)
		if err != nil {
			return err
		}
		fmt.Println(bin)
		if o.binariesOnly {
			continue
		}
		archive, err := writeArchive(o, t, bin)
		if err != nil {
			return err
		}
		artifacts = append(artifacts, archive)
		if t.os != "linux" {
			continue
		}
		pkgs, err := writePackages(o, t, bin)
		if err != nil {
			return err
		}
		artifacts = append(artifacts, pkgs...)
	}
	if o.binariesOnly {
		return nil
	}
	sums, err := writeChecksums(o, artifacts)
	if err != nil {
		return err
	}
	for _, a := range append(artifacts, sums) {
		fmt.Println(filepath.Join(o.dist, filepath.Base(a)))
	}
	return nil
}
