package rpz

import (
	"bytes"
	"errors"
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/coredns-vpce/coredns-vpce/plugin/vpce/inventory"
	"github.com/miekg/dns"
)

// WriteFile writes z to path as a zone file (its SOA first, then the NS and the records in
// order), atomically, if its records differ from the file's. The serial follows the file's, as
// a transfer's would: the next one (Serials) when the records changed. It reports whether
// the file changed.
func WriteFile(path string, z *Zone) (bool, error) {
	body := z.records()
	var last uint32
	old, err := os.ReadFile(path)
	switch {
	case err == nil:
		head, rest, _ := bytes.Cut(old, []byte("\n"))
		rr, perr := dns.NewRR(string(head))
		soa, ok := rr.(*dns.SOA)
		if perr != nil || !ok {
			return false, fmt.Errorf("%s: line 1 is not the zone's SOA: keep the file as this tool writes it", path)
		}
		if bytes.Equal(rest, body) {
			return false, nil
		}
		last = soa.Serial
	case !errors.Is(err, os.ErrNotExist):
		return false, err
	}
	soa := z.soa(next(last, time.Now()))
	return true, inventory.WriteFile(path, append([]byte(soa.String()+"\n"), body...))
}

// records is the zone's NS and records, one per line, sorted.
func (z *Zone) records() []byte {
	lines := []string{z.NS().String()}
	z.walk(func(r *record) { lines = append(lines, z.rr(r).String()) })
	slices.Sort(lines[1:])
	return []byte(strings.Join(lines, "\n") + "\n")
}
