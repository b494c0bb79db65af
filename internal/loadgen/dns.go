package loadgen

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"
	"sync"

	"github.com/miekg/dns"
)

// dnsResponder is the DNS server the target CA resolves through: every
// name under the base domain has the responder's address, and dns-01 TXT
// records are served from memory. Other names do not exist.
type dnsResponder struct {
	base   string // FQDN, lower case
	answer net.IP
	udp    *dns.Server
	tcp    *dns.Server

	mu  sync.Mutex
	txt map[string][]string // FQDN -> values
}

// dnsBindAttempts bounds retries when port 0 gives a UDP port whose TCP
// twin is taken.
const dnsBindAttempts = 20

func listenDNS(ctx context.Context, addr, base string, answer net.IP) (*dnsResponder, error) {
	r := &dnsResponder{base: dns.Fqdn(strings.ToLower(base)), answer: answer, txt: map[string][]string{}}
	pc, ln, err := listenUDPTCP(ctx, addr)
	if err != nil {
		return nil, err
	}
	r.udp = &dns.Server{PacketConn: pc, Handler: r}
	r.tcp = &dns.Server{Listener: ln, Handler: r}
	go func() { _ = r.udp.ActivateAndServe() }()
	go func() { _ = r.tcp.ActivateAndServe() }()
	return r, nil
}

// listenUDPTCP binds UDP and TCP on one port.
func listenUDPTCP(ctx context.Context, addr string) (net.PacketConn, net.Listener, error) {
	var lc net.ListenConfig
	_, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, nil, fmt.Errorf("DNS listen address %q: %w", addr, err)
	}
	for range dnsBindAttempts {
		pc, err := lc.ListenPacket(ctx, "udp", addr)
		if err != nil {
			return nil, nil, fmt.Errorf("listening for DNS on %s/udp: %w", addr, err)
		}
		ln, err := lc.Listen(ctx, "tcp", pc.LocalAddr().String())
		if err == nil {
			return pc, ln, nil
		}
		_ = pc.Close()
		if port != "0" {
			return nil, nil, fmt.Errorf("listening for DNS on %s/tcp: %w", addr, err)
		}
	}
	return nil, nil, fmt.Errorf("listening for DNS on %s: no port free for both UDP and TCP", addr)
}

func (r *dnsResponder) Addr() string { return r.udp.PacketConn.LocalAddr().String() }

func (r *dnsResponder) addTXT(name, value string) {
	name = dns.Fqdn(strings.ToLower(name))
	r.mu.Lock()
	defer r.mu.Unlock()
	r.txt[name] = append(r.txt[name], value)
}

func (r *dnsResponder) removeTXT(name, value string) {
	name = dns.Fqdn(strings.ToLower(name))
	r.mu.Lock()
	defer r.mu.Unlock()
	vs := r.txt[name]
	for i, v := range vs {
		if v == value {
			vs = append(vs[:i], vs[i+1:]...)
			break
		}
	}
	if len(vs) == 0 {
		delete(r.txt, name)
		return
	}
	r.txt[name] = vs
}

func (r *dnsResponder) ServeDNS(w dns.ResponseWriter, req *dns.Msg) {
	m := new(dns.Msg)
	m.SetReply(req)
	m.Authoritative, m.RecursionAvailable = true, true
	if len(req.Question) == 1 {
		q := req.Question[0]
		m.Answer, m.Rcode = r.answerFor(strings.ToLower(q.Name), q.Qtype)
	}
	_ = w.WriteMsg(m)
}

// answerFor answers names under the base domain; the base's ancestors exist
// but are empty (so CAA lookups climbing the tree find nothing); anything
// else is NXDOMAIN.
func (r *dnsResponder) answerFor(name string, qtype uint16) ([]dns.RR, int) {
	if !dns.IsSubDomain(r.base, name) {
		if dns.IsSubDomain(name, r.base) {
			return nil, dns.RcodeSuccess
		}
		return nil, dns.RcodeNameError
	}
	hdr := func(t uint16) dns.RR_Header {
		return dns.RR_Header{Name: name, Rrtype: t, Class: dns.ClassINET, Ttl: 0}
	}
	switch {
	case qtype == dns.TypeA && r.answer.To4() != nil:
		return []dns.RR{&dns.A{Hdr: hdr(dns.TypeA), A: r.answer.To4()}}, dns.RcodeSuccess
	case qtype == dns.TypeAAAA && r.answer.To4() == nil:
		return []dns.RR{&dns.AAAA{Hdr: hdr(dns.TypeAAAA), AAAA: r.answer}}, dns.RcodeSuccess
	case qtype == dns.TypeTXT:
		r.mu.Lock()
		defer r.mu.Unlock()
		var rrs []dns.RR
		for _, v := range r.txt[name] {
			rrs = append(rrs, &dns.TXT{Hdr: hdr(dns.TypeTXT), Txt: []string{v}})
		}
		return rrs, dns.RcodeSuccess
	}
	return nil, dns.RcodeSuccess
}

func (r *dnsResponder) Close() error {
	return errors.Join(r.udp.Shutdown(), r.tcp.Shutdown())
}
