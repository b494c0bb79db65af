package va

import (
	"context"
	"net"

	"github.com/miekg/dns"

	"github.com/quarry-ca/quarry/internal/core"
	"github.com/quarry-ca/quarry/internal/policy"
)

// resolvConf is where the system resolver's servers are listed. Go's own
// resolver cannot ask for CAA records, so CAA lookups go to the first of
// these servers with miekg/dns.
const resolvConf = "/etc/resolv.conf"

// lookupCAA returns the CAA records at name after following CNAMEs. A name
// that does not exist, or exists without CAA records, gives an empty list:
// the caller climbs to the parent.
func (r *dnsResolver) lookupCAA(ctx context.Context, name string) ([]policy.CAARecord, error) {
	rrs, _, err := r.lookupExisting(ctx, name, dns.TypeCAA)
	if err != nil {
		return nil, err
	}
	var out []policy.CAARecord
	for _, rr := range rrs {
		if c, ok := rr.(*dns.CAA); ok {
			out = append(out, policy.CAARecord{Flag: c.Flag, Tag: c.Tag, Value: c.Value})
		}
	}
	return out, nil
}

// systemCAAResolver returns a resolver for CAA lookups built from
// resolv.conf, or nil when it lists no server.
func systemCAAResolver() *dnsResolver {
	conf, err := dns.ClientConfigFromFile(resolvConf)
	if err != nil || len(conf.Servers) == 0 {
		return nil
	}
	return newDNSResolver(net.JoinHostPort(conf.Servers[0], conf.Port))
}

func (s systemResolver) lookupCAA(ctx context.Context, name string) ([]policy.CAARecord, error) {
	if s.caa == nil {
		return nil, core.Errorf(core.ErrDNS, "DNS problem: no resolver is configured for CAA lookups of %s", name)
	}
	return s.caa.lookupCAA(ctx, name)
}
