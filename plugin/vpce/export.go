package vpce

import (
	"context"
	"errors"
	"strings"

	"github.com/coredns/caddy/caddyfile"

	"github.com/coredns-vpce/coredns-vpce/plugin/vpce/awsapi"
	"github.com/coredns-vpce/coredns-vpce/plugin/vpce/inventory"
)

// Exporter reads the EC2 API view of one vpce configuration, with the plugin's own option
// parser and EC2 API source, for tools: cmd/vpce-snapshot writes it as a snapshot file.
type Exporter struct {
	accounts []awsapi.Account
	query    awsapi.Query
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
	return &Exporter{accounts: s.accounts(), query: s.query}, nil
}

// Fetch reads every account and region once and merges them. It fails whole if any fails:
// an exported snapshot is never partial.
func (e *Exporter) Fetch(ctx context.Context) (*inventory.Inventory, error) {
	return awsapi.Export(ctx, e.accounts, e.query)
}
