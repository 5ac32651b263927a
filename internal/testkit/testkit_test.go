package testkit

import (
	"fmt"
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
)

func reply(rcode int, records ...string) *dns.Msg {
	m := new(dns.Msg)
	m.SetQuestion("x.example.", dns.TypeA)
	m.Response, m.Rcode = true, rcode
	for _, r := range records {
		rr, err := dns.NewRR(r)
		if err != nil {
			panic(err)
		}
		m.Answer = append(m.Answer, rr)
	}
	return m
}

func TestChain(t *testing.T) {
	for _, tc := range []struct {
		m    *dns.Msg
		want string
	}{
		{reply(dns.RcodeSuccess, "X.example. 60 IN CNAME Y.example.", "y.example. 30 IN A 192.0.2.53"), "x.example. CNAME y.example., y.example. A 192.0.2.53"},
		{reply(dns.RcodeServerFailure, "x.example. 60 IN CNAME y.example."), "SERVFAIL: x.example. CNAME y.example."},
		{reply(dns.RcodeSuccess), ""},
	} {
		if got := Chain(tc.m); got != tc.want {
			t.Errorf("Chain = %q, want %q", got, tc.want)
		}
	}
}

func TestAnswer(t *testing.T) {
	for _, tc := range []struct {
		m              *dns.Msg
		answer, sorted string
	}{
		{reply(dns.RcodeSuccess, "x.example. 60 IN A 10.0.2.1", "x.example. 60 IN AAAA 2600:1f18::1", "x.example. 60 IN A 10.0.1.1"),
			"10.0.2.1 2600:1f18::1 10.0.1.1", "10.0.1.1 10.0.2.1 2600:1f18::1"},
		{reply(dns.RcodeSuccess, "x.example. 30 IN A "+UpstreamAddr), "upstream", "upstream"},
		{reply(dns.RcodeSuccess), "", ""},
		{reply(dns.RcodeNameError), "NXDOMAIN", "NXDOMAIN"},
		{reply(dns.RcodeServerFailure, "x.example. 60 IN A 10.0.1.1"), "SERVFAIL", "SERVFAIL"},
		{reply(dns.RcodeSuccess, "x.example. 60 IN CNAME y.example."), "record x.example.\t60\tIN\tCNAME\ty.example.", "record x.example.\t60\tIN\tCNAME\ty.example."},
	} {
		if got := Answer(tc.m); got != tc.answer {
			t.Errorf("Answer(%v) = %q, want %q", tc.m.Answer, got, tc.answer)
		}
		if got := SortedAnswer(tc.m); got != tc.sorted {
			t.Errorf("SortedAnswer(%v) = %q, want %q", tc.m.Answer, got, tc.sorted)
		}
	}
	m := reply(dns.RcodeSuccess, "x.example. 60 IN A 10.0.2.1", "x.example. 60 IN TXT \"t\"", "x.example. 60 IN AAAA ::1")
	if got := strings.Join(Addrs(m.Answer), " "); got != "10.0.2.1 ::1" {
		t.Errorf("Addrs: %q", got)
	}
	if got := strings.Join(SortedAddrs(m.Answer), " "); got != "10.0.2.1 ::1" {
		t.Errorf("SortedAddrs: %q", got)
	}
}

// TestQueryTheUpstream: Query's question reaches the stub upstream, which answers A queries
// with UpstreamAddr only.
func TestQueryTheUpstream(t *testing.T) {
	up := StartUpstream(t)
	for _, network := range []string{"udp", "tcp"} {
		if got := Answer(Query(t, network, up, "example.org.", dns.TypeA)); got != "upstream" {
			t.Errorf("%s A: %q", network, got)
		}
		if got := Answer(Query(t, network, up, "example.org.", dns.TypeAAAA)); got != "" {
			t.Errorf("%s AAAA: %q", network, got)
		}
	}
	if _, err := Ask("udp", FreeAddr(t), "", new(dns.Msg).SetQuestion("example.org.", dns.TypeA)); err == nil {
		t.Error("an answer from an address nothing listens on")
	}
}

func TestFreePort(t *testing.T) {
	port := FreePort(t)
	addr := fmt.Sprintf("127.0.0.1:%d", port)
	l, err := net.Listen("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	u, err := net.ListenPacket("udp", addr)
	if err != nil {
		t.Fatal(err)
	}
	u.Close()
}

func TestSetClientEnv(t *testing.T) {
	SetClientEnv(t)
	for k, want := range map[string]string{"AWS_ACCESS_KEY_ID": AccessKey, "AWS_SESSION_TOKEN": SessionToken,
		"AWS_CONFIG_FILE": "/dev/null", "AWS_EC2_METADATA_DISABLED": "true"} {
		if got := os.Getenv(k); got != want {
			t.Errorf("%s=%q, want %q", k, got, want)
		}
	}
}

// TestStartProcess: the output is readable while the program runs, and the test's end stops
// a program that would run on.
func TestStartProcess(t *testing.T) {
	var out *SyncBuffer
	t.Run("running", func(t *testing.T) {
		out = StartProcess(t, []string{"GREETING=hello"}, "/bin/sh", "-c", `echo "$GREETING"; exec sleep 60`)
		Eventually(t, 5*time.Second, func() error {
			if out.String() != "hello\n" {
				return fmt.Errorf("output %q", out)
			}
			return nil
		})
	})
	// The subtest's cleanup waited for the program to end.
	if out.String() != "hello\n" {
		t.Errorf("output %q after the end", out)
	}
}
