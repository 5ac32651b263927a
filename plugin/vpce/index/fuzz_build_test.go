package index

// The fuzz targets of the snapshot parser and the index builder: every input parses or fails
// with file:line:col, and every index built keeps the invariants checkIndex lists.

import (
	"fmt"
	"net"
	"net/netip"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/coredns-vpce/coredns-vpce/plugin/vpce/inventory"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/miekg/dns"
)

// fuzzSnapshots are snapshot files worth mutating: the fixtures of every kind of name.
var fuzzSnapshots = []string{"../testdata/answers.json", "../../../example/snapshot.json"}

var snapshotErr = regexp.MustCompile(`^fuzz\.json:([0-9]+):([0-9]+): `)

func FuzzSnapshot(f *testing.F) {
	for _, file := range append(slices.Clone(fuzzSnapshots), "../testdata/unknown.json", "../testdata/resource.json", "../testdata/vpcs.json") {
		data, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(data)
	}
	for _, s := range []string{
		``, `{}`, `[]`, `null`, `{"VpcEndpoints": null}`, `{"VpcEndpoints": {}}`, `{"VpcEndpoints": [1]}`,
		"{\"VpcEndpoints\": [\n{\"VpcEndpointId\": \"vpce-1\"", `{} {}`, `{"NextToken": "x", "VpcEndpoints": []}`,
		`{"VpcEndpoints": [{"VpcEndpointId": "vpce-1", "VpcEndpointType": "Interface", "State": "available", "CreationTimestamp": "yesterday"}]}`,
		`{"VpcEndpoints": [{"VpcEndpointId": "vpce-1", "VpcEndpointType": "Interface", "State": "available", "PrivateDnsEnabled": true,
		  "NetworkInterfaceIds": ["eni-1", "eni-1"], "DnsEntries": [{"DnsName": "*.x.example.com"}, {"DnsName": "a.*.b.com"}, {"DnsName": "*.com"}]}],
		  "NetworkInterfaces": [{"NetworkInterfaceId": "eni-1", "PrivateIpAddress": "10.0.0.1", "Ipv6Address": "10.0.0.2",
		  "PrivateIpAddresses": [{"PrivateIpAddress": "fe80::1"}], "Ipv6Addresses": [{"Ipv6Address": "::ffff:10.0.0.3"}]}]}`,
		`{"ServiceDetails": [{"ServiceName": "com.amazonaws.us-east-1.s3"}], "NetworkInterfaces": [{"NetworkInterfaceId": "eni-1"}]}`,
		"{\"VpcEndpoints\": [{\"VpcEndpointId\": \"vpce-1\", \"State\": \"sleeping\"}]}",
		`{"VpcEndpoints": [{"VpcEndpointId": "vpce-1", "VpcEndpointType": "ServiceNetwork", "State": "AVAILABLE", "PrivateDnsEnabled": true}],
		  "VpcEndpointAssociations": [{"Id": "a", "VpcEndpointId": "VPCE-1", "AssociatedResourceAccessibility": "Degraded"},
		  {"Id": "b", "VpcEndpointId": "vpce-1", "AssociatedResourceAccessibility": "accessible", "DnsEntry": {"DnsName": "*.x.on.aws"},
		   "PrivateDnsEntry": {"DnsName": "db.example.com"}}, {"Id": "c", "VpcEndpointId": "vpce-1", "AssociatedResourceAccessibility": "Accessible",
		   "DnsEntry": {"DnsName": "db.example.com"}, "PrivateDnsEntry": {"DnsName": "DB.example.com."}}]}`,
		`{"VpcEndpointAssociations": [{"Id": "a"}]}`, `{"VpcEndpointAssociations": [{"Id": "a", "VpcEndpointId": "v", "PrivateDnsEntry": null}]}`,
		"\xef\xbb\xbf{}", "{\"VpcEndpoints\": [{\"VpcEndpointId\": \"\xff\"}]}", strings.Repeat("[", 20000),
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		inv, err := inventory.Parse("fuzz.json", data)
		if err != nil {
			checkSnapshotErr(t, data, err)
			return
		}
		if inv == nil {
			t.Fatal("no inventory and no error")
		}
		checkCompact(t, inv)
		for _, opts := range []Options{{TTL: 60}, {TTL: 0, Authoritative: true}, {TTL: 5, VPCs: []string{"vpc-2", "vpc-1"}}} {
			ix, report := Build(inventory.NewCompact(inv), opts)
			checkIndex(t, ix)
			checkCustomNames(t, inv, opts, ix)
			checkUnknownReported(t, inv, opts, report)
		}
	})
}

// checkCompact checks that what a Compact keeps of inv builds the same index and has the same
// fingerprint.
func checkCompact(t *testing.T, inv *inventory.Inventory) {
	t.Helper()
	trimmed := inventory.NewCompact(inv).Inventory()
	if inventory.Fingerprint(inventory.NewCompact(trimmed)) != inventory.Fingerprint(inventory.NewCompact(inv)) {
		t.Error("the compacted inventory's fingerprint differs")
	}
	opts := Options{TTL: 60, PrivateDNS: PrivateDNSAll, Affinity: AffinityPrefer}
	full, _ := Build(inventory.NewCompact(inv), opts)
	cut, _ := Build(inventory.NewCompact(trimmed), opts)
	if d1, d2 := dumpIndex(full), dumpIndex(cut); d1 != d2 {
		t.Errorf("the compacted inventory builds another index:\n%s\n---\n%s", d1, d2)
	}
}

// checkSnapshotErr checks that err names the file and a line and column inside data.
func checkSnapshotErr(t *testing.T, data []byte, err error) {
	t.Helper()
	sm := snapshotErr.FindStringSubmatch(err.Error())
	if sm == nil {
		t.Fatalf("error without file:line:col: %q", err)
	}
	line, _ := strconv.Atoi(sm[1])
	col, _ := strconv.Atoi(sm[2])
	lines := strings.Split(string(data), "\n")
	if line < 1 || line > len(lines) || col < 1 || col > len(lines[line-1])+1 {
		t.Fatalf("error %q points outside the input (%d lines)", err, len(lines))
	}
}

// checkIndex checks the invariants of a built index and looks up every name in it.
func checkIndex(t *testing.T, ix *Index) {
	t.Helper()
	checkName := func(what, name string, star bool) {
		if name != strings.ToLower(name) {
			t.Errorf("%s %q is not lower-case", what, name)
		}
		if !dns.IsFqdn(name) {
			t.Errorf("%s %q is not an FQDN", what, name)
		}
		if _, ok := dns.IsDomainName(name); !ok {
			t.Errorf("%s %q is not a domain name", what, name)
		}
		buf := make([]byte, 1024)
		if n, err := dns.PackDomainName(name, buf, 0, nil, false); err != nil || n > 255 {
			t.Errorf("%s %q: %d wire bytes (%v), want at most 255", what, name, n, err)
		}
		rest := name
		if star {
			rest = strings.TrimPrefix(name, "*.")
		}
		if strings.Contains(rest, "*") {
			t.Errorf("%s %q holds a '*'", what, name)
		}
	}
	tab := tableOf(ix)
	for name, s := range tab.exact {
		checkName("exact name", name, false)
		checkRRset(t, name, s)
		if got, _, res := ix.Lookup([]byte(name)); res != Answer || &ix.rrsets[got] != s.rs {
			t.Errorf("lookup(%q) = %v, want its own records", name, res)
		}
	}
	for name, s := range tab.wild {
		checkName("wildcard apex", name, false)
		// The wildcard itself must be a valid name, or no name below it could be asked for.
		checkName("wildcard", "*."+name, true)
		if dns.CountLabel(name) < 2 {
			t.Errorf("wildcard *.%s captures a top-level domain or the root", name)
		}
		checkRRset(t, "*."+name, s)
		if below := "x." + name; len(below) <= 254 {
			if _, _, res := ix.Lookup([]byte(below)); res != Answer {
				t.Errorf("lookup(%q) below a wildcard = %v, want answer", below, res)
			}
		}
		if set2, _, res := ix.Lookup([]byte(name)); res == Answer && &ix.rrsets[set2] == s.rs && tab.exact[name].rs != s.rs {
			t.Errorf("lookup(%q): the apex matched its own wildcard", name)
		}
	}
	for name := range tab.apexes {
		checkName("zone", name, false)
	}
	if ix.custom != nil {
		for name, c := range ix.custom.names {
			checkName("custom name", name, false)
			checkName("CNAME target", c.target, false)
			if c.zone != name || name == c.target {
				t.Errorf("custom name %q: zone %q, target %q", name, c.zone, c.target)
			}
		}
	}
}

func checkRRset(t *testing.T, name string, s servedName) {
	t.Helper()
	if s.rs == nil || !dns.IsFqdn(s.zone) {
		t.Fatalf("%s: no records or no zone", name)
	}
	for _, ip := range s.a {
		if len(ip) != net.IPv4len || ip.To4() == nil {
			t.Errorf("%s: A record address %v is not IPv4", name, ip)
		}
	}
	for _, ip := range s.aaaa {
		if len(ip) != net.IPv6len || ip.To4() != nil {
			t.Errorf("%s: AAAA record address %v is not IPv6", name, ip)
		}
	}
}

// fuzzReader hands out the fuzzer's control bytes, then zeros.
type fuzzReader struct{ b []byte }

func (r *fuzzReader) next() int {
	if len(r.b) == 0 {
		return 0
	}
	c := r.b[0]
	r.b = r.b[1:]
	return int(c)
}

// pick returns one of list, chosen by the next control byte.
func pick[T any](r *fuzzReader, list []T) T { return list[r.next()%len(list)] }

// optString returns nil or a pointer to s, by the next control byte.
func (r *fuzzReader) optString(s string) *string {
	if r.next()%4 == 0 {
		return nil
	}
	return aws.String(s)
}

var (
	fuzzEndpointIDs = []string{"vpce-0a", "vpce-0b", "VPCE-0A", "vpce-0c", "", "vpce-0d"}
	fuzzENIIDs      = []string{"eni-1", "eni-2", "eni-3", "eni-1", "", "eni-4", "eni-5"}
	fuzzTypes       = []types.VpcEndpointType{"Interface", "interface", "Gateway", "GatewayLoadBalancer", "Resource", "bogus", "", "ServiceNetwork"}
	fuzzStates      = []types.State{"available", "Available", "AVAILABLE", "pendingAcceptance", "pending", "deleting", "deleted",
		"rejected", "failed", "expired", "partial", "bogus", ""}
	fuzzIPTypes  = []string{"ipv4", "ipv6", "dualstack", "service-defined", "IPV6", "Dualstack", "not-specified", "bogus", ""}
	fuzzAZs      = []string{"us-east-1a", "US-EAST-1B", "us-east-1c", ""}
	fuzzVPCs     = []string{"vpc-1", "vpc-2", "vpc-3", ""}
	fuzzServices = []string{"com.amazonaws.us-east-1.s3", "com.amazonaws.vpce.us-east-1.vpce-svc-0abc", "", "com.amazonaws.us-east-1.ssm"}
)

// FuzzBuild builds an inventory from fuzzed parts (names, addresses, and control bytes that
// pick ids, types, states, record types and which interfaces each endpoint lists) and checks
// the built index's invariants.
func FuzzBuild(f *testing.F) {
	f.Add([]byte{3, 0, 0, 0, 0, 1, 1, 2, 2, 1, 0, 0, 1, 1, 1, 2, 2, 1, 3, 0, 0, 0, 0, 1, 2, 1, 1, 2, 0, 1, 2, 3, 4},
		"ssm.us-east-1.amazonaws.com\n*.s3.us-east-1.amazonaws.com\nSTS.US-EAST-1.AMAZONAWS.COM.\n*.com\na.*.b.example\n\n.",
		"10.0.0.1\n10.0.0.2\n2600:1f18::1\nnot-an-ip\n::ffff:10.1.1.1\n10.0.0.1")
	f.Add([]byte{6, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30},
		strings.Repeat("a", 64)+".example.com\n"+strings.Repeat(strings.Repeat("b", 63)+".", 4)+"com\nx\\.y.example.com\nfoo bar.example.com\n\xff.example.com",
		"fe80::1%eth0\n300.1.1.1\n\n0.0.0.0\n::")
	f.Add([]byte{2, 0, 3, 0, 0, 0, 0, 0, 2, 0, 0, 0, 0, 1, 3, 2, 2, 0, 3, 3, 0, 0, 0, 1, 1, 3, 3, 4},
		"*."+strings.Repeat(strings.Repeat("c", 62)+".", 4)[2:]+"com\n*.x.example.com\nx.example.com",
		"10.9.9.9\n2600::9")
	// A Resource endpoint with private DNS and an Accessible association: one custom name.
	f.Add([]byte{0, 0, 0, 1, 0, 1, 4, 0, 0, 1, 0, 0, 0, 1, 0, 0, 0, 0, 60, 0, 0, 0, 1, 0, 1, 0, 1, 0, 1, 1, 1, 1, 1, 0, 1},
		"db.payments.example.com\nvpce-0a.rcfg-1.4232ccc.vpc-lattice-rsc.us-east-1.on.aws", "10.0.0.1")
	f.Fuzz(func(t *testing.T, ctl []byte, names, addrs string) {
		inv, opts := fuzzInventoryOf(ctl, strings.Split(names, "\n"), strings.Split(addrs, "\n"))
		ix, report := Build(inventory.NewCompact(inv), opts)
		checkIndex(t, ix)
		checkContributors(t, inv, opts, ix)
		checkCustomNames(t, inv, opts, ix)
		checkUnknownReported(t, inv, opts, report)
		// Each client gets its VPC's own answer for a name offered in several VPCs, else the default.
		tab := tableOf(ix)
		for _, a := range strings.Split(addrs, "\n") {
			ip, err := netip.ParseAddr(a)
			if err != nil {
				continue
			}
			pl, _ := ix.clients.lookup(ip)
			for name, s := range tab.exact {
				set, _, _ := ix.Lookup([]byte(name))
				want := s.rs
				if own, ok := s.perVPC[pl.vpc]; ok {
					want = own.rs
				}
				if got := ix.forVPC(set, pl.vpc); got != want {
					t.Errorf("%s for a client of %q (%s): not its VPC's answer", name, pl.vpc, ip)
				}
			}
		}
	})
}

func fuzzInventoryOf(ctl []byte, names, addrs []string) (*inventory.Inventory, Options) {
	r := &fuzzReader{b: ctl}
	inv := &inventory.Inventory{}
	for range r.next() % 8 {
		ni := types.NetworkInterface{
			NetworkInterfaceId: aws.String(pick(r, fuzzENIIDs)),
			AvailabilityZone:   r.optString(pick(r, fuzzAZs)),
			PrivateIpAddress:   r.optString(pick(r, addrs)),
			Ipv6Address:        r.optString(pick(r, addrs)),
		}
		for range r.next() % 3 {
			ni.PrivateIpAddresses = append(ni.PrivateIpAddresses, types.NetworkInterfacePrivateIpAddress{PrivateIpAddress: r.optString(pick(r, addrs))})
		}
		for range r.next() % 3 {
			ni.Ipv6Addresses = append(ni.Ipv6Addresses, types.NetworkInterfaceIpv6Address{Ipv6Address: r.optString(pick(r, addrs))})
		}
		inv.NetworkInterfaces = append(inv.NetworkInterfaces, ni)
	}
	for range r.next() % 4 {
		sd := types.ServiceDetail{
			ServiceName:                     aws.String(pick(r, fuzzServices)),
			Owner:                           r.optString(pick(r, []string{"amazon", "123456789012", "AMAZON"})),
			PrivateDnsNameVerificationState: pick(r, []types.DnsNameState{"verified", "pendingVerification", "failed", "Verified", ""}),
			PrivateDnsName:                  r.optString(pick(r, names)),
		}
		for range r.next() % 3 {
			sd.PrivateDnsNames = append(sd.PrivateDnsNames, types.PrivateDnsDetails{PrivateDnsName: r.optString(pick(r, names))})
		}
		inv.ServiceDetails = append(inv.ServiceDetails, sd)
	}
	for range r.next() % 3 {
		inv.Subnets = append(inv.Subnets, types.Subnet{
			VpcId:              r.optString(pick(r, fuzzVPCs)),
			AvailabilityZone:   r.optString(pick(r, fuzzAZs)),
			AvailabilityZoneId: r.optString(pick(r, []string{"use1-az1", "USE1-AZ2", "", "bogus"})),
			CidrBlock:          r.optString(pick(r, addrs) + pick(r, []string{"/24", "/32", "/0", "/33", "", "/64"})),
			Ipv6CidrBlockAssociationSet: []types.SubnetIpv6CidrBlockAssociation{
				{Ipv6CidrBlock: r.optString(pick(r, addrs) + pick(r, []string{"/64", "/128", "/129", ""}))},
			},
		})
	}
	for range r.next() % 7 {
		id := pick(r, fuzzEndpointIDs)
		ep := types.VpcEndpoint{
			VpcEndpointId:   r.optString(id),
			VpcEndpointType: pick(r, fuzzTypes),
			State:           pick(r, fuzzStates),
			VpcId:           r.optString(pick(r, fuzzVPCs)),
			IpAddressType:   types.IpAddressType(pick(r, fuzzIPTypes)),
			ServiceName:     r.optString(pick(r, fuzzServices)),
		}
		if r.next()%2 == 0 {
			ep.DnsOptions = &types.DnsOptions{DnsRecordIpType: types.DnsRecordIpType(pick(r, fuzzIPTypes)),
				PrivateDnsOnlyForInboundResolverEndpoint: aws.Bool(r.next()%2 == 0)}
		}
		switch r.next() % 3 {
		case 0:
			ep.PrivateDnsEnabled = aws.Bool(true)
		case 1:
			ep.PrivateDnsEnabled = aws.Bool(false)
		}
		if c := r.next() % 4; c > 0 {
			ep.CreationTimestamp = aws.Time(time.Date(2024, 1, c, 0, 0, 0, 0, time.UTC))
		}
		for range r.next() % 4 {
			ep.NetworkInterfaceIds = append(ep.NetworkInterfaceIds, pick(r, fuzzENIIDs))
		}
		for range r.next() % 6 {
			name := pick(r, names)
			switch r.next() % 6 {
			case 1:
				name = "*." + name
			case 2:
				name = strings.ToUpper(name) + "."
			case 3: // regional
				name = id + "-abcd1234." + name
			case 4: // zonal
				name = id + "-abcd1234-" + pick(r, fuzzAZs) + "." + name
			case 5:
				name = fmt.Sprintf("*.%s-abcd1234.%s", id, name)
			}
			ep.DnsEntries = append(ep.DnsEntries, types.DnsEntry{DnsName: r.optString(name)})
		}
		inv.VpcEndpoints = append(inv.VpcEndpoints, ep)
	}
	opts := Options{TTL: uint32(r.next()), Authoritative: r.next()%2 == 1,
		PrivateDNS: pick(r, []PrivateDNSMode{PrivateDNSEnabled, PrivateDNSAll, PrivateDNSOff})}
	switch r.next() % 3 {
	case 1:
		opts.VPCs = []string{"vpc-2"}
	case 2:
		opts.VPCs = []string{"vpc-3", "vpc-1"}
	}
	// Associations last, so that the corpus's earlier entries keep their meaning.
	for range r.next() % 6 {
		as := types.VpcEndpointAssociation{
			Id:                              r.optString(pick(r, []string{"vpce-rsc-asc-1", "vpce-rsc-asc-2", "vpce-svc-asc-3", ""})),
			VpcEndpointId:                   r.optString(pick(r, fuzzEndpointIDs)),
			AssociatedResourceAccessibility: r.optString(pick(r, []string{"Accessible", "ACCESSIBLE", "Inaccessible", "Degraded", ""})),
		}
		if r.next()%3 > 0 {
			as.DnsEntry = &types.DnsEntry{DnsName: r.optString(pick(r, names))}
		}
		if r.next()%3 > 0 {
			as.PrivateDnsEntry = &types.DnsEntry{DnsName: r.optString(pick(r, names))}
		}
		inv.VpcEndpointAssociations = append(inv.VpcEndpointAssociations, as)
	}
	for range r.next() % 3 {
		if p, err := netip.ParsePrefix(pick(r, addrs) + pick(r, []string{"/8", "/24", "/32", "/64", "/0"})); err == nil {
			opts.VPCRanges = append(opts.VPCRanges, VPCRange{VPC: pick(r, fuzzVPCs), Prefixes: []netip.Prefix{p}})
		}
	}
	return inv, opts
}

// checkContributors checks that every served name is offered by an available Interface
// endpoint (the first of those with its id), a private name only by one with private DNS, and
// that its addresses are those of such an endpoint's interfaces.
func checkContributors(t *testing.T, inv *inventory.Inventory, opts Options, ix *Index) {
	t.Helper()
	enis := map[string]*types.NetworkInterface{}
	for i := range inv.NetworkInterfaces {
		ni := &inv.NetworkInterfaces[i]
		if id := aws.ToString(ni.NetworkInterfaceId); id != "" && enis[id] == nil {
			enis[id] = ni
		}
	}
	services := servicePrivateNames(inventory.NewCompact(inv).Services) // its owner check is TestPrivateDNSModes's
	type offer struct {
		private bool
		vpc     string
		addrs   map[string]bool
	}
	offers := map[string][]offer{} // by index key, with "*." for wildcards
	// Only the first copy of an endpoint id counts, as the README says of fresh sources and
	// the cache file: a later copy never serves, whatever the first holds.
	var firsts []types.VpcEndpoint
	for _, ep := range inv.VpcEndpoints {
		id := strings.ToLower(aws.ToString(ep.VpcEndpointId))
		if id != "" && !slices.ContainsFunc(firsts, func(f types.VpcEndpoint) bool { return strings.EqualFold(aws.ToString(f.VpcEndpointId), id) }) {
			firsts = append(firsts, ep)
		}
	}
	eligible := 0
	for _, ep := range firsts {
		id := strings.ToLower(aws.ToString(ep.VpcEndpointId))
		if _, unknown := fuzzUnknownEnum(&ep); unknown {
			continue
		}
		if !strings.EqualFold(string(ep.VpcEndpointType), "Interface") || !strings.EqualFold(string(ep.State), "available") {
			continue
		}
		if len(opts.VPCs) > 0 && !slices.Contains(opts.VPCs, aws.ToString(ep.VpcId)) {
			continue
		}
		eligible++
		addrs := map[string]bool{}
		for _, nid := range ep.NetworkInterfaceIds {
			ni := enis[nid]
			if ni == nil {
				continue
			}
			for _, s := range []*string{ni.PrivateIpAddress, ni.Ipv6Address} {
				if ip := net.ParseIP(aws.ToString(s)); ip != nil {
					addrs[ip.String()] = true
				}
			}
			for _, p := range ni.PrivateIpAddresses {
				if ip := net.ParseIP(aws.ToString(p.PrivateIpAddress)); ip != nil {
					addrs[ip.String()] = true
				}
			}
			for _, p := range ni.Ipv6Addresses {
				if ip := net.ParseIP(aws.ToString(p.Ipv6Address)); ip != nil {
					addrs[ip.String()] = true
				}
			}
		}
		// Private names: of endpoints with private DNS (unless private_dns off), and with
		// private_dns all, of hub endpoints without it, from their service.
		enabled := aws.ToBool(ep.PrivateDnsEnabled)
		privateOK := enabled && opts.PrivateDNS != PrivateDNSOff || !enabled && opts.PrivateDNS == PrivateDNSAll
		var names []string
		for _, e := range ep.DnsEntries {
			names = append(names, aws.ToString(e.DnsName))
		}
		if !enabled && opts.PrivateDNS == PrivateDNSAll {
			names = append(names, services[aws.ToString(ep.ServiceName)]...)
		}
		for _, raw := range names {
			key := strings.ToLower(dns.Fqdn(raw))
			label, _, _ := strings.Cut(strings.TrimPrefix(key, "*."), ".")
			private := !strings.HasPrefix(label, id+"-")
			if private && !privateOK {
				continue
			}
			offers[key] = append(offers[key], offer{private: private, vpc: aws.ToString(ep.VpcId), addrs: addrs})
		}
	}
	// offeredIn reports whether an endpoint of vpc ("" for any) offers key with s's addresses.
	offeredIn := func(key, vpc string, s servedName) bool {
		for _, o := range offers[key] {
			ok := vpc == "" || o.vpc == vpc
			for _, ip := range slices.Concat(s.a, s.aaaa) {
				ok = ok && o.addrs[ip.String()]
			}
			if ok && o.private == (s.kind == Private) {
				return true
			}
		}
		return false
	}
	check := func(key string, s servedName) {
		if len(offers[key]) == 0 {
			t.Errorf("%s served, but no available Interface endpoint (with private DNS, for a private name) offers it", key)
			return
		}
		if !offeredIn(key, "", s) {
			t.Errorf("%s (%v) serves %v %v: not the addresses of an endpoint that offers it", key, s.kind, s.a, s.aaaa)
		}
		// A VPC's own answer is the addresses of that VPC's endpoint, for a private name.
		for vpc, alt := range s.perVPC {
			if vpc == "" || alt.kind != Private || !offeredIn(key, vpc, alt) {
				t.Errorf("%s for %q clients serves %v %v (%v): not the addresses of that VPC's endpoint", key, vpc, alt.a, alt.aaaa, alt.kind)
			}
		}
	}
	tab := tableOf(ix)
	for name, s := range tab.exact {
		check(name, s)
	}
	for name, s := range tab.wild {
		check("*."+name, s)
	}
	served := ix.stats.Endpoints
	if ix.custom != nil { // Resource and ServiceNetwork endpoints: checkCustomNames
		for _, rs := range ix.custom.stats.Regions {
			for _, n := range rs.Endpoints {
				served -= n
			}
		}
	}
	if served > eligible {
		t.Errorf("%d endpoints served, only %d available Interface endpoints", served, eligible)
	}
}

// fuzzUnknownEnum is the rule for enum values the SDK does not list, as the README states it:
// an endpoint with one is left out, unless a known VpcEndpointType the plugin does not serve
// (other than Interface, Resource and ServiceNetwork) or a
// known State other than available leaves it out anyway. It returns the field and value.
func fuzzUnknownEnum(ep *types.VpcEndpoint) (enumValue, bool) {
	known := func(v string, values []string) bool {
		return slices.ContainsFunc(values, func(k string) bool { return strings.EqualFold(k, v) })
	}
	typ, state := string(ep.VpcEndpointType), string(ep.State)
	if !known(typ, enumStrings(types.VpcEndpointType("").Values())) {
		return enumValue{"VpcEndpointType", typ}, true
	}
	if !slices.ContainsFunc([]string{"Interface", "Resource", "ServiceNetwork"}, func(s string) bool { return strings.EqualFold(s, typ) }) {
		return enumValue{}, false
	}
	if !known(state, enumStrings(types.State("").Values())) {
		return enumValue{"State", state}, true
	}
	if !strings.EqualFold(state, "available") {
		return enumValue{}, false
	}
	if ip := string(ep.IpAddressType); ip != "" && !known(ip, enumStrings(types.IpAddressType("").Values())) {
		return enumValue{"IpAddressType", ip}, true
	}
	if ep.DnsOptions != nil {
		if rt := string(ep.DnsOptions.DnsRecordIpType); rt != "" && !known(rt, enumStrings(types.DnsRecordIpType("").Values())) {
			return enumValue{"DnsOptions.DnsRecordIpType", rt}, true
		}
	}
	return enumValue{}, false
}

func enumStrings[T ~string](vs []T) []string {
	out := make([]string, len(vs))
	for i, v := range vs {
		out[i] = string(v)
	}
	return out
}

// unknownLine is a report line of an endpoint left out for an unknown enum value.
var unknownLine = regexp.MustCompile(`(?s)^(.*?)(?: and ([0-9]+) more)?: (?:unknown (\S+) ".*"|(\S+) missing)$`)

// checkUnknownReported checks that the report has one line per distinct field and value
// of the endpoints left out for an unknown enum value, and that the lines count them all.
func checkUnknownReported(t *testing.T, inv *inventory.Inventory, opts Options, report Report) {
	t.Helper()
	seen := map[string]bool{}
	pairs := map[enumValue]bool{}
	endpoints := 0
	for _, ep := range inv.VpcEndpoints {
		id := strings.ToLower(aws.ToString(ep.VpcEndpointId))
		if id == "" || seen[id] {
			continue
		}
		seen[id] = true // the first copy of an id decides, whatever it holds
		if k, unknown := fuzzUnknownEnum(&ep); unknown {
			pairs[k] = true
			endpoints++
		}
	}
	for _, as := range fuzzCustomAssociations(inv, opts) {
		if acc := aws.ToString(as.AssociatedResourceAccessibility); !strings.EqualFold(acc, "Accessible") && !strings.EqualFold(acc, "Inaccessible") {
			pairs[enumValue{"AssociatedResourceAccessibility", acc}] = true
			endpoints++
		}
	}
	lines, counted := 0, 0
	for _, s := range report.Skipped {
		if strings.HasSuffix(s, " is not servable") {
			continue
		}
		m := unknownLine.FindStringSubmatch(s)
		if m == nil {
			t.Errorf("report line %q: neither an unservable name nor an unknown value", s)
			continue
		}
		more, _ := strconv.Atoi(m[2])
		lines, counted = lines+1, counted+1+more
	}
	if lines != len(pairs) || counted != endpoints {
		t.Errorf("%d unknown-value lines counting %d endpoints, want %d lines (%v) counting %d:\n%q",
			lines, counted, len(pairs), pairs, endpoints, report.Skipped)
	}
}

// fuzzCustomAssociations are the associations whose custom names may be served, as the README
// states the rule: the first of each id, of the first copy of an available Resource or
// ServiceNetwork endpoint with private DNS, in a served VPC, without unknown enum values; none
// with private_dns off.
func fuzzCustomAssociations(inv *inventory.Inventory, opts Options) []*types.VpcEndpointAssociation {
	if opts.PrivateDNS == PrivateDNSOff {
		return nil
	}
	eps := map[string]bool{}
	seen := map[string]bool{}
	for i := range inv.VpcEndpoints {
		ep := &inv.VpcEndpoints[i]
		id := strings.ToLower(aws.ToString(ep.VpcEndpointId))
		if id == "" || seen[id] {
			continue
		}
		seen[id] = true
		_, unknown := fuzzUnknownEnum(ep)
		typ := string(ep.VpcEndpointType)
		eps[id] = !unknown && (strings.EqualFold(typ, "Resource") || strings.EqualFold(typ, "ServiceNetwork")) &&
			strings.EqualFold(string(ep.State), "available") && aws.ToBool(ep.PrivateDnsEnabled) &&
			(len(opts.VPCs) == 0 || slices.Contains(opts.VPCs, aws.ToString(ep.VpcId)))
	}
	var out []*types.VpcEndpointAssociation
	ids := map[string]bool{}
	for i := range inv.VpcEndpointAssociations {
		as := &inv.VpcEndpointAssociations[i]
		if id := aws.ToString(as.Id); !ids[id] {
			ids[id] = true
			if eps[strings.ToLower(aws.ToString(as.VpcEndpointId))] {
				out = append(out, as)
			}
		}
	}
	return out
}

// checkCustomNames checks that every custom name served is the custom name of an Accessible
// association that may serve, CNAMEd to that association's default name, and that every such
// association with two servable names is served (by it or by a rival for the name).
func checkCustomNames(t *testing.T, inv *inventory.Inventory, opts Options, ix *Index) {
	t.Helper()
	offers := map[string][]string{} // custom name -> targets offered
	for _, as := range fuzzCustomAssociations(inv, opts) {
		if !strings.EqualFold(aws.ToString(as.AssociatedResourceAccessibility), "Accessible") || as.PrivateDnsEntry == nil || as.DnsEntry == nil {
			continue
		}
		name, w1, ok1 := canonicalString(aws.ToString(as.PrivateDnsEntry.DnsName))
		target, w2, ok2 := canonicalString(aws.ToString(as.DnsEntry.DnsName))
		if ok1 && ok2 && !w1 && !w2 && name != target && aws.ToString(as.PrivateDnsEntry.DnsName) != "" {
			offers[name] = append(offers[name], target)
		}
	}
	var served map[string]*CustomName
	if ix.custom != nil {
		served = ix.custom.names
	}
	for name, c := range served {
		if !slices.Contains(offers[name], c.target) {
			t.Errorf("custom name %s -> %s served, but no association that may serve offers it (offers: %q)", name, c.target, offers[name])
		}
	}
	for name := range offers {
		if served[name] == nil {
			t.Errorf("custom name %s offered, not served", name)
		}
	}
}
