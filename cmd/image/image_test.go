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
	"github.com/google/go-containerregistry/pkg/v1/tarball"
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

func TestImage(t *testing.T) {
	dir := t.TempDir()
	tool := testkit.BuildCommand(t, ".")
	// The image tool's own binary stands in for coredns: a static Go binary like it, already
	// built, and a tenth of its size to compress and read back (which the race detector makes
	// slow). COREDNS_VPCE_IMAGE_BINARY=$PWD/coredns checks make build's binary instead.
	binary := tool
	if b := os.Getenv("COREDNS_VPCE_IMAGE_BINARY"); b != "" {
		binary = b
	}
	t.Logf("the image of %s", binary)
	binDigest := fileSHA256(t, binary)
	corefile, err := os.ReadFile("Corefile")
	if err != nil {
		t.Fatal(err)
	}

	out := filepath.Join(dir, "dist", "coredns-vpce.oci.tar")
	if msg, err := runImageTool(tool, "-binary", binary, "-out", out, "-tag", "v0.0.0-test"); err != nil {
		t.Fatalf("image: %v\n%s", err, msg)
	}

	// The OCI image layout.
	layoutDir := filepath.Join(dir, "layout")
	untar(t, out, layoutDir)
	idx, err := layout.ImageIndexFromPath(layoutDir)
	if err != nil {
		t.Fatal(err)
	}
	im, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	if len(im.Manifests) != 1 {
		t.Fatalf("index.json lists %d manifests, want 1", len(im.Manifests))
	}
	desc := im.Manifests[0]
	if desc.MediaType != types.OCIManifestSchema1 || desc.Annotations["org.opencontainers.image.ref.name"] != "v0.0.0-test" {
		t.Errorf("index.json: %s with annotations %v, want an OCI manifest named v0.0.0-test", desc.MediaType, desc.Annotations)
	}
	img, err := idx.Image(desc.Digest)
	if err != nil {
		t.Fatal(err)
	}
	if err := validate.Image(img); err != nil { // every digest, size and diff id
		t.Fatalf("the image does not validate: %v", err)
	}

	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if want := []string{"/coredns", "-conf", "/etc/coredns/Corefile"}; !slices.Equal(cf.Config.Entrypoint, want) || len(cf.Config.Cmd) != 0 {
		t.Errorf("entrypoint %q cmd %q, want %q", cf.Config.Entrypoint, cf.Config.Cmd, want)
	}
	if cf.Config.User != "65532:65532" {
		t.Errorf("user %q, want 65532:65532", cf.Config.User)
	}
	var ports []string
	for p := range cf.Config.ExposedPorts {
		ports = append(ports, p)
	}
	slices.Sort(ports)
	if want := []string{"53/tcp", "53/udp", "8080/tcp", "8181/tcp", "9153/tcp"}; !slices.Equal(ports, want) {
		t.Errorf("exposed ports %q, want %q", ports, want)
	}
	if cf.OS != "linux" || cf.Architecture != runtime.GOARCH {
		t.Errorf("platform %s/%s, want linux/%s", cf.OS, cf.Architecture, runtime.GOARCH)
	}
	if !cf.Created.Time.Equal(time.Unix(imageEpoch, 0)) {
		t.Errorf("created %v, want SOURCE_DATE_EPOCH's %v", cf.Created.Time, time.Unix(imageEpoch, 0).UTC())
	}

	layers, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	if len(layers) != 1 {
		t.Fatalf("%d layers, want 1 on the empty base", len(layers))
	}
	if mt, _ := layers[0].MediaType(); mt != types.OCILayer {
		t.Errorf("layer media type %s, want %s", mt, types.OCILayer)
	}
	checkImageLayer(t, layers[0], binDigest, corefile)

	// The same tarball as a docker-archive (crane push FILE, docker load): the same config and
	// layer.
	dimg, err := tarball.ImageFromPath(out, nil)
	if err != nil {
		t.Fatalf("as a docker-archive: %v", err)
	}
	dcfg, err := dimg.ConfigName()
	if err != nil {
		t.Fatal(err)
	}
	ocfg, _ := img.ConfigName()
	if dcfg != ocfg {
		t.Errorf("docker-archive config %s, OCI layout config %s", dcfg, ocfg)
	}
	dlayers, err := dimg.Layers()
	if err != nil || len(dlayers) != 1 {
		t.Fatalf("docker-archive layers: %d, %v", len(dlayers), err)
	}
	ddiff, _ := dlayers[0].DiffID()
	odiff, _ := layers[0].DiffID()
	if ddiff != odiff {
		t.Errorf("docker-archive layer %s, OCI layout layer %s", ddiff, odiff)
	}

	// Reproducible: the same binary gives the same bytes.
	again := filepath.Join(dir, "again.oci.tar")
	if msg, err := runImageTool(tool, "-binary", binary, "-out", again, "-tag", "v0.0.0-test"); err != nil {
		t.Fatalf("image: %v\n%s", err, msg)
	}
	if a, b := fileSHA256(t, out), fileSHA256(t, again); a != b {
		t.Errorf("two builds of the same binary differ: %s and %s", a, b)
	}
}

// checkImageLayer checks the layer's files: /coredns byte for byte the given binary, mode 0755,
// with the NET_BIND_SERVICE file capability; the default Corefile; the cache directory.
func checkImageLayer(t *testing.T, layer v1.Layer, binDigest string, corefile []byte) {
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
			hash := sha256.New()
			if _, err := io.Copy(hash, tr); err != nil {
				t.Fatal(err)
			}
			if got := hex.EncodeToString(hash.Sum(nil)); got != binDigest {
				t.Errorf("/coredns has sha256 %s, the binary given %s", got, binDigest)
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
