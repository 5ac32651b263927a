package test

// The operator's own CoreDNS build, made as CoreDNS documents external plugins (the README's
// steps): the source of the CoreDNS release go.mod requires, with vpce added to its plugin.cfg
// before cache and its go.mod pointed at this checkout, generated and built; the binary serves
// the example snapshot as this build's does.
//
// It compiles CoreDNS as a main module of its own (minutes on a cold build cache), so it runs
// with the release tests, only with VPCE_RELEASE_TESTS=1 (.ci/run sets it).

import (
	"encoding/json"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coredns-vpce/coredns-vpce/internal/testkit"
)

const (
	coreDNSModule = "github.com/coredns/coredns"
	thisModule    = "github.com/coredns-vpce/coredns-vpce"
	vpcePluginCfg = "vpce:" + thisModule + "/plugin/vpce"
)

const ownBuildCorefile = `.:PORT {
    bind 127.0.0.1
    ready READY
    vpce {
        snapshot SNAPSHOT
    }
    forward . UPSTREAM
}`

func TestOwnCoreDNSBuild(t *testing.T) {
	if v := os.Getenv(releaseTestsEnv); v == "" || v == "0" {
		t.Skipf("the operator's own build compiles CoreDNS from its source: %s=1 runs it", releaseTestsEnv)
	}
	root, err := filepath.Abs("..")
	if err != nil {
		t.Fatal(err)
	}
	// The CoreDNS source of the release, writable, as a clone of its tag would be.
	src := filepath.Join(t.TempDir(), "coredns")
	if err := os.CopyFS(src, os.DirFS(testkit.ModuleDir(t, coreDNSModule))); err != nil {
		t.Fatal(err)
	}
	stockGo := goDirective(t, src)

	// vpce before cache in CoreDNS's plugin.cfg.
	cfg := filepath.Join(src, "plugin.cfg")
	edited := replaceEach(t, readFile(t, cfg), [][2]string{{"\ncache:cache\n", "\n" + vpcePluginCfg + "\ncache:cache\n"}})
	if err := os.WriteFile(cfg, []byte(edited), 0o644); err != nil {
		t.Fatal(err)
	}
	// This checkout stands for the release an operator would `go get`; tidy once the generated
	// list imports the plugin, or it drops the requirement.
	goRun(t, src, "mod", "edit", "-require="+thisModule+"@v0.0.0", "-replace="+thisModule+"="+root)
	goRun(t, src, "generate", "coredns.go")
	goRun(t, src, "mod", "tidy")
	if got := goDirective(t, src); got != stockGo {
		t.Errorf("adding the plugin raised CoreDNS's go directive from %s to %s", stockGo, got)
	}
	checkAddedModules(t, filepath.Join(testkit.ModuleDir(t, coreDNSModule), "go.mod"), filepath.Join(src, "go.mod"))
	bin := filepath.Join(t.TempDir(), "coredns")
	goRun(t, src, "build", "-trimpath", "-ldflags", "-s -w", "-o", bin, ".")

	// CoreDNS's generator put vpce in the directive order right before cache, and the build has it.
	if order := readFile(t, filepath.Join(src, "core", "dnsserver", "zdirectives.go")); !strings.Contains(order, "\t\"acl\",\n\t\"vpce\",\n\t\"cache\",\n") {
		t.Errorf("the generated directive order has no acl, vpce, cache in a row:\n%s", order)
	}
	if out := run(t, "", bin, "-plugins"); !slices.Contains(strings.Fields(out), "vpce") {
		t.Errorf("coredns -plugins does not list vpce:\n%s", out)
	}
	port, readyAddr := fmt.Sprint(testkit.FreePort(t)), testkit.FreeAddr(t)
	corefile := filepath.Join(t.TempDir(), "Corefile")
	r := strings.NewReplacer("PORT", port, "READY", readyAddr, "SNAPSHOT", filepath.Join(root, "example", "snapshot.json"),
		"UPSTREAM", testkit.StartUpstream(t))
	if err := os.WriteFile(corefile, []byte(r.Replace(ownBuildCorefile)), 0o644); err != nil {
		t.Fatal(err)
	}
	logs := testkit.StartProcess(t, userEnv(t), bin, "-conf", corefile)
	testkit.WaitReady(t, readyAddr, logs, 20*time.Second)
	addr := net.JoinHostPort("127.0.0.1", port)
	checkSeed(t, "udp", addr, true)
	checkSeed(t, "tcp", addr, false)
}

// The modules the plugin brings into an operator's build: its own, the AWS SDK's and goccy's
// JSON decoder. The tools' and tests' requirements (nfpm, go-containerregistry, gofakes3, the
// Kubernetes fake's) stay out, as module graph pruning keeps them.
var pluginModules = []string{thisModule, "github.com/aws/", "github.com/goccy/go-json"}

// checkAddedModules fails if the go.mod after the plugin requires a module the stock go.mod
// does not, other than pluginModules'; it logs the versions the plugin's requirements raised.
func checkAddedModules(t *testing.T, stock, after string) {
	t.Helper()
	requires := func(file string) map[string]string {
		var mod struct {
			Require []struct{ Path, Version string }
		}
		if err := json.Unmarshal([]byte(run(t, "", "go", "mod", "edit", "-json", file)), &mod); err != nil {
			t.Fatal(err)
		}
		out := map[string]string{}
		for _, r := range mod.Require {
			out[r.Path] = r.Version
		}
		return out
	}
	before, now := requires(stock), requires(after)
	for path, v := range now {
		old, ok := before[path]
		switch {
		case !ok && !slices.ContainsFunc(pluginModules, func(p string) bool { return strings.HasPrefix(path, p) }):
			t.Errorf("the plugin brings %s %s into an operator's build", path, v)
		case ok && old != v:
			t.Logf("the plugin raises %s from %s to %s", path, old, v)
		}
	}
}

// goRun runs the go command in dir, statically (as make build does) and outside any workspace.
func goRun(t *testing.T, dir string, args ...string) {
	t.Helper()
	cmd := exec.Command("go", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0", "GOWORK=off")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go %s: %v\n%s", strings.Join(args, " "), err, out)
	}
}

// goDirective is the go directive of the go.mod in dir.
func goDirective(t *testing.T, dir string) string {
	t.Helper()
	cmd := exec.Command("go", "mod", "edit", "-json")
	cmd.Dir = dir
	out, err := cmd.Output()
	var mod struct{ Go string }
	if err == nil {
		err = json.Unmarshal(out, &mod)
	}
	if err != nil || mod.Go == "" {
		t.Fatalf("go mod edit -json in %s: %v, no go directive", dir, err)
	}
	return mod.Go
}
