// Package ec2fake is a fake Amazon EC2 API server that speaks the EC2 query
// protocol, so tests can drive the real aws-sdk-go-v2 EC2 client against it.
//
// It serves DescribeVpcEndpoints, DescribeNetworkInterfaces,
// DescribeVpcEndpointServices and DescribeSubnets from state held as SDK types,
// with AWS-style filters, paging and error bodies, plus injectable faults and
// a request log. A small JSON admin API lives under /_fake/ on the same
// listener (see AdminHandler).
package ec2fake

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
)

// Request is one EC2 API request as the server saw it.
type Request struct {
	Action string
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

// Server is a fake EC2 endpoint. Its state, faults and request log are safe
// for concurrent use while it serves.
type Server struct {
	// nonce ties paging tokens to this server, so tokens from another server
	// are rejected as stale.
	nonce string
	// done is closed by Close to release handlers blocked in a Slow fault.
	done chan struct{}

	mu        sync.Mutex
	endpoints map[string]types.VpcEndpoint
	enis      map[string]types.NetworkInterface
	services  map[string]types.ServiceDetail // keyed by ServiceName
	subnets   map[string]types.Subnet
	faults    []Fault
	log       []Request
	onRequest func(Request)

	admin http.Handler
	srv   *http.Server
	url   string
}

// New returns a server with empty state that is not yet listening.
func New() *Server {
	s := &Server{
		nonce: rand.Text()[:8],
		done:  make(chan struct{}),
	}
	s.admin = s.newAdminHandler()
	s.reset()
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
	s.srv = &http.Server{Handler: s, ReadHeaderTimeout: 10 * time.Second}
	go func() { _ = s.srv.Serve(ln) }()
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

// OnRequest sets a function called after each EC2 API request is answered,
// e.g. to log it. Set it before Start.
func (s *Server) OnRequest(fn func(Request)) { s.onRequest = fn }

// Calls counts the requests received for action, including failed ones.
func (s *Server) Calls(action string) int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, r := range s.log {
		if r.Action == action {
			n++
		}
	}
	return n
}

// Requests returns a copy of the request log, oldest first.
func (s *Server) Requests() []Request {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make([]Request, len(s.log))
	for i, r := range s.log {
		r.Params = cloneValues(r.Params)
		out[i] = r
	}
	return out
}

// ResetCalls empties the request log.
func (s *Server) ResetCalls() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.log = nil
}

func cloneValues(v url.Values) url.Values {
	out := make(url.Values, len(v))
	for k, vs := range v {
		out[k] = slices.Clone(vs)
	}
	return out
}

// ServeHTTP routes /_fake/ to the admin API and everything else to the EC2 API.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if strings.HasPrefix(r.URL.Path, adminPrefix) {
		s.admin.ServeHTTP(w, r)
		return
	}
	s.serveAPI(w, r)
}

// actions maps an EC2 action name to its handler.
var actions = map[string]func(*Server, *call) (any, error){
	"DescribeVpcEndpoints":        (*Server).describeVpcEndpoints,
	"DescribeNetworkInterfaces":   (*Server).describeNetworkInterfaces,
	"DescribeVpcEndpointServices": (*Server).describeVpcEndpointServices,
	"DescribeSubnets":             (*Server).describeSubnets,
}

// sigV4Prefix is how every SigV4-signed request's Authorization header
// starts; the signature itself is not verified.
const sigV4Prefix = "AWS4-HMAC-SHA256 Credential="

func (s *Server) serveAPI(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		writeError(w, errInvalidRequest(err))
		return
	}
	c := s.newCall(r.PostForm)
	rec := &statusRecorder{ResponseWriter: w}
	defer func() {
		req := Request{Action: c.action, Params: r.PostForm, Page: c.page, Status: rec.status}
		s.mu.Lock()
		s.log = append(s.log, req)
		s.mu.Unlock()
		if s.onRequest != nil {
			s.onRequest(req)
		}
	}()

	if !strings.HasPrefix(r.Header.Get("Authorization"), sigV4Prefix) {
		writeError(rec, errAuthFailure)
		return
	}
	handler, ok := actions[c.action]
	if !ok {
		writeError(rec, errInvalidAction(c.action))
		return
	}
	f, faulted := s.takeFault(c)
	if faulted && f.Kind == Slow {
		if !s.sleep(r.Context(), f.Delay) {
			// Drop the connection: returning would send an empty 200, which
			// the SDK takes for an empty result.
			panic(http.ErrAbortHandler)
		}
		faulted = false
	}
	if faulted && f.Kind != Malformed {
		writeError(rec, faultErrors[f.Kind])
		return
	}
	resp, err := handler(s, c)
	if err != nil {
		writeError(rec, err)
		return
	}
	body, err := marshalResponse(resp)
	if err != nil {
		writeError(rec, errInternal)
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

// writeError answers with the EC2 error body for err, which is an *apiError
// for everything but bugs.
func writeError(w http.ResponseWriter, err error) {
	var ae *apiError
	if !errors.As(err, &ae) {
		ae = errInternal
	}
	writeXML(w, ae.status, marshalError(ae))
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
