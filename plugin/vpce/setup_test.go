package vpce

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/coredns/caddy"
	"github.com/coredns/coredns/core/dnsserver"
)

func TestSetup(t *testing.T) {
	bad := filepath.Join(t.TempDir(), "bad.json")
	if err := os.WriteFile(bad, []byte("{\n \"VpcEndpoints\": [\n  {\"VpcEndpointId\": \"vpce-1\", \"State\": \"gone\"}]}"), 0o644); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		input   string
		wantErr string
	}{
		{"vpce {\n snapshot testdata/answers.json\n}", ""},
		{"vpce example.com. amazonaws.com {\n snapshot testdata/answers.json ../../example/snapshot.json\n ttl 0\n authoritative\n}", ""},
		{"vpce {\n snapshot testdata/answers.json\n ttl 86400\n}", ""},
		{"vpce", "no source: set snapshot FILE..."},
		{"vpce {\n snapshot\n}", "Testfile:2 - Error during parsing: snapshot needs at least one file"},
		{"vpce {\n snapshot testdata/answers.json\n ttl\n}", "ttl needs one value in seconds"},
		{"vpce {\n snapshot testdata/answers.json\n ttl 1 2\n}", "ttl needs one value in seconds"},
		{"vpce {\n snapshot testdata/answers.json\n ttl -1\n}", `ttl "-1": want whole seconds from 0 to 86400`},
		{"vpce {\n snapshot testdata/answers.json\n ttl 86401\n}", `ttl "86401": want whole seconds from 0 to 86400`},
		{"vpce {\n snapshot testdata/answers.json\n ttl 1m\n}", `ttl "1m": want whole seconds`},
		{"vpce {\n snapshot testdata/answers.json\n authoritative yes\n}", "authoritative takes no value"},
		{"vpce {\n snapshot testdata/answers.json\n bogus 1\n}", `Testfile:3 - Error during parsing: unknown property "bogus"`},
		{"vpce {\n snapshot testdata/missing.json\n}", "testdata/missing.json: no such file or directory"},
		{"vpce {\n snapshot " + bad + "\n}", bad + `:3:3: VpcEndpoints[0]: vpce-1: unknown State "gone"`},
		{"vpce {\n snapshot testdata/answers.json\n}\nvpce {\n snapshot testdata/answers.json\n}", "plugin/vpce: this plugin can only be used once per Server Block"},
	}
	for _, tc := range cases {
		c := caddy.NewTestController("dns", tc.input)
		err := setup(c)
		if tc.wantErr == "" {
			if err != nil {
				t.Errorf("%q: unexpected error %v", tc.input, err)
			}
			continue
		}
		if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
			t.Errorf("%q: error = %v, want it to contain %q", tc.input, err, tc.wantErr)
		}
	}
}

func TestSetupOptions(t *testing.T) {
	c := caddy.NewTestController("dns", "vpce Example.COM amazonaws.com. {\n snapshot a.json b.json\n ttl 30\n authoritative\n}")
	dnsserver.GetConfig(c).Root = "/srv"
	cfg, err := parse(c)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(cfg.zones, " "); got != "example.com. amazonaws.com." {
		t.Errorf("zones = %q", got)
	}
	if got := strings.Join(cfg.snapshots, " "); got != "/srv/a.json /srv/b.json" {
		t.Errorf("snapshots = %q, want them under root", got)
	}
	if cfg.build.ttl != 30 || !cfg.build.authoritative {
		t.Errorf("build options = %+v", cfg.build)
	}

	c = caddy.NewTestController("dns", "vpce {\n snapshot a.json\n}")
	c.ServerBlockKeys = []string{"amazonaws.com:53"}
	if cfg, err = parse(c); err != nil {
		t.Fatal(err)
	}
	if got := strings.Join(cfg.zones, " "); got != "amazonaws.com." {
		t.Errorf("zones from the server block = %q", got)
	}
	if cfg.build.ttl != defaultTTL || cfg.build.authoritative {
		t.Errorf("defaults = %+v", cfg.build)
	}
}
