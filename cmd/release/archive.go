package main

import (
	"archive/tar"
	"compress/gzip"
	"os"
	"path/filepath"
)

// archiveFiles are what an archive holds besides the binary, by their paths in the repository:
// enough to run `./coredns -conf Corefile.example` (the example snapshot) and to read on.
var archiveFiles = []string{"README.md", "LICENSE", "Corefile.example", "example/snapshot.json"}

// archiveName is the archive's name, and the directory it unpacks into.
func archiveName(o options, t target) string {
	return "coredns-vpce_" + o.version + "_" + t.String()
}

// writeArchive writes dist/coredns-vpce_<version>_<os>_<arch>.tar.gz.
func writeArchive(o options, t target, bin string) (string, error) {
	name := archiveName(o, t)
	path := filepath.Join(o.dist, name+".tar.gz")
	f, err := os.Create(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	zw := gzip.NewWriter(f)
	zw.ModTime = o.created
	tw := tar.NewWriter(zw)
	add := func(src, dst string, mode int64) error {
		data, err := os.ReadFile(src)
		if err != nil {
			return err
		}
		h := &tar.Header{Typeflag: tar.TypeReg, Name: name + "/" + dst, Mode: mode, Size: int64(len(data)), ModTime: o.created, Format: tar.FormatPAX}
		if err := tw.WriteHeader(h); err != nil {
			return err
		}
		_, err = tw.Write(data)
		return err
	}
	if err := add(bin, "coredns", 0o755); err != nil {
		return "", err
	}
	for _, file := range archiveFiles {
		if err := add(filepath.FromSlash(file), file, 0o644); err != nil {
			return "", err
		}
	}
	if err := tw.Close(); err != nil {
		return "", err
	}
	if err := zw.Close(); err != nil {
		return "", err
	}
	return path, f.Close()
}
