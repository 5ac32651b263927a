package testkit

import (
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// UpstreamAddr is what StartUpstream's stub answers every A query with: an answer that holds
// it went on to the upstream. (plugin/vpce's tests' next plugin answers with it too.)
const UpstreamAddr = "192.0.2.53"

// StartUpstream starts a stub for the resolver behind forward, for the rest of the test: it
// answers every A query with UpstreamAddr, so that a test can tell which queries went on. It
// returns its address.
func StartUpstream(t testing.TB) string { return startUpstream(t, false) }

// UpstreamAddr6 is the AAAA record of StartDualUpstream.
const UpstreamAddr6 = "2001:db8::53"

// StartDualUpstream is StartUpstream that answers every AAAA query too, with UpstreamAddr6:
// a test of a name without AAAA records can tell an empty answer from one that went on.
func StartDualUpstream(t testing.TB) string { return startUpstream(t, true) }

// startUpstream serves on 127.0.0.1, UDP and TCP on one port, with a handler of its own:
// dnstest.NewServer's are registered on miekg/dns's global mux, so that the last one started
// would answer for every server of the test.
func startUpstream(t testing.TB, aaaa bool) string {
	t.Helper()
	h := dns.HandlerFunc(func(w dns.ResponseWriter, r *dns.Msg) {
		m := new(dns.Msg)
		m.SetReply(r)
		m.RecursionAvailable = true
		switch q := r.Question[0]; {
		case q.Qtype == dns.TypeA:
			rr, _ := dns.NewRR(q.Name + " 30 IN A " + UpstreamAddr)
			m.Answer = []dns.RR{rr}
		case q.Qtype == dns.TypeAAAA && aaaa:
			rr, _ := dns.NewRR(q.Name + " 30 IN AAAA " + UpstreamAddr6)
			m.Answer = []dns.RR{rr}
		}
		w.WriteMsg(m)
	})
	for range 10 { // the UDP port may be taken for TCP
		pc, err := net.ListenPacket("udp", "127.0.0.1:0")
		if err != nil {
			t.Fatal(err)
		}
		ln, err := net.Listen("tcp", pc.LocalAddr().String())
		if err != nil {
			pc.Close()
			continue
		}
		for _, s := range []*dns.Server{{PacketConn: pc, Handler: h}, {Listener: ln, Handler: h}} {
			started := make(chan struct{})
			s.NotifyStartedFunc = func() { close(started) }
			go s.ActivateAndServe()
			<-started
			t.Cleanup(func() { s.Shutdown() })
		}
		return pc.LocalAddr().String()
	}
	t.Fatal("no port free for UDP and TCP")
	return ""
}

// Ask sends m to addr over network ("udp" or "tcp"), from the local address src unless it is
// empty (127.0.0.x: a client of its own), and returns the reply, waiting 2 seconds at most.
func Ask(network, addr, src string, m *dns.Msg) (*dns.Msg, error) {
	c := &dns.Client{Net: network, Timeout: 2 * time.Second}
	if src != "" {
		local := net.Addr(&net.UDPAddr{IP: net.ParseIP(src)})
		if network == "tcp" {
			local = &net.TCPAddr{IP: net.ParseIP(src)}
		}
		c.Dialer = &net.Dialer{LocalAddr: local}
	}
	resp, _, err := c.Exchange(m, addr)
	return resp, err
}

// Exchange is Ask that fails the test when no reply comes.
func Exchange(t testing.TB, network, addr, src string, m *dns.Msg) *dns.Msg {
	t.Helper()
	resp, err := Ask(network, addr, src, m)
	if err != nil {
		from := ""
		if src != "" {
			from = " from " + src
		}
		t.Fatalf("%s %s over %s%s: %v", dns.TypeToString[m.Question[0].Qtype], m.Question[0].Name, network, from, err)
	}
	return resp
}

// Query asks name over network as dig does (recursion desired, EDNS0 with a 4096-byte buffer)
// and returns the reply; it fails the test when none comes.
func Query(t testing.TB, network, addr, name string, qtype uint16) *dns.Msg {
	t.Helper()
	m := new(dns.Msg)
	m.SetQuestion(name, qtype)
	m.SetEdns0(4096, false)
	return Exchange(t, network, addr, "", m)
}

// Answer sums a reply up in one string, for a test to compare with the one it wants:
//   - the rcode's name ("SERVFAIL", "NXDOMAIN") for anything but NOERROR;
//   - "upstream" when an A record holds UpstreamAddr (an AAAA record UpstreamAddr6): the query
//     went on;
//   - "record " and the record, for a record other than A and AAAA;
//   - otherwise the addresses of the A and AAAA records in order, separated by spaces ("" for
//     none: NODATA).
func Answer(m *dns.Msg) string { return answer(m, false) }

// SortedAnswer is Answer with the addresses sorted: for answers whose order rotates.
func SortedAnswer(m *dns.Msg) string { return answer(m, true) }

func answer(m *dns.Msg, sorted bool) string {
	if m.Rcode != dns.RcodeSuccess {
		return dns.RcodeToString[m.Rcode]
	}
	for _, rr := range m.Answer {
		switch rr := rr.(type) {
		case *dns.A:
			if rr.A.String() == UpstreamAddr {
				return "upstream"
			}
		case *dns.AAAA:
			if rr.AAAA.String() == UpstreamAddr6 {
				return "upstream"
			}
		default:
			return "record " + rr.String()
		}
	}
	if sorted {
		return strings.Join(SortedAddrs(m.Answer), " ")
	}
	return strings.Join(Addrs(m.Answer), " ")
}

// Addrs returns the addresses of the A and AAAA records among rrs, in order; other records are
// left out.
func Addrs(rrs []dns.RR) []string {
	var addrs []string
	for _, rr := range rrs {
		switch rr := rr.(type) {
		case *dns.A:
			addrs = append(addrs, rr.A.String())
		case *dns.AAAA:
			addrs = append(addrs, rr.AAAA.String())
		}
	}
	return addrs
}

// SortedAddrs is Addrs sorted.
func SortedAddrs(rrs []dns.RR) []string {
	addrs := Addrs(rrs)
	slices.Sort(addrs)
	return addrs
}

// Chain sums up a reply's answer section record by record, in order, without TTLs and with
// names lower-cased: "NXDOMAIN: " first for an rcode other than NOERROR, then, for a CNAME
// chain, "a.example. CNAME b.example., b.example. A 192.0.2.53".
func Chain(m *dns.Msg) string {
	var parts []string
	for _, rr := range m.Answer {
		h := rr.Header()
		data := strings.TrimPrefix(rr.String(), h.String())
		parts = append(parts, strings.ToLower(h.Name)+" "+dns.TypeToString[h.Rrtype]+" "+strings.ToLower(data))
	}
	s := strings.Join(parts, ", ")
	if m.Rcode != dns.RcodeSuccess {
		s = dns.RcodeToString[m.Rcode] + ": " + s
	}
	return s
}
