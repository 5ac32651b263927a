package rpz

import "github.com/miekg/dns"

// batch is how many records go to the transfer plugin at a time; it packs them into messages.
const batch = 512

// Transfer streams the zone as the transfer plugin wants it (transfer.Transferer): the SOA
// and NS, every record, the SOA again. An IXFR from serial (not 0) that is not older than the
// zone's gets the SOA alone: the secondary is current. Any other gets the whole zone, which
// IXFR allows (RFC 1995, 4). The transfer plugin reads the channel to its end, even when the
// secondary has gone.
func (z *Zone) Transfer(serial uint32) <-chan []dns.RR {
	ch := make(chan []dns.RR)
	go func() {
		defer close(ch)
		if serial != 0 && !Older(serial, z.serial) {
			ch <- []dns.RR{z.SOA()}
			return
		}
		out := []dns.RR{z.SOA(), z.NS()}
		z.walk(func(r *record) {
			if out = append(out, z.rr(r)); len(out) == batch {
				ch <- out
				out = make([]dns.RR, 0, batch)
			}
		})
		ch <- append(out, z.SOA())
	}()
	return ch
}

// Older reports whether serial a is older than b in serial number arithmetic (RFC 1982).
func Older(a, b uint32) bool { return a != b && b-a < 1<<31 }
