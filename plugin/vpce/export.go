package vpce

import (
	"context"
	"errors"
	"strings"

	"github.com/coredns/caddy/caddyfile"

	"github.com/coredns-vpce/coredns-vpce/plugin/vpce/awsapi"
	"github.com/coredns-vpce/coredns-vpce/plugin/vpce/awscfg"
	"github.com/coredns-vpce/coredns-vpce/plugin/vpce/index"
	"github.com/coredns-vpce/coredns-vpce/plugin/vpce/inventory"
	"github.com/coredns-vpce/coredns-vpce/plugin/vpce/rpz"
)

// Exporter reads the EC2 API view of one vpce configuration, with the plugin's own option
// parser and EC2 API source, for tools: cmd/vpce-snapshot writes it as a snapshot file.
type Exporter struct {
	accounts []awscfg.Account
	query    awsapi.Query
	build    index.Options
	zones    []string // the names answered in: the vpce line's zones, else all
	rpz      string   // the rpz option's zone, or ""
}

// NewExporter takes the option lines of a vpce block ("region us-east-1", "vpc vpc-1", ...),
// as they would stand in a Corefile.
func NewExporter(options []string) (*Exporter, error) {
	d := caddyfile.NewDispenser("vpce-snapshot -o", strings.NewReader("vpce {\n"+strings.Join(options, "\n")+"\n}"))
	s, err := parseBlock(&d, "", nil)
	if err != nil {
		return nil, err
	}
	if len(s.snapshots) > 0 {
		return nil, errors.New("snapshot: the exporter reads the EC2 API")
	}
	if len(s.zones) == 0 {
		s.zones = []string{"."}
	}
	return &Exporter{accounts: s.accounts(), query: s.query, build: s.build, zones: s.zones, rpz: s.rpz}, nil
}

// Fetch reads every account and region once and merges them. It fails whole if any fails:
// an exported snapshot is never partial.
func (e *Exporter) Fetch(ctx context.Context) (*inventory.Inventory, error) {
	return awsapi.Export(ctx, e.accounts, e.query)
}

// ZoneName is the rpz option's zone, or "".
func (e *Exporter) ZoneName() string { return e.rpz }

// Zone is inv's view as the Response Policy Zone of the rpz option (ZoneName), as the plugin
// publishes it.
func (e *Exporter) Zone(inv *inventory.Inventory) *rpz.Zone {
	ix, _ := index.Build(inventory.NewCompact(inv), e.build)
	return rpz.New(e.rpz, ix, newZoneList(e.zones...).holds)
}
