// Command vpce-snapshot writes the EC2 API view of a vpce configuration as a snapshot file,
// with the plugin's own code: for air-gapped resolvers, and for fleets where one exporter
// polls AWS and many CoreDNS replicas serve the file (`vpce { snapshot FILE }`).
//
//	vpce-snapshot -out snapshot.json -o 'region us-east-1 us-west-2' -o 'vpc vpc-0abc'
//	vpce-snapshot -out /shared/snapshot.json -every 1m -o 'assume_role arn:aws:iam::111122223333:role/reader'
//
// Each -o is one option line of a vpce block (region, vpc, filter, credentials, assume_role,
// aws_endpoint). Credentials come from the SDK's default chain, as in the plugin.
package main

import (
	"context"
	"flag"
	"fmt"
	"log"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/coredns-vpce/coredns-vpce/plugin/vpce"
	"github.com/coredns-vpce/coredns-vpce/plugin/vpce/inventory"
)

// optionList collects repeated -o flags.
type optionList []string

func (o *optionList) String() string     { return strings.Join(*o, "; ") }
func (o *optionList) Set(v string) error { *o = append(*o, v); return nil }

func main() {
	var options optionList
	flag.Var(&options, "o", "an option line of a vpce block, e.g. 'region us-east-1' (repeatable)")
	out := flag.String("out", "", "the snapshot file to write")
	every := flag.Duration("every", 0, "write again at this interval (0: once and exit)")
	timeout := flag.Duration("timeout", 5*time.Minute, "how long one export may take")
	flag.Parse()
	if *out == "" || flag.NArg() > 0 {
		fmt.Fprintln(os.Stderr, "usage: vpce-snapshot -out FILE [-every DURATION] [-o 'OPTION ARGS...']...")
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, options, *out, *every, *timeout); err != nil {
		log.Fatal(err)
	}
}

// run exports once, or every interval until ctx ends. In a loop a failed export is logged and
// the file keeps its last good content, as the plugin keeps its last good view.
func run(ctx context.Context, options []string, out string, every, timeout time.Duration) error {
	exp, err := vpce.NewExporter(options)
	if err != nil {
		return err
	}
	for {
		err := export(ctx, exp, out, timeout)
		if every == 0 {
			return err
		}
		if err != nil {
			log.Printf("export failed, %s keeps its last good content: %v", out, err)
		}
		select {
		case <-ctx.Done():
			return nil
		case <-time.After(every):
		}
	}
}

func export(ctx context.Context, exp *vpce.Exporter, out string, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	inv, err := exp.Fetch(ctx)
	if err != nil {
		return err
	}
	changed, err := inventory.WriteSnapshot(out, inv)
	if err != nil {
		return err
	}
	if changed {
		log.Printf("wrote %s: %d endpoints, %d network interfaces", out, len(inv.VpcEndpoints), len(inv.NetworkInterfaces))
	}
	return nil
}
