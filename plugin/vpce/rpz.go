package vpce

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"

	"github.com/coredns-vpce/coredns-vpce/plugin/vpce/index"
	"github.com/coredns-vpce/coredns-vpce/plugin/vpce/rpz"
	"github.com/coredns/coredns/plugin/transfer"
	"github.com/miekg/dns"
)

// rpzZone publishes the block's view as a Response Policy Zone (rpz ZONE) through the
// transfer plugin: AXFR and IXFR of the zone, NOTIFY to the transfer plugin's "to" addresses
// when its serial changes, and answers for names in it (a secondary asks for its SOA).
type rpzZone struct {
	origin  string   // lower-case FQDN
	zone    zoneList // the origin, for telling names in it
	current atomic.Pointer[rpz.Zone]
	serials *rpz.Serials           // used by follow only, which the merger serialises
	in      func(name []byte) bool // the names the zone lists: the block's zones
	xfr     *transfer.Transfer     // the server block's, found at start-up
	changed chan struct{}          // a serial to announce; one pending is enough
}

// errNoView is a transfer asked for before the first view: the secondary retries.
var errNoView = errors.New("no view yet")

func newRPZ(origin, serialFile string, in func([]byte) bool) *rpzZone {
	p := &rpzZone{origin: origin, zone: newZoneList(origin), in: in, changed: make(chan struct{}, 1)}
	var err error
	if p.serials, err = rpz.NewSerials(serialFile); err != nil {
		log.Warningf("RPZ %s: serials start from the clock: %v", origin, err)
	}
	return p
}

// follow makes ix the zone's content, with the next serial if the records changed.
func (p *rpzZone) follow(ix *index.Index) {
	z := rpz.New(p.origin, ix, p.in)
	serial, changed, err := p.serials.Next(z.Digest())
	if err != nil {
		log.Warningf("RPZ %s: serial %d not kept for restarts: %v", p.origin, serial, err)
	}
	z.SetSerial(serial)
	p.current.Store(z)
	if changed {
		log.Infof("RPZ %s: serial %d", p.origin, serial)
		p.announce()
	}
}

func (p *rpzZone) announce() {
	select {
	case p.changed <- struct{}{}:
	default:
	}
}

// notify sends NOTIFY for each change until ctx ends. The transfer plugin sends it to every
// "to" address, trying each three times; a secondary that misses it asks for the SOA every
// refresh (rpz.soaRefresh).
func (p *rpzZone) notify(ctx context.Context) {
	for {
		select {
		case <-ctx.Done():
			return
		case <-p.changed:
			if err := p.xfr.Notify(p.origin); err != nil {
				log.Warningf("RPZ %s: %v", p.origin, err)
			}
		}
	}
}

// Transfer implements transfer.Transferer for the rpz zone.
func (v *VPCE) Transfer(zone string, serial uint32) (<-chan []dns.RR, error) {
	if v.rpz == nil || strings.ToLower(zone) != v.rpz.origin {
		return nil, transfer.ErrNotAuthoritative
	}
	z := v.rpz.current.Load()
	if z == nil {
		return nil, errNoView
	}
	return z.Transfer(serial), nil
}

// serveRPZ answers a question for a name in the rpz zone, but for transfers, which are the
// transfer plugin's.
func (v *VPCE) serveRPZ(ctx context.Context, qc *queryCounters, w dns.ResponseWriter, r *dns.Msg, name []byte) (int, error) {
	q := r.Question[0]
	if q.Qtype == dns.TypeAXFR || q.Qtype == dns.TypeIXFR {
		return v.passOn(ctx, qc, w, r)
	}
	z := v.rpz.current.Load()
	if z == nil {
		return dns.RcodeServerFailure, errNoView
	}
	m := new(dns.Msg)
	m.SetReply(r)
	m.Authoritative = true
	m.Rcode, m.Answer, m.Ns = z.Answer(string(name), q.Name, q.Qtype)
	w.WriteMsg(m)
	return m.Rcode, nil
}
