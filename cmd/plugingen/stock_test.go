package main

import (
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/coredns-vpce/coredns-vpce/internal/testkit"
)

// vpce is the one plugin plugin.cfg adds to the stock list, right before cache.
var vpce = plugin{"vpce", "github.com/coredns-vpce/coredns-vpce/plugin/vpce"}

// plugin.cfg is the stock plugin.cfg of the CoreDNS release go.mod requires, with vpce before
// cache and nothing else changed: a CoreDNS upgrade that adds, renames or moves a plugin fails
// here until plugin.cfg follows it.
func TestPluginListIsStockPlusVPCE(t *testing.T) {
	stockFile := filepath.Join(testkit.ModuleDir(t, "github.com/coredns/coredns"), "plugin.cfg")
	stock := parseFile(t, stockFile)
	ours := parseFile(t, "../../plugin.cfg")
	if err := checkStockPlusVPCE(ours, stock); err != "" {
		t.Errorf("plugin.cfg against %s: %s", stockFile, err)
	}
}

func parseFile(t *testing.T, path string) []plugin {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	plugins, err := parse(f, path)
	if err != nil {
		t.Fatal(err)
	}
	return plugins
}

// checkStockPlusVPCE says how ours differs from stock plus vpce before cache; "" if it does not.
func checkStockPlusVPCE(ours, stock []plugin) string {
	i := slices.Index(ours, vpce)
	switch {
	case i < 0:
		return "vpce (" + vpce.pkg + ") is missing"
	case i+1 >= len(ours) || ours[i+1].name != "cache":
		return "vpce is not right before cache"
	}
	rest := slices.Delete(slices.Clone(ours), i, i+1)
	for j := range max(len(rest), len(stock)) {
		switch {
		case j >= len(stock):
			return "plugin " + rest[j].name + " (" + rest[j].pkg + ") is not stock"
		case j >= len(rest):
			return "stock plugin " + stock[j].name + " (" + stock[j].pkg + ") is missing"
		case rest[j] != stock[j]:
			if slices.Contains(rest, stock[j]) {
				return "the order differs from stock at " + stock[j].name + ": " + rest[j].name + " comes first"
			}
			return "stock plugin " + stock[j].name + " (" + stock[j].pkg + ") is missing or changed"
		}
	}
	return ""
}

// The check catches each way plugin.cfg can drift from stock.
func TestCheckStockPlusVPCE(t *testing.T) {
	stock := []plugin{{"acl", "a/acl"}, {"cache", "a/cache"}, {"forward", "a/forward"}}
	for _, tc := range []struct {
		ours []plugin
		want string
	}{
		{[]plugin{stock[0], vpce, stock[1], stock[2]}, ""},
		{stock, "vpce (" + vpce.pkg + ") is missing"},
		{[]plugin{vpce, stock[0], stock[1], stock[2]}, "vpce is not right before cache"},
		{[]plugin{stock[0], vpce, stock[1]}, "stock plugin forward (a/forward) is missing"},
		{[]plugin{stock[0], vpce, stock[1], stock[2], {"x", "b/x"}}, "plugin x (b/x) is not stock"},
		{[]plugin{stock[0], vpce, stock[1], {"forward", "b/forward"}}, "stock plugin forward (a/forward) is missing or changed"},
		{[]plugin{vpce, stock[1], stock[0], stock[2]}, "the order differs from stock at acl: cache comes first"},
	} {
		if got := checkStockPlusVPCE(tc.ours, stock); got != tc.want {
			t.Errorf("checkStockPlusVPCE(%v) = %q, want %q", tc.ours, got, tc.want)
		}
	}
}
