package testkit

import (
	"crypto/tls"
	"crypto/x509"
	"os"
	"testing"
)

// The server certificate verifies for its names against its own CA only.
func TestNewTLSFiles(t *testing.T) {
	files, other := NewTLSFiles(t, "dns.example.com", "127.0.0.1"), NewTLSFiles(t, "dns.example.com")
	pair, err := tls.LoadX509KeyPair(files.Cert, files.Key)
	if err != nil {
		t.Fatal(err)
	}
	leaf, err := x509.ParseCertificate(pair.Certificate[0])
	if err != nil {
		t.Fatal(err)
	}
	roots := func(path string) *x509.CertPool {
		pool := x509.NewCertPool()
		data, err := os.ReadFile(path)
		if err != nil || !pool.AppendCertsFromPEM(data) {
			t.Fatalf("%s: %v", path, err)
		}
		return pool
	}
	for _, name := range []string{"dns.example.com", "127.0.0.1"} {
		if _, err := leaf.Verify(x509.VerifyOptions{Roots: roots(files.CA), DNSName: name}); err != nil {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: roots(files.CA), DNSName: "other.example.com"}); err == nil {
		t.Error("the certificate verifies for a name it was not issued for")
	}
	if _, err := leaf.Verify(x509.VerifyOptions{Roots: roots(other.CA), DNSName: "dns.example.com"}); err == nil {
		t.Error("another call's CA trusts the certificate")
	}
}
