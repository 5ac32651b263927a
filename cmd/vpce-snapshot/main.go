// Command vpce-snapshot writes the EC2 API view of a vpce configuration as a snapshot file or
// S3 object, with the plugin's own code: for air-gapped resolvers, and for fleets where one
// exporter polls AWS and many CoreDNS replicas serve the snapshot (`vpce { snapshot FILE }`,
// `snapshot s3://BUCKET/KEY`).
//
//	vpce-snapshot -out snapshot.json -o 'region us-east-1 us-west-2' -o 'vpc vpc-0abc'
//	vpce-snapshot -out /shared/snapshot.json.gz -every 1m -o 'assume_role arn:aws:iam::111122223333:role/reader'
//	vpce-snapshot -out s3://dns-fleet/vpce/snapshot.json.gz -every 1m -o 'region us-east-1'
//	vpce-snapshot -format rpz -out /etc/bind/vpce.rpz -every 1m -o 'region us-east-1' -o 'rpz vpce.rpz'
//
// Each -o is one option line of a vpce block (region, vpc, filter, credentials, assume_role,
// aws_endpoint). Credentials come from the SDK's default chain, as in the plugin; the S3
// object is written with the default chain's credentials, in -s3-region (else the SDK's
// region). An output whose name ends in .gz is gzip-compressed. The output is written only
// when its content changed.
//
// With -format rpz the output is the view as the Response Policy Zone of the option rpz ZONE,
// a zone file for resolvers that load one (docs/hybrid-dns.md), with the next serial when its
// records changed.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/coredns-vpce/coredns-vpce/plugin/vpce"
	"github.com/coredns-vpce/coredns-vpce/plugin/vpce/awscfg"
	"github.com/coredns-vpce/coredns-vpce/plugin/vpce/inventory"
	"github.com/coredns-vpce/coredns-vpce/plugin/vpce/remote"
	"github.com/coredns-vpce/coredns-vpce/plugin/vpce/rpz"
)

// optionList collects repeated -o flags.
type optionList []string

func (o *optionList) String() string     { return strings.Join(*o, "; ") }
func (o *optionList) Set(v string) error { *o = append(*o, v); return nil }

func main() {
	var options optionList
	flag.Var(&options, "o", "an option line of a vpce block, e.g. 'region us-east-1' (repeatable)")
	out := flag.String("out", "", "the snapshot file, or s3://BUCKET/KEY, to write (gzip if it ends in .gz)")
	var s3 awscfg.Account
	flag.StringVar(&s3.Region, "s3-region", "", "the region of the -out bucket (default: the SDK's)")
	flag.StringVar(&s3.Endpoint, "s3-endpoint", "", "an S3 endpoint override, addressed path-style")
	every := flag.Duration("every", 0, "write again at this interval (0: once and exit)")
	timeout := flag.Duration("timeout", 5*time.Minute, "how long one export may take")
	format := flag.String("format", "snapshot", "snapshot, or rpz: a Response Policy Zone file (needs -o 'rpz ZONE')")
	flag.Parse()
	if *out == "" || flag.NArg() > 0 || *format != "snapshot" && *format != "rpz" {
		fmt.Fprintln(os.Stderr, "usage: vpce-snapshot -out FILE|s3://BUCKET/KEY [-format snapshot|rpz] [-every DURATION] [-s3-region REGION] [-s3-endpoint URL] [-o 'OPTION ARGS...']...")
		os.Exit(2)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, options, *format, *out, s3, *every, *timeout); err != nil {
		log.Fatal(err)
	}
}

// run exports once, or every interval until ctx ends. In a loop a failed export is logged and
// the file keeps its last good content, as the plugin keeps its last good view.
func run(ctx context.Context, options []string, format, out string, s3 awscfg.Account, every, timeout time.Duration) error {
	exp, err := vpce.NewExporter(options)
	if err != nil {
		return err
	}
	write, err := newWriter(ctx, exp, format, out, s3)
	if err != nil {
		return err
	}
	for {
		err := export(ctx, exp, out, write, timeout)
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

// writer writes a snapshot where it goes, if it changed, and reports whether it did.
type writer func(context.Context, *inventory.Inventory) (bool, error)

// newWriter returns the writer of out: a file, or an S3 object (remote.PutIfChanged); in
// format rpz, a zone file.
func newWriter(ctx context.Context, exp *vpce.Exporter, format, out string, s3 awscfg.Account) (writer, error) {
	if format == "rpz" {
		if exp.ZoneName() == "" {
			return nil, errors.New("-format rpz needs the option -o 'rpz ZONE'")
		}
		if strings.HasPrefix(out, "s3://") {
			return nil, errors.New("-format rpz writes a file, not an S3 object")
		}
		return func(_ context.Context, inv *inventory.Inventory) (bool, error) {
			return rpz.WriteFile(out, exp.Zone(inv))
		}, nil
	}
	if !strings.HasPrefix(out, "s3://") {
		return func(_ context.Context, inv *inventory.Inventory) (bool, error) {
			return inventory.WriteSnapshot(out, inv)
		}, nil
	}
	u, err := remote.ParseLocation(out)
	if err != nil {
		return nil, err
	}
	bucket, key := remote.Object(u)
	client, err := remote.NewS3Client(ctx, s3)
	if err != nil {
		return nil, err
	}
	return func(ctx context.Context, inv *inventory.Inventory) (bool, error) {
		data, err := inventory.Encode(key, inv)
		if err != nil {
			return false, err
		}
		return remote.PutIfChanged(ctx, client, bucket, key, data)
	}, nil
}

func export(ctx context.Context, exp *vpce.Exporter, out string, write writer, timeout time.Duration) error {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	inv, err := exp.Fetch(ctx)
	if err != nil {
		return err
	}
	changed, err := write(ctx, inv)
	if err != nil {
		return err
	}
	if changed {
		log.Printf("wrote %s: %d endpoints, %d network interfaces", out, len(inv.VpcEndpoints), len(inv.NetworkInterfaces))
	}
	return nil
}
