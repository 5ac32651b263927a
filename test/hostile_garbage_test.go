package test

// Hostile input on the raw sockets: truncated headers, pointer loops, lies about lengths,
// random bytes and idle connections, over UDP and TCP (hostile_test.go has the helpers).

import (
	"encoding/binary"
	"io"
	"math/rand/v2"
	"net"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/miekg/dns"
)

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
