package test

// What the repository holds: sources, not build outputs. An executable committed by mistake
// (a `go build` in the wrong directory) bloats every clone for good and cannot be reviewed;
// large files belong in testdata/ when a test needs them, nowhere else.

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// maxTrackedSize is the largest file tracked outside testdata/ directories.
const maxTrackedSize = 1 << 20

// gitLsFiles lists the tracked files, relative to the repository's root (".."). Outside a git
// work tree (a module downloaded by go get) there is nothing to check.
func gitLsFiles(t *testing.T) []string {
	t.Helper()
	if err := exec.Command("git", "-C", "..", "rev-parse", "--is-inside-work-tree").Run(); err != nil {
		t.Skipf("not a git work tree (%v): no tracked files to check", err)
	}
	out, err := exec.Command("git", "-C", "..", "ls-files", "-z").Output()
	if err != nil {
		t.Fatalf("git ls-files: %v", err)
	}
	files := strings.Split(strings.TrimSuffix(string(out), "\x00"), "\x00")
	if len(files) < 10 || !slices.Contains(files, "go.mod") {
		t.Fatalf("git ls-files lists %d files, without go.mod", len(files))
	}
	return files
}

func TestNoExecutableOrLargeFileTracked(t *testing.T) {
	for _, name := range gitLsFiles(t) {
		path := filepath.Join("..", filepath.FromSlash(name))
		fi, err := os.Lstat(path)
		if os.IsNotExist(err) || (err == nil && !fi.Mode().IsRegular()) {
			continue // deleted and not yet committed, or a symbolic link
		}
		if err != nil {
			t.Fatal(err)
		}
		if format, err := executableFormat(path); err != nil {
			t.Fatal(err)
		} else if format != "" {
			t.Errorf("%s is an executable (%s): build outputs are not tracked (.gitignore)", name, format)
		}
		if fi.Size() > maxTrackedSize && !slices.Contains(strings.Split(name, "/"), "testdata") {
			t.Errorf("%s is %d bytes, over %d: outside testdata/, keep it out of the repository", name, fi.Size(), maxTrackedSize)
		}
	}
}

// executableFormat names the executable format of the file at path by its magic number (ELF,
// Mach-O, PE), or returns "" for anything else.
func executableFormat(path string) (string, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", err
	}
	defer f.Close()
	head := make([]byte, 64)
	n, err := io.ReadFull(f, head)
	if err != nil && err != io.ErrUnexpectedEOF && err != io.EOF {
		return "", err
	}
	head = head[:n]
	switch {
	case bytes.HasPrefix(head, []byte("\x7fELF")):
		return "ELF", nil
	case len(head) >= 4 && slices.Contains([]uint32{0xfeedface, 0xfeedfacf, 0xcafebabe}, binary.BigEndian.Uint32(head)),
		len(head) >= 4 && slices.Contains([]uint32{0xfeedface, 0xfeedfacf}, binary.LittleEndian.Uint32(head)):
		return "Mach-O", nil // 0xcafebabe: a universal (fat) binary
	case bytes.HasPrefix(head, []byte("MZ")) && len(head) == 64:
		// A DOS header whose e_lfanew points at the PE signature; "MZ" alone may start a text.
		sig := make([]byte, 4)
		if _, err := f.ReadAt(sig, int64(binary.LittleEndian.Uint32(head[0x3c:]))); err == nil && string(sig) == "PE\x00\x00" {
			return "PE", nil
		}
	}
	return "", nil
}

// The magic numbers of the executables of Linux, macOS and Windows are recognised; a text
// that starts like one is not.
func TestExecutableFormat(t *testing.T) {
	pe := make([]byte, 0x90)
	copy(pe, "MZ")
	binary.LittleEndian.PutUint32(pe[0x3c:], 0x80)
	copy(pe[0x80:], "PE\x00\x00")
	dir := t.TempDir()
	for i, tc := range []struct {
		content []byte
		want    string
	}{
		{append([]byte("\x7fELF\x02\x01\x01"), make([]byte, 100)...), "ELF"},
		{[]byte{0xcf, 0xfa, 0xed, 0xfe, 7, 0, 0, 1}, "Mach-O"}, // 64-bit, little-endian
		{[]byte{0xca, 0xfe, 0xba, 0xbe, 0, 0, 0, 2}, "Mach-O"}, // universal
		{pe, "PE"},
		{[]byte("MZ is a text that starts like a DOS header but has no PE signature where e_lfanew points.\n"), ""},
		{[]byte("#!/bin/sh\necho a script is source\n"), ""},
		{[]byte("\x7fEL"), ""},
		{nil, ""},
	} {
		path := filepath.Join(dir, fmt.Sprint(i))
		if err := os.WriteFile(path, tc.content, 0o644); err != nil {
			t.Fatal(err)
		}
		if got, err := executableFormat(path); err != nil || got != tc.want {
			t.Errorf("executableFormat(%q) = %q, %v, want %q", tc.content, got, err, tc.want)
		}
	}
}

// What `make build`, `make demo`, `make release` and a `go build` of a command in the
// repository's root write is ignored by name, so that `git add .` cannot take it in.
func TestBuildOutputsAreIgnored(t *testing.T) {
	gitLsFiles(t)
	for _, path := range []string{
		"coredns", "ec2fake", "vpcebench", "vpce-snapshot", "release", "image", "plugingen",
		"dist/coredns-vpce_v1.0.0_linux_amd64.tar.gz", "bench-out/summary.txt", "test/test.test", "cpu.prof",
	} {
		// --no-index: the rules alone decide, whether or not the file is tracked.
		if err := exec.Command("git", "-C", "..", "check-ignore", "-q", "--no-index", path).Run(); err != nil {
			t.Errorf("%s is not ignored by .gitignore (git check-ignore: %v)", path, err)
		}
	}
	// The rules name the outputs in the root, not every file of the name.
	for _, path := range []string{"cmd/coredns/main.go", "cmd/image/main.go", "cmd/release/main.go", "plugin/vpce/vpce.go"} {
		if err := exec.Command("git", "-C", "..", "check-ignore", "-q", "--no-index", path).Run(); err == nil {
			t.Errorf("%s is ignored by .gitignore", path)
		}
	}
}
