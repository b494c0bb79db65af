package solver

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/miekg/dns"

	"github.com/quarry-ca/quarry/acme"
	"github.com/quarry-ca/quarry/internal/core"
)

// RFC2136 answers dns-01 by dynamic update (RFC 2136) of the zone's
// primary server, signed with TSIG HMAC-SHA256 when a key is given.
type RFC2136 struct {
	Server     string // host:port of the primary
	TSIGName   string // key name; empty sends unsigned updates
	TSIGSecret string // base64
	Zone       string // the zone to update; empty finds it by SOA queries
	Alias      string // --challenge-alias zone, see DNS01Name
	TTL        uint32 // default 60
	Timeout    time.Duration
}

var _ Solver = (*RFC2136)(nil)

func (r *RFC2136) Type() acme.ChallengeType { return acme.ChallengeDNS01 }

// Present adds the TXT record.
func (r *RFC2136) Present(ctx context.Context, ch Challenge) error {
	return r.update(ctx, ch, true)
}

// CleanUp removes exactly the TXT value Present added, leaving others for
// the same name (a wildcard and its base share one).
func (r *RFC2136) CleanUp(ctx context.Context, ch Challenge) error {
	return r.update(ctx, ch, false)
}

func (r *RFC2136) update(ctx context.Context, ch Challenge, add bool) error {
	fqdn := DNS01Name(ch.Domain, r.Alias)
	zone, err := r.zone(ctx, fqdn)
	if err != nil {
		return err
	}
	ttl := r.TTL
	if ttl == 0 {
		ttl = 60
	}
	rr := &dns.TXT{
		Hdr: dns.RR_Header{Name: fqdn, Rrtype: dns.TypeTXT, Class: dns.ClassINET, Ttl: ttl},
		Txt: []string{acme.DNS01Value(ch.KeyAuth)},
	}
	m := new(dns.Msg)
	m.SetUpdate(zone)
	if add {
		m.Insert([]dns.RR{rr})
	} else {
		m.Remove([]dns.RR{rr})
	}
	in, err := r.exchange(ctx, m)
	if err != nil {
		return fmt.Errorf("DNS update of %s at %s failed (%w); check --dns-server and that the server accepts updates over TCP", fqdn, r.Server, err)
	}
	if in.Rcode != dns.RcodeSuccess {
		return core.Errorf(core.ErrDNS, "DNS server %s refused the update of %s with %s; check --tsig-key-name, --tsig-secret and that the key may update zone %s",
			r.Server, fqdn, dns.RcodeToString[in.Rcode], zone)
	}
	return nil
}

func (r *RFC2136) exchange(ctx context.Context, m *dns.Msg) (*dns.Msg, error) {
	c := &dns.Client{Net: "tcp", Timeout: r.Timeout}
	if c.Timeout == 0 {
		c.Timeout = 10 * time.Second
	}
	if r.TSIGName != "" {
		name := dns.Fqdn(r.TSIGName)
		c.TsigSecret = map[string]string{name: r.TSIGSecret}
		m.SetTsig(name, dns.HmacSHA256, 300, time.Now().Unix())
	}
	in, _, err := c.ExchangeContext(ctx, m, r.Server)
	return in, err
}

// zone finds the zone holding fqdn by asking for SOA at each ancestor.
func (r *RFC2136) zone(ctx context.Context, fqdn string) (string, error) {
	if r.Zone != "" {
		return dns.Fqdn(r.Zone), nil
	}
	c := &dns.Client{Net: "tcp", Timeout: 10 * time.Second}
	for _, off := range dns.Split(fqdn) {
		name := fqdn[off:]
		m := new(dns.Msg)
		m.SetQuestion(name, dns.TypeSOA)
		in, _, err := c.ExchangeContext(ctx, m, r.Server)
		if err != nil {
			return "", fmt.Errorf("finding the zone of %s at %s failed (%w); check --dns-server", fqdn, r.Server, err)
		}
		for _, rr := range in.Answer {
			if soa, ok := rr.(*dns.SOA); ok && strings.EqualFold(soa.Hdr.Name, name) {
				return name, nil
			}
		}
	}
	return "", core.Errorf(core.ErrDNS, "no zone for %s on %s; set the zone explicitly", fqdn, r.Server)
}

// Wait polls the primary until it serves the TXT value, so validation is
// not asked for before the record exists.
func (r *RFC2136) Wait(ctx context.Context, ch Challenge) error {
	return waitTXT(ctx, r.Server, DNS01Name(ch.Domain, r.Alias), acme.DNS01Value(ch.KeyAuth))
}

// waitTXT polls server for value at fqdn until ctx ends or a minute passes.
func waitTXT(ctx context.Context, server, fqdn, value string) error {
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	c := &dns.Client{Net: "tcp", Timeout: 5 * time.Second}
	for {
		m := new(dns.Msg)
		m.SetQuestion(fqdn, dns.TypeTXT)
		if in, _, err := c.ExchangeContext(ctx, m, server); err == nil {
			for _, rr := range in.Answer {
				if t, ok := rr.(*dns.TXT); ok && strings.Join(t.Txt, "") == value {
					return nil
				}
			}
		}
		select {
		case <-ctx.Done():
			return core.Errorf(core.ErrDNS, "TXT record %s not visible at %s in time", fqdn, server)
		case <-time.After(500 * time.Millisecond):
		}
	}
}
