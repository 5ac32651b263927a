package ec2fake

// ClientEnv is the environment, as NAME=value pairs, that gives the AWS SDK's default
// configuration static credentials and nothing real: no shared configuration files, no
// instance metadata. Clients then reach the fake through an endpoint override. Tests set it
// for their own process (internal/testkit's SetClientEnv) or give it to a program they start.
func ClientEnv(accessKey, secretKey, sessionToken string) []string {
	return []string{
		"AWS_ACCESS_KEY_ID=" + accessKey,
		"AWS_SECRET_ACCESS_KEY=" + secretKey,
		"AWS_SESSION_TOKEN=" + sessionToken,
		"AWS_CONFIG_FILE=/dev/null",
		"AWS_SHARED_CREDENTIALS_FILE=/dev/null",
		"AWS_EC2_METADATA_DISABLED=true",
	}
}
