// Package testkit is what the tests of coredns-vpce share: asking a DNS server and summing its
// answers up, the stub upstream, the EC2 fake with the SDK's environment pointed at it,
// programs built and run for the rest of a test, free loopback ports, and waiting for a
// condition. Like CoreDNS's plugin/test it imports package testing; only tests import it.
package testkit

import (
	"fmt"
	"net"
	"testing"
	"time"
)

// Eventually retries check every 50ms until it returns nil, and fails the test with its last
// error once within has passed.
func Eventually(t testing.TB, within time.Duration, check func() error) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		err := check()
		if err == nil {
			return
		}
		if time.Now().After(deadline) {
			t.Fatal(err)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// FreeAddr returns a loopback address (127.0.0.1:port) nothing listens on over TCP (yet): for
// an HTTP listener, or an address where nothing answers.
func FreeAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// FreePort returns a loopback port free for both UDP and TCP (for now): for a DNS server.
func FreePort(t testing.TB) int {
	t.Helper()
	for range 20 {
		l, err := net.Listen("tcp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		port := l.Addr().(*net.TCPAddr).Port
		u, err := net.ListenPacket("udp", fmt.Sprintf("127.0.0.1:%d", port))
		l.Close()
		if err == nil {
			u.Close()
			return port
		}
	}
	t.Fatal("no free loopback port")
	return 0
}
