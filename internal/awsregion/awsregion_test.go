package awsregion_test

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/coredns-vpce/coredns-vpce/internal/awsregion"
	"github.com/coredns-vpce/coredns-vpce/internal/testkit"
)

// TestNamesAreTheSDKs: Names are the regions of the AWS SDK's endpoint rules, every partition's
// (their global pseudo-regions aside), no more and no fewer.
func TestNamesAreTheSDKs(t *testing.T) {
	file := filepath.Join(testkit.ModuleDir(t, "github.com/aws/aws-sdk-go-v2"), "internal", "endpoints", "awsrulesfn", "partitions.json")
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var rules struct {
		Partitions []struct{ Regions map[string]any }
	}
	if err := json.Unmarshal(data, &rules); err != nil {
		t.Fatal(err)
	}
	var sdk []string
	for _, p := range rules.Partitions {
		for r := range p.Regions {
			if !strings.HasSuffix(r, "-global") {
				sdk = append(sdk, r)
			}
		}
	}
	slices.Sort(sdk)
	if len(sdk) == 0 {
		t.Fatalf("no regions in %s", file)
	}
	if names := slices.Sorted(slices.Values(awsregion.Names)); !slices.Equal(names, sdk) {
		t.Errorf("Names are %q;\nthe SDK's regions are %q", names, sdk)
	}
}

func TestIndex(t *testing.T) {
	for i, n := range awsregion.Names {
		if got, ok := awsregion.Index([]byte(n)); !ok || got != i {
			t.Errorf("Index(%s) = %d, %v; want %d", n, got, ok, i)
		}
	}
	for _, n := range []string{"", "moon-base-1", "US-EAST-1", "us-east-1.", "aws-global"} {
		if i, ok := awsregion.Index([]byte(n)); ok {
			t.Errorf("Index(%q) = %d: not a region", n, i)
		}
	}
	name := []byte("eu-west-1")
	if n := testing.AllocsPerRun(100, func() { awsregion.Index(name) }); n != 0 {
		t.Errorf("Index allocates %v times", n)
	}
}
