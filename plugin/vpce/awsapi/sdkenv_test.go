package awsapi

import (
	"bytes"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"fmt"
	"io"
	"math/big"
	"net"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coredns-vpce/coredns-vpce/internal/ec2fake"
	"github.com/coredns-vpce/coredns-vpce/internal/testkit"
	"github.com/coredns-vpce/coredns-vpce/plugin/vpce/awscfg"
)

// madeUpHost names the EC2 fake where only the test's proxy knows it: a request that reaches
// the fake by this name went through the proxy (Go never proxies a loopback address).
const madeUpHost = "ec2.fake-aws.invalid"

// TestSDKClientInEveryEnvironment makes a real Describe call, through the plugin's own client
// construction, in each environment a user's machine may have. Every case runs in a fresh
// process of this test binary with only the environment it sets (PATH, an empty HOME, static
// credentials, and the case's variables): the environment of the machine running the tests
// cannot make a case pass, and the proxy variables are read afresh (net/http reads them once
// per process).
func TestSDKClientInEveryEnvironment(t *testing.T) {
	if os.Getenv("VPCE_SDKENV_CHILD") != "" {
		describeFromEnv(t)
		return
	}
	fake := ec2fake.New()
	testkit.PutEndpoint(fake, 1, "vpc-1", "ssm.us-east-1.amazonaws.com", "10.0.0.1")
	testkit.PutEndpoint(fake, 2, "vpc-1", "", "10.0.0.2")

	plain := httptest.NewServer(fake)
	t.Cleanup(plain.Close)
	caFile, tlsFake := startTLSFake(t, fake)
	httpProxy, httpProxied := startProxy(t, strings.TrimPrefix(plain.URL, "http://"))
	httpsProxy, httpsProxied := startProxy(t, tlsFake)
	_, tlsPort, _ := net.SplitHostPort(tlsFake)

	for _, tc := range []struct {
		name     string
		endpoint string
		env      []string
		config   string // ~/.aws/config
		wantErr  string // the child's failure, where the case must fail
		proxied  *atomic.Int64
	}{
		{name: "nothing set", endpoint: plain.URL},
		{name: "AWS_CA_BUNDLE", endpoint: "https://127.0.0.1:" + tlsPort, env: []string{"AWS_CA_BUNDLE=" + caFile}},
		{name: "ca_bundle in the profile", endpoint: "https://127.0.0.1:" + tlsPort, config: "[default]\nca_bundle = " + caFile + "\n"},
		{name: "ca_bundle in a named profile", endpoint: "https://127.0.0.1:" + tlsPort, env: []string{"AWS_PROFILE=ops"},
			config: "[profile ops]\nca_bundle = " + caFile + "\n"},
		{name: "no HOME", endpoint: plain.URL, env: []string{"HOME="}},
		{name: "a config file that is not INI", endpoint: plain.URL, config: "\x00\x01 not [an ini file\n= =\n"},
		{name: "a profile that does not exist", endpoint: plain.URL, env: []string{"AWS_PROFILE=nope"},
			wantErr: "failed to get shared config profile, nope"},
		{name: "AWS_CA_BUNDLE naming no file", endpoint: plain.URL, env: []string{"AWS_CA_BUNDLE=/nonexistent/ca.pem"},
			wantErr: "/nonexistent/ca.pem"},
		{name: "TLS without the CA", endpoint: "https://127.0.0.1:" + tlsPort, wantErr: "certificate signed by unknown authority"},
		{name: "HTTP_PROXY", endpoint: "http://" + madeUpHost, env: []string{"HTTP_PROXY=" + httpProxy}, proxied: httpProxied},
		{name: "HTTPS_PROXY and AWS_CA_BUNDLE", endpoint: "https://" + madeUpHost, env: []string{"HTTPS_PROXY=" + httpsProxy, "AWS_CA_BUNDLE=" + caFile},
			proxied: httpsProxied},
		{name: "https_proxy, NO_PROXY for another host", endpoint: "https://" + madeUpHost, env: []string{"https_proxy=" + httpsProxy,
			"NO_PROXY=s3.amazonaws.com", "AWS_CA_BUNDLE=" + caFile}, proxied: httpsProxied},
	} {
		t.Run(tc.name, func(t *testing.T) {
			home := t.TempDir()
			if tc.config != "" {
				if err := os.MkdirAll(filepath.Join(home, ".aws"), 0o700); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(filepath.Join(home, ".aws", "config"), []byte(tc.config), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			var before int64
			if tc.proxied != nil {
				before = tc.proxied.Load()
			}
			cmd := exec.Command(os.Args[0], "-test.run=^TestSDKClientInEveryEnvironment$", "-test.count=1", "-test.v")
			// A later variable of the same name wins (os/exec keeps the last).
			cmd.Env = append([]string{
				"PATH=" + os.Getenv("PATH"), "HOME=" + home,
				"AWS_ACCESS_KEY_ID=" + testkit.AccessKey, "AWS_SECRET_ACCESS_KEY=" + testkit.SecretKey,
				"VPCE_SDKENV_CHILD=1", "VPCE_SDKENV_ENDPOINT=" + tc.endpoint,
			}, tc.env...)
			out, err := cmd.CombinedOutput()
			switch {
			case tc.wantErr != "":
				if err == nil || !strings.Contains(string(out), tc.wantErr) {
					t.Fatalf("want a failure with %q; the call said (%v):\n%s", tc.wantErr, err, out)
				}
			case err != nil:
				t.Fatalf("Describe call failed (%v):\n%s", err, out)
			case !strings.Contains(string(out), "fetched 2 endpoints, 2 interfaces"):
				t.Fatalf("unexpected result:\n%s", out)
			}
			if tc.proxied != nil && tc.proxied.Load() == before {
				t.Fatalf("no request went through the proxy:\n%s", out)
			}
		})
	}
}

// describeFromEnv is the child's side: the plugin's client, as setup builds it, against
// VPCE_SDKENV_ENDPOINT.
func describeFromEnv(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	acct := awscfg.Account{Region: "us-east-1", Endpoint: os.Getenv("VPCE_SDKENV_ENDPOINT")}
	client, err := NewClient(ctx, acct)
	if err != nil {
		t.Fatal(err)
	}
	defer closeIdle(client)
	inv, err := fetchInventory(ctx, client, Query{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("fetched %d endpoints, %d interfaces", len(inv.VpcEndpoints), len(inv.NetworkInterfaces))
}

// startTLSFake serves fake over TLS with a certificate for 127.0.0.1 and madeUpHost, signed by
// a CA of its own; it returns the CA's PEM file and the server's address.
func startTLSFake(t *testing.T, fake http.Handler) (caFile, addr string) {
	t.Helper()
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "coredns-vpce test CA"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
		IsCA:         true, BasicConstraintsValid: true,
		KeyUsage:    x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		DNSNames:    []string{madeUpHost},
		IPAddresses: []net.IP{net.IPv4(127, 0, 0, 1)},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(fake)
	srv.TLS = &tls.Config{Certificates: []tls.Certificate{{Certificate: [][]byte{der}, PrivateKey: key}}}
	srv.StartTLS()
	t.Cleanup(srv.Close)
	caFile = filepath.Join(t.TempDir(), "ca.pem")
	if err := os.WriteFile(caFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	return caFile, strings.TrimPrefix(srv.URL, "https://")
}

// startProxy runs a forward proxy on 127.0.0.1 that knows madeUpHost as target: plain HTTP
// requests are passed on, CONNECT tunnels are spliced. It counts the requests it carried.
func startProxy(t *testing.T, target string) (string, *atomic.Int64) {
	t.Helper()
	var carried atomic.Int64
	resolve := func(hostport string) (string, error) {
		if host, _, _ := net.SplitHostPort(hostport); host == madeUpHost || hostport == madeUpHost {
			return target, nil
		}
		return "", fmt.Errorf("proxy: unknown host %q", hostport)
	}
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		addr, err := resolve(r.Host)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		carried.Add(1)
		if r.Method == http.MethodConnect {
			upstream, err := net.Dial("tcp", addr)
			if err != nil {
				http.Error(w, err.Error(), http.StatusBadGateway)
				return
			}
			w.WriteHeader(http.StatusOK)
			conn, buf, err := http.NewResponseController(w).Hijack()
			if err != nil {
				upstream.Close()
				return
			}
			go func() { _, _ = io.Copy(upstream, buf); upstream.Close() }()
			_, _ = io.Copy(conn, upstream)
			conn.Close()
			return
		}
		body, _ := io.ReadAll(r.Body)
		out, err := http.NewRequestWithContext(r.Context(), r.Method, "http://"+addr+r.URL.RequestURI(), bytes.NewReader(body))
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		out.Header = r.Header.Clone()
		out.Host = r.Host
		resp, err := http.DefaultTransport.RoundTrip(out)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		for k, v := range resp.Header {
			w.Header()[k] = v
		}
		w.WriteHeader(resp.StatusCode)
		_, _ = io.Copy(w, resp.Body)
	}))
	t.Cleanup(srv.Close)
	return srv.URL, &carried
}
