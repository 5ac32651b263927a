package test

// The go directive of go.mod is the minimum Go release of every build that imports this
// module (the operator's own CoreDNS build among them): it must be the lowest that the
// dependencies allow, not the patch release this repository happens to be built with.

import (
	"encoding/json"
	"errors"
	"go/version"
	"io"
	"os/exec"
	"strings"
	"testing"
)

func TestGoDirectiveIsTheDependenciesMinimum(t *testing.T) {
	out, err := exec.Command("go", "list", "-m", "-json", "all").Output()
	if err != nil {
		t.Fatalf("go list -m -json all: %v", err)
	}
	var main, need, needBy string
	dec := json.NewDecoder(strings.NewReader(string(out)))
	for {
		var m struct {
			Path      string
			Main      bool
			GoVersion string
		}
		if err := dec.Decode(&m); errors.Is(err, io.EOF) {
			break
		} else if err != nil {
			t.Fatal(err)
		}
		if m.Main {
			main = m.GoVersion
		} else if m.GoVersion != "" && version.Compare("go"+m.GoVersion, "go"+need) > 0 {
			need, needBy = m.GoVersion, m.Path
		}
	}
	if main == "" || need == "" {
		t.Fatalf("go list -m -json all: no go directive for this module (%q) or its dependencies (%q)", main, need)
	}
	if main != need {
		t.Errorf("go.mod says go %s; the dependencies need go %s (%s): set `go mod edit -go=%s`", main, need, needBy, need)
	}
}
