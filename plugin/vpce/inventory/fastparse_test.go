package inventory

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/coredns-vpce/coredns-vpce/internal/synth"
)

// FuzzParseFast checks that the fast path of Parse accepts only what the exact parser accepts,
// and reads from it what a Compact keeps of the exact parser's inventory.
func FuzzParseFast(f *testing.F) {
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
		`{"ServiceDetails": [{"ServiceName": ""}]}`, `{"Subnets": [{"SubnetId": "subnet-1", "CidrBlock": "10.0.0.0/24"}]}`,
		"{\"VpcEndpoints\": [{\"VpcEndpointId\": \"\xff\"}]}", "\xef\xbb\xbf{}", `{"VpcEndpoints": [{"VpcEndpointId": "a", "VpcEndpointId": "b"}]}`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		fast, ok := parseFast(bytes.NewReader(data))
		exact, err := newSnapshotParser("f.json", data).parse()
		if !ok {
			return // the exact parser decides, as Parse does
		}
		if err != nil {
			t.Fatalf("the fast path accepts what the exact parser refuses: %v", err)
		}
		if Fingerprint(fast) != Fingerprint(exact) {
			t.Fatalf("the fast path reads another inventory than the exact parser")
		}
		for i := range fast.VpcEndpoints {
			if !slices.Equal(fast.VpcEndpoints[i].SubnetIds, exact.VpcEndpoints[i].SubnetIds) {
				t.Fatalf("endpoint %d: SubnetIds %v, the exact parser's %v", i, fast.VpcEndpoints[i].SubnetIds, exact.VpcEndpoints[i].SubnetIds)
			}
		}
	})
}
