package test

// DNS over TLS (RFC 7858) and over HTTPS (RFC 8484) for hybrid clients: the guide's tls:// and
// https:// server blocks, served with a certificate of a CA made here for the guide's server
// name, on loopback ports, and asked by real clients: Knot's kdig and BIND's dig over both,
// and Unbound forwarding over TLS with the guide's configuration. Each client trusts the CA
// and checks the name; a client that trusts another CA gets nothing.

import (
	"fmt"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/miekg/dns"

	"github.com/coredns-vpce/coredns-vpce/internal/testkit"
)

// encryptedName is the name of the guide's certificate, which the clients check.
const encryptedName = "dns.vpce.corp.example"

// encryptedCorefile is the guide's encrypted Corefile, served from the example snapshot on the
// loopback ports dot and doh with the certificate in files; every other name goes to UPSTREAM.
func encryptedCorefile(t *testing.T, files testkit.TLSFiles, dot, doh int) string {
	t.Helper()
	corefile := hybridSnippet(t, "encrypted")
	if _, err := checkCorefile(hybridGuide, corefile); err != nil {
		t.Fatal(err)
	}
	return replaceEach(t, corefile, [][2]string{
		{"tls://.:853", fmt.Sprintf("tls://.:%d", dot)},
		{"https://.:443", fmt.Sprintf("https://.:%d", doh)},
		{"/etc/coredns-vpce/tls/server.pem", files.Cert},
		{"/etc/coredns-vpce/tls/server.key", files.Key},
		{"allow net 10.0.0.0/8 192.168.0.0/16", "allow net 127.0.0.0/8"},
		{"region ap-northeast-1", "snapshot ../example/snapshot.json"},
		{"cache_file /var/lib/coredns-vpce/vpce.json", ""}, // a snapshot file needs none
		{"forward . 169.254.169.253", "bind 127.0.0.1\n    forward . UPSTREAM"},
	})
}

// replaceEach makes each replacement in s, every occurrence; each old string must occur.
func replaceEach(t *testing.T, s string, edits [][2]string) string {
	t.Helper()
	for _, e := range edits {
		if !strings.Contains(s, e[0]) {
			t.Fatalf("%q is not in:\n%s", e[0], s)
		}
		s = strings.ReplaceAll(s, e[0], e[1])
	}
	return s
}

// encryptedQuestions are asked over every transport: the seed's names, answered by vpce, and
// a name without an endpoint, which goes on to the upstream.
func encryptedQuestions() map[string][]string {
	want := map[string][]string{"no-endpoint.ap-northeast-1.amazonaws.com.": {testkit.UpstreamAddr}}
	for _, q := range seed {
		var rrs []dns.RR
		for _, s := range q.answer {
			rr, err := dns.NewRR(s)
			if err != nil {
				panic(err)
			}
			rrs = append(rrs, rr)
		}
		want[q.name] = testkit.SortedAddrs(rrs)
	}
	return want
}

// clientAnswer runs a DNS client (kdig or dig with +noall +answer, which print the answer
// section in zone-file syntax) and returns the addresses of the A records it printed, sorted.
func clientAnswer(t *testing.T, client string, args ...string) ([]string, error) {
	t.Helper()
	out, err := exec.Command(client, args...).CombinedOutput()
	if err != nil {
		return nil, fmt.Errorf("%v\n%s", err, out)
	}
	var rrs []dns.RR
	for _, line := range strings.Split(string(out), "\n") {
		if line = strings.TrimSpace(line); line == "" || strings.HasPrefix(line, ";") {
			continue
		}
		rr, err := dns.NewRR(line)
		if err != nil {
			return nil, fmt.Errorf("a line not a record (%v):\n%s", err, out)
		}
		rrs = append(rrs, rr)
	}
	return testkit.SortedAddrs(rrs), nil
}

func TestEncryptedDNS(t *testing.T) {
	files := testkit.NewTLSFiles(t, encryptedName)
	dot, doh := testkit.FreePort(t), testkit.FreePort(t)
	startServer(t, encryptedCorefile(t, files, dot, doh))
	want := encryptedQuestions()

	// Each client, over each transport: the flags that make it trust files.CA and check the
	// certificate's name.
	for _, c := range []struct {
		name, client, pkg string
		port              int
		flags             []string
	}{
		{"kdig DoT", "kdig", "knot-dnsutils", dot, []string{"+tls-ca=CA", "+tls-hostname=" + encryptedName}},
		{"kdig DoH POST", "kdig", "knot-dnsutils", doh, []string{"+https", "+tls-ca=CA", "+tls-hostname=" + encryptedName}},
		{"dig DoT", "dig", "bind9-dnsutils", dot, []string{"+tls", "+tls-ca=CA", "+tls-hostname=" + encryptedName}},
		{"dig DoH GET", "dig", "bind9-dnsutils", doh, []string{"+https-get", "+tls-ca=CA", "+tls-hostname=" + encryptedName}},
	} {
		t.Run(c.name, func(t *testing.T) {
			client := requireTool(t, c.client, c.pkg)
			args := func(ca, name string) []string {
				a := []string{"@127.0.0.1", "-p", fmt.Sprint(c.port), "+noall", "+answer", "+time=5", "+retry=0"}
				for _, f := range c.flags {
					a = append(a, strings.Replace(f, "CA", ca, 1))
				}
				return append(a, name, "A")
			}
			for name, addrs := range want {
				got, err := clientAnswer(t, client, args(files.CA, name)...)
				if err != nil || !slices.Equal(got, addrs) {
					t.Errorf("%s %s: %q %v, want %q", c.client, name, got, err, addrs)
				}
			}
			// The client checks the certificate: trusting another CA, it gets no answer.
			other := testkit.NewTLSFiles(t, encryptedName)
			if got, err := clientAnswer(t, client, args(other.CA, seed[2].name)...); err == nil && len(got) > 0 {
				t.Errorf("%s trusting another CA: answered %q", c.client, got)
			}
		})
	}

	t.Run("unbound over TLS", func(t *testing.T) {
		clauses := replaceEach(t, hybridServers(t, hybridSnippet(t, "unbound-tls"), "127.0.0.1"), [][2]string{
			{"@853#", fmt.Sprintf("@%d#", dot)},
			{"/etc/unbound/corp-dns-ca.pem", files.CA},
		})
		unbound := hybridUnbound(t, unboundHardening, clauses)
		plain, _ := startServer(t, hybridCorefile) // the same view over plain DNS, to compare with
		hybridCheck(t, unbound, plain)
	})
}
