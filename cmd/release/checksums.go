package main

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// writeChecksums writes dist/coredns-vpce_<version>_checksums.txt: a line "<sha256>  <name>"
// for each artifact, by name, as `sha256sum -c` reads it in dist.
func writeChecksums(o options, artifacts []string) (string, error) {
	var lines []string
	for _, a := range artifacts {
		sum, err := fileSHA256(a)
		if err != nil {
			return "", err
		}
		lines = append(lines, fmt.Sprintf("%s  %s\n", sum, filepath.Base(a)))
	}
	sort.Slice(lines, func(i, j int) bool { return lines[i][66:] < lines[j][66:] })
	path := filepath.Join(o.dist, "coredns-vpce_"+o.version+"_checksums.txt")
	return path, os.WriteFile(path, []byte(strings.Join(lines, "")), 0o644)
}

func fileSHA256(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}
