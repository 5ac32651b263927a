// Package ec2fake is a fake Amazon EC2 API server that speaks the EC2 query
// protocol, so tests can drive the real aws-sdk-go-v2 EC2 client against it.
//
// It serves DescribeVpcEndpoints, DescribeNetworkInterfaces,
// DescribeVpcEndpointServices, DescribeSubnets and DescribeVpcEndpointAssociations
// from state held as SDK types,
// with AWS-style filters, paging and error bodies, plus injectable faults and
// a request log. A small JSON admin API lives under /_fake/ on the same
// listener (see AdminHandler).
//
// The same listener also answers STS AssumeRole for roles that tests register
// (AddRole), so one fake can stand for several accounts: EC2 requests signed
// with credentials it issued for a role go to that role's Account, all others
// to the default account, the Server's own state.
package ec2fake

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// Request is one EC2 or STS API request as the server saw it.
type Request struct {
	Action string
	// Account is the ID of the account that served the request, "" for the
	// default account.
	Account string
	// Params is the form-encoded request body. Headers, and with them the
	// request signature and any session token, are never recorded.
	Params url.Values
	// Page is the 1-based page number of the listing the request asked for,
	// or 0 when its NextToken could not be decoded.
	Page int
	// Status is the HTTP status answered, or 0 if the client went away before
	// an answer (a Slow fault cancelled by the client).
	Status int
}

// Server is a fake EC2 (and STS) endpoint. Its state, faults and request log,
// promoted from its default account, are safe for concurrent use while it
// serves, as are its other accounts and roles.
type Server struct {
	// account is the default account: the state, faults and request log of
	// requests signed with any access key that AssumeRole did not issue.
	*account

	// nonce ties paging tokens to this server, so tokens from another server
	// are rejected as stale.
	nonce string
	// done is closed by Close to release handlers blocked in a Slow fault.
	done chan struct{}

	onRequest func(Request)

	iamMu    sync.Mutex
	accounts map[string]*Account
	roles    map[string]role    // keyed by role ARN
	sessions map[string]session // keyed by access key ID
	lifetime time.Duration      // of issued credentials; 0: as requested

	admin http.Handler
	srv   *http.Server
	url   string
}

// New returns a server with empty state that is not yet listening.
func New() *Server {
	s := &Server{
		account:  newAccount(""),
		nonce:    rand.Text()[:8],
		done:     make(chan struct{}),
		accounts: map[string]*Account{},
		roles:    map[string]role{},
		sessions: map[string]session{},
	}
	s.admin = s.newAdminHandler()
	return s
}

// Start listens on a free port of 127.0.0.1.
func (s *Server) Start() error { return s.StartAt("127.0.0.1:0") }

// StartAt listens on addr and serves in the background until Close.
func (s *Server) StartAt(addr string) error {
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return err
	}
	s.url = "http://" + ln.Addr().String()
	srv := &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	s.srv = srv // Close may clear s.srv before the goroutine runs
	go func() { _ = srv.Serve(ln) }()
	return nil
}

// URL is the base endpoint to give the SDK (ec2.Options.BaseEndpoint).
func (s *Server) URL() string { return s.url }

// Close stops the server, releasing requests held by Slow faults first so it
// does not wait for their delays.
func (s *Server) Close() {
	if s.srv == nil {
		return
	}
	close(s.done)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if s.srv.Shutdown(ctx) != nil {
		_ = s.srv.Close()
	}
	s.srv = nil
}

// OnRequest sets a function called after each EC2 or STS API request is
// answered, in any account, e.g. to log it. Set it before Start.
func (s *Server) OnRequest(fn func(Request)) { s.onRequest = fn }

// ServeHTTP routes /_fake/ to the admin API and everything else to the EC2
// and STS APIs.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, adminPrefix) {
		s.admin.ServeHTTP(w, r)
		return
	}
	s.serveAPI(w, r)
}

// actions maps an EC2 action name to its handler.
var actions = map[string]func(*Server, *call) (any, error){
	"DescribeVpcEndpoints":            (*Server).describeVpcEndpoints,
	"DescribeNetworkInterfaces":       (*Server).describeNetworkInterfaces,
	"DescribeVpcEndpointServices":     (*Server).describeVpcEndpointServices,
	"DescribeSubnets":                 (*Server).describeSubnets,
	"DescribeVpcEndpointAssociations": (*Server).describeVpcEndpointAssociations,
}

// service is what differs between the APIs the listener serves: their
// actions and how they fail.
type service struct {
	actions map[string]func(*Server, *call) (any, error)
	// wildcard says whether faults without an Action apply to its requests.
	wildcard bool
	// unsigned answers requests without a SigV4 Authorization header, and
	// badToken those whose session token is not the one issued with their
	// access key.
	unsigned, badToken *apiError
	// faults answers the fault kinds that fail with an error, and
	// faults[ExpiredCredentials] requests signed with expired credentials.
	faults       map[FaultKind]*apiError
	internal     *apiError
	marshalError func(*apiError) []byte
}

var ec2Service = &service{
	actions:      actions,
	wildcard:     true,
	unsigned:     errAuthFailure,
	badToken:     errAuthFailure,
	faults:       faultErrors,
	internal:     errInternal,
	marshalError: marshalError,
}

// serviceFor returns the service of an action; unknown actions are EC2's.
func serviceFor(action string) *service {
	if _, ok := stsService.actions[action]; ok {
		return stsService
	}
	return ec2Service
}

func (s *Server) serveAPI(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		ec2Service.writeError(w, errInvalidRequest(err))
		return
	}
	c := s.newCall(r.PostForm)
	c.svc = serviceFor(c.action)
	var problem authProblem
	c.acct, c.principal, problem = s.authenticate(r)
	rec := &statusRecorder{ResponseWriter: w}
	defer func() {
		req := Request{Action: c.action, Account: c.acct.id, Params: r.PostForm, Page: c.page, Status: rec.status}
		c.acct.record(req)
		if s.onRequest != nil {
			s.onRequest(req)
		}
	}()

	if err := c.svc.authError(problem); err != nil {
		c.svc.writeError(rec, err)
		return
	}
	handler, ok := c.svc.actions[c.action]
	if !ok {
		c.svc.writeError(rec, errInvalidAction(c.action))
		return
	}
	f, faulted := c.acct.takeFault(c)
	if faulted && f.Kind == Slow {
		if !s.sleep(r.Context(), f.Delay) {
			// Drop the connection: returning would send an empty 200, which
			// the SDK takes for an empty result.
			panic(http.ErrAbortHandler)
		}
		faulted = false
	}
	if faulted && f.Kind != Malformed {
		c.svc.writeError(rec, c.svc.faults[f.Kind])
		return
	}
	resp, err := handler(s, c)
	if err != nil {
		c.svc.writeError(rec, err)
		return
	}
	body, err := marshalResponse(resp)
	if err != nil {
		c.svc.writeError(rec, c.svc.internal)
		return
	}
	if faulted {
		body = garble(body)
	}
	writeXML(rec, http.StatusOK, body)
}

// sleep waits d (without end if d is 0) unless the client goes away or the
// server closes first. It reports whether d elapsed, i.e. whether to answer.
func (s *Server) sleep(ctx context.Context, d time.Duration) bool {
	var timeout <-chan time.Time
	if d > 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		timeout = t.C
	}
	select {
	case <-timeout:
		return true
	case <-ctx.Done():
	case <-s.done:
	}
	return false
}

// statusRecorder remembers the status written, for the request log.
type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}

// newRequestID returns a random ID in the UUID form EC2 uses.
func newRequestID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:])
}

// apiError is an EC2 error answer.
type apiError struct {
	status  int
	code    string
	message string
}

func (e *apiError) Error() string { return e.code + ": " + e.message }

// writeError answers with the service's error body for err, which is an
// *apiError for everything but bugs.
func (svc *service) writeError(w http.ResponseWriter, err error) {
	var ae *apiError
	if !errors.As(err, &ae) {
		ae = svc.internal
	}
	writeXML(w, ae.status, svc.marshalError(ae))
}

func writeXML(w http.ResponseWriter, status int, body []byte) {
	w.Header().Set("Content-Type", "text/xml;charset=UTF-8")
	w.WriteHeader(status)
	_, _ = w.Write(body)
}

var (
	errAuthFailure = &apiError{http.StatusUnauthorized, "AuthFailure",
		"AWS was not able to validate the provided access credentials"}
	errInternal = &apiError{http.StatusInternalServerError, "InternalError",
		"An internal error has occurred"}
)

func errInvalidAction(action string) *apiError {
	return &apiError{http.StatusBadRequest, "InvalidAction",
		fmt.Sprintf("The action %s is not valid for this web service.", action)}
}

func errInvalidRequest(err error) *apiError {
	return &apiError{http.StatusBadRequest, "InvalidRequest", err.Error()}
}

func errInvalidParameterValue(format string, args ...any) *apiError {
	return &apiError{http.StatusBadRequest, "InvalidParameterValue", fmt.Sprintf(format, args...)}
}
