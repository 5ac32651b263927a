// Command image writes the coredns-vpce container image without a container engine: a
// multi-platform OCI image index with, for each static binary given, an image on an empty base
// whose single layer holds the binary as /coredns and a default Corefile as
// /etc/coredns/Corefile, into an OCI image layout tarball.
//
//	go run ./cmd/image -binary dist/linux_amd64/coredns -binary dist/linux_arm64/coredns \
//	    -out dist/coredns-vpce.oci.tar -tag v1.2.3
//
// (`make image` does this for linux/amd64 and linux/arm64, so that the image runs on x86 and
// Graviton nodes alike.) Each image's platform is its binary's ELF machine. The tarball is an
// OCI image layout (oci-layout, index.json naming the image index, blobs/sha256/...): `skopeo
// copy --all oci-archive:...`, or `crane push` of the unpacked directory. The output is
// reproducible: every time stamp is SOURCE_DATE_EPOCH (or 1970-01-01), so the same binaries
// give the same index digest.
package main

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"debug/elf"
	_ "embed"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/coredns-vpce/coredns-vpce/internal/sourcedate"
)

// defaultCorefile is the image's /etc/coredns/Corefile: live mode against the EC2 API.
//
//go:embed Corefile
var defaultCorefile []byte

// The image's contract, relied upon by deploy/kubernetes and checked by image_test.go.
const (
	binaryPath   = "/coredns"
	corefilePath = "/etc/coredns/Corefile"
	cacheDir     = "/var/lib/coredns" // the default Corefile's cache_file lives here
	user         = "65532:65532"      // nonroot, as distroless and CoreDNS's own image
	uid          = 65532
)

var (
	entrypoint   = []string{binaryPath, "-conf", corefilePath}
	exposedPorts = []string{"53/udp", "53/tcp", "9153/tcp", "8080/tcp", "8181/tcp"}
	validTag     = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$`)
)

// netBindServiceCap is the security.capability extended attribute that `setcap
// cap_net_bind_service=+ep` writes (struct vfs_cap_data, revision 2, little endian): the
// nonroot user may bind port 53 when the runtime grants NET_BIND_SERVICE, as in CoreDNS's own
// image.
var netBindServiceCap = string([]byte{
	0x01, 0x00, 0x00, 0x02, // VFS_CAP_REVISION_2 | VFS_CAP_FLAGS_EFFECTIVE
	0x00, 0x04, 0x00, 0x00, // permitted[0]: 1 << CAP_NET_BIND_SERVICE (10)
	0x00, 0x00, 0x00, 0x00, // inheritable[0]
	0x00, 0x00, 0x00, 0x00, // permitted[1]
	0x00, 0x00, 0x00, 0x00, // inheritable[1]
})

func main() {
	var o options
	flag.Func("binary", "a static Linux coredns-vpce binary, one image of the index; repeat for each platform", func(s string) error {
		o.binaries = append(o.binaries, s)
		return nil
	})
	flag.StringVar(&o.corefile, "corefile", "", "the Corefile to put in the image (default: the built-in live-mode one)")
	flag.StringVar(&o.out, "out", "dist/coredns-vpce.oci.tar", "the OCI image layout tarball to write")
	flag.StringVar(&o.name, "name", "coredns-vpce", "the repository name of the image (io.containerd.image.name)")
	flag.StringVar(&o.tag, "tag", "latest", "the image's tag (org.opencontainers.image.ref.name)")
	flag.Parse()
	if flag.NArg() != 0 || len(o.binaries) == 0 {
		fmt.Fprintln(os.Stderr, "usage: image -binary FILE [-binary FILE...] [-corefile FILE] [-out FILE] [-name NAME] [-tag TAG]")
		os.Exit(2)
	}
	created, err := sourcedate.Get()
	if err == nil {
		o.created = created
		var digest v1.Hash
		digest, err = build(o)
		if err == nil {
			fmt.Printf("%s: %s:%s %s\n", o.out, o.name, o.tag, digest)
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "image:", err)
		os.Exit(1)
	}
}

type options struct {
	binaries                 []string
	corefile, out, name, tag string
	created                  time.Time
}

// build writes the image index to o.out and returns its digest.
func build(o options) (v1.Hash, error) {
	if !validTag.MatchString(o.tag) {
		return v1.Hash{}, fmt.Errorf("tag %q: want letters, digits, '_', '.' and '-', at most 128, not starting with '.' or '-'", o.tag)
	}
	corefile := defaultCorefile
	if o.corefile != "" {
		var err error
		if corefile, err = os.ReadFile(o.corefile); err != nil {
			return v1.Hash{}, err
		}
	}
	idx, err := index(o, corefile)
	if err != nil {
		return v1.Hash{}, err
	}
	digest, err := idx.Digest()
	if err != nil {
		return v1.Hash{}, err
	}
	return digest, writeTarball(idx, o)
}

// index is the OCI image index of one image a binary, in GOARCH order: a runtime pulls the
// one of its node's platform.
func index(o options, corefile []byte) (v1.ImageIndex, error) {
	byArch := map[string]string{}
	for _, path := range o.binaries {
		arch, err := staticELF(path)
		if err != nil {
			return nil, err
		}
		if other, ok := byArch[arch]; ok {
			return nil, fmt.Errorf("%s and %s are both linux/%s: one binary a platform", other, path, arch)
		}
		byArch[arch] = path
	}
	archs := make([]string, 0, len(byArch))
	for arch := range byArch {
		archs = append(archs, arch)
	}
	sort.Strings(archs)
	idx := mutate.IndexMediaType(empty.Index, types.OCIImageIndex)
	for _, arch := range archs {
		bin, err := os.ReadFile(byArch[arch])
		if err != nil {
			return nil, err
		}
		img, err := image(bin, corefile, arch, o)
		if err != nil {
			return nil, err
		}
		idx = mutate.AppendManifests(idx, mutate.IndexAddendum{
			Add:        img,
			Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: arch}},
		})
	}
	return idx, nil
}

// staticELF returns the GOARCH name of a statically linked Linux ELF executable: the image
// has no C library nor dynamic loader for anything else.
func staticELF(path string) (string, error) {
	f, err := elf.Open(path)
	if err != nil {
		return "", fmt.Errorf("%s: not a Linux executable (%v); build it with make build", path, err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP {
			return "", fmt.Errorf("%s is dynamically linked; the image has no C library: build it with CGO_ENABLED=0 (make build)", path)
		}
	}
	if f.Type != elf.ET_EXEC && f.Type != elf.ET_DYN {
		return "", fmt.Errorf("%s: not an executable (ELF type %v)", path, f.Type)
	}
	arch := map[elf.Machine]string{
		elf.EM_X86_64: "amd64", elf.EM_AARCH64: "arm64", elf.EM_386: "386", elf.EM_ARM: "arm",
		elf.EM_PPC64: "ppc64le", elf.EM_S390: "s390x", elf.EM_RISCV: "riscv64",
	}[f.Machine]
	if arch == "" {
		return "", fmt.Errorf("%s: unsupported machine %v", path, f.Machine)
	}
	return arch, nil
}

func image(bin, corefile []byte, arch string, o options) (v1.Image, error) {
	layerBytes, err := layerTar(bin, corefile, o.created)
	if err != nil {
		return nil, err
	}
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(layerBytes)), nil
	}, tarball.WithMediaType(types.OCILayer))
	if err != nil {
		return nil, err
	}
	base := mutate.ConfigMediaType(mutate.MediaType(empty.Image, types.OCIManifestSchema1), types.OCIConfigJSON)
	img, err := mutate.Append(base, mutate.Addendum{
		Layer: layer,
		History: v1.History{
			Created:   v1.Time{Time: o.created},
			CreatedBy: "cmd/image: " + binaryPath + " " + corefilePath,
			Comment:   "coredns-vpce " + o.tag,
		},
	})
	if err != nil {
		return nil, err
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = "linux", arch
	cf.Created = v1.Time{Time: o.created}
	cf.Config = v1.Config{
		Entrypoint:   entrypoint,
		User:         user,
		ExposedPorts: map[string]struct{}{},
		WorkingDir:   "/",
		Labels: map[string]string{
			"org.opencontainers.image.title":       "coredns-vpce",
			"org.opencontainers.image.description": "CoreDNS answering AWS interface VPC endpoint names",
			"org.opencontainers.image.version":     o.tag,
		},
	}
	for _, p := range exposedPorts {
		cf.Config.ExposedPorts[p] = struct{}{}
	}
	return mutate.ConfigFile(img, cf)
}

// layerTar is the image's only layer, gzipped once here rather than by each reader.
func layerTar(bin, corefile []byte, created time.Time) ([]byte, error) {
	var buf bytes.Buffer
	zw, err := gzip.NewWriterLevel(&buf, gzip.DefaultCompression)
	if err != nil {
		return nil, err
	}
	tw := tar.NewWriter(zw)
	dir := func(name string, mode int64, owner int) *tar.Header {
		return &tar.Header{Typeflag: tar.TypeDir, Name: name + "/", Mode: mode, Uid: owner, Gid: owner, ModTime: created, Format: tar.FormatPAX}
	}
	file := func(name string, mode int64, size int) *tar.Header {
		return &tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: mode, Size: int64(size), ModTime: created, Format: tar.FormatPAX}
	}
	binHeader := file(binaryPath[1:], 0o755, len(bin))
	binHeader.PAXRecords = map[string]string{"SCHILY.xattr.security.capability": netBindServiceCap}
	entries := []struct {
		h    *tar.Header
		data []byte
	}{
		{binHeader, bin},
		{dir("etc", 0o755, 0), nil},
		{dir("etc/coredns", 0o755, 0), nil},
		{file(corefilePath[1:], 0o644, len(corefile)), corefile},
		{dir("var", 0o755, 0), nil},
		{dir("var/lib", 0o755, 0), nil},
		{dir(cacheDir[1:], 0o700, uid), nil},
	}
	for _, e := range entries {
		if err := tw.WriteHeader(e.h); err != nil {
			return nil, err
		}
		if _, err := tw.Write(e.data); err != nil {
			return nil, err
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// writeTarball writes idx as an OCI image layout whose index.json names it, and tars that into
// o.out (through a temporary file renamed over it).
func writeTarball(idx v1.ImageIndex, o options) error {
	dir, err := os.MkdirTemp("", "coredns-vpce-image-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	p, err := layout.Write(dir, empty.Index)
	if err != nil {
		return err
	}
	if err := p.AppendIndex(idx, layout.WithAnnotations(map[string]string{
		"org.opencontainers.image.ref.name": o.tag,
		"io.containerd.image.name":          o.name + ":" + o.tag,
	})); err != nil {
		return err
	}

	if err := os.MkdirAll(filepath.Dir(o.out), 0o755); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(filepath.Dir(o.out), ".oci-*.tar")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := tarDir(tmp, dir, o.created); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	if err := os.Chmod(tmp.Name(), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), o.out)
}

// tarDir writes the tree under dir, in name order, with fixed owners, modes and times.
func tarDir(w io.Writer, dir string, created time.Time) error {
	var names []string
	err := filepath.WalkDir(dir, func(path string, d fs.DirEntry, err error) error {
		if err != nil || path == dir {
			return err
		}
		rel, err := filepath.Rel(dir, path)
		if err != nil {
			return err
		}
		if d.IsDir() {
			rel += "/"
		} else if !d.Type().IsRegular() {
			return fmt.Errorf("%s: not a regular file", rel)
		}
		names = append(names, filepath.ToSlash(rel))
		return nil
	})
	if err != nil {
		return err
	}
	sort.Strings(names)
	tw := tar.NewWriter(w)
	for _, name := range names {
		h := &tar.Header{Name: name, ModTime: created, Format: tar.FormatPAX}
		if name[len(name)-1] == '/' {
			h.Typeflag, h.Mode = tar.TypeDir, 0o755
			if err := tw.WriteHeader(h); err != nil {
				return err
			}
			continue
		}
		data, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			return err
		}
		if err := checkBlob(name, data); err != nil {
			return err
		}
		h.Typeflag, h.Mode, h.Size = tar.TypeReg, 0o644, int64(len(data))
		if err := tw.WriteHeader(h); err != nil {
			return err
		}
		if _, err := tw.Write(data); err != nil {
			return err
		}
	}
	return tw.Close()
}

// checkBlob verifies that a blob's content matches its name, as a last guard before shipping.
func checkBlob(name string, data []byte) error {
	const prefix = "blobs/sha256/"
	if len(name) <= len(prefix) || name[:len(prefix)] != prefix {
		return nil
	}
	sum := sha256.Sum256(data)
	if hex.EncodeToString(sum[:]) != name[len(prefix):] {
		return errors.New(name + ": content does not match its digest")
	}
	return nil
}
