package test

// The release of `make release` (cmd/release), as users get it: the checksums file verifies
// every archive and package; each archive holds a binary of its platform and what it needs to
// serve the example snapshot; the linux/arm64 binary, run under QEMU's arm64 emulator, serves
// it; the .deb is installed into this machine, its unit verified by systemd, its binary run
// with the installed Corefile switched to the example snapshot, upgraded over an edited
// Corefile and removed; the .rpm marks the Corefile as a configuration file to keep.
//
// The release cross-compiles CoreDNS (minutes on a cold build cache) and installs a package
// (root), so these tests run only with VPCE_RELEASE_TESTS=1 (.ci/run sets it). They build the
// Linux targets only: the macOS archives of make release come from the same code, and two more
// cold cross-compilations of CoreDNS would double the time the tests add to CI.

import (
	"bytes"
	"debug/elf"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coredns-vpce/coredns-vpce/internal/testkit"
)

const releaseTestsEnv = "VPCE_RELEASE_TESTS"

// The release the tests build, and the earlier one the upgrade starts from.
const (
	releaseVersion = "v1.0.0"
	earlierVersion = "v0.9.0"
)

var releaseTargets = []string{"linux/amd64", "linux/arm64"}

// The installed package's paths.
const (
	installedBinary   = "/usr/bin/coredns-vpce"
	installedCorefile = "/etc/coredns-vpce/Corefile"
	installedUnit     = "/usr/lib/systemd/system/coredns-vpce.service"
	installedSnapshot = "/usr/share/doc/coredns-vpce/examples/snapshot.json"
)

func TestRelease(t *testing.T) {
	if v := os.Getenv(releaseTestsEnv); v == "" || v == "0" {
		t.Skipf("the release build cross-compiles CoreDNS and installs a package: %s=1 runs it", releaseTestsEnv)
	}
	tool := testkit.BuildCommand(t, "../cmd/release")
	dist := buildRelease(t, tool, releaseVersion, strings.Join(releaseTargets, ","))

	t.Run("checksums", func(t *testing.T) { checkChecksums(t, dist) })
	unpacked := map[string]string{} // target: the directory its archive unpacked into
	into := t.TempDir()
	t.Run("archives", func(t *testing.T) {
		for _, target := range releaseTargets {
			unpacked[target] = checkArchive(t, dist, target, into)
		}
	})
	t.Run("arm64 under QEMU", func(t *testing.T) { checkEmulatedArm64(t, unpacked["linux/arm64"]) })
	t.Run("rpm", func(t *testing.T) { checkRPM(t, dist) })
	t.Run("deb", func(t *testing.T) {
		earlier := buildRelease(t, tool, earlierVersion, "linux/"+runtime.GOARCH)
		checkDeb(t, debOf(t, earlier), debOf(t, dist))
	})
}

// buildRelease runs cmd/release from the repository's root into a temporary directory.
func buildRelease(t *testing.T, tool, version, targets string) string {
	t.Helper()
	dist := t.TempDir()
	cmd := exec.Command(tool, "-version", version, "-targets", targets, "-dist", dist)
	cmd.Dir = ".."
	cmd.Env = append(os.Environ(), "SOURCE_DATE_EPOCH=1700000000")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("release %s: %v\n%s", version, err, out)
	}
	return dist
}

// run runs a program to its end; it returns its combined output, failing the test on an error.
func run(t *testing.T, dir, name string, args ...string) string {
	t.Helper()
	cmd := exec.Command(name, args...)
	cmd.Dir = dir
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("%s %s: %v\n%s", name, strings.Join(args, " "), err, out)
	}
	return string(out)
}

// checkChecksums: sha256sum -c verifies every line of the checksums file, and the file lists
// exactly the release's archives and packages.
func checkChecksums(t *testing.T, dist string) {
	sums := "coredns-vpce_" + releaseVersion + "_checksums.txt"
	out := run(t, dist, "sha256sum", "--strict", "-c", sums)
	var listed []string
	for _, line := range strings.Split(strings.TrimSpace(out), "\n") {
		name, ok := strings.CutSuffix(line, ": OK")
		if !ok {
			t.Errorf("sha256sum -c: %q", line)
		}
		listed = append(listed, name)
	}
	var artifacts []string
	for _, pattern := range []string{"*.tar.gz", "*.deb", "*.rpm"} {
		m, _ := filepath.Glob(filepath.Join(dist, pattern))
		for _, p := range m {
			artifacts = append(artifacts, filepath.Base(p))
		}
	}
	slices.Sort(artifacts)
	slices.Sort(listed)
	if !slices.Equal(listed, artifacts) || len(artifacts) != 3*len(releaseTargets) {
		t.Errorf("%s verifies %q; the release has %q, want an archive, a .deb and an .rpm a target", sums, listed, artifacts)
	}
}

// checkArchive: the archive of target unpacks (with tar, as a user does) into one directory
// with the binary for its platform, README.md, LICENSE, Corefile.example and the example
// snapshot. It returns that directory, under into.
func checkArchive(t *testing.T, dist, target, into string) string {
	goos, goarch, _ := strings.Cut(target, "/")
	name := "coredns-vpce_" + releaseVersion + "_" + goos + "_" + goarch
	root := filepath.Join(into, goos+"_"+goarch)
	if err := os.Mkdir(root, 0o755); err != nil {
		t.Fatal(err)
	}
	run(t, root, "tar", "-xzf", filepath.Join(dist, name+".tar.gz"))
	var got []string
	err := filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			rel, _ := filepath.Rel(root, path)
			got = append(got, filepath.ToSlash(rel))
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"Corefile.example", "LICENSE", "README.md", "coredns", "example/snapshot.json"}
	for i := range want {
		want[i] = name + "/" + want[i]
	}
	if !slices.Equal(got, want) {
		t.Errorf("%s holds %q, want %q", name, got, want)
	}
	dir := filepath.Join(root, name)
	if a, b := readFile(t, filepath.Join(dir, "example", "snapshot.json")), readFile(t, "../example/snapshot.json"); a != b {
		t.Errorf("%s: example/snapshot.json is not the repository's", name)
	}
	if machine := executableMachine(filepath.Join(dir, "coredns")); machine != target {
		t.Errorf("%s: coredns is an executable for %q, want %s", name, machine, target)
	}
	return dir
}

// executableMachine is the GOOS/GOARCH a Linux executable runs on, by its ELF machine.
func executableMachine(path string) string {
	f, err := elf.Open(path)
	if err != nil {
		return "not ELF"
	}
	defer f.Close()
	return "linux/" + map[elf.Machine]string{elf.EM_X86_64: "amd64", elf.EM_AARCH64: "arm64"}[f.Machine]
}

// checkEmulatedArm64: the linux/arm64 archive, unpacked into dir, serves its Corefile.example
// (the example snapshot) under qemu-aarch64-static and answers the seed's three questions.
func checkEmulatedArm64(t *testing.T, dir string) {
	qemu := requireTool(t, "qemu-aarch64-static", "qemu-user-static")
	if dir == "" {
		t.Fatal("the linux/arm64 archive did not unpack")
	}
	bin := filepath.Join(dir, "coredns")
	if out := run(t, dir, qemu, bin, "-version"); !strings.Contains(out, "coredns-vpce-"+releaseVersion) {
		t.Errorf("coredns -version under QEMU: %q, want coredns-vpce-%s", out, releaseVersion)
	}

	port, readyAddr := fmt.Sprint(testkit.FreePort(t)), testkit.FreeAddr(t)
	corefile := editCorefile(t, filepath.Join(dir, "Corefile.example"), [][2]string{
		{".:1053 {", ".:" + port + " {\n    ready " + readyAddr},
		{"snapshot example/snapshot.json", "snapshot " + filepath.Join(dir, "example", "snapshot.json")},
		{"forward . /etc/resolv.conf", "forward . " + testkit.StartUpstream(t)},
	})
	logs := testkit.StartProcess(t, userEnv(t), qemu, bin, "-conf", corefile)
	testkit.WaitReady(t, readyAddr, logs, time.Minute) // an emulated start is slow
	addr := "127.0.0.1:" + port
	checkSeed(t, "udp", addr, true)
	checkSeed(t, "tcp", addr, false)
}

// editCorefile writes a copy of the Corefile at path with each old line replaced by its new
// one (every old line must be there once) into a temporary file, and returns its path.
func editCorefile(t *testing.T, path string, edits [][2]string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	s := string(data)
	for _, e := range edits {
		if n := strings.Count(s, e[0]); n != 1 {
			t.Fatalf("%s holds %q %d times, want once", path, e[0], n)
		}
		s = strings.Replace(s, e[0], e[1], 1)
	}
	out := filepath.Join(t.TempDir(), "Corefile")
	if err := os.WriteFile(out, []byte(s), 0o644); err != nil {
		t.Fatal(err)
	}
	return out
}

// checkRPM: the .rpm of each Linux platform installs the same files, the Corefile a
// configuration file that an upgrade does not replace (rpm's noreplace).
func checkRPM(t *testing.T, dist string) {
	rpm := requireTool(t, "rpm", "rpm")
	for _, arch := range []string{"x86_64", "aarch64"} {
		pkg := filepath.Join(dist, "coredns-vpce-1.0.0-1."+arch+".rpm")
		out := run(t, "", rpm, "-qp", "--queryformat", "%{NAME} %{VERSION} %{ARCH}\n[%{FILENAMES} %{FILEFLAGS:fflags} %{FILEMODES:perms}\n]", pkg)
		want := "coredns-vpce 1.0.0 " + arch + "\n" +
			installedCorefile + " cn -rw-r--r--\n" +
			installedBinary + "  -rwxr-xr-x\n" +
			installedUnit + "  -rw-r--r--\n"
		if !strings.HasPrefix(out, want) {
			t.Errorf("rpm -qp %s:\n%s\nwant it to begin with\n%s", filepath.Base(pkg), out, want)
		}
	}
}

// debOf is the .deb of the machine's architecture in dist.
func debOf(t *testing.T, dist string) string {
	t.Helper()
	m, _ := filepath.Glob(filepath.Join(dist, "coredns-vpce_*_"+runtime.GOARCH+".deb"))
	if len(m) != 1 {
		t.Fatalf("%s holds %q, want one .deb for %s", dist, m, runtime.GOARCH)
	}
	return m[0]
}

// checkDeb installs the earlier .deb into this machine, verifies the unit, runs the installed
// binary, edits the Corefile, upgrades to the release's .deb, and removes and purges it.
func checkDeb(t *testing.T, earlier, deb string) {
	dpkg := requireTool(t, "dpkg", "dpkg")
	analyze := requireTool(t, "systemd-analyze", "systemd")
	if os.Geteuid() != 0 {
		t.Fatal("installing the .deb needs root")
	}
	exec.Command(dpkg, "--purge", "coredns-vpce").Run() // a previous run's, interrupted
	t.Cleanup(func() { exec.Command(dpkg, "--purge", "coredns-vpce").Run() })

	run(t, "", dpkg, "-i", earlier)
	checkInstalled(t, "install ok installed 0.9.0", earlierVersion)
	for installed, repo := range map[string]string{installedCorefile: "../packaging/Corefile", installedUnit: "../packaging/coredns-vpce.service"} {
		a, errA := os.ReadFile(installed)
		b, errB := os.ReadFile(repo)
		if errA != nil || errB != nil || !bytes.Equal(a, b) {
			t.Errorf("%s is not %s (%v, %v)", installed, repo, errA, errB)
		}
	}
	if conffiles := dpkgQuery(t, "${Conffiles}"); !strings.Contains(conffiles, installedCorefile+" ") {
		t.Errorf("conffiles %q, want %s", conffiles, installedCorefile)
	}
	if out, err := exec.Command(analyze, "verify", installedUnit).CombinedOutput(); err != nil || len(out) != 0 {
		t.Errorf("systemd-analyze verify %s: %v\n%s", installedUnit, err, out)
	}
	checkUnit(t)
	serveInstalled(t)

	// An upgrade keeps the operator's Corefile.
	edited := readFile(t, installedCorefile) + "# the operator's edit\n"
	if err := os.WriteFile(installedCorefile, []byte(edited), 0o644); err != nil {
		t.Fatal(err)
	}
	run(t, "", dpkg, "-i", deb)
	checkInstalled(t, "install ok installed 1.0.0", releaseVersion)
	if got := readFile(t, installedCorefile); got != edited {
		t.Errorf("after the upgrade %s is\n%s\nwant the edited one", installedCorefile, got)
	}

	// Removed, only the conffile stays; purged, nothing.
	run(t, "", dpkg, "-r", "coredns-vpce")
	if status := dpkgQuery(t, "${Status}"); status != "deinstall ok config-files" {
		t.Errorf("removed: status %q, want deinstall ok config-files", status)
	}
	for _, path := range []string{installedBinary, installedUnit, installedSnapshot} {
		if _, err := os.Stat(path); !os.IsNotExist(err) {
			t.Errorf("removed: %s is still there (%v)", path, err)
		}
	}
	run(t, "", dpkg, "--purge", "coredns-vpce")
	if _, err := os.Stat(filepath.Dir(installedCorefile)); !os.IsNotExist(err) {
		t.Errorf("purged: %s is still there (%v)", filepath.Dir(installedCorefile), err)
	}
}

func readFile(t *testing.T, path string) string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return string(data)
}

func dpkgQuery(t *testing.T, format string) string {
	t.Helper()
	return strings.TrimSpace(run(t, "", "dpkg-query", "-W", "-f", format, "coredns-vpce"))
}

// checkInstalled: dpkg's status and version of the package, and the installed binary's.
func checkInstalled(t *testing.T, status, version string) {
	t.Helper()
	if got := dpkgQuery(t, "${Status} ${Version}"); got != status {
		t.Errorf("dpkg-query: %q, want %q", got, status)
	}
	if out := run(t, "", installedBinary, "-version"); !strings.Contains(out, "coredns-vpce-"+version) {
		t.Errorf("%s -version: %q, want coredns-vpce-%s", installedBinary, out, version)
	}
}

// checkUnit: the installed unit's hardening, and that its Corefile's cache file lives in the
// unit's state directory (the only place it may write).
func checkUnit(t *testing.T) {
	unit := map[string][]string{}
	for _, line := range strings.Split(readFile(t, installedUnit), "\n") {
		if k, v, ok := strings.Cut(line, "="); ok && !strings.HasPrefix(line, "#") {
			unit[k] = append(unit[k], v)
		}
	}
	for k, want := range map[string]string{
		"ExecStart":           installedBinary + " -conf " + installedCorefile,
		"ExecReload":          "/bin/kill -USR1 $MAINPID",
		"DynamicUser":         "yes",
		"AmbientCapabilities": "CAP_NET_BIND_SERVICE",
		"NoNewPrivileges":     "yes",
		"ProtectSystem":       "strict",
		"ProtectHome":         "yes",
		"PrivateTmp":          "yes",
		"StateDirectory":      "coredns-vpce",
		"Restart":             "on-failure",
		"LimitNOFILE":         "1048576",
	} {
		if !slices.Equal(unit[k], []string{want}) {
			t.Errorf("%s: %s=%q, want %q", installedUnit, k, unit[k], want)
		}
	}
	if !strings.Contains(readFile(t, installedCorefile), "cache_file /var/lib/coredns-vpce/") {
		t.Errorf("%s: no cache_file in the state directory /var/lib/coredns-vpce", installedCorefile)
	}
}

// serveInstalled runs the installed binary on the installed Corefile switched to the installed
// example snapshot, on loopback ports, and asks it the seed's three questions.
func serveInstalled(t *testing.T) {
	port, upstream := fmt.Sprint(testkit.FreePort(t)), testkit.StartUpstream(t)
	readyAddr := testkit.FreeAddr(t)
	corefile := editCorefile(t, installedCorefile, [][2]string{
		{"\n. {", "\n.:" + port + " {\n    bind 127.0.0.1"},
		{"health :8080", "health " + testkit.FreeAddr(t)},
		{"ready :8181", "ready " + readyAddr},
		{"prometheus :9153", "prometheus " + testkit.FreeAddr(t)},
		{"cache_file /var/lib/coredns-vpce/vpce.json", "snapshot " + installedSnapshot},
		{"forward . 169.254.169.253", "forward . " + upstream},
	})
	logs := testkit.StartProcess(t, userEnv(t), installedBinary, "-conf", corefile)
	testkit.WaitReady(t, readyAddr, logs, 20*time.Second)
	addr := "127.0.0.1:" + port
	// The Corefile's loadbalance shuffles the answers from the first query on.
	checkSeed(t, "udp", addr, false)
	checkSeed(t, "tcp", addr, false)
}
