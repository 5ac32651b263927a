package main

import (
	"bytes"
	"os"
	"strings"
	"testing"
)

// The committed zplugins.go must be exactly what plugin.cfg generates: nobody edits it by hand.
func TestGeneratedFileIsCurrent(t *testing.T) {
	cfg, err := os.Open("../../plugin.cfg")
	if err != nil {
		t.Fatal(err)
	}
	defer cfg.Close()
	want, err := generate(cfg, "plugin.cfg")
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile("../coredns/plugins/zplugins.go")
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, want) {
		t.Fatal("cmd/coredns/plugins/zplugins.go is stale: run `make generate`")
	}
}

func TestParse(t *testing.T) {
	tests := []struct {
		in      string
		want    []plugin
		wantErr string
	}{
		{in: "# c\n\nhosts:hosts\nx:example.com/x\n", want: []plugin{{"hosts", corePluginPrefix + "hosts"}, {"x", "example.com/x"}}},
		{in: "hosts\n", wantErr: "plugin.cfg:1: want name:package"},
		{in: "a:a\n\na:b\n", wantErr: `plugin.cfg:3: plugin "a" listed twice`},
		{in: "a: b\n", wantErr: "plugin.cfg:1: want name:package"},
		{in: "# only comments\n", wantErr: "no plugins listed"},
	}
	for _, tc := range tests {
		got, err := parse(strings.NewReader(tc.in), "plugin.cfg")
		if tc.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Errorf("parse(%q) error = %v, want %q", tc.in, err, tc.wantErr)
			}
			continue
		}
		if err != nil {
			t.Errorf("parse(%q): %v", tc.in, err)
			continue
		}
		if len(got) != len(tc.want) {
			t.Fatalf("parse(%q) = %v, want %v", tc.in, got, tc.want)
		}
		for i := range got {
			if got[i] != tc.want[i] {
				t.Errorf("parse(%q)[%d] = %v, want %v", tc.in, i, got[i], tc.want[i])
			}
		}
	}
}
