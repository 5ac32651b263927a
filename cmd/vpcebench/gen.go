package main

import (
	"bufio"
	"encoding/json"
	"fmt"
	"math/rand/v2"
	"os"

	"github.com/coredns-vpce/coredns-vpce/internal/synth"
)

// account is the generated account of internal/synth (its package documentation says what it
// holds; it is the one plugin/vpce's Go benchmarks measure), with the fields AWS returns that
// the plugin does not read, so that the EC2 fake serves what AWS would. sharedEvery > 0 offers
// some private names in several VPCs (synth.Options.SharedEvery); its Names, and so the files
// written from them, hold each such name once, with the answer of a client outside the VPCs.
type account struct{ *synth.Account }

func generate(n, sharedEvery int) account {
	return account{synth.Generate(n, synth.Options{AllFields: true, SharedEvery: sharedEvery})}
}

// writeSnapshot writes the inventory as a snapshot file (also the EC2 fake's state file): the
// SDK's types in their JSON encoding, the AWS CLI's form.
func (a account) writeSnapshot(path string) error {
	return writeFile(path, func(w *bufio.Writer) error {
		return json.NewEncoder(w).Encode(a.Account)
	})
}

// writeHosts writes a hosts file with the same names and addresses; a wildcard's queried name
// is listed as a name of its own, since hosts files have no wildcards.
func (a account) writeHosts(path string) error {
	return writeFile(path, func(w *bufio.Writer) error {
		for _, s := range a.Names {
			for _, ip := range s.V4 {
				fmt.Fprintf(w, "%s %s\n", ip, s.Query)
			}
			for _, ip := range s.V6 {
				fmt.Fprintf(w, "%s %s\n", ip, s.Query)
			}
		}
		return nil
	})
}

// zoneOrigin is the zone that holds every generated name, for the file plugin.
const zoneOrigin = "amazonaws.com"

// writeZone writes an RFC 1035 zone file of zoneOrigin with the same names, wildcards and
// addresses, and the TTL the plugin answers with.
func (a account) writeZone(path string) error {
	return writeFile(path, func(w *bufio.Writer) error {
		fmt.Fprintf(w, "$ORIGIN %s.\n$TTL 60\n", zoneOrigin)
		fmt.Fprintf(w, "@ IN SOA ns-1536.awsdns-00.co.uk. awsdns-hostmaster.amazon.com. 1 7200 900 1209600 60\n")
		fmt.Fprintf(w, "@ IN NS ns-1536.awsdns-00.co.uk.\n")
		for _, s := range a.Names {
			owner := s.Name + "."
			if s.Wildcard {
				owner = "*." + owner
			}
			for _, ip := range s.V4 {
				fmt.Fprintf(w, "%s 60 IN A %s\n", owner, ip)
			}
			for _, ip := range s.V6 {
				fmt.Fprintf(w, "%s 60 IN AAAA %s\n", owner, ip)
			}
		}
		return nil
	})
}

// writeQueries writes a dnsperf query file over every served name, shuffled: an A query per
// name and an AAAA query per dualstack name. Names of endpoint skip (if >= 0) are left out.
func (a account) writeQueries(path string, skip int) (int, error) {
	var lines []string
	for _, s := range a.Names {
		if skip >= 0 && s.Endpoint >= skip {
			continue
		}
		lines = append(lines, s.Query+" A")
		if len(s.V6) > 0 {
			lines = append(lines, s.Query+" AAAA")
		}
	}
	rng := rand.New(rand.NewPCG(uint64(len(lines)), 7))
	rng.Shuffle(len(lines), func(i, j int) { lines[i], lines[j] = lines[j], lines[i] })
	return len(lines), writeFile(path, func(w *bufio.Writer) error {
		for _, l := range lines {
			w.WriteString(l)
			w.WriteByte('\n')
		}
		return nil
	})
}

// probe is a name and type every server of the account answers with records.
func (a account) probe() string { return a.Names[0].Query + "." }

func writeFile(path string, fill func(*bufio.Writer) error) error {
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriterSize(f, 1<<20)
	if err := fill(w); err != nil {
		f.Close()
		return err
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
