package va

import (
	"context"
	"errors"
	"net"
	"net/netip"
	"slices"
	"time"

	"github.com/miekg/dns"

	"github.com/quarry-ca/quarry/internal/core"
)

const (
	// dnsTries and dnsTryTimeout bound UDP retransmissions of one query.
	dnsTries      = 3
	dnsTryTimeout = 3 * time.Second
	// maxCNAMEs bounds the chain followed when a server answers with a
	// CNAME but not the records at its target (an authoritative server).
	maxCNAMEs = 8
	ednsSize  = 4096
)

// dnsResolver asks one recursive resolver with miekg/dns: UDP first, TCP
// when the answer is truncated.
type dnsResolver struct {
	addr string
	udp  *dns.Client
	tcp  *dns.Client
}

func newDNSResolver(addr string) *dnsResolver {
	return &dnsResolver{
		addr: addr,
		udp:  &dns.Client{Net: "udp", UDPSize: ednsSize},
		tcp:  &dns.Client{Net: "tcp"},
	}
}

func (r *dnsResolver) servers() []string { return []string{r.addr} }

func (r *dnsResolver) lookupIP(ctx context.Context, host string) ([]netip.Addr, error) {
	type result struct {
		rrs []dns.RR
		err error
	}
	aaaa := make(chan result, 1)
	go func() {
		rrs, err := r.lookup(ctx, host, dns.TypeAAAA)
		aaaa <- result{rrs, err}
	}()
	aRRs, aErr := r.lookup(ctx, host, dns.TypeA)
	six := <-aaaa
	if aErr != nil && six.err != nil {
		return nil, aErr
	}
	var out []netip.Addr
	for _, rr := range append(aRRs, six.rrs...) {
		var ip net.IP
		switch rr := rr.(type) {
		case *dns.A:
			ip = rr.A
		case *dns.AAAA:
			ip = rr.AAAA
		}
		if a, ok := netip.AddrFromSlice(ip); ok && !slices.Contains(out, a.Unmap()) {
			out = append(out, a.Unmap())
		}
	}
	if len(out) == 0 {
		if aErr != nil {
			return nil, aErr
		}
		if six.err != nil {
			return nil, six.err
		}
		return nil, noAddresses(host)
	}
	return out, nil
}

func (r *dnsResolver) lookupTXT(ctx context.Context, name string) ([]string, error) {
	rrs, err := r.lookup(ctx, name, dns.TypeTXT)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, rr := range rrs {
		if t, ok := rr.(*dns.TXT); ok {
			out = append(out, joinTXT(t.Txt))
		}
	}
	return out, nil
}

// joinTXT joins the character-strings of one TXT record (RFC 8555 §8.4
// values fit in one, but long records are split by some servers).
func joinTXT(parts []string) string {
	var s string
	for _, p := range parts {
		s += p
	}
	return s
}

// lookup returns the records of qtype at name, following CNAMEs inside
// each answer and re-querying a chain's end when the answer stops there.
func (r *dnsResolver) lookup(ctx context.Context, name string, qtype uint16) ([]dns.RR, error) {
	rrs, exists, err := r.lookupExisting(ctx, name, qtype)
	if err == nil && !exists {
		return nil, nxdomain(qtypeName(qtype), name)
	}
	return rrs, err
}

// lookupExisting is lookup with NXDOMAIN (at name or at the end of its
// CNAME chain) reported as exists == false rather than as an error.
func (r *dnsResolver) lookupExisting(ctx context.Context, name string, qtype uint16) (rrs []dns.RR, exists bool, err error) {
	qname := qtypeName(qtype)
	target := dns.Fqdn(name)
	for range maxCNAMEs {
		msg, err := r.query(ctx, target, qtype)
		if err != nil {
			return nil, false, r.classify(err, qname, name)
		}
		switch msg.Rcode {
		case dns.RcodeSuccess:
		case dns.RcodeNameError:
			return nil, false, nil
		case dns.RcodeServerFailure:
			return nil, false, core.Errorf(core.ErrDNS, "DNS problem: SERVFAIL looking up %s for %s - the domain's nameservers may be malfunctioning", qname, name)
		default:
			return nil, false, core.Errorf(core.ErrDNS, "DNS problem: %s looking up %s for %s", dns.RcodeToString[msg.Rcode], qname, name)
		}
		rrs, next := chase(msg.Answer, target, qtype)
		if len(rrs) > 0 || next == "" {
			return rrs, true, nil
		}
		target = next
	}
	return nil, false, core.Errorf(core.ErrDNS, "DNS problem: too many CNAMEs looking up %s for %s", qname, name)
}

// chase follows the CNAME chain from owner within answer. It returns the
// records of qtype at the chain's end, or the end's name when the answer
// holds no records there and the chain must be asked for again.
func chase(answer []dns.RR, owner string, qtype uint16) ([]dns.RR, string) {
	cur := dns.CanonicalName(owner)
	for range maxCNAMEs + 1 {
		var found []dns.RR
		next := ""
		for _, rr := range answer {
			h := rr.Header()
			if dns.CanonicalName(h.Name) != cur {
				continue
			}
			if h.Rrtype == qtype {
				found = append(found, rr)
			} else if c, ok := rr.(*dns.CNAME); ok {
				next = dns.CanonicalName(c.Target)
			}
		}
		if len(found) > 0 || next == "" {
			if len(found) == 0 && cur != dns.CanonicalName(owner) {
				return nil, cur
			}
			return found, ""
		}
		cur = next
	}
	return nil, ""
}

// query sends one question, retrying UDP on time-outs and switching to
// TCP when the UDP answer is truncated.
func (r *dnsResolver) query(ctx context.Context, name string, qtype uint16) (*dns.Msg, error) {
	m := new(dns.Msg)
	m.SetQuestion(name, qtype)
	m.SetEdns0(ednsSize, false)
	var lastErr error
	for range dnsTries {
		tctx, cancel := context.WithTimeout(ctx, dnsTryTimeout)
		resp, _, err := r.udp.ExchangeContext(tctx, m, r.addr)
		if err == nil && resp.Truncated {
			resp, _, err = r.tcp.ExchangeContext(tctx, m, r.addr)
		}
		cancel()
		if err == nil {
			return resp, nil
		}
		lastErr = err
		if ctx.Err() != nil || !isTimeout(err) {
			break
		}
	}
	return nil, lastErr
}

func (r *dnsResolver) classify(err error, qtype, name string) error {
	if isTimeout(err) {
		return dnsTimeout(qtype, name)
	}
	return core.Errorf(core.ErrDNS, "DNS problem: networking error looking up %s for %s", qtype, name)
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, context.DeadlineExceeded) || errors.As(err, &ne) && ne.Timeout()
}

func qtypeName(qtype uint16) string {
	if s, ok := dns.TypeToString[qtype]; ok {
		return s
	}
	return "TYPE"
}
