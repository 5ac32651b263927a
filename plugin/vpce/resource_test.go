package vpce

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/coredns/coredns/plugin/pkg/dnstest"
	"github.com/coredns/coredns/plugin/test"
	"github.com/miekg/dns"

	"github.com/coredns-vpce/coredns-vpce/internal/testkit"
	"github.com/coredns-vpce/coredns-vpce/plugin/vpce/index"
	"github.com/coredns-vpce/coredns-vpce/plugin/vpce/inventory"
)

// The reference's fixture (testdata/resource.json): a Resource endpoint with two associations
// of a group, a ServiceNetwork endpoint with a resource, a service and an Inaccessible one.
const (
	ordersName  = "orders.cluster-c9xyzexample.us-east-1.rds.amazonaws.com."
	ordersTgt   = "vpce-0a1b2c3d4e5f60718.rcfg-0bb11cc22dd33ee55.4232ccc.vpc-lattice-rsc.us-east-1.on.aws."
	ordersRO    = "orders.cluster-ro-c9xyzexample.us-east-1.rds.amazonaws.com."
	ordersROTgt = "vpce-0a1b2c3d4e5f60718.rcfg-0cc11dd22ee33ff66.4232ccc.vpc-lattice-rsc.us-east-1.on.aws."
	dbName      = "db.payments.example.com."
	dbTgt       = "vpce-0f9e8d7c6b5a49382-snra-0e1f2a3b4c5d6e7f8.rcfg-0dd11ee22ff33aa77.4232ccc.vpc-lattice-rsc.us-east-1.on.aws."
	goneTgt     = "vpce-0f9e8d7c6b5a49382-snra-0f1e2d3c4b5a69788.rcfg-0ee11ff22aa33bb88.4232ccc.vpc-lattice-rsc.us-east-1.on.aws."
)

// latticeDNS stands for forward to public DNS: the on.aws names answer the endpoints' private
// addresses (the reference's table), any other name is NXDOMAIN.
var latticeDNS = map[string][]string{
	ordersTgt:   {"10.0.1.20", "10.0.2.20"},
	ordersROTgt: {"10.0.1.21", "10.0.2.21"},
	dbTgt:       {"10.0.1.71", "10.0.2.71"},
	goneTgt:     {"10.0.1.72", "10.0.2.72"},
}

func publicDNS(_ context.Context, w dns.ResponseWriter, r *dns.Msg) (int, error) {
	m := new(dns.Msg)
	m.SetReply(r)
	q := r.Question[0]
	addrs, ok := latticeDNS[strings.ToLower(q.Name)]
	if !ok {
		m.Rcode = dns.RcodeNameError
		m.Ns = []dns.RR{test.SOA("on.aws. 900 IN SOA ns.on.aws. hostmaster.on.aws. 1 7200 900 1209600 60")}
	}
	for _, a := range addrs {
		if q.Qtype == dns.TypeA {
			m.Answer = append(m.Answer, test.A(q.Name+" 60 IN A "+a))
		}
	}
	w.WriteMsg(m)
	return m.Rcode, nil
}

// lines renders records one a line, in order.
func lines(rrs []dns.RR) []string {
	out := make([]string, len(rrs))
	for i, rr := range rrs {
		out[i] = rr.String()
	}
	return out
}

func ask(t *testing.T, v *VPCE, name string, qtype uint16) *dns.Msg {
	t.Helper()
	m := new(dns.Msg)
	m.SetQuestion(name, qtype)
	return serve(t, v, m)
}

// latticeVPCE serves inv with publicDNS as the next plugin.
func latticeVPCE(t *testing.T, inv *inventory.Inventory, opts index.Options) (*VPCE, index.Report) {
	t.Helper()
	v := newBareVPCE(test.HandlerFunc(publicDNS), ".")
	ix, report := index.Build(inventory.NewCompact(inv), opts)
	v.index.Store(ix)
	return v, report
}

func TestCustomNames(t *testing.T) {
	v, report := latticeVPCE(t, testkit.ReadSnapshots(t, "testdata/resource.json"), index.Options{TTL: 60})
	if len(report.Skipped)+len(report.Conflicts) != 0 {
		t.Errorf("report %+v", report)
	}
	chain := func(name, target string, addrs ...string) []string {
		out := []string{name + "\t60\tIN\tCNAME\t" + target}
		for _, a := range addrs {
			out = append(out, target+"\t60\tIN\tA\t"+a)
		}
		return out
	}
	for _, tc := range []struct {
		name   string
		qtype  uint16
		rcode  int
		answer []string
	}{
		// The custom names: a CNAME to the default name, then its addresses, in one answer.
		{ordersName, dns.TypeA, dns.RcodeSuccess, chain(ordersName, ordersTgt, "10.0.1.20", "10.0.2.20")},
		{ordersRO, dns.TypeA, dns.RcodeSuccess, chain(ordersRO, ordersROTgt, "10.0.1.21", "10.0.2.21")},
		{dbName, dns.TypeA, dns.RcodeSuccess, chain(dbName, dbTgt, "10.0.1.71", "10.0.2.71")},
		// The question's case is echoed; the target is as AWS names it, lower-cased.
		{"DB.Payments.Example.COM.", dns.TypeA, dns.RcodeSuccess, chain("DB.Payments.Example.COM.", dbTgt, "10.0.1.71", "10.0.2.71")},
		// No AAAA for the target: the CNAME and the upstream's empty answer.
		{dbName, dns.TypeAAAA, dns.RcodeSuccess, chain(dbName, dbTgt)},
		// Asked for the CNAME itself: the CNAME alone.
		{dbName, dns.TypeCNAME, dns.RcodeSuccess, chain(dbName, dbTgt)},
		// The default names are public DNS's: the next plugin answers them directly.
		{ordersTgt, dns.TypeA, dns.RcodeSuccess, []string{ordersTgt + "\t60\tIN\tA\t10.0.1.20", ordersTgt + "\t60\tIN\tA\t10.0.2.20"}},
		// Below a custom name, without authoritative: the next plugin.
		{"x." + dbName, dns.TypeA, dns.RcodeNameError, nil},
	} {
		resp := ask(t, v, tc.name, tc.qtype)
		if got := lines(resp.Answer); resp.Rcode != tc.rcode || !slices.Equal(got, tc.answer) {
			t.Errorf("%s %s: %s %q, want %s %q", dns.TypeToString[tc.qtype], tc.name, dns.RcodeToString[resp.Rcode], got,
				dns.RcodeToString[tc.rcode], tc.answer)
		}
		if ours := len(resp.Answer) > 0 && resp.Answer[0].Header().Rrtype == dns.TypeCNAME; ours && (resp.Authoritative || !resp.RecursionAvailable) {
			t.Errorf("%s: flags aa=%v ra=%v, want a recursive resolver's", tc.name, resp.Authoritative, resp.RecursionAvailable)
		}
	}
}

// TestCustomNameRules: which associations serve, from variants of the fixture.
func TestCustomNameRules(t *testing.T) {
	served := func(inv *inventory.Inventory, opts index.Options) []string {
		ix, _ := index.Build(inventory.NewCompact(inv), opts)
		var names []string
		for name := range ix.CustomNames() {
			names = append(names, name)
		}
		slices.Sort(names)
		return names
	}
	all := []string{dbName, ordersName, ordersRO}
	for _, tc := range []struct {
		name   string
		change func(*inventory.Inventory)
		opts   index.Options
		want   []string
	}{
		{"as listed", nil, index.Options{}, all},
		{"private_dns all", nil, index.Options{PrivateDNS: index.PrivateDNSAll}, all},
		{"private_dns off", nil, index.Options{PrivateDNS: index.PrivateDNSOff}, nil},
		{"another VPC only", nil, index.Options{VPCs: []string{"vpc-other"}}, nil},
		{"the endpoints' VPC", nil, index.Options{VPCs: []string{"vpc-other", "vpc-0123456789abcdef0"}}, all},
		{"lower-case states", func(inv *inventory.Inventory) {
			inv.VpcEndpoints[0].State = "available"
			inv.VpcEndpointAssociations[0].AssociatedResourceAccessibility = aws.String("ACCESSIBLE")
		}, index.Options{}, all},
		{"endpoint pending", func(inv *inventory.Inventory) { inv.VpcEndpoints[0].State = "Pending" }, index.Options{}, []string{dbName}},
		{"private DNS disabled", func(inv *inventory.Inventory) { inv.VpcEndpoints[1].PrivateDnsEnabled = aws.Bool(false) }, index.Options{}, []string{ordersName, ordersRO}},
		{"association inaccessible", func(inv *inventory.Inventory) {
			inv.VpcEndpointAssociations[2].AssociatedResourceAccessibility = aws.String("Inaccessible")
		}, index.Options{}, []string{ordersName, ordersRO}},
		{"an inaccessible one with a custom name", func(inv *inventory.Inventory) {
			inv.VpcEndpointAssociations[4].PrivateDnsEntry = &types.DnsEntry{DnsName: aws.String("gone.payments.example.com")}
		}, index.Options{}, all},
		{"an unknown endpoint type", func(inv *inventory.Inventory) { inv.VpcEndpoints[1].VpcEndpointType = "Lattice2" }, index.Options{}, []string{ordersName, ordersRO}},
		{"an Interface endpoint's associations", func(inv *inventory.Inventory) { inv.VpcEndpoints[1].VpcEndpointType = "Interface" }, index.Options{}, []string{ordersName, ordersRO}},
		{"an association of an unknown endpoint", func(inv *inventory.Inventory) {
			inv.VpcEndpointAssociations[2].VpcEndpointId = aws.String("vpce-elsewhere")
		}, index.Options{}, []string{ordersName, ordersRO}},
		{"no default name", func(inv *inventory.Inventory) { inv.VpcEndpointAssociations[0].DnsEntry = nil }, index.Options{}, []string{dbName, ordersRO}},
		{"an older copy after a fresh one", func(inv *inventory.Inventory) {
			old := inv.VpcEndpoints[0]
			inv.VpcEndpoints[0].State = "Deleting"
			inv.VpcEndpoints = append(inv.VpcEndpoints, old)
		}, index.Options{}, []string{dbName}},
	} {
		inv := testkit.ReadSnapshots(t, "testdata/resource.json")
		if tc.change != nil {
			tc.change(inv)
		}
		tc.opts.TTL = 60
		if got := served(inv, tc.opts); !slices.Equal(got, tc.want) {
			t.Errorf("%s: serves %q, want %q", tc.name, got, tc.want)
		}
	}
}

// TestCustomNameAuthoritative: with authoritative, a name below a custom name is NXDOMAIN, as
// its private hosted zone answers, unless an interface endpoint serves it.
func TestCustomNameAuthoritative(t *testing.T) {
	inv := inventory.Merge(testkit.ReadSnapshots(t, "testdata/resource.json"), &inventory.Inventory{
		VpcEndpoints: []types.VpcEndpoint{{VpcEndpointId: aws.String("vpce-0i"), VpcEndpointType: "Interface", State: "available",
			PrivateDnsEnabled: aws.Bool(true), NetworkInterfaceIds: []string{"eni-0i"},
			DnsEntries: []types.DnsEntry{{DnsName: aws.String("api.db.payments.example.com")}}}},
		NetworkInterfaces: []types.NetworkInterface{{NetworkInterfaceId: aws.String("eni-0i"), PrivateIpAddress: aws.String("10.0.9.9")}},
	})
	v, _ := latticeVPCE(t, inv, index.Options{TTL: 30, Authoritative: true})
	before := testkit.Counted(t, "answers_total", "kind", "resource", "result", "nxdomain")
	resp := ask(t, v, "x.y."+dbName, dns.TypeA)
	if resp.Rcode != dns.RcodeNameError || len(resp.Ns) != 1 || resp.Ns[0].Header().Name != dbName || len(resp.Answer) != 0 {
		t.Errorf("below a custom name: %s", resp)
	}
	if got := testkit.Counted(t, "answers_total", "kind", "resource", "result", "nxdomain") - before; got != 1 {
		t.Errorf("answers_total{kind=resource,result=nxdomain} counted %v, want 1", got)
	}
	if resp := ask(t, v, "api."+dbName, dns.TypeA); testkit.Answer(resp) != "10.0.9.9" {
		t.Errorf("an interface endpoint's name below a custom name: %s", resp)
	}
	if resp := ask(t, v, dbName, dns.TypeA); len(resp.Answer) != 3 {
		t.Errorf("the custom name: %s", resp)
	}
}

// TestCustomNameUpstreamFails: the client gets the CNAME with the next plugin's rcode, whether
// the next plugin wrote a reply or left it to the server.
func TestCustomNameUpstreamFails(t *testing.T) {
	inv := testkit.ReadSnapshots(t, "testdata/resource.json")
	for _, tc := range []struct {
		name  string
		next  test.HandlerFunc
		rcode int
	}{
		{"written", func(_ context.Context, w dns.ResponseWriter, r *dns.Msg) (int, error) {
			m := new(dns.Msg)
			m.SetRcode(r, dns.RcodeRefused)
			w.WriteMsg(m)
			return dns.RcodeRefused, nil
		}, dns.RcodeRefused},
		{"left to the server", func(context.Context, dns.ResponseWriter, *dns.Msg) (int, error) {
			return dns.RcodeServerFailure, errors.New("no healthy upstream")
		}, dns.RcodeServerFailure},
	} {
		v := newBareVPCE(tc.next, ".")
		ix, _ := index.Build(inventory.NewCompact(inv), index.Options{TTL: 60})
		v.index.Store(ix)
		m := new(dns.Msg)
		m.SetQuestion(dbName, dns.TypeA)
		rec := dnstest.NewRecorder(&test.ResponseWriter{})
		rc, _ := v.ServeDNS(context.Background(), rec, m)
		if rec.Msg == nil {
			t.Fatalf("%s: nothing written", tc.name)
		}
		if got := lines(rec.Msg.Answer); rec.Msg.Rcode != tc.rcode || len(got) != 1 || !strings.Contains(got[0], "CNAME") {
			t.Errorf("%s: %s %q, want the CNAME with %s", tc.name, dns.RcodeToString[rec.Msg.Rcode], got, dns.RcodeToString[tc.rcode])
		}
		if rc == dns.RcodeServerFailure || rc == dns.RcodeRefused {
			t.Errorf("%s: returned %s: the server would write a second reply", tc.name, dns.RcodeToString[rc])
		}
	}
}
