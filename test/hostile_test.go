package test

// Hostile DNS input against the real server: malformed and unusual queries, raw garbage on
// the sockets, EDNS0 extremes and answers too large for UDP. Each case asserts the rcode
// CoreDNS (miekg/dns underneath) gives, and that the server keeps answering a known name
// correctly afterwards.

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/miekg/dns"

	"github.com/coredns-vpce/coredns-vpce/internal/testkit"
)

// The known answers of the bundled snapshot the hostile cases check the server by.
const (
	hostileKnown = "ssm.ap-northeast-1.amazonaws.com."
	// *.s3.ap-northeast-1.amazonaws.com answers for any name below it.
	hostileWildSuffix = ".s3.ap-northeast-1.amazonaws.com."
	hostileDual       = "sts.ap-northeast-1.amazonaws.com." // dualstack
)

var (
	hostileKnownAddrs = []string{"172.20.128.22", "172.20.144.169"}
	hostileWildAddrs  = []string{"172.20.130.41", "172.20.150.7"}
	hostileDualA      = []string{"172.20.132.90", "172.20.148.33"}
	hostileDualAAAA   = []string{"2406:da14:abc:8a00:1f2e:3d4c:5b6a:7981", "2406:da14:abc:8c00:9e8d:7c6b:5a49:3821"}
)

// hostileServer starts CoreDNS with the bundled snapshot, forwarding to the stub upstream.
func hostileServer(t *testing.T) map[string]string {
	t.Helper()
	udp, tcp := startServer(t, strings.ReplaceAll(exampleCorefile, "SNAPSHOT", "../example/snapshot.json"))
	return map[string]string{"udp": udp, "tcp": tcp}
}

// hostileSend writes one packed message to addr over network and returns the raw reply: over
// UDP one datagram, over TCP with the two-byte length framing. A nil reply means none came
// within wait.
func hostileSend(t *testing.T, network, addr string, packet []byte, wait time.Duration) []byte {
	t.Helper()
	conn, err := net.Dial(network, addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	conn.SetDeadline(time.Now().Add(wait))
	if network == "tcp" {
		packet = append(binary.BigEndian.AppendUint16(nil, uint16(len(packet))), packet...)
	}
	if _, err := conn.Write(packet); err != nil {
		t.Fatalf("write over %s: %v", network, err)
	}
	return hostileRead(t, network, conn)
}

// hostileRead reads one reply from conn, or returns nil on timeout or a closed connection.
func hostileRead(t *testing.T, network string, conn net.Conn) []byte {
	t.Helper()
	if network == "udp" {
		buf := make([]byte, 65536)
		n, err := conn.Read(buf)
		if err != nil {
			if !hostileTimeout(err) {
				t.Logf("udp read: %v", err)
			}
			return nil
		}
		return buf[:n]
	}
	var size [2]byte
	if _, err := io.ReadFull(conn, size[:]); err != nil {
		return nil
	}
	buf := make([]byte, binary.BigEndian.Uint16(size[:]))
	if _, err := io.ReadFull(conn, buf); err != nil {
		t.Fatalf("tcp: reply shorter than its length prefix: %v", err)
	}
	return buf
}

func hostileTimeout(err error) bool {
	var ne net.Error
	return errors.As(err, &ne) && ne.Timeout()
}

// hostileExchange sends m and returns the unpacked reply and its size on the wire.
func hostileExchange(t *testing.T, network, addr string, m *dns.Msg) (*dns.Msg, int) {
	t.Helper()
	packet, err := m.Pack()
	if err != nil {
		t.Fatal(err)
	}
	raw := hostileSend(t, network, addr, packet, 3*time.Second)
	if raw == nil {
		t.Fatalf("%s: no reply to %v", network, m.Question)
	}
	resp := new(dns.Msg)
	if err := resp.Unpack(raw); err != nil {
		t.Fatalf("%s: reply does not unpack: %v", network, err)
	}
	if resp.Id != m.Id || !resp.Response {
		t.Fatalf("%s: reply id %d qr %v, want id %d qr", network, resp.Id, resp.Response, m.Id)
	}
	return resp, len(raw)
}

func hostileQuery(name string, qtype uint16) *dns.Msg {
	m := new(dns.Msg)
	m.SetQuestion(name, qtype)
	return m
}

// hostileAddrs returns the addresses of the A and AAAA records in rrs, sorted, and fails on
// other records or on an owner other than name.
func hostileAddrs(t *testing.T, name string, rrs []dns.RR) []string {
	t.Helper()
	for _, rr := range rrs {
		if rr.Header().Name != name {
			t.Errorf("record %s: owner is not the question's %s", rr, name)
		}
		switch rr.(type) {
		case *dns.A, *dns.AAAA:
		default:
			t.Errorf("unexpected record %s", rr)
		}
	}
	return testkit.SortedAddrs(rrs)
}

// hostileStillServes checks the known name's answer over both transports.
func hostileStillServes(t *testing.T, addrs map[string]string) {
	t.Helper()
	for _, network := range []string{"udp", "tcp"} {
		resp := testkit.Query(t, network, addrs[network], hostileKnown, dns.TypeA)
		if got := hostileAddrs(t, hostileKnown, resp.Answer); resp.Rcode != dns.RcodeSuccess || !slices.Equal(got, hostileKnownAddrs) {
			t.Fatalf("afterwards over %s: %s %v, want NOERROR %v", network, dns.RcodeToString[resp.Rcode], got, hostileKnownAddrs)
		}
	}
}

func TestHostileQuestionCount(t *testing.T) {
	addrs := hostileServer(t)
	for _, network := range []string{"udp", "tcp"} {
		// miekg/dns's accept function rejects anything but one question with FORMERR, before
		// CoreDNS or a plugin sees it.
		for _, n := range []int{0, 2, 3} {
			t.Run(fmt.Sprintf("%s QDCOUNT %d", network, n), func(t *testing.T) {
				m := hostileQuery(hostileKnown, dns.TypeA)
				m.Question = nil
				for i := range n {
					m.Question = append(m.Question, dns.Question{Name: []string{hostileKnown, hostileDual, "example.org."}[i], Qtype: dns.TypeA, Qclass: dns.ClassINET})
				}
				resp, _ := hostileExchange(t, network, addrs[network], m)
				if resp.Rcode != dns.RcodeFormatError || len(resp.Answer) != 0 {
					t.Errorf("%s with %d answers, want FORMERR without any", dns.RcodeToString[resp.Rcode], len(resp.Answer))
				}
			})
		}
		// An answer section in a query (ANCOUNT 2) is rejected alike.
		t.Run(network+" ANCOUNT 2", func(t *testing.T) {
			m := hostileQuery(hostileKnown, dns.TypeA)
			a, _ := dns.NewRR(hostileKnown + " 60 IN A 10.6.6.6")
			m.Answer = []dns.RR{a, a}
			resp, _ := hostileExchange(t, network, addrs[network], m)
			if resp.Rcode != dns.RcodeFormatError {
				t.Errorf("%s, want FORMERR", dns.RcodeToString[resp.Rcode])
			}
		})
		// Opcodes other than QUERY and NOTIFY: NOTIMP.
		t.Run(network+" opcode UPDATE", func(t *testing.T) {
			m := hostileQuery(hostileKnown, dns.TypeA)
			m.Opcode = dns.OpcodeUpdate
			resp, _ := hostileExchange(t, network, addrs[network], m)
			if resp.Rcode != dns.RcodeNotImplemented {
				t.Errorf("%s, want NOTIMP", dns.RcodeToString[resp.Rcode])
			}
		})
	}
	hostileStillServes(t, addrs)
}

func TestHostileClass(t *testing.T) {
	addrs := hostileServer(t)
	// forward opens CoreDNS to classes other than IN; vpce passes them on, so the upstream
	// answers (the stub answers every A query with testkit.UpstreamAddr).
	for _, network := range []string{"udp", "tcp"} {
		for _, class := range []uint16{dns.ClassCHAOS, dns.ClassANY, dns.ClassHESIOD} {
			t.Run(fmt.Sprintf("%s %s", network, dns.ClassToString[class]), func(t *testing.T) {
				m := hostileQuery(hostileKnown, dns.TypeA)
				m.Question[0].Qclass = class
				resp, _ := hostileExchange(t, network, addrs[network], m)
				if resp.Rcode != dns.RcodeSuccess || len(resp.Answer) != 1 || resp.Answer[0].(*dns.A).A.String() != testkit.UpstreamAddr {
					t.Errorf("%s %v, want the upstream's answer", dns.RcodeToString[resp.Rcode], resp.Answer)
				}
			})
		}
	}
	hostileStillServes(t, addrs)
}

func TestHostileQtypeANY(t *testing.T) {
	addrs := hostileServer(t)
	want := slices.Sorted(slices.Values(slices.Concat(hostileDualA, hostileDualAAAA)))
	for _, network := range []string{"udp", "tcp"} {
		resp := testkit.Query(t, network, addrs[network], hostileDual, dns.TypeANY)
		if got := hostileAddrs(t, hostileDual, resp.Answer); resp.Rcode != dns.RcodeSuccess || !slices.Equal(got, want) {
			t.Errorf("%s ANY %s: %s %v, want %v", network, hostileDual, dns.RcodeToString[resp.Rcode], got, want)
		}
		// An IPv4-only name: its A records only.
		resp = testkit.Query(t, network, addrs[network], hostileKnown, dns.TypeANY)
		if got := hostileAddrs(t, hostileKnown, resp.Answer); !slices.Equal(got, hostileKnownAddrs) {
			t.Errorf("%s ANY %s: %v, want %v", network, hostileKnown, got, hostileKnownAddrs)
		}
	}
	hostileStillServes(t, addrs)
}

// hostileLongName is a name below the s3 wildcard of exactly wire bytes on the wire, its
// labels as long as allowed.
func hostileLongName(wire int) string {
	rest := wire - len(hostileWildSuffix) // as many wire bytes as presentation ones, with the dots
	var labels []string
	for rest > 0 {
		n := min(rest-1, 63)
		labels = append(labels, strings.Repeat(string(rune('a'+len(labels))), n))
		rest -= n + 1
	}
	return strings.Join(labels, ".") + hostileWildSuffix
}

func TestHostileLongNames(t *testing.T) {
	addrs := hostileServer(t)
	names := []string{
		hostileLongName(255), // the longest name there is
		strings.Repeat("x", 63) + hostileWildSuffix,
		strings.Repeat("y", 63) + "." + strings.Repeat("Z", 63) + hostileWildSuffix, // case kept in the answer
	}
	if n, err := dns.PackDomainName(names[0], make([]byte, 512), 0, nil, false); err != nil || n != 255 {
		t.Fatalf("long name: %d wire bytes (%v), want 255", n, err)
	}
	for _, network := range []string{"udp", "tcp"} {
		for _, name := range names {
			for _, edns := range []bool{false, true} {
				m := hostileQuery(name, dns.TypeA)
				if edns {
					m.SetEdns0(1232, false)
				}
				resp, size := hostileExchange(t, network, addrs[network], m)
				if got := hostileAddrs(t, name, resp.Answer); resp.Rcode != dns.RcodeSuccess || resp.Truncated || !slices.Equal(got, hostileWildAddrs) {
					t.Errorf("%s %d-byte name (edns %v): %s tc=%v %v, want %v", network, len(name), edns, dns.RcodeToString[resp.Rcode], resp.Truncated, got, hostileWildAddrs)
				}
				// Uncompressed, two records of a 255-byte owner exceed 512 bytes: the reply must
				// still fit a plain UDP client's buffer, compressed.
				if network == "udp" && !edns && size > dns.MinMsgSize {
					t.Errorf("udp reply of %d bytes to a client without EDNS", size)
				}
			}
		}
	}
	// Beyond the limits, the query cannot be unpacked: FORMERR from miekg/dns.
	for _, c := range []struct {
		what   string
		labels []int
	}{
		{"256-byte name", []int{63, 63, 63, 30}},
		{"64-byte label", []int{64}},
	} {
		var wire []byte
		wire = append(wire, 0xbe, 0xef, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0) // id, rd, QDCOUNT 1
		for i, n := range c.labels {
			wire = append(wire, byte(n))
			wire = append(wire, strings.Repeat(string(rune('a'+i)), n)...)
		}
		for _, l := range strings.Split(strings.Trim(hostileWildSuffix, "."), ".") {
			wire = append(wire, byte(len(l)))
			wire = append(wire, l...)
		}
		wire = append(wire, 0, 0, 1, 0, 1) // root, A, IN
		for _, network := range []string{"udp", "tcp"} {
			raw := hostileSend(t, network, addrs[network], wire, 3*time.Second)
			resp := new(dns.Msg)
			if raw == nil || resp.Unpack(raw) != nil {
				// miekg/dns may answer a header it cannot unpack fully with just the header.
				if raw == nil || len(raw) < 12 {
					t.Errorf("%s %s: no reply (%d bytes), want FORMERR", network, c.what, len(raw))
					continue
				}
				resp.Rcode = int(raw[3] & 0xf)
			}
			if resp.Rcode != dns.RcodeFormatError {
				t.Errorf("%s %s: %s, want FORMERR", network, c.what, dns.RcodeToString[resp.Rcode])
			}
		}
	}
	hostileStillServes(t, addrs)
}

// hostileGarbage is what the raw-socket cases write: truncated headers, pointer loops,
// responses, lies about lengths and random bytes.
func hostileGarbage() [][]byte {
	known, _ := hostileQuery(hostileKnown, dns.TypeA).Pack()
	g := [][]byte{
		{},
		{0x12},
		known[:11],                            // a header cut short
		known[:12],                            // QDCOUNT 1 and no question
		known[:len(known)-3],                  // a question cut short
		known[:len(known)-1],                  // the class cut in half
		slices.Concat(known, []byte{1, 2, 3}), // trailing bytes
		{0xbe, 0xef, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 12, 0, 1, 0, 1},          // a pointer to itself
		{0xbe, 0xef, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0xc0, 0xff, 0, 1, 0, 1},        // a pointer past the end
		{0xbe, 0xef, 1, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0x80, 'a', 0, 0, 1, 0, 1},      // a reserved label type
		{0xbe, 0xef, 0x81, 0x80, 0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 1},           // a response: ignored
		{0xbe, 0xef, 1, 0, 0, 1, 0, 0, 0, 0, 0xff, 0xff, 0, 0, 1, 0, 1},           // ARCOUNT 65535
		{0xbe, 0xef, 1, 0, 0, 1, 0, 0, 0, 0, 0, 1, 0, 0, 1, 0, 1, 0, 0, 41, 0, 0}, // an OPT cut short
	}
	// An OPT record whose option length runs past the end.
	opt := append(slices.Clone(known), 0, 0, 41, 0x10, 0, 0, 0, 0, 0, 0, 8, 0, 10, 0, 200, 1, 2)
	opt[11] = 1
	g = append(g, opt)
	r := rand.New(rand.NewPCG(1, 2))
	for range 40 {
		b := make([]byte, r.IntN(600))
		for i := range b {
			b[i] = byte(r.Uint32())
		}
		g = append(g, b)
	}
	// Random bytes behind a valid header with one question.
	for range 20 {
		b := append([]byte(nil), known[:12]...)
		for range r.IntN(300) {
			b = append(b, byte(r.Uint32()))
		}
		g = append(g, b)
	}
	return g
}

func TestHostileGarbageUDP(t *testing.T) {
	addrs := hostileServer(t)
	conn, err := net.Dial("udp", addrs["udp"])
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	garbage := hostileGarbage()
	for _, packet := range garbage {
		if _, err := conn.Write(packet); err != nil {
			t.Fatal(err)
		}
	}
	// Replies, if any, are well-formed: errors, or answers to what survived as a query.
	conn.SetDeadline(time.Now().Add(500 * time.Millisecond))
	replies := 0
	for raw := hostileRead(t, "udp", conn); raw != nil; raw = hostileRead(t, "udp", conn) {
		replies++
		if resp := new(dns.Msg); resp.Unpack(raw) != nil || !resp.Response {
			t.Errorf("reply %x does not unpack as a response", raw)
		}
	}
	t.Logf("%d garbage packets, %d replies", len(garbage), replies)
	hostileStillServes(t, addrs)
}

func TestHostileGarbageTCP(t *testing.T) {
	addrs := hostileServer(t)
	dial := func() net.Conn {
		conn, err := net.Dial("tcp", addrs["tcp"])
		if err != nil {
			t.Fatal(err)
		}
		conn.SetDeadline(time.Now().Add(3 * time.Second))
		return conn
	}
	// Every garbage message, framed, on a connection of its own, all at once.
	var conns []net.Conn
	for _, packet := range hostileGarbage() {
		conn := dial()
		conn.Write(append(binary.BigEndian.AppendUint16(nil, uint16(len(packet))), packet...))
		conns = append(conns, conn)
	}
	// Read them all at once: a connection the server leaves hanging must not eat the others'
	// time.
	var (
		wg      sync.WaitGroup
		replies atomic.Int32
	)
	for _, conn := range conns {
		conn.SetDeadline(time.Now().Add(time.Second))
		wg.Go(func() {
			defer conn.Close()
			var size [2]byte
			if _, err := io.ReadFull(conn, size[:]); err != nil {
				return // closed or left hanging
			}
			raw := make([]byte, binary.BigEndian.Uint16(size[:]))
			if _, err := io.ReadFull(conn, raw); err != nil {
				t.Errorf("reply shorter than its length prefix: %v", err)
				return
			}
			replies.Add(1)
			if resp := new(dns.Msg); resp.Unpack(raw) != nil || !resp.Response {
				t.Errorf("reply %x does not unpack as a response", raw)
			}
		})
	}
	wg.Wait()
	t.Logf("%d garbage messages, %d replies", len(conns), replies.Load())
	// Framing lies: a zero length, a length longer than what follows, half a length prefix,
	// and an unframed stream of random bytes, each on a connection then closed.
	for _, stream := range [][]byte{
		{0, 0},
		{0, 0, 0, 0, 0, 0},
		{1, 0, 'x', 'y'},
		{0xff},
		[]byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n"),
		slices.Repeat([]byte{0xff, 0xff}, 2000),
	} {
		conn := dial()
		conn.Write(stream)
		conn.Close()
	}
	// A valid query, then garbage on the same connection: the query is answered.
	known, _ := hostileQuery(hostileKnown, dns.TypeA).Pack()
	conn := dial()
	framed := append(binary.BigEndian.AppendUint16(nil, uint16(len(known))), known...)
	conn.Write(append(framed, 0, 5, 1, 2, 3, 4, 5))
	if raw := hostileRead(t, "tcp", conn); raw == nil {
		t.Error("no answer to a query followed by garbage on its connection")
	} else if resp := new(dns.Msg); resp.Unpack(raw) != nil || !slices.Equal(hostileAddrs(t, hostileKnown, resp.Answer), hostileKnownAddrs) {
		t.Errorf("query followed by garbage: %v", resp)
	}
	conn.Close()
	// Connections left idle in the middle of a message, while the server goes on serving.
	var idle []net.Conn
	for range 20 {
		c := dial()
		c.Write([]byte{0, 200, 0xbe, 0xef})
		idle = append(idle, c)
	}
	hostileStillServes(t, addrs)
	for _, c := range idle {
		c.Close()
	}
	hostileStillServes(t, addrs)
}

func TestHostileEDNS(t *testing.T) {
	addrs := hostileServer(t)
	for _, network := range []string{"udp", "tcp"} {
		for _, size := range []uint16{0, 100, 511, 512, 1232, 4096, 65535} {
			for _, do := range []bool{false, true} {
				t.Run(fmt.Sprintf("%s bufsize %d do %v", network, size, do), func(t *testing.T) {
					m := hostileQuery(hostileKnown, dns.TypeA)
					m.SetEdns0(size, do)
					resp, _ := hostileExchange(t, network, addrs[network], m)
					if got := hostileAddrs(t, hostileKnown, resp.Answer); resp.Rcode != dns.RcodeSuccess || resp.Truncated || !slices.Equal(got, hostileKnownAddrs) {
						t.Errorf("%s tc=%v %v, want NOERROR %v", dns.RcodeToString[resp.Rcode], resp.Truncated, got, hostileKnownAddrs)
					}
					// Plain records: no DNSSEC, even with DO; the DO bit is echoed in the OPT.
					if resp.AuthenticatedData || len(resp.Ns) != 0 {
						t.Errorf("ad=%v authority %v, want a plain answer", resp.AuthenticatedData, resp.Ns)
					}
					opt := resp.IsEdns0()
					if opt == nil || opt.Version() != 0 || opt.Do() != do {
						t.Errorf("OPT %v, want version 0 with do=%v", opt, do)
					}
				})
			}
		}
		// No EDNS in, no OPT out.
		resp, _ := hostileExchange(t, network, addrs[network], hostileQuery(hostileKnown, dns.TypeA))
		if resp.IsEdns0() != nil {
			t.Errorf("%s: OPT in the reply to a query without EDNS", network)
		}
		// EDNS version 1: BADVERS, as CoreDNS answers it.
		m := hostileQuery(hostileKnown, dns.TypeA)
		m.SetEdns0(1232, false)
		m.IsEdns0().SetVersion(1)
		resp, _ = hostileExchange(t, network, addrs[network], m)
		if resp.Rcode != dns.RcodeBadVers || len(resp.Answer) != 0 {
			t.Errorf("%s EDNS version 1: %s with %d answers, want BADVERS", network, dns.RcodeToString[resp.Rcode], len(resp.Answer))
		}
		// Unknown options, a cookie and a client subnet: answered as usual.
		m = hostileQuery(hostileDual, dns.TypeAAAA)
		m.SetEdns0(1232, true)
		opt := m.IsEdns0()
		opt.Option = append(opt.Option, &dns.EDNS0_LOCAL{Code: 65001, Data: []byte("hostile")},
			&dns.EDNS0_COOKIE{Code: dns.EDNS0COOKIE, Cookie: "0102030405060708"},
			&dns.EDNS0_SUBNET{Code: dns.EDNS0SUBNET, Family: 1, SourceNetmask: 24, Address: net.IPv4(10, 9, 8, 0).To4()})
		resp, _ = hostileExchange(t, network, addrs[network], m)
		if got := hostileAddrs(t, hostileDual, resp.Answer); resp.Rcode != dns.RcodeSuccess || !slices.Equal(got, hostileDualAAAA) {
			t.Errorf("%s with EDNS options: %s %v, want %v", network, dns.RcodeToString[resp.Rcode], got, hostileDualAAAA)
		}
	}
	hostileStillServes(t, addrs)
}

// hostileBigInterfaces is how many interfaces the large answer's endpoint has: 40 A records
// make 685 bytes, beyond 512; with 40 AAAA records the answer (about 1,800 bytes) is beyond
// 1232 too.
const hostileBigInterfaces = 40

func hostileBigSnapshot(t *testing.T) (file string, a, aaaa []string) {
	t.Helper()
	ep := types.VpcEndpoint{
		VpcEndpointId: aws.String("vpce-0big"), VpcEndpointType: types.VpcEndpointTypeInterface, VpcId: aws.String("vpc-1"),
		State: types.StateAvailable, PrivateDnsEnabled: aws.Bool(true), IpAddressType: types.IpAddressTypeDualstack,
		DnsOptions: &types.DnsOptions{DnsRecordIpType: types.DnsRecordIpTypeDualstack},
		DnsEntries: []types.DnsEntry{{DnsName: aws.String("vpce-0big-abcd1234.big.us-east-1.vpce.amazonaws.com")}, {DnsName: aws.String("big.us-east-1.amazonaws.com")}},
	}
	var nis []types.NetworkInterface
	for i := range hostileBigInterfaces {
		id := fmt.Sprintf("eni-big%02d", i)
		v4, v6 := fmt.Sprintf("10.0.%d.%d", i/6, 10+i), fmt.Sprintf("2600:1f18::%x", 0x100+i)
		nis = append(nis, types.NetworkInterface{NetworkInterfaceId: aws.String(id), AvailabilityZone: aws.String(fmt.Sprintf("us-east-1%c", 'a'+i%6)),
			PrivateIpAddress: aws.String(v4), Ipv6Addresses: []types.NetworkInterfaceIpv6Address{{Ipv6Address: aws.String(v6)}}})
		ep.NetworkInterfaceIds = append(ep.NetworkInterfaceIds, id)
		a, aaaa = append(a, v4), append(aaaa, net.ParseIP(v6).String())
	}
	data, err := json.Marshal(map[string]any{"VpcEndpoints": []types.VpcEndpoint{ep}, "NetworkInterfaces": nis})
	if err != nil {
		t.Fatal(err)
	}
	file = filepath.Join(t.TempDir(), "big.json")
	if err := os.WriteFile(file, data, 0o644); err != nil {
		t.Fatal(err)
	}
	slices.Sort(a)
	slices.Sort(aaaa)
	return file, a, aaaa
}

func TestHostileLargeAnswer(t *testing.T) {
	file, a, aaaa := hostileBigSnapshot(t)
	udp, tcp := startServer(t, strings.ReplaceAll(exampleCorefile, "SNAPSHOT", file))
	addrs := map[string]string{"udp": udp, "tcp": tcp}
	all := slices.Sorted(slices.Values(slices.Concat(a, aaaa)))
	const name = "big.us-east-1.amazonaws.com."
	cases := []struct {
		network string
		qtype   uint16
		edns    uint16 // 0: no EDNS
		want    []string
		tc      bool
	}{
		{"udp", dns.TypeA, 0, a, true},
		{"udp", dns.TypeAAAA, 0, aaaa, true},
		{"udp", dns.TypeA, 100, a, true}, // below 512 counts as 512
		{"udp", dns.TypeANY, 1232, all, true},
		{"udp", dns.TypeA, 1232, a, false},
		{"udp", dns.TypeANY, 4096, all, false},
		{"udp", dns.TypeANY, 65535, all, false},
		{"tcp", dns.TypeA, 0, a, false},
		{"tcp", dns.TypeANY, 0, all, false},
		{"tcp", dns.TypeANY, 512, all, false},
	}
	for _, c := range cases {
		t.Run(fmt.Sprintf("%s %s edns %d", c.network, dns.TypeToString[c.qtype], c.edns), func(t *testing.T) {
			m := hostileQuery(name, c.qtype)
			limit := dns.MinMsgSize
			if c.edns > 0 {
				m.SetEdns0(c.edns, false)
				limit = max(int(c.edns), dns.MinMsgSize)
			}
			resp, size := hostileExchange(t, c.network, addrs[c.network], m)
			got := hostileAddrs(t, name, resp.Answer)
			if resp.Rcode != dns.RcodeSuccess || resp.Truncated != c.tc {
				t.Fatalf("%s tc=%v (%d records, %d bytes), want NOERROR tc=%v", dns.RcodeToString[resp.Rcode], resp.Truncated, len(got), size, c.tc)
			}
			if c.network == "udp" && size > limit {
				t.Errorf("%d bytes over UDP, the client's limit is %d", size, limit)
			}
			if !c.tc && !slices.Equal(got, c.want) {
				t.Errorf("%d records, want all %d", len(got), len(c.want))
			}
			if c.tc {
				// A truncated answer holds only records of the set, fewer than all of them.
				if len(got) >= len(c.want) {
					t.Errorf("TC with all %d records", len(got))
				}
				for _, ip := range got {
					if !slices.Contains(c.want, ip) {
						t.Errorf("truncated answer holds %s, not one of the name's", ip)
					}
				}
			}
		})
	}
	// The client's retry over TCP of the truncated UDP answer gets everything.
	resp := testkit.Query(t, "tcp", tcp, name, dns.TypeANY)
	if got := hostileAddrs(t, name, resp.Answer); resp.Truncated || !slices.Equal(got, all) {
		t.Errorf("tcp ANY: tc=%v %d records, want %d", resp.Truncated, len(got), len(all))
	}
	// And the server still serves the small answers.
	for _, network := range []string{"udp", "tcp"} {
		resp := testkit.Query(t, network, addrs[network], "vpce-0big-abcd1234.big.us-east-1.vpce.amazonaws.com.", dns.TypeA)
		if got := hostileAddrs(t, resp.Question[0].Name, resp.Answer); !slices.Equal(got, a) {
			t.Errorf("%s regional name: %d records, want %d", network, len(got), len(a))
		}
	}
}
