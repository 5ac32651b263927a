package main

// The container image of `make image`: this tool is built and run here on a binary (the tool's
// own static binary standing in for coredns, or the one COREDNS_VPCE_IMAGE_BINARY names), and
// the OCI image layout tarball it writes is read back with go-containerregistry.

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"debug/elf"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"io"
	"maps"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/google/go-containerregistry/pkg/v1/validate"

	"github.com/coredns-vpce/coredns-vpce/internal/testkit"
)

// imageEpoch is the SOURCE_DATE_EPOCH the test builds with.
const imageEpoch = 1700000000

// runImageTool runs the tool; it returns its combined output.
func runImageTool(tool string, args ...string) (string, error) {
	cmd := exec.Command(tool, args...)
	cmd.Env = append(os.Environ(), "SOURCE_DATE_EPOCH="+strconv.Itoa(imageEpoch))
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func fileSHA256(t *testing.T, path string) string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		t.Fatal(err)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// untar unpacks the regular files and directories of a tarball into dir.
func untar(t *testing.T, file, dir string) {
	t.Helper()
	f, err := os.Open(file)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	tr := tar.NewReader(f)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		name := filepath.Join(dir, filepath.FromSlash(h.Name))
		if !strings.HasPrefix(name, dir+string(filepath.Separator)) {
			t.Fatalf("tarball entry %q escapes", h.Name)
		}
		switch h.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(name, 0o755); err != nil {
				t.Fatal(err)
			}
		case tar.TypeReg:
			data, err := io.ReadAll(tr)
			if err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(name, data, 0o644); err != nil {
				t.Fatal(err)
			}
		default:
			t.Fatalf("tarball entry %q of type %c", h.Name, h.Typeflag)
		}
	}
}

// elfMachines is the ELF machine of each platform's binary.
var elfMachines = map[string]elf.Machine{"amd64": elf.EM_X86_64, "arm64": elf.EM_AARCH64}

func TestImage(t *testing.T) {
	dir := t.TempDir()
	tool := testkit.BuildCommand(t, ".")
	// The image tool's own binaries for linux/amd64 and linux/arm64 stand in for coredns:
	// static Go binaries like it, and a tenth of its size to compress and read back (which the
	// race detector makes slow).
	binaries := map[string]string{
		"amd64": testkit.BuildCommandFor(t, ".", "linux", "amd64"),
		"arm64": testkit.BuildCommandFor(t, ".", "linux", "arm64"),
	}
	corefile, err := os.ReadFile("Corefile")
	if err != nil {
		t.Fatal(err)
	}

	out := filepath.Join(dir, "dist", "coredns-vpce.oci.tar")
	args := []string{"-binary", binaries["arm64"], "-binary", binaries["amd64"], "-out", out, "-tag", "v0.0.0-test"}
	if msg, err := runImageTool(tool, args...); err != nil {
		t.Fatalf("image: %v\n%s", err, msg)
	}
	checkIndex(t, out, "v0.0.0-test", binaries, corefile)

	// Reproducible: the same binaries give the same bytes.
	again := filepath.Join(dir, "again.oci.tar")
	args[5] = again
	if msg, err := runImageTool(tool, args...); err != nil {
		t.Fatalf("image: %v\n%s", err, msg)
	}
	if a, b := fileSHA256(t, out), fileSHA256(t, again); a != b {
		t.Errorf("two builds of the same binaries differ: %s and %s", a, b)
	}
}

// checkIndex reads the OCI image layout tarball back: index.json names one image index,
// tagged tag, of one image for each platform of binaries (GOARCH: path), in GOARCH order, each
// holding its binary and corefile, with the image's entrypoint, user and ports.
func checkIndex(t *testing.T, tarball, tag string, binaries map[string]string, corefile []byte) {
	t.Helper()
	layoutDir := filepath.Join(t.TempDir(), "layout")
	untar(t, tarball, layoutDir)
	top, err := layout.ImageIndexFromPath(layoutDir)
	if err != nil {
		t.Fatal(err)
	}
	im, err := top.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	if len(im.Manifests) != 1 {
		t.Fatalf("index.json lists %d manifests, want 1", len(im.Manifests))
	}
	desc := im.Manifests[0]
	if desc.MediaType != types.OCIImageIndex || desc.Annotations["org.opencontainers.image.ref.name"] != tag {
		t.Errorf("index.json: %s with annotations %v, want an OCI image index named %s", desc.MediaType, desc.Annotations, tag)
	}
	idx, err := top.ImageIndex(desc.Digest)
	if err != nil {
		t.Fatal(err)
	}
	if err := validate.Index(idx); err != nil { // every digest, size and diff id
		t.Fatalf("the image index does not validate: %v", err)
	}
	manifests, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	archs := slices.Sorted(maps.Keys(binaries))
	if len(manifests.Manifests) != len(archs) {
		t.Fatalf("the index lists %d images, want %d (%q)", len(manifests.Manifests), len(archs), archs)
	}
	for i, m := range manifests.Manifests {
		arch := archs[i]
		if m.MediaType != types.OCIManifestSchema1 || m.Platform == nil || m.Platform.OS != "linux" || m.Platform.Architecture != arch {
			t.Errorf("image %d: %s for %v, want an OCI manifest for linux/%s", i, m.MediaType, m.Platform, arch)
			continue
		}
		img, err := idx.Image(m.Digest)
		if err != nil {
			t.Fatal(err)
		}
		checkImage(t, img, arch, fileSHA256(t, binaries[arch]), corefile)
	}
}

// checkImage checks one platform's image: its configuration and its only layer.
func checkImage(t *testing.T, img v1.Image, arch, binDigest string, corefile []byte) {
	t.Helper()
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"/coredns", "-conf", "/etc/coredns/Corefile"}; !slices.Equal(cf.Config.Entrypoint, want) || len(cf.Config.Cmd) != 0 {
		t.Errorf("%s: entrypoint %q cmd %q, want %q", arch, cf.Config.Entrypoint, cf.Config.Cmd, want)
	}
	if cf.Config.User != "65532:65532" {
		t.Errorf("%s: user %q, want 65532:65532", arch, cf.Config.User)
	}
	ports := slices.Sorted(maps.Keys(cf.Config.ExposedPorts))
	if want := []string{"53/tcp", "53/udp", "8080/tcp", "8181/tcp", "9153/tcp"}; !slices.Equal(ports, want) {
		t.Errorf("%s: exposed ports %q, want %q", arch, ports, want)
	}
	if cf.OS != "linux" || cf.Architecture != arch {
		t.Errorf("platform %s/%s, want linux/%s", cf.OS, cf.Architecture, arch)
	}
	if !cf.Created.Time.Equal(time.Unix(imageEpoch, 0)) {
		t.Errorf("%s: created %v, want SOURCE_DATE_EPOCH's %v", arch, cf.Created.Time, time.Unix(imageEpoch, 0).UTC())
	}
	layers, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	if len(layers) != 1 {
		t.Fatalf("%s: %d layers, want 1 on the empty base", arch, len(layers))
	}
	if mt, _ := layers[0].MediaType(); mt != types.OCILayer {
		t.Errorf("%s: layer media type %s, want %s", arch, mt, types.OCILayer)
	}
	checkImageLayer(t, layers[0], arch, binDigest, corefile)
}

// checkImageLayer checks the layer's files: /coredns byte for byte the given binary, an ELF
// executable for arch, mode 0755, with the NET_BIND_SERVICE file capability; the default
// Corefile; the cache directory.
func checkImageLayer(t *testing.T, layer v1.Layer, arch, binDigest string, corefile []byte) {
	t.Helper()
	rc, err := layer.Uncompressed()
	if err != nil {
		t.Fatal(err)
	}
	defer rc.Close()
	tr := tar.NewReader(rc)
	seen := map[string]bool{}
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		seen[h.Name] = true
		switch h.Name {
		case "coredns":
			data, err := io.ReadAll(tr)
			if err != nil {
				t.Fatal(err)
			}
			sum := sha256.Sum256(data)
			if got := hex.EncodeToString(sum[:]); got != binDigest {
				t.Errorf("%s: /coredns has sha256 %s, the binary given %s", arch, got, binDigest)
			}
			if f, err := elf.NewFile(bytes.NewReader(data)); err != nil || f.Machine != elfMachines[arch] {
				t.Errorf("%s: /coredns is not an ELF executable for %v (%v)", arch, elfMachines[arch], err)
			}
			if h.Typeflag != tar.TypeReg || h.Mode != 0o755 || h.Uid != 0 {
				t.Errorf("/coredns: type %c mode %o uid %d, want a regular file, 0755, root's", h.Typeflag, h.Mode, h.Uid)
			}
			// struct vfs_cap_data: revision 2 with the effective flag, then permitted bits.
			capability := []byte(h.PAXRecords["SCHILY.xattr.security.capability"])
			const capNetBindService = 10
			if len(capability) != 20 || binary.LittleEndian.Uint32(capability) != 0x02000001 ||
				binary.LittleEndian.Uint32(capability[4:])&(1<<capNetBindService) == 0 {
				t.Errorf("/coredns: security.capability %x, want cap_net_bind_service=+ep", capability)
			}
		case "etc/coredns/Corefile":
			data, err := io.ReadAll(tr)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(data, corefile) || h.Mode != 0o644 {
				t.Errorf("/etc/coredns/Corefile (mode %o) is not cmd/image/Corefile", h.Mode)
			}
		case "var/lib/coredns/":
			if h.Typeflag != tar.TypeDir || h.Uid != 65532 {
				t.Errorf("/var/lib/coredns: type %c uid %d, want a directory of 65532", h.Typeflag, h.Uid)
			}
		}
		if !h.ModTime.Equal(time.Unix(imageEpoch, 0)) {
			t.Errorf("%s: time %v, want SOURCE_DATE_EPOCH's", h.Name, h.ModTime)
		}
	}
	for _, want := range []string{"coredns", "etc/coredns/Corefile", "var/lib/coredns/"} {
		if !seen[want] {
			t.Errorf("the layer has no %s", want)
		}
	}
}

// TestImageRefusesDynamicBinary: the empty base has no C library, so a dynamically linked
// binary (CGO_ENABLED=1) would not start; the tool refuses it.
func TestImageRefusesDynamicBinary(t *testing.T) {
	dynamic := "/bin/true"
	f, err := elf.Open(dynamic)
	if err != nil {
		t.Skipf("%s: %v", dynamic, err)
	}
	var interp bool
	for _, p := range f.Progs {
		interp = interp || p.Type == elf.PT_INTERP
	}
	f.Close()
	if !interp {
		t.Skipf("%s is statically linked here", dynamic)
	}
	dir := t.TempDir()
	tool := testkit.BuildCommand(t, ".")
	out := filepath.Join(dir, "x.oci.tar")
	msg, err := runImageTool(tool, "-binary", dynamic, "-out", out)
	var exit *exec.ExitError
	if !errors.As(err, &exit) || !strings.Contains(msg, "dynamically linked") {
		t.Errorf("image on %s: %v\n%s\nwant a refusal naming dynamic linking", dynamic, err, msg)
	}
	if _, err := os.Stat(out); err == nil {
		t.Errorf("%s written anyway", out)
	}
}

// TestImageRefusesTwoOfAPlatform: an index holds one image a platform; two binaries of the
// same architecture would leave a node's runtime a choice it cannot make.
func TestImageRefusesTwoOfAPlatform(t *testing.T) {
	tool := testkit.BuildCommand(t, ".")
	other := testkit.BuildCommandFor(t, ".", "linux", runtime.GOARCH)
	out := filepath.Join(t.TempDir(), "x.oci.tar")
	msg, err := runImageTool(tool, "-binary", tool, "-binary", other, "-out", out)
	var exit *exec.ExitError
	if !errors.As(err, &exit) || !strings.Contains(msg, "are both linux/"+runtime.GOARCH) {
		t.Errorf("image of two linux/%s binaries: %v\n%s\nwant a refusal naming both", runtime.GOARCH, err, msg)
	}
	if _, err := os.Stat(out); err == nil {
		t.Errorf("%s written anyway", out)
	}
}
