package main

import (
	"net"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
)

// TestRPZConfigs: the configurations of the side by side pass the servers' own checkers.
func TestRPZConfigs(t *testing.T) {
	dir := t.TempDir()
	corefile := dir + "/Corefile"
	if err := writeRPZCorefile(corefile, 5300, "/tmp/snapshot.json", []string{"127.0.0.1:5301", "127.0.0.1:5302"}); err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(corefile)
	for _, want := range []string{"rpz vpce.rpz", "transfer vpce.rpz {", "to 127.0.0.1:5301 127.0.0.1:5302", "snapshot /tmp/snapshot.json"} {
		if !strings.Contains(string(b), want) {
			t.Errorf("the Corefile lacks %q:\n%s", want, b)
		}
	}
	for _, c := range []struct {
		tool  string
		write func(dir string, port, primary int, rpz, logRPZ bool) (string, error)
	}{{"named-checkconf", writeBindConf}, {"unbound-checkconf", writeUnboundConf}} {
		for _, rpz := range []bool{true, false} {
			for _, logRPZ := range []bool{true, false} {
				sub := t.TempDir()
				file, err := c.write(sub, 5301, 5300, rpz, logRPZ)
				if err != nil {
					t.Fatal(err)
				}
				conf, _ := os.ReadFile(file)
				forwards := strings.Contains(string(conf), "forward-addr: 127.0.0.1@5300") || strings.Contains(string(conf), "forwarders { 127.0.0.1 port 5300; }")
				if rpz == forwards || rpz != strings.Contains(string(conf), "vpce.rpz") {
					t.Errorf("%s (rpz %v): the zone, or else the forward zone to the primary:\n%s", file, rpz, conf)
				}
				if lookTool(c.tool) == "" {
					continue
				}
				if err := checkConf(t.Context(), c.tool, file); err != nil {
					t.Errorf("rpz=%v log=%v: %v", rpz, logRPZ, err)
				}
			}
		}
	}
}

// TestAXFR: axfr counts what a server transfers.
func TestAXFR(t *testing.T) {
	soa, _ := dns.NewRR("vpce.rpz. 60 IN SOA localhost. hostmaster.localhost. 7 60 60 600 60")
	var rrs []dns.RR
	for i := range 3000 {
		rr, _ := dns.NewRR("n" + strings.Repeat("x", i%40) + ".vpce.rpz. 60 IN A 10.0.0.1")
		rrs = append(rrs, rr)
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	srv := &dns.Server{Listener: l, Handler: dns.HandlerFunc(func(w dns.ResponseWriter, r *dns.Msg) {
		ch := make(chan *dns.Envelope)
		tr := new(dns.Transfer)
		go func() {
			ch <- &dns.Envelope{RR: append([]dns.RR{soa}, rrs[:1000]...)}
			ch <- &dns.Envelope{RR: rrs[1000:2000]}
			ch <- &dns.Envelope{RR: append(rrs[2000:], soa)}
			close(ch)
		}()
		_ = tr.Out(w, r, ch)
		w.Hijack()
	})}
	go srv.ActivateAndServe()
	defer srv.Shutdown()
	records, msgs, bytes, err := axfr(l.Addr().String(), "vpce.rpz.")
	if err != nil {
		t.Fatal(err)
	}
	if records != 3002 || msgs != 3 || bytes < 3002*16 {
		t.Errorf("%d records in %d messages, %d bytes; want 3002 in 3, more than %d bytes", records, msgs, bytes, 3002*16)
	}
}

// TestRPZReport: the table's ratios are against coredns-vpce direct, round by round.
func TestRPZReport(t *testing.T) {
	run := func(qps float64, cpu time.Duration, completed int64) perf {
		return perf{sent: completed, completed: completed, qps: qps, cpu: cpu, noerror: 100}
	}
	r := &rpzResult{endpoints: 10, names: 47, servers: []*rpzServer{
		{name: "vpce-direct", what: "direct", runs: []perf{run(100, 2*time.Second, 100_000), run(200, 2*time.Second, 100_000)}, backend: []time.Duration{2 * time.Second, 2 * time.Second}},
		{name: "bind-rpz", what: "rpz", runs: []perf{run(300, time.Second, 100_000), run(300, time.Second, 100_000)}, backend: []time.Duration{0, 0}},
	}}
	var b strings.Builder
	r.write(&b, options{rpz: 10, rounds: 2})
	out := b.String()
	// QPS ratios 3 and 1.5: median 2.25; CPU per query 10 us against 20 us.
	for _, want := range []string{"Response Policy Zone side by side", "| bind-rpz ", " 2.250 |", " 0.500 |", " 10.0 us |", " 0.0 us |"} {
		if !strings.Contains(out, want) {
			t.Errorf("the report lacks %q:\n%s", want, out)
		}
	}
}
