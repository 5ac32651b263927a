package ec2fake

import "testing"

// SetClientEnv gives the AWS SDK's default configuration, for the rest of the test, static
// credentials and nothing real: no shared configuration files, no instance metadata. Clients
// then reach the fake through an endpoint override.
func SetClientEnv(t testing.TB, accessKey, secretKey, sessionToken string) {
	t.Setenv("AWS_ACCESS_KEY_ID", accessKey)
	t.Setenv("AWS_SECRET_ACCESS_KEY", secretKey)
	t.Setenv("AWS_SESSION_TOKEN", sessionToken)
	t.Setenv("AWS_CONFIG_FILE", "/dev/null")
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", "/dev/null")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
}
