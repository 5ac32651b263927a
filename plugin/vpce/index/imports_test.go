package index

import (
	"go/build"
	"strings"
	"testing"
)

// TestNoAWSImports: the core and the index know an inventory by inventory.Compact's own types,
// never the SDK's (ARCHITECTURE.md: no AWS in the core); only the sources and the snapshot
// format speak the EC2 API's shapes. Tests may build inventories from the SDK's types.
func TestNoAWSImports(t *testing.T) {
	for _, dir := range []string{"..", ".", "../rpz"} { // plugin/vpce, plugin/vpce/index, plugin/vpce/rpz
		pkg, err := build.ImportDir(dir, 0)
		if err != nil {
			t.Fatal(err)
		}
		for _, path := range pkg.Imports { // not the tests'
			if strings.HasPrefix(path, "github.com/aws/") {
				t.Errorf("package %s (%s) imports %s", pkg.Name, dir, path)
			}
		}
	}
}
