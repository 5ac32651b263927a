package remote_test

import (
	"context"
	"encoding/json"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/coredns-vpce/coredns-vpce/internal/testkit"
	"github.com/coredns-vpce/coredns-vpce/plugin/vpce/awscfg"
	"github.com/coredns-vpce/coredns-vpce/plugin/vpce/inventory"
	"github.com/coredns-vpce/coredns-vpce/plugin/vpce/remote"
)

// s3Actions are the IAM actions that allow S3's REST calls on an object.
var s3Actions = map[string]string{"GET": "s3:GetObject", "HEAD": "s3:GetObject", "PUT": "s3:PutObject"}

// TestS3PoliciesAreExact: the README's fleet policies allow exactly the S3 actions, on the one
// object, that a resolver's source and the exporter's write make, as the fake saw them.
func TestS3PoliciesAreExact(t *testing.T) {
	readme, err := os.ReadFile("../../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	blocks := regexp.MustCompile("(?s)### Deployment shape and IAM policies.*?~~~ json\n(.*?)~~~.*?~~~ json\n(.*?)~~~").FindSubmatch(readme)
	if blocks == nil {
		t.Fatal("README.md has no resolver and exporter policies under ### Deployment shape and IAM policies")
	}
	fake := testkit.StartS3(t)
	fake.Put(t, key, testkit.SnapshotJSON("vpce-1"))

	// A resolver: the first read, a check that finds it unchanged, and one that finds a change.
	src := s3Source(t, fake, inventory.DefaultLimits)
	if err := src.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	to := testkit.NewCountingSink()
	testkit.RunSource(t, src, to)
	to.WaitConfirms(t, 1)
	fake.Put(t, key, testkit.SnapshotJSON("vpce-2"))
	testkit.Receive(t, to.Inventories)
	readerCalls := fake.Calls()

	// The exporter: a write, and one that finds the content unchanged.
	client, err := remote.NewS3Client(context.Background(), awscfg.Account{Region: "us-east-1", Endpoint: fake.URL})
	if err != nil {
		t.Fatal(err)
	}
	for range 2 {
		if _, err := remote.PutIfChanged(context.Background(), client, testkit.S3Bucket, key, testkit.SnapshotJSON("vpce-3")); err != nil {
			t.Fatal(err)
		}
	}
	exporterCalls := fake.Calls()[len(readerCalls):]

	for i, who := range []string{"resolver", "exporter"} {
		calls := [][]string{readerCalls, exporterCalls}[i]
		var policy struct {
			Statement []struct {
				Effect   string
				Action   []string
				Resource string
			}
		}
		if err := json.Unmarshal(blocks[i+1], &policy); err != nil {
			t.Fatalf("the %s policy is not valid JSON: %v", who, err)
		}
		var allowed []string
		for _, st := range policy.Statement {
			bucket, object, _ := strings.Cut(strings.TrimPrefix(st.Resource, "arn:aws:s3:::"), "/")
			if st.Effect != "Allow" || bucket == "" || object == "" || strings.Contains(st.Resource, "*") {
				t.Errorf("%s statement %+v: want Allow on one object", who, st)
			}
			allowed = append(allowed, st.Action...)
		}
		var made []string
		for _, call := range calls {
			method, path, _ := strings.Cut(call, " ")
			if path != "/"+testkit.S3Bucket+"/"+key || s3Actions[method] == "" {
				t.Errorf("%s called %s: not a call on the object", who, call)
			}
			made = append(made, s3Actions[method])
		}
		slices.Sort(allowed)
		slices.Sort(made)
		if made = slices.Compact(made); !slices.Equal(allowed, made) {
			t.Errorf("the %s policy allows %v; it calls %v", who, allowed, made)
		}
	}
}
