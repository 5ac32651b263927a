package index

import (
	"slices"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ec2/types"
	"github.com/coredns-vpce/coredns-vpce/internal/testkit"
	"github.com/coredns-vpce/coredns-vpce/plugin/vpce/inventory"
)

// TestCustomNameReport: an unknown accessibility is one warning per value; a custom name two
// associations offer is a conflict, served by the older endpoint.
func TestCustomNameReport(t *testing.T) {
	inv := testkit.ReadSnapshots(t, "../testdata/resource.json")
	inv.VpcEndpointAssociations[0].AssociatedResourceAccessibility = aws.String("Degraded")
	inv.VpcEndpointAssociations[1].AssociatedResourceAccessibility = aws.String("Degraded")
	inv.VpcEndpointAssociations[3].PrivateDnsEntry = &types.DnsEntry{DnsName: aws.String("DB.payments.example.com")}
	ix, report := Build(inventory.NewCompact(inv), Options{TTL: 60})
	wantSkipped := []string{`vpce-rsc-asc-0a1a2a3a4a5a6a7a8 and 1 more: unknown AssociatedResourceAccessibility "Degraded"`}
	if !slices.Equal(report.Skipped, wantSkipped) {
		t.Errorf("skipped %q, want %q", report.Skipped, wantSkipped)
	}
	wantConflicts := []string{"db.payments.example.com. offered by vpce-rsc-asc-0d4e5f6a7b8c9d0e1 (vpc-0123456789abcdef0) and " +
		"vpce-svc-asc-0123456789abcdef0 (vpc-0123456789abcdef0): serving vpce-rsc-asc-0d4e5f6a7b8c9d0e1"}
	if !slices.Equal(report.Conflicts, wantConflicts) {
		t.Errorf("conflicts %q, want %q", report.Conflicts, wantConflicts)
	}
	if c := ix.custom.names["db.payments.example.com."]; c == nil || c.target != "vpce-0f9e8d7c6b5a49382-snra-0e1f2a3b4c5d6e7f8.rcfg-0dd11ee22ff33aa77.4232ccc.vpc-lattice-rsc.us-east-1.on.aws." {
		t.Errorf("db.payments.example.com. -> %+v, want the older endpoint's", c)
	}
	if ix.stats.Names[Resource] != 1 || ix.stats.Regions["us-east-1"].Endpoints[TypeServiceNetwork] != 1 ||
		ix.stats.Regions["us-east-1"].Endpoints[TypeResource] != 0 {
		t.Errorf("stats %+v %+v", ix.stats, ix.stats.Regions["us-east-1"])
	}
}

// TestSharedReported: endpoints of three VPCs offering one name are one info line; the
// oldest serves clients outside those VPCs.
func TestSharedReported(t *testing.T) {
	_, report := Build(testkit.Compact(t, "../testdata/answers.json"), Options{TTL: 60})
	want := []string{"conflict.us-east-1.amazonaws.com. offered in vpc-1 (vpce-0k), vpc-3 (vpce-0l), vpc-2 (vpce-0j): " +
		"each VPC's clients get their VPC's, other clients vpce-0k (the smallest id)"}
	if !slices.Equal(report.Shared, want) || len(report.Conflicts) != 0 {
		t.Errorf("shared %q, conflicts %q; want shared %q", report.Shared, report.Conflicts, want)
	}
}

// TestSharedNamesReported: a name offered in several VPCs is one info line naming the VPCs and
// the rule for other clients; two offers in one VPC are a conflict; the index keeps an rrset
// per VPC and counts every endpoint that serves.
func TestSharedNamesReported(t *testing.T) {
	ix, report := Build(testkit.Compact(t, "../testdata/vpcs.json"), Options{TTL: 60})
	wantShared := []string{
		"ssm.us-east-1.amazonaws.com. offered in vpc-0a (vpce-0a1), vpc-0b (vpce-0b1): each VPC's clients get their VPC's, other clients vpce-0a1 (the oldest)",
		"*.s3.us-east-1.amazonaws.com. offered in vpc-0a (vpce-0a2), vpc-0b (vpce-0b2): each VPC's clients get their VPC's, other clients vpce-0a2 (the oldest)",
		"s3.us-east-1.amazonaws.com. offered in vpc-0a (vpce-0a2), vpc-0b (vpce-0b2): each VPC's clients get their VPC's, other clients vpce-0a2 (the oldest)",
		"db.example.internal. offered in vpc-0a (vpce-rsc-asc-0a), vpc-0b (vpce-rsc-asc-0b): each VPC's clients get their VPC's, other clients vpce-rsc-asc-0a (the oldest)",
	}
	slices.Sort(wantShared)
	got := slices.Sorted(slices.Values(report.Shared))
	if !slices.Equal(got, wantShared) {
		t.Errorf("shared\n%q\nwant\n%q", got, wantShared)
	}
	wantConflicts := []string{"ssm.us-east-1.amazonaws.com. offered by vpce-0b1 (vpc-0b) and vpce-0b9 (vpc-0b): serving vpce-0b1"}
	if !slices.Equal(report.Conflicts, wantConflicts) {
		t.Errorf("conflicts %q, want %q", report.Conflicts, wantConflicts)
	}
	// Three shared interface names, one alternative each. Every endpoint serves: vpce-0b9 and
	// vpce-0a3 (the hub endpoint, without private_dns all) their regional names, and the two
	// resource endpoints.
	if len(ix.alts) != 3 || len(ix.altsOf) != 3 {
		t.Errorf("%d alternatives for %d names, want 3 for 3", len(ix.alts), len(ix.altsOf))
	}
	if ix.stats.Endpoints != 9 {
		t.Errorf("%d endpoints serve, want 9", ix.stats.Endpoints)
	}
}

// TestFirstCopyDecides: of two copies of an endpoint (a fresh source's, then the cache file's),
// the first decides even when it does not serve: an older available copy never serves in place
// of a deleting, gateway or unknown one.
func TestFirstCopyDecides(t *testing.T) {
	old := inventory.Endpoint{ID: "vpce-1", Type: "Interface", State: "available", VPC: "vpc-1", PrivateDNS: true,
		Interfaces: []string{"eni-1"}, DNSNames: []string{"vpce-1-abcd.ssm.us-east-1.vpce.amazonaws.com", "ssm.us-east-1.amazonaws.com"}}
	for _, fresh := range []struct{ name, typ, state string }{
		{"deleting", "Interface", "deleting"},
		{"another type", "Gateway", "available"},
		{"unknown state", "Interface", "Exploding"},
	} {
		first := old
		first.Type, first.State = fresh.typ, fresh.state
		inv := &inventory.Compact{Endpoints: []inventory.Endpoint{first, old},
			Interfaces: []inventory.Interface{{ID: "eni-1", AZ: "us-east-1a", PrivateIP: "10.0.0.1"}}}
		ix, _ := Build(inv, Options{TTL: 60})
		if _, _, res := ix.Lookup([]byte("ssm.us-east-1.amazonaws.com.")); res != Miss {
			t.Errorf("%s first: the older available copy serves (%v)", fresh.name, res)
		}
	}
}
