package ec2fake

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/xml"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws/arn"
)

// role is an IAM role that AssumeRole may be called for.
type role struct {
	arn        arn.ARN
	name       string // the last element of the ARN's resource
	id         string // AROA..., as in AssumedRoleId
	externalID string // required in AssumeRole when not empty
}

// session is the credentials that one AssumeRole call issued.
type session struct {
	acct      *account
	principal string // arn:aws:sts::<account>:assumed-role/<role>/<session>
	token     string
	expires   time.Time
}

// AddRole lets AssumeRole issue credentials for the role with the given ARN,
// arn:aws:iam::<account>:role/<name>, to any caller; when externalID is not
// empty, only to callers that send it as ExternalId. EC2 requests signed with
// those credentials go to Account(<account>). Adding a role again replaces
// it. AddRole panics on an ARN that is not an IAM role's, a bug in the
// calling test.
func (s *Server) AddRole(roleARN, externalID string) {
	if err := s.addRole(roleARN, externalID); err != nil {
		panic("ec2fake: AddRole: " + err.Error())
	}
}

func (s *Server) addRole(roleARN, externalID string) error {
	a, err := arn.Parse(roleARN)
	name, isRole := strings.CutPrefix(a.Resource, "role/")
	switch {
	case err != nil:
		return err
	case a.Service != "iam" || !isRole || name == "":
		return fmt.Errorf("%s is not an IAM role ARN", roleARN)
	case !accountIDPattern.MatchString(a.AccountID):
		return fmt.Errorf("%s: account ID %q is not 12 digits", roleARN, a.AccountID)
	}
	name = name[strings.LastIndex(name, "/")+1:] // roles with a path
	s.iamMu.Lock()
	defer s.iamMu.Unlock()
	s.roles[roleARN] = role{arn: a, name: name, id: "AROA" + randomKey(17), externalID: externalID}
	s.accountLocked(a.AccountID)
	return nil
}

// SetCredentialLifetime makes AssumeRole issue credentials that expire d after
// they are issued, whatever DurationSeconds the caller asked for; 0 restores
// the requested duration. EC2 and STS requests signed with credentials more
// than a second past their expiry fail with ExpiredCredentials' error, so a
// test can check that a client refreshes them. Expiry times are whole seconds,
// as STS sends them, so d should be a few seconds at least.
func (s *Server) SetCredentialLifetime(d time.Duration) {
	s.iamMu.Lock()
	defer s.iamMu.Unlock()
	s.lifetime = d
}

// accountLocked is Account for a non-empty id; the caller holds iamMu.
func (s *Server) accountLocked(id string) *Account {
	a, ok := s.accounts[id]
	if !ok {
		a = &Account{newAccount(id)}
		s.accounts[id] = a
	}
	return a
}

// expiryGrace is how long after its expiry issued credentials still work, so
// that a request signed just before the expiry does not fail on arrival.
const expiryGrace = time.Second

// authProblem is what is wrong with a request's credentials.
type authProblem int

const (
	authOK authProblem = iota
	authUnsigned
	authBadToken
	authExpired
)

// sigV4Prefix is how every SigV4-signed request's Authorization header
// starts; the signature itself is not verified.
const sigV4Prefix = "AWS4-HMAC-SHA256 Credential="

// authenticate finds the account and principal of the access key that signed
// r: the role's for keys that AssumeRole issued, the default account's for
// any other.
func (s *Server) authenticate(r *http.Request) (*account, string, authProblem) {
	cred, signed := strings.CutPrefix(r.Header.Get("Authorization"), sigV4Prefix)
	if !signed {
		return s.account, "", authUnsigned
	}
	akid, _, _ := strings.Cut(cred, "/")
	s.iamMu.Lock()
	sess, issued := s.sessions[akid]
	s.iamMu.Unlock()
	switch {
	case !issued:
		return s.account, "arn:aws:iam::000000000000:user/" + akid, authOK
	case r.Header.Get("X-Amz-Security-Token") != sess.token:
		return sess.acct, sess.principal, authBadToken
	case time.Now().After(sess.expires.Add(expiryGrace)):
		return sess.acct, sess.principal, authExpired
	}
	return sess.acct, sess.principal, authOK
}

// authError is the error answering a request with the credentials problem p,
// or nil.
func (svc *service) authError(p authProblem) *apiError {
	switch p {
	case authUnsigned:
		return svc.unsigned
	case authBadToken:
		return svc.badToken
	case authExpired:
		return svc.faults[ExpiredCredentials]
	}
	return nil
}

var stsService = &service{
	actions: map[string]func(*Server, *call) (any, error){
		"AssumeRole": (*Server).assumeRole,
	},
	unsigned: &apiError{http.StatusForbidden, "MissingAuthenticationToken", "Request is missing Authentication Token"},
	badToken: &apiError{http.StatusForbidden, "InvalidClientTokenId", "The security token included in the request is invalid."},
	faults: map[FaultKind]*apiError{
		Throttle:           {http.StatusBadRequest, "Throttling", "Rate exceeded"},
		InternalError:      errSTSInternal,
		Unauthorized:       {http.StatusForbidden, "AccessDenied", "You are not authorized to perform this operation."},
		ExpiredCredentials: {http.StatusBadRequest, "ExpiredToken", "The security token included in the request is expired"},
	},
	internal:     errSTSInternal,
	marshalError: marshalSTSError,
}

var errSTSInternal = &apiError{http.StatusInternalServerError, "InternalFailure",
	"The request processing has failed because of an unknown error, exception or failure."}

// STS's limits on AssumeRole parameters.
const (
	minDuration     = 900
	maxDuration     = 43200
	defaultDuration = 3600 // also a role's default MaxSessionDuration
)

var (
	accountIDPattern   = regexp.MustCompile(`^[0-9]{12}$`)
	sessionNamePattern = regexp.MustCompile(`^[\w+=,.@-]{2,64}$`)
	externalIDPattern  = regexp.MustCompile(`^[\w+=,.@:/-]*$`)
)

func (s *Server) assumeRole(c *call) (any, error) {
	roleARN, sessionName := c.params.Get("RoleArn"), c.params.Get("RoleSessionName")
	externalID := c.params.Get("ExternalId")
	switch {
	case !c.params.Has("RoleArn"):
		return nil, errValidation("1 validation error detected: Value null at 'roleArn' failed to satisfy constraint: Member must not be null")
	case !c.params.Has("RoleSessionName"):
		return nil, errValidation("1 validation error detected: Value null at 'roleSessionName' failed to satisfy constraint: Member must not be null")
	case len(roleARN) < 20:
		return nil, errValidation("1 validation error detected: Value '%s' at 'roleArn' failed to satisfy constraint: Member must have length greater than or equal to 20", roleARN)
	case !sessionNamePattern.MatchString(sessionName):
		return nil, errValidation("1 validation error detected: Value '%s' at 'roleSessionName' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@-]* and have length between 2 and 64", sessionName)
	case c.params.Has("ExternalId") && (len(externalID) < 2 || len(externalID) > 1224 || !externalIDPattern.MatchString(externalID)):
		return nil, errValidation("1 validation error detected: Value '%s' at 'externalId' failed to satisfy constraint: Member must satisfy regular expression pattern: [\\w+=,.@:\\/-]* and have length between 2 and 1224", externalID)
	}
	if _, err := arn.Parse(roleARN); err != nil {
		return nil, errValidation("%s is invalid", roleARN)
	}
	duration := defaultDuration
	if raw := c.params.Get("DurationSeconds"); raw != "" {
		var err error
		duration, err = strconv.Atoi(raw)
		switch {
		case err != nil:
			return nil, errValidation("1 validation error detected: Value '%s' at 'durationSeconds' failed to satisfy constraint: Member must be a number", raw)
		case duration < minDuration:
			return nil, errValidation("1 validation error detected: Value '%d' at 'durationSeconds' failed to satisfy constraint: Member must have value greater than or equal to %d", duration, minDuration)
		case duration > maxDuration:
			return nil, errValidation("1 validation error detected: Value '%d' at 'durationSeconds' failed to satisfy constraint: Member must have value less than or equal to %d", duration, maxDuration)
		}
	}

	s.iamMu.Lock()
	defer s.iamMu.Unlock()
	r, ok := s.roles[roleARN]
	if !ok || (r.externalID != "" && externalID != r.externalID) {
		return nil, &apiError{http.StatusForbidden, "AccessDenied", fmt.Sprintf(
			"User: %s is not authorized to perform: sts:AssumeRole on resource: %s", c.principal, roleARN)}
	}
	if duration > defaultDuration {
		return nil, errValidation("The requested DurationSeconds exceeds the MaxSessionDuration set for this role.")
	}
	lifetime := time.Duration(duration) * time.Second
	if s.lifetime > 0 {
		lifetime = s.lifetime
	}
	akid := "ASIA" + r.arn.AccountID + randomKey(4)
	for _, taken := s.sessions[akid]; taken; _, taken = s.sessions[akid] {
		akid = "ASIA" + r.arn.AccountID + randomKey(4)
	}
	sess := session{
		acct: s.accountLocked(r.arn.AccountID).account,
		principal: fmt.Sprintf("arn:%s:sts::%s:assumed-role/%s/%s",
			r.arn.Partition, r.arn.AccountID, r.name, sessionName),
		token:   base64.StdEncoding.EncodeToString([]byte(rand.Text() + rand.Text() + rand.Text() + rand.Text())),
		expires: time.Now().Add(lifetime).UTC().Truncate(time.Second),
	}
	s.sessions[akid] = sess
	return &assumeRoleResponse{
		Result: assumeRoleResult{
			AssumedRoleUser: assumedRoleUserXML{Arn: sess.principal, AssumedRoleID: r.id + ":" + sessionName},
			Credentials: credentialsXML{
				AccessKeyID:     akid,
				SecretAccessKey: randomKey(40),
				SessionToken:    sess.token,
				Expiration:      sess.expires.Format(time.RFC3339),
			},
		},
		RequestID: newRequestID(),
	}, nil
}

// randomKey returns n random characters of the base32 alphabet (A-Z, 2-7),
// which access key IDs use.
func randomKey(n int) string {
	var b strings.Builder
	for b.Len() < n {
		b.WriteString(rand.Text())
	}
	return b.String()[:n]
}

func errValidation(format string, args ...any) *apiError {
	return &apiError{http.StatusBadRequest, "ValidationError", fmt.Sprintf(format, args...)}
}

// The STS documents below follow the AssumeRole response and error samples of
// the STS API reference.

type assumeRoleResponse struct {
	XMLName   xml.Name         `xml:"https://sts.amazonaws.com/doc/2011-06-15/ AssumeRoleResponse"`
	Result    assumeRoleResult `xml:"AssumeRoleResult"`
	RequestID string           `xml:"ResponseMetadata>RequestId"`
}

type assumeRoleResult struct {
	AssumedRoleUser assumedRoleUserXML `xml:"AssumedRoleUser"`
	Credentials     credentialsXML     `xml:"Credentials"`
}

type assumedRoleUserXML struct {
	Arn           string `xml:"Arn"`
	AssumedRoleID string `xml:"AssumedRoleId"`
}

type credentialsXML struct {
	AccessKeyID     string `xml:"AccessKeyId"`
	SecretAccessKey string `xml:"SecretAccessKey"`
	SessionToken    string `xml:"SessionToken"`
	Expiration      string `xml:"Expiration"`
}

type stsErrorResponse struct {
	XMLName   xml.Name    `xml:"https://sts.amazonaws.com/doc/2011-06-15/ ErrorResponse"`
	Error     stsErrorXML `xml:"Error"`
	RequestID string      `xml:"RequestId"`
}

type stsErrorXML struct {
	Type    string `xml:"Type"` // Sender or Receiver: whose fault the error is
	Code    string `xml:"Code"`
	Message string `xml:"Message"`
}

// marshalSTSError renders an STS error document.
func marshalSTSError(e *apiError) []byte {
	typ := "Sender"
	if e.status >= http.StatusInternalServerError {
		typ = "Receiver"
	}
	b, _ := xml.Marshal(stsErrorResponse{
		Error:     stsErrorXML{Type: typ, Code: e.code, Message: e.message},
		RequestID: newRequestID(),
	})
	return append([]byte(xml.Header), b...)
}
