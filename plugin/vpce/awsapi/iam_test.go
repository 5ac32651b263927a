package awsapi

import (
	"encoding/json"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"
)

// TestIAMPolicyIsExact: the README's IAM policy lists exactly the EC2 actions the plugin can
// call (the methods of API), so that it is least privilege and complete.
func TestIAMPolicyIsExact(t *testing.T) {
	readme, err := os.ReadFile("../../../README.md")
	if err != nil {
		t.Fatal(err)
	}
	block := regexp.MustCompile("(?s)### IAM policy.*?~~~ json\n(.*?)~~~").FindSubmatch(readme)
	if block == nil {
		t.Fatal("README.md has no IAM policy block under ### IAM policy")
	}
	var policy struct {
		Statement []struct {
			Effect   string
			Action   []string
			Resource string
		}
	}
	if err := json.Unmarshal(block[1], &policy); err != nil {
		t.Fatalf("the IAM policy is not valid JSON: %v", err)
	}
	var listed []string
	for _, st := range policy.Statement {
		if st.Effect != "Allow" || st.Resource != "*" {
			t.Errorf("statement %+v: want Allow on *", st)
		}
		listed = append(listed, st.Action...)
	}
	var called []string
	api := reflect.TypeFor[API]()
	for i := range api.NumMethod() {
		called = append(called, "ec2:"+api.Method(i).Name)
	}
	slices.Sort(listed)
	slices.Sort(called)
	if !slices.Equal(listed, called) {
		t.Errorf("the policy allows %v; the plugin calls %v", listed, called)
	}
	if !strings.Contains(string(readme), "`sts:AssumeRole`") {
		t.Error("the README does not say that assume_role needs sts:AssumeRole")
	}
}
