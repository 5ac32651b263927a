package remote

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
)

// urlGetter reads an http(s) URL with Go's own client, not the SDK's: the TLS roots are the
// system's (SSL_CERT_FILE, SSL_CERT_DIR) plus tls_ca's bundle, and the proxy is the
// environment's (HTTPS_PROXY, NO_PROXY). AWS_CA_BUNDLE is the SDK's and does not apply.
type urlGetter struct {
	client *http.Client
	url    string
	name   string // the URL without user info and query, for errors
}

func newURLGetter(u *url.URL, caFile string) (getter, error) {
	t := http.DefaultTransport.(*http.Transport).Clone()
	if caFile != "" {
		roots, err := rootsWith(caFile)
		if err != nil {
			return nil, err
		}
		t.TLSClientConfig = &tls.Config{RootCAs: roots}
	}
	client := &http.Client{Transport: t, CheckRedirect: noDowngrade}
	return urlGetter{client: client, url: u.String(), name: name(u)}, nil
}

// rootsWith is the system's roots and the PEM certificates of file.
func rootsWith(file string) (*x509.CertPool, error) {
	pem, err := os.ReadFile(file)
	if err != nil {
		return nil, fmt.Errorf("tls_ca: %w", err)
	}
	roots, err := x509.SystemCertPool()
	if err != nil {
		roots = x509.NewCertPool()
	}
	if !roots.AppendCertsFromPEM(pem) {
		return nil, fmt.Errorf("tls_ca %s: no PEM certificate in it", file)
	}
	return roots, nil
}

// noDowngrade follows redirects as Go does (up to 10), but not from https to http, which
// would hand the view to anyone on the path.
func noDowngrade(req *http.Request, via []*http.Request) error {
	if via[0].URL.Scheme == "https" && req.URL.Scheme != "https" {
		return fmt.Errorf("%w to %s", errDowngrade, req.URL)
	}
	if len(via) >= 10 {
		return errors.New("stopped after 10 redirects")
	}
	return nil
}

var errDowngrade = errors.New("refused a redirect from https")

// refused tells a request the client refused itself (a certificate it does not trust, a
// redirect to http) from an outage: a configuration error, which stops CoreDNS at start-up
// even with a cache file.
func refused(err error) bool {
	var cv *tls.CertificateVerificationError
	return errors.As(err, &cv) || errors.Is(err, errDowngrade)
}

func (g urlGetter) closeIdle() { g.client.CloseIdleConnections() }

// get asks with If-None-Match and If-Modified-Since from the last version, and with
// Accept-Encoding: gzip set here, so that a gzip body reaches the reader as it came (and is
// counted so): Limits.Read decompresses it by its magic, within max_bytes.
func (g urlGetter) get(ctx context.Context, v version) (io.ReadCloser, version, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, g.url, nil)
	if err != nil {
		return nil, v, err
	}
	req.Header.Set("Accept-Encoding", "gzip")
	if v.etag != "" {
		req.Header.Set("If-None-Match", v.etag)
	}
	if v.modified != "" {
		req.Header.Set("If-Modified-Since", v.modified)
	}
	resp, err := g.client.Do(req)
	if ue := (*url.Error)(nil); errors.As(err, &ue) {
		ue.URL = g.name // Go strips a password from it, not a signed query
	}
	if err != nil {
		if refused(err) {
			return nil, v, err
		}
		return nil, v, unreachableError{err}
	}
	switch resp.StatusCode {
	case http.StatusOK:
		return resp.Body, version{etag: resp.Header.Get("ETag"), modified: resp.Header.Get("Last-Modified")}, nil
	case http.StatusNotModified:
		resp.Body.Close()
		return nil, v, nil
	}
	resp.Body.Close()
	if resp.StatusCode >= 500 {
		return nil, v, unreachableError{fmt.Errorf("HTTP %s", resp.Status)}
	}
	return nil, v, fmt.Errorf("HTTP %s", resp.Status)
}
