package va

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"slices"

	"github.com/quarry-ca/quarry/internal/core"
	"github.com/quarry-ca/quarry/internal/policy"
)

// resolver looks names up for validation. Failures are *core.Error of
// kind ErrDNS with a detail for the subscriber.
type resolver interface {
	// lookupIP returns the A and AAAA addresses of host; none is an error.
	lookupIP(ctx context.Context, host string) ([]netip.Addr, error)
	// lookupTXT returns the TXT values at name after following CNAMEs; an
	// existing name with no TXT records gives an empty list.
	lookupTXT(ctx context.Context, name string) ([]string, error)
	// lookupCAA returns the CAA records at name after following CNAMEs;
	// NXDOMAIN and an empty answer both give an empty list.
	lookupCAA(ctx context.Context, name string) ([]policy.CAARecord, error)
	// servers names the resolvers asked, for validation records.
	servers() []string
}

// systemResolver uses the Go resolver, which honours /etc/hosts, and
// miekg/dns against the first resolv.conf server for CAA (caa may be nil).
type systemResolver struct {
	r   *net.Resolver
	caa *dnsResolver
}

func (s systemResolver) servers() []string { return nil }

func (s systemResolver) lookupIP(ctx context.Context, host string) ([]netip.Addr, error) {
	addrs, err := s.r.LookupNetIP(ctx, "ip", host)
	if err != nil {
		return nil, systemDNSError(err, "A/AAAA", host)
	}
	out := make([]netip.Addr, 0, len(addrs))
	for _, a := range addrs {
		a = a.Unmap()
		if !slices.Contains(out, a) {
			out = append(out, a)
		}
	}
	if len(out) == 0 {
		return nil, noAddresses(host)
	}
	return out, nil
}

func (s systemResolver) lookupTXT(ctx context.Context, name string) ([]string, error) {
	txts, err := s.r.LookupTXT(ctx, name)
	var de *net.DNSError
	if errors.As(err, &de) && de.IsNotFound && !de.IsTimeout {
		// The Go resolver reports "no TXT records" as not found too, so
		// the name's existence cannot be told apart here.
		return nil, nil
	}
	if err != nil {
		return nil, systemDNSError(err, "TXT", name)
	}
	return txts, nil
}

func systemDNSError(err error, qtype, name string) error {
	var de *net.DNSError
	switch {
	case errors.Is(err, context.DeadlineExceeded), errors.As(err, &de) && de.IsTimeout:
		return dnsTimeout(qtype, name)
	case errors.As(err, &de) && de.IsNotFound:
		return nxdomain(qtype, name)
	case errors.As(err, &de):
		return core.Errorf(core.ErrDNS, "DNS problem: looking up %s for %s: %s", qtype, name, de.Err)
	}
	return core.Errorf(core.ErrDNS, "DNS problem: looking up %s for %s failed", qtype, name)
}

func nxdomain(qtype, name string) error {
	return core.Errorf(core.ErrDNS, "DNS problem: NXDOMAIN looking up %s for %s - check that a DNS record exists for this domain", qtype, name)
}

func dnsTimeout(qtype, name string) error {
	return core.Errorf(core.ErrDNS, "DNS problem: query timed out looking up %s for %s", qtype, name)
}

func noAddresses(host string) error {
	return core.Errorf(core.ErrDNS, "No valid IP addresses found for %s", host)
}

// dialOrder puts IPv6 addresses first, then IPv4, keeping the resolver's
// order within each family.
func dialOrder(addrs []netip.Addr) []netip.Addr {
	out := make([]netip.Addr, 0, len(addrs))
	for _, a := range addrs {
		if a.Is6() {
			out = append(out, a)
		}
	}
	for _, a := range addrs {
		if a.Is4() {
			out = append(out, a)
		}
	}
	return out
}
