package main

import (
	"fmt"
	"os"
	"path/filepath"

	"github.com/goreleaser/nfpm/v2"
	_ "github.com/goreleaser/nfpm/v2/deb" // registers the deb packager
	_ "github.com/goreleaser/nfpm/v2/rpm" // registers the rpm packager
)

// nfpmConfig describes the packages: files, conffile, unit, scripts.
const nfpmConfig = "packaging/nfpm.yaml"

// packageFormats are the packages built for each Linux target.
var packageFormats = []string{"deb", "rpm"}

// writePackages writes the .deb and the .rpm of a Linux target into dist, under nfpm's
// conventional names (coredns-vpce_1.2.3_arm64.deb, coredns-vpce-1.2.3-1.aarch64.rpm).
func writePackages(o options, t target, bin string) ([]string, error) {
	version, err := packageVersion(o.version)
	if err != nil {
		return nil, err
	}
	vars := map[string]string{"ARCH": t.arch, "VERSION": version, "BINARY": bin}
	config, err := nfpm.ParseFileWithEnvMapping(nfpmConfig, func(k string) string { return vars[k] })
	if err != nil {
		return nil, fmt.Errorf("%s: %w", nfpmConfig, err)
	}
	var paths []string
	for _, format := range packageFormats {
		info, err := config.Get(format)
		if err != nil {
			return nil, fmt.Errorf("%s: %s: %w", nfpmConfig, format, err)
		}
		info.MTime = o.created
		info = nfpm.WithDefaults(info)
		packager, err := nfpm.Get(format)
		if err != nil {
			return nil, err
		}
		path := filepath.Join(o.dist, packager.ConventionalFileName(info))
		if err := writePackage(packager, info, path); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
		paths = append(paths, path)
	}
	return paths, nil
}

func writePackage(packager nfpm.Packager, info *nfpm.Info, path string) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	info.Target = path
	if err := packager.Package(info, f); err != nil {
		f.Close()
		os.Remove(path)
		return err
	}
	return f.Close()
}
