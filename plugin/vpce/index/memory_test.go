package index

import (
	"testing"
	"unsafe"

	"github.com/coredns-vpce/coredns-vpce/internal/testkit"
)

// TestKeepsNoInventoryString: what an index keeps (VPCs, AZs, client places, regions) is in
// memory of its own, not a part of the inventory's strings, which a Compact holds in large
// blocks: one kept string would keep its whole block alive after the inventory is dropped.
func TestKeepsNoInventoryString(t *testing.T) {
	c := testkit.Compact(t, "../testdata/vpcs.json", "../testdata/affinity.json", "../testdata/resource.json")
	type span struct{ from, to uintptr }
	var spans []span
	add := func(s string) {
		if s != "" {
			p := uintptr(unsafe.Pointer(unsafe.StringData(s)))
			spans = append(spans, span{p, p + uintptr(len(s))})
		}
	}
	for _, ep := range c.Endpoints {
		for _, s := range []string{ep.ID, ep.VPC, ep.Service, ep.ServiceRegion, ep.ResourceConfigurationARN, ep.ServiceNetworkARN} {
			add(s)
		}
	}
	for _, ni := range c.Interfaces {
		add(ni.AZ)
		add(ni.AZID)
	}
	for _, sn := range c.Subnets {
		add(sn.VPC)
		add(sn.AZ)
		add(sn.AZID)
	}
	ix, _ := Build(c, Options{TTL: 60, AZRanges: []AZRange{{AZ: "us-east-1a"}}})
	check := func(what, s string) {
		p := uintptr(unsafe.Pointer(unsafe.StringData(s)))
		for _, sp := range spans {
			if s != "" && p >= sp.from && p < sp.to {
				t.Errorf("%s %q is a part of the inventory's strings", what, s)
				return
			}
		}
	}
	for _, v := range ix.vpcs {
		check("VPC", v)
	}
	for _, az := range ix.azs {
		check("AZ name", az.name)
		check("AZ id", az.id)
	}
	for _, pl := range ix.clients.prefixes {
		check("client VPC", pl.vpc)
		check("client AZ", pl.az.name)
		check("client AZ id", pl.az.id)
	}
	for region := range ix.stats.Regions {
		check("region", region)
	}
	for _, cn := range ix.custom.names {
		for _, v := range cn.perVPC {
			check("custom name's VPC", v.vpc)
		}
	}
}
