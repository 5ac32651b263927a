package inventory

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/coredns-vpce/coredns-vpce/internal/synth"
)

// FuzzCompactFast checks that the fast path of ReadCompact and ParseCompact accepts only what
// the exact parser (Parse) accepts, and keeps of it what a Compact keeps of the exact parser's
// inventory.
func FuzzCompactFast(f *testing.F) {
	files, _ := filepath.Glob("../testdata/*.json")
	files = append(files, "../../../example/snapshot.json")
	for _, file := range files {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	acct := synth.Generate(30, synth.Options{AllFields: true})
	synthetic, err := json.Marshal(&Inventory{VpcEndpoints: acct.VpcEndpoints, NetworkInterfaces: acct.NetworkInterfaces})
	if err != nil {
		f.Fatal(err)
	}
	f.Add(synthetic)
	for _, s := range []string{
		``, `{}`, `[]`, `null`, ` {"VpcEndpoints": null}`, `{"VpcEndpoints": {}}`, `{"VpcEndpoints": [1]}`, `{} {}`, `{}x`,
		`{"vpcendpoints": [{"vpcendpointid": "vpce-1"}]}`, `{"VpcEndpoints": [{"VpcEndpointId": ""}]}`,
		`{"VpcEndpoints": [{"VpcEndpointId": "vpce-1", "CreationTimestamp": "yesterday"}]}`,
		`{"VpcEndpoints": [{"VpcEndpointId": "vpce-1", "PolicyDocument": 5}]}`,
		`{"NetworkInterfaces": [{"NetworkInterfaceId": "eni-1", "PrivateIpAddresses": [{"PrivateIpAddress": 1}]}]}`,
		`{"VpcEndpoints": [], "vpcendpoints": [{"VpcEndpointId": "vpce-2"}]}`, `{"VpcEndpoints": [null]}`, `{"VpcEndpoints" [] }`, `{"VpcEndpoints": [{"VpcEndpointId": "vpce-1"},]}`, `{"NextToken": {"a": [1, 2]}, "Subnets": null}`,
		// Where the scanner cuts values: brackets and quotes inside strings, nesting, separators.
		`{"VpcEndpoints": [{"VpcEndpointId": "vpce-\"]}1"}]}`, `{"X": [1, {"a": "]"}], "VpcEndpoints": []}`,
		`{"X": tru, "VpcEndpoints": []}`, `{"VpcEndpoints": nul}`, `{"VpcEndpoints": null }`, `{"VpcEndpoints": nullx}`,
		`{"VpcEndpoints": [{"VpcEndpointId": "vpce-1"}]`, `{"VpcEndpoints": [{"VpcEndpointId": "vpce-1"}] "x": 1}`,
		`{"Vpc\u0045ndpoints": [{"VpcEndpointId": "vpce-1"}]}`, `{,}`, `{"a":1,}`, `{"a" 1}`, `{"a":}`, `{"a":1 "b":2}`,
		"\t{\"VpcEndpoints\":[]}\r\n", `{"VpcEndpoints": [{"VpcEndpointId": "vpce-1"} {"VpcEndpointId": "vpce-2"}]}`,
		`{"VpcEndpoints": [{"VpcEndpointId": "vpce-1"}}]}`, `{"VpcEndpoints": [[]]}`, `{"VpcEndpoints": ["x"]}`, `{"X": 1e999}`,
		`{"ServiceDetails": [{"ServiceName": ""}]}`, `{"Subnets": [{"SubnetId": "subnet-1", "CidrBlock": "10.0.0.0/24"}]}`,
		"{\"VpcEndpoints\": [{\"VpcEndpointId\": \"\xff\"}]}", "\xef\xbb\xbf{}", `{"VpcEndpoints": [{"VpcEndpointId": "a", "VpcEndpointId": "b"}]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		fast, ok := compactFast(bytes.NewReader(data))
		exact, err := newSnapshotParser("f.json", data).parse()
		if !ok {
			return // the exact parser decides, as ParseCompact does
		}
		if err != nil {
			t.Fatalf("the fast path accepts what the exact parser refuses: %v", err)
		}
		compact := NewCompact(exact)
		if Fingerprint(fast) != Fingerprint(compact) {
			t.Fatalf("the fast path reads another inventory than the exact parser")
		}
		for i := range fast.Endpoints {
			if !slices.Equal(fast.Endpoints[i].Subnets, compact.Endpoints[i].Subnets) {
				t.Fatalf("endpoint %d: Subnets %v, the exact parser's %v", i, fast.Endpoints[i].Subnets, compact.Endpoints[i].Subnets)
			}
		}
	})
}

// TestCompactFastKeepsOrder: an inventory of many batches is kept in order, as the exact parser
// reads it, and one bad element in a late batch refuses the whole file with the exact parser's
// error.
func TestCompactFastKeepsOrder(t *testing.T) {
	acct := synth.Generate(3*batchSize+17, synth.Options{AllFields: true})
	inv := &Inventory{VpcEndpoints: acct.VpcEndpoints, NetworkInterfaces: acct.NetworkInterfaces}
	data, err := json.Marshal(inv)
	if err != nil {
		t.Fatal(err)
	}
	got, err := ParseCompact("many.json", data)
	if err != nil {
		t.Fatal(err)
	}
	exact, err := Parse("many.json", data)
	if err != nil {
		t.Fatal(err)
	}
	if Fingerprint(got) != Fingerprint(NewCompact(exact)) {
		t.Error("the fast path reads the batches otherwise than the exact parser")
	}
	late := len(inv.VpcEndpoints) - 5
	inv.VpcEndpoints[late].VpcEndpointId = nil // "VpcEndpointId missing"
	if data, err = json.Marshal(inv); err != nil {
		t.Fatal(err)
	}
	if _, ok := compactFast(bytes.NewReader(data)); ok {
		t.Fatal("the fast path accepts an endpoint without its id")
	}
	want := fmt.Sprintf("VpcEndpoints[%d]: VpcEndpointId missing", late)
	if _, err := ParseCompact("many.json", data); err == nil || !strings.Contains(err.Error(), want) {
		t.Errorf("error %v, want %q", err, want)
	}
}

// TestCompactFastAcrossReads: values cut across reads, however the stream comes (a byte at a
// time, or an element larger than the scanner's buffer), are read as the exact parser reads
// them.
func TestCompactFastAcrossReads(t *testing.T) {
	acct := synth.Generate(20, synth.Options{AllFields: true})
	policy := `{"Statement": [{"Effect": "Allow", "Resource": "` + strings.Repeat(`a\"]}`, 1<<18) + `"}]}`
	acct.VpcEndpoints[3].PolicyDocument = &policy // 1.25 MB, escaped quotes and brackets inside
	data, err := json.Marshal(&Inventory{VpcEndpoints: acct.VpcEndpoints, NetworkInterfaces: acct.NetworkInterfaces})
	if err != nil {
		t.Fatal(err)
	}
	exact, err := Parse("big.json", data)
	if err != nil {
		t.Fatal(err)
	}
	want := Fingerprint(NewCompact(exact))
	for name, r := range map[string]io.Reader{
		"whole":       bytes.NewReader(data),
		"byte a time": iotest.OneByteReader(bytes.NewReader(data)),
		"halves":      iotest.HalfReader(bytes.NewReader(data)),
	} {
		got, ok := compactFast(r)
		if !ok || Fingerprint(got) != want {
			t.Errorf("%s: read %v, same as the exact parser: %v", name, ok, ok && Fingerprint(got) == want)
		}
	}
	if _, ok := compactFast(iotest.TimeoutReader(bytes.NewReader(data))); ok {
		t.Error("a stream that fails is read as whole")
	}
}
