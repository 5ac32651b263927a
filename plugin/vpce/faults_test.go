package vpce

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/coredns-vpce/coredns-vpce/internal/testkit"

	"github.com/coredns-vpce/coredns-vpce/plugin/vpce/index"
	"github.com/coredns-vpce/coredns-vpce/plugin/vpce/inventory"

	"github.com/miekg/dns"
)

// TestEndpointWithoutInterfaces: an endpoint listed without its interfaces (deleted between
// the two Describe calls of a refresh: awsapi's TestEndpointGoneMidRefresh) is not served: the
// next plugin answers its names, never an empty answer.
func TestEndpointWithoutInterfaces(t *testing.T) {
	inv := &inventory.Inventory{}
	if err := jsonInventory(`{"VpcEndpoints": [
  {"VpcEndpointId": "vpce-1", "VpcEndpointType": "Interface", "State": "available", "PrivateDnsEnabled": true,
   "NetworkInterfaceIds": ["eni-1"], "DnsEntries": [{"DnsName": "stays.example.com"}]},
  {"VpcEndpointId": "vpce-2", "VpcEndpointType": "Interface", "State": "available", "PrivateDnsEnabled": true,
   "NetworkInterfaceIds": ["eni-2"], "DnsEntries": [{"DnsName": "goes.example.com"}]}],
 "NetworkInterfaces": [{"NetworkInterfaceId": "eni-1", "AvailabilityZone": "us-east-1a", "PrivateIpAddress": "10.0.0.1"}]}`, inv); err != nil {
		t.Fatal(err)
	}
	ix, _ := index.Build(inventory.NewCompact(inv), index.Options{TTL: 60})
	v := newBareVPCE(nextPlugin, ".")
	v.index.Store(ix)
	for name, want := range map[string]string{"stays.example.com.": "10.0.0.1", "goes.example.com.": "next"} {
		if got := answerFrom(t, v, name, dns.TypeA, "10.0.0.9", ""); got != want {
			t.Errorf("%s: %q, want %q", name, got, want)
		}
	}
}

// TestCacheFileFailures: a cache file that cannot be written (no directory, a full disk) is
// logged once; serving goes on, and the file is written once it can be.
func TestCacheFileFailures(t *testing.T) {
	inv := &inventory.Inventory{}
	if err := jsonInventory(`{"VpcEndpoints": [{"VpcEndpointId": "vpce-1", "VpcEndpointType": "Interface", "State": "available"}]}`, inv); err != nil {
		t.Fatal(err)
	}
	full := t.TempDir()
	// A tiny tmpfs stands for a full disk. Mounting one needs root, which make test does not:
	// without it the case skips, unless VPCE_REQUIRE_TOOLS asks for every test (CI, as root).
	out, mountErr := exec.Command("mount", "-t", "tmpfs", "-o", "size=4k", "tmpfs", full).CombinedOutput()
	if mountErr == nil {
		defer exec.Command("umount", full).Run()
		if err := os.WriteFile(filepath.Join(full, "filler"), make([]byte, 4096), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	for name, path := range map[string]string{
		"no directory": filepath.Join(t.TempDir(), "missing", "vpce.json"),
		"full disk":    filepath.Join(full, "vpce.json"),
	} {
		t.Run(name, func(t *testing.T) {
			if name == "full disk" && mountErr != nil {
				if v := os.Getenv("VPCE_REQUIRE_TOOLS"); v != "" && v != "0" {
					t.Fatalf("mounting a tiny tmpfs to stand for a full disk: %v %s", mountErr, out)
				}
				t.Skipf("mounting a tiny tmpfs to stand for a full disk needs root: %v %s", mountErr, out)
			}
			logs := testkit.CaptureLog(t)
			published := 0
			m := &merger{sources: []inventory.Source{&inventory.Files{}}, cache: inventory.NewCacheFile(path, inventory.DefaultLimits),
				build: index.Build, publish: func(*index.Index) { published++ }}
			if m.update(0, inventory.NewCompact(inv)) != nil || m.update(0, &inventory.Compact{}) != nil {
				t.Error("a cache failure failed an update")
			}
			if published != 2 {
				t.Errorf("%d views published, want 2: a cache failure must not stop serving", published)
			}
			if n := strings.Count(logs.String(), "Cache file not written"); n != 1 {
				t.Errorf("logged %d times, want once:\n%s", n, logs.String())
			}
		})
	}
}

func jsonInventory(s string, inv *inventory.Inventory) error {
	parsed, err := inventory.Parse("inline.json", []byte(s))
	if err == nil {
		*inv = *parsed
	}
	return err
}
