package awscfg

import "testing"

func TestString(t *testing.T) {
	for _, tc := range []struct {
		a    Account
		want string
	}{
		{Account{}, ""},
		{Account{Region: "us-east-1"}, "us-east-1"},
		{Account{Region: "us-east-1", RoleARN: "arn:aws:iam::1:role/r", ExternalID: "secret", Profile: "p", Endpoint: "http://127.0.0.1:1"},
			"us-east-1 as arn:aws:iam::1:role/r profile p at http://127.0.0.1:1"},
		{Account{CredFile: "/secret/credentials"}, ""}, // never a credential
	} {
		if got := tc.a.String(); got != tc.want {
			t.Errorf("%+v: %q, want %q", tc.a, got, tc.want)
		}
	}
}
