package vpce

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/coredns-vpce/coredns-vpce/plugin/vpce/inventory"

	"github.com/coredns/caddy"
)

// Exporter reads the EC2 API view of one vpce configuration, with the plugin's own option
// parser, clients and fetch, for tools: cmd/vpce-snapshot writes it as a snapshot file.
type Exporter struct {
	accounts []account
}

// NewExporter takes the option lines of a vpce block ("region us-east-1", "vpc vpc-1", ...),
// as they would stand in a Corefile.
func NewExporter(options []string) (*Exporter, error) {
	c := caddy.NewTestController("dns", "vpce {\n"+strings.Join(options, "\n")+"\n}")
	s, err := parse(c)
	if err != nil {
		return nil, err
	}
	if len(s.snapshots) > 0 {
		return nil, errors.New("snapshot: the exporter reads the EC2 API")
	}
	return &Exporter{accounts: s.accounts()}, nil
}

// Fetch reads every account and region once and merges them. It fails whole if any fails:
// an exported snapshot is never partial.
func (e *Exporter) Fetch(ctx context.Context) (*inventory.Inventory, error) {
	parts := make([]*inventory.Inventory, 0, len(e.accounts))
	for _, a := range e.accounts {
		client, err := newEC2Client(ctx, a)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", a, err)
		}
		inv, err := fetch(ctx, client, a)
		if err == nil && a.services {
			inv.ServiceDetails, err = fetchServices(ctx, client, hubServices(inv))
		}
		closeIdle(client)
		if err != nil {
			return nil, fmt.Errorf("%s: %w", a, err)
		}
		parts = append(parts, inv)
	}
	return inventory.Merge(parts...), nil
}
