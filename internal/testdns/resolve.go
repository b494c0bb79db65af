package testdns

import (
	"net"

	"github.com/miekg/dns"
)

const (
	ttl = 60
	// maxChain bounds CNAME chasing, so a loop ends in SERVFAIL.
	maxChain = 8
)

// result is the body of one answer before it becomes a message.
type result struct {
	answer []dns.RR
	ns     []dns.RR
	rcode  int
	drop   bool
}

func (s *Server) handle(w dns.ResponseWriter, r *dns.Msg) {
	if r.Opcode == dns.OpcodeUpdate {
		s.handleUpdate(w, r)
		return
	}
	q := r.Question[0]
	s.mu.Lock()
	s.queries = append(s.queries, q)
	res := s.resolve(q)
	s.mu.Unlock()
	if res.drop {
		return
	}
	m := new(dns.Msg)
	m.SetReply(r)
	m.RecursionAvailable = true
	m.Rcode = res.rcode
	m.Answer = res.answer
	m.Ns = res.ns
	_ = w.WriteMsg(fit(w, r, m))
}

// fit sizes the reply for the transport, setting TC when records had to go.
func fit(w dns.ResponseWriter, r, m *dns.Msg) *dns.Msg {
	size := dns.MinMsgSize
	if _, ok := w.LocalAddr().(*net.TCPAddr); ok {
		size = dns.MaxMsgSize
	}
	if opt := r.IsEdns0(); opt != nil {
		if _, ok := w.LocalAddr().(*net.UDPAddr); ok {
			size = max(int(opt.UDPSize()), dns.MinMsgSize)
		}
		m.SetEdns0(uint16(min(size, dns.MaxMsgSize)), false)
	}
	m.Truncate(size)
	return m
}

// resolve answers q from the server's data as a recursive resolver would,
// following CNAMEs and keeping the chain. The caller holds s.mu.
func (s *Server) resolve(q dns.Question) result {
	name := dns.CanonicalName(q.Name)
	var res result
	for range maxChain {
		n := s.nodes[name]
		switch {
		case n != nil && n.drop:
			return result{drop: true}
		case n != nil && n.rcode != dns.RcodeSuccess:
			return result{rcode: n.rcode}
		case n != nil && n.cname != "" && q.Qtype != dns.TypeCNAME:
			res.answer = append(res.answer, &dns.CNAME{Hdr: header(name, dns.TypeCNAME), Target: n.cname})
			name = n.cname
			continue
		}
		rrs := s.records(name, n, q.Qtype)
		res.answer = append(res.answer, rrs...)
		if len(rrs) == 0 {
			res.ns = []dns.RR{soa(apex(name))}
			if !s.exists(name, n) {
				res.rcode = dns.RcodeNameError
			}
		}
		return res
	}
	return result{rcode: dns.RcodeServerFailure}
}

// records returns the RRs of type qtype at name (node n, possibly nil).
func (s *Server) records(name string, n *node, qtype uint16) []dns.RR {
	if n == nil {
		n = &node{}
	}
	var rrs []dns.RR
	switch qtype {
	case dns.TypeA, dns.TypeAAAA:
		for _, ip := range s.addresses(n, qtype) {
			if qtype == dns.TypeA {
				rrs = append(rrs, &dns.A{Hdr: header(name, qtype), A: ip})
			} else {
				rrs = append(rrs, &dns.AAAA{Hdr: header(name, qtype), AAAA: ip})
			}
		}
	case dns.TypeTXT:
		for _, v := range n.txt {
			rrs = append(rrs, &dns.TXT{Hdr: header(name, qtype), Txt: splitTXT(v)})
		}
	case dns.TypeCAA:
		for _, c := range n.caa {
			rr := dns.Copy(c).(*dns.CAA)
			rr.Hdr = header(name, qtype)
			rrs = append(rrs, rr)
		}
	case dns.TypeCNAME:
		if n.cname != "" {
			rrs = append(rrs, &dns.CNAME{Hdr: header(name, qtype), Target: n.cname})
		}
	case dns.TypeSOA:
		if isApex(name) {
			rrs = append(rrs, soa(name))
		}
	}
	return rrs
}

// addresses gives n's own addresses of the family, or the defaults when n
// has no address of either family.
func (s *Server) addresses(n *node, qtype uint16) []net.IP {
	own := len(n.a)+len(n.aaaa) > 0
	var out []net.IP
	switch {
	case own && qtype == dns.TypeA:
		return n.a
	case own:
		return n.aaaa
	}
	for _, ip := range s.defaultA {
		if (ip.To4() != nil) == (qtype == dns.TypeA) {
			out = append(out, ip)
		}
	}
	return out
}

// exists says whether name is answered NOERROR rather than NXDOMAIN when it
// has no records of the asked type. With DefaultA every name exists.
func (s *Server) exists(name string, n *node) bool {
	if s.defaultA != nil || isApex(name) || (n != nil && n.hasRecords()) {
		return true
	}
	for other, on := range s.nodes {
		if other != name && dns.IsSubDomain(name, other) && on.hasRecords() {
			return true // an empty non-terminal
		}
	}
	return false
}

func header(name string, rrtype uint16) dns.RR_Header {
	return dns.RR_Header{Name: name, Rrtype: rrtype, Class: dns.ClassINET, Ttl: ttl}
}

// splitTXT cuts a value into the 255-byte strings one TXT record holds.
func splitTXT(v string) []string {
	var parts []string
	for len(v) > 255 {
		parts = append(parts, v[:255])
		v = v[255:]
	}
	return append(parts, v)
}
