package testkit

import (
	"bytes"
	"net"
	"net/http"
	"slices"
	"sync"
	"testing"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
)

// S3Bucket is the bucket StartS3 creates.
const S3Bucket = "vpce-fleet"

// S3Fake is gofakes3, a third-party S3 implementation, served in process on 127.0.0.1, with
// what tests need around it: the requests and body bytes it served counted, every object
// denied on demand (403 AccessDenied, as S3 answers a caller its policy does not allow), and
// a stop and a restart on the same address with the same objects.
type S3Fake struct {
	URL     string // the endpoint, for s3_endpoint
	backend *s3mem.Backend
	handler http.Handler

	mu          sync.Mutex
	srv         *http.Server
	requests    int
	calls       []string // "METHOD /bucket/key"
	puts        int
	notModified int
	bytes       int64
	denied      bool
}

// StartS3 starts an S3 fake with the bucket S3Bucket for the rest of the test.
func StartS3(t testing.TB) *S3Fake {
	t.Helper()
	f, err := ServeS3()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(f.Stop)
	return f
}

// ServeS3 starts an S3 fake with the bucket S3Bucket, for a program (make bench's fleet) rather
// than a test: Stop ends it.
func ServeS3() (*S3Fake, error) {
	f := &S3Fake{backend: s3mem.New()}
	if err := f.backend.CreateBucket(S3Bucket); err != nil {
		return nil, err
	}
	f.handler = gofakes3.New(f.backend, gofakes3.WithLogger(gofakes3.DiscardLog())).Server()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	f.URL = "http://" + ln.Addr().String()
	f.serve(ln)
	return f, nil
}

func (f *S3Fake) serve(ln net.Listener) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.srv = &http.Server{Handler: http.HandlerFunc(f.serveHTTP)}
	go f.srv.Serve(ln)
}

func (f *S3Fake) serveHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	f.requests++
	f.calls = append(f.calls, r.Method+" "+r.URL.Path)
	if r.Method == http.MethodPut {
		f.puts++
	}
	denied := f.denied
	f.mu.Unlock()
	if denied {
		w.Header().Set("Content-Type", "application/xml")
		w.WriteHeader(http.StatusForbidden)
		w.Write([]byte(`<?xml version="1.0" encoding="UTF-8"?><Error><Code>AccessDenied</Code><Message>Access Denied</Message></Error>`))
		return
	}
	cw := &countingWriter{ResponseWriter: w}
	f.handler.ServeHTTP(cw, r)
	f.mu.Lock()
	defer f.mu.Unlock()
	f.bytes += cw.n
	if cw.status == http.StatusNotModified {
		f.notModified++
	}
}

// Put stores an object as an exporter's PutObject would.
func (f *S3Fake) Put(t testing.TB, key string, data []byte) {
	t.Helper()
	if _, err := f.backend.PutObject(S3Bucket, key, map[string]string{}, bytes.NewReader(data), int64(len(data)), nil); err != nil {
		t.Fatal(err)
	}
}

// Get reads an object, as it is stored.
func (f *S3Fake) Get(t testing.TB, key string) []byte {
	t.Helper()
	obj, err := f.backend.GetObject(S3Bucket, key, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer obj.Contents.Close()
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(obj.Contents); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// Delete removes an object.
func (f *S3Fake) Delete(t testing.TB, key string) {
	t.Helper()
	if _, err := f.backend.DeleteObject(S3Bucket, key); err != nil {
		t.Fatal(err)
	}
}

// Deny makes every request fail with 403 AccessDenied, or no longer.
func (f *S3Fake) Deny(denied bool) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.denied = denied
}

// S3Counts are what an S3 fake served.
type S3Counts struct {
	Requests    int   // every request, answered or denied
	Puts        int   // PUT requests (PutObject)
	NotModified int   // 304s
	Bytes       int64 // body bytes of the answers
}

// Counts returns what the fake served so far.
func (f *S3Fake) Counts() S3Counts {
	f.mu.Lock()
	defer f.mu.Unlock()
	return S3Counts{Requests: f.requests, Puts: f.puts, NotModified: f.notModified, Bytes: f.bytes}
}

// Calls lists the requests the fake served, as "METHOD /bucket/key" (path-style), so that a
// test can hold them against an IAM policy.
func (f *S3Fake) Calls() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.calls)
}

// Stop closes the listener and every connection: clients get connection refused.
func (f *S3Fake) Stop() {
	f.mu.Lock()
	srv := f.srv
	f.mu.Unlock()
	srv.Close()
}

// Restart serves the same objects on the same address again.
func (f *S3Fake) Restart(t testing.TB) {
	t.Helper()
	ln, err := net.Listen("tcp", f.URL[len("http://"):])
	if err != nil {
		t.Fatal(err)
	}
	f.serve(ln)
}

// countingWriter counts the body bytes and keeps the status of a response.
type countingWriter struct {
	http.ResponseWriter
	status int
	n      int64
}

func (w *countingWriter) WriteHeader(status int) {
	w.status = status
	w.ResponseWriter.WriteHeader(status)
}

func (w *countingWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(p)
	w.n += int64(n)
	return n, err
}
