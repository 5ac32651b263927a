package remote_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/coredns-vpce/coredns-vpce/internal/testkit"
	"github.com/coredns-vpce/coredns-vpce/plugin/vpce/inventory"
	"github.com/coredns-vpce/coredns-vpce/plugin/vpce/remote"
)

// snapshotServer serves a snapshot at /snapshot.json over TLS, as a web server or CDN would:
// with an ETag or a Last-Modified time, answering conditional GETs with 304.
type snapshotServer struct {
	*httptest.Server
	caFile string

	mu          sync.Mutex
	body        []byte
	etag        string // "" sends none
	modified    time.Time
	encoding    string // Content-Encoding
	requests    int
	notModified int
}

func startSnapshotServer(t *testing.T) *snapshotServer {
	t.Helper()
	s := &snapshotServer{}
	mux := http.NewServeMux()
	mux.HandleFunc("/snapshot.json", s.serve)
	mux.Handle("/moved", http.RedirectHandler("/snapshot.json", http.StatusFound))
	s.Server = httptest.NewTLSServer(mux)
	t.Cleanup(s.Close)
	s.caFile = testkit.CAFile(t, s.Certificate().Raw)
	return s
}

func (s *snapshotServer) set(body []byte, etag string, modified time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.body, s.etag, s.modified = body, etag, modified
}

func (s *snapshotServer) serve(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.requests++
	if s.etag != "" {
		w.Header().Set("ETag", s.etag)
	}
	if s.encoding != "" {
		w.Header().Set("Content-Encoding", s.encoding)
	}
	rec := &statusRecorder{ResponseWriter: w}
	http.ServeContent(rec, r, "", s.modified, strings.NewReader(string(s.body)))
	if rec.status == http.StatusNotModified {
		s.notModified++
	}
}

func (s *snapshotServer) counts() (requests, notModified int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.requests, s.notModified
}

type statusRecorder struct {
	http.ResponseWriter
	status int
}

func (r *statusRecorder) WriteHeader(status int) {
	r.status = status
	r.ResponseWriter.WriteHeader(status)
}

func urlSource(t *testing.T, url, caFile string, timeout time.Duration) *remote.Source {
	t.Helper()
	src, err := remote.New(context.Background(), url, remote.Options{
		Interval: 20 * time.Millisecond, Limits: inventory.DefaultLimits, CAFile: caFile, Timeout: timeout,
	})
	if err != nil {
		t.Fatal(err)
	}
	return src
}

// An unchanged snapshot costs a 304 whether the server validates by ETag or by time.
func TestURLSourceAsksIfChanged(t *testing.T) {
	for _, tc := range []struct {
		name, etag string
		modified   time.Time
	}{
		{"etag", `"v1"`, time.Time{}},
		{"last-modified", "", time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			srv := startSnapshotServer(t)
			srv.set(testkit.SnapshotJSON("vpce-1"), tc.etag, tc.modified)
			src := urlSource(t, srv.URL+"/snapshot.json", srv.caFile, 0)
			if err := src.Load(context.Background()); err != nil {
				t.Fatal(err)
			}
			to := testkit.NewCountingSink()
			testkit.RunSource(t, src, to)
			to.WaitConfirms(t, 3)
			if requests, notModified := srv.counts(); notModified < 3 || notModified != requests-1 {
				t.Fatalf("%d requests, %d of them 304: want every check after the first a 304", requests, notModified)
			}
			srv.set(testkit.SnapshotJSON("vpce-2"), strings.ReplaceAll(tc.etag, "v1", "v2"), tc.modified.Add(time.Minute))
			if ids := testkit.EndpointIDs(<-to.Inventories); !slices.Equal(ids, []string{"vpce-2"}) {
				t.Fatalf("after the change: %v", ids)
			}
		})
	}
}

func TestURLSourceHonoursContentEncoding(t *testing.T) {
	srv := startSnapshotServer(t)
	srv.encoding = "gzip"
	srv.set(testkit.Gzip(t, testkit.SnapshotJSON("vpce-1")), `"gz"`, time.Time{})
	src := urlSource(t, srv.URL+"/snapshot.json", srv.caFile, 0)
	if err := src.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	if ids := testkit.EndpointIDs(src.TakeInitial().Inventory()); !slices.Equal(ids, []string{"vpce-1"}) {
		t.Fatalf("Content-Encoding gzip: %v", ids)
	}
}

func TestURLSourceFollowsARedirect(t *testing.T) {
	srv := startSnapshotServer(t)
	srv.set(testkit.SnapshotJSON("vpce-1"), `"v1"`, time.Time{})
	src := urlSource(t, srv.URL+"/moved", srv.caFile, 0)
	if err := src.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	if ids := testkit.EndpointIDs(src.TakeInitial().Inventory()); !slices.Equal(ids, []string{"vpce-1"}) {
		t.Fatalf("redirected: %v", ids)
	}
}

func TestURLSourceRefusals(t *testing.T) {
	srv := startSnapshotServer(t)
	srv.set(testkit.SnapshotJSON("vpce-1"), `"v1"`, time.Time{})
	plain := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write(testkit.SnapshotJSON("vpce-1")) }))
	defer plain.Close()
	downgrade := httptest.NewTLSServer(http.RedirectHandler(plain.URL, http.StatusFound))
	defer downgrade.Close()
	for _, tc := range []struct {
		name, url, caFile, want string
	}{
		{"untrusted certificate", srv.URL + "/snapshot.json", "", "certificate"},
		{"missing", srv.URL + "/nothing.json", srv.caFile, "HTTP 404"},
		// httptest's TLS servers share one certificate: srv's CA file is downgrade's too.
		{"https to http", downgrade.URL, srv.caFile, "refused a redirect from https"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			err := urlSource(t, tc.url, tc.caFile, 0).Load(context.Background())
			if err == nil || !strings.Contains(err.Error(), tc.want) || remote.Unreachable(err) {
				t.Fatalf("got %v, want a refusal with %q", err, tc.want)
			}
		})
	}
}

func TestURLSourceTimesOutASlowServer(t *testing.T) {
	release := make(chan struct{})
	slow := httptest.NewTLSServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`{"VpcEndpoints": [`))
		w.(http.Flusher).Flush()
		<-release
	}))
	defer slow.Close()
	defer close(release)
	err := urlSource(t, slow.URL, testkit.CAFile(t, slow.Certificate().Raw), 200*time.Millisecond).Load(context.Background())
	if !remote.Unreachable(err) || !strings.Contains(err.Error(), "deadline exceeded") || !strings.Contains(err.Error(), slow.URL) {
		t.Fatalf("got %v, want a timeout naming %s", err, slow.URL)
	}
}

// A server error is no answer: at start-up, a resolver with a cache file starts from it.
func TestURLSourceServerErrorIsUnreachable(t *testing.T) {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "busy", http.StatusServiceUnavailable)
	}))
	defer srv.Close()
	err := urlSource(t, srv.URL+"/snapshot.json", "", 0).Load(context.Background())
	if !remote.Unreachable(err) || !strings.Contains(err.Error(), "HTTP 503") {
		t.Fatalf("got %v, want an unreachable HTTP 503", err)
	}
}

// A body cut off is not a bad version: the next check reads it again, whole.
func TestURLSourceReadsACutOffBodyAgain(t *testing.T) {
	var mu sync.Mutex
	version, cut := "v1", false
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		v, c := version, cut
		cut = false
		mu.Unlock()
		etag := `"` + v + `"`
		if r.Header.Get("If-None-Match") == etag {
			w.WriteHeader(http.StatusNotModified)
			return
		}
		body := testkit.SnapshotJSON("vpce-" + v)
		w.Header().Set("ETag", etag)
		w.Header().Set("Content-Length", fmt.Sprint(len(body)))
		if c {
			w.Write(body[:10])
			w.(http.Flusher).Flush()
			panic(http.ErrAbortHandler) // the connection drops mid-body
		}
		w.Write(body)
	}))
	defer srv.Close()
	src := urlSource(t, srv.URL+"/snapshot.json", "", 0)
	if err := src.Load(context.Background()); err != nil {
		t.Fatal(err)
	}
	mu.Lock()
	version, cut = "v2", true
	mu.Unlock()
	to := testkit.NewCountingSink()
	testkit.RunSource(t, src, to)
	if ids := testkit.EndpointIDs(testkit.Receive(t, to.Inventories)); !slices.Equal(ids, []string{"vpce-v2"}) {
		t.Fatalf("after the cut: %v", ids)
	}
}

// Logs and metrics name a URL without what may be a credential (user info, a signed query).
func TestURLSourceNameHidesCredentials(t *testing.T) {
	logs := testkit.CaptureLog(t)
	src := urlSource(t, "http://reader:s3cret@snapshots.example/vpce.json?X-Amz-Signature=abc123", "", 0)
	if got, want := src.String(), "snapshot http://snapshots.example/vpce.json"; got != want {
		t.Errorf("named %q, want %q", got, want)
	}
	if !strings.Contains(logs.String(), "plain http") || strings.Contains(logs.String(), "s3cret") || strings.Contains(logs.String(), "abc123") {
		t.Errorf("want a warning about plain http, without the credentials:\n%s", logs)
	}
	// Nor do its errors: here, nothing listens on the port.
	addr := testkit.FreeAddr(t)
	err := urlSource(t, "http://reader:s3cret@"+addr+"/vpce.json?X-Amz-Signature=abc123", "", 0).Load(context.Background())
	if err == nil || strings.Contains(err.Error(), "s3cret") || strings.Contains(err.Error(), "abc123") || !strings.Contains(err.Error(), addr) {
		t.Errorf("error %v: want it naming %s without the credentials", err, addr)
	}
}
