package testdns

import (
	"net"
	"slices"
	"strings"
	"time"

	"github.com/miekg/dns"
)

// tsigFudge is the clock skew allowed on signed replies, as BIND uses.
const tsigFudge = 300

// handleUpdate serves an RFC 2136 UPDATE. Prerequisites are not
// supported (NOTIMP); updates may add and delete TXT, A and AAAA records
// and delete whole RRsets or names.
func (s *Server) handleUpdate(w dns.ResponseWriter, r *dns.Msg) {
	m := new(dns.Msg)
	m.SetReply(r)
	rcode, signed := s.authorize(w, r)
	if rcode == dns.RcodeSuccess {
		rcode = s.applyUpdate(r)
	}
	m.Rcode = rcode
	if signed {
		t := r.IsTsig()
		m.SetTsig(t.Hdr.Name, t.Algorithm, tsigFudge, time.Now().Unix())
	}
	_ = w.WriteMsg(m)
}

// authorize checks the update's TSIG: required when keys are configured,
// HMAC-SHA256 and valid when present. signed says whether to sign the reply.
func (s *Server) authorize(w dns.ResponseWriter, r *dns.Msg) (rcode int, signed bool) {
	t := r.IsTsig()
	switch {
	case t == nil && s.needTSIG:
		return dns.RcodeRefused, false
	case t == nil:
		return dns.RcodeSuccess, false
	case w.TsigStatus() != nil, !strings.EqualFold(t.Algorithm, dns.HmacSHA256):
		return dns.RcodeNotAuth, false
	}
	return dns.RcodeSuccess, true
}

// applyUpdate checks every update RR first and applies them only if all
// pass, so an update is all or nothing.
func (s *Server) applyUpdate(r *dns.Msg) int {
	zone := r.Question[0]
	if zone.Qtype != dns.TypeSOA {
		return dns.RcodeFormatError
	}
	if len(r.Answer) > 0 {
		return dns.RcodeNotImplemented
	}
	for _, rr := range r.Ns {
		if rcode := checkUpdateRR(dns.CanonicalName(zone.Name), rr); rcode != dns.RcodeSuccess {
			return rcode
		}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, rr := range r.Ns {
		s.applyRR(rr)
	}
	return dns.RcodeSuccess
}

// checkUpdateRR is RFC 2136 section 3.4.1's prescan of one update RR.
func checkUpdateRR(zone string, rr dns.RR) int {
	h := rr.Header()
	if !dns.IsSubDomain(zone, dns.CanonicalName(h.Name)) {
		return dns.RcodeNotZone
	}
	supported := h.Rrtype == dns.TypeTXT || h.Rrtype == dns.TypeA || h.Rrtype == dns.TypeAAAA
	switch h.Class {
	case dns.ClassINET:
		if !supported {
			return dns.RcodeNotImplemented
		}
	case dns.ClassANY:
		if h.Ttl != 0 || h.Rdlength != 0 {
			return dns.RcodeFormatError
		}
	case dns.ClassNONE:
		if h.Ttl != 0 {
			return dns.RcodeFormatError
		}
		if !supported {
			return dns.RcodeNotImplemented
		}
	default:
		return dns.RcodeFormatError
	}
	return dns.RcodeSuccess
}

// applyRR applies one checked update RR. The caller holds s.mu.
func (s *Server) applyRR(rr dns.RR) {
	h := rr.Header()
	name := dns.CanonicalName(h.Name)
	n := s.nodes[name]
	if n == nil {
		n = &node{}
		s.nodes[name] = n
	}
	switch h.Class {
	case dns.ClassINET:
		addRR(n, rr)
	case dns.ClassANY:
		deleteRRset(n, h.Rrtype)
	case dns.ClassNONE:
		deleteRR(n, rr)
	}
}

func addRR(n *node, rr dns.RR) {
	switch rr := rr.(type) {
	case *dns.TXT:
		if v := strings.Join(rr.Txt, ""); !slices.Contains(n.txt, v) {
			n.txt = append(n.txt, v)
		}
	case *dns.A:
		n.a = addIP(n.a, rr.A)
	case *dns.AAAA:
		n.aaaa = addIP(n.aaaa, rr.AAAA)
	}
}

func deleteRR(n *node, rr dns.RR) {
	switch rr := rr.(type) {
	case *dns.TXT:
		v := strings.Join(rr.Txt, "")
		n.txt = slices.DeleteFunc(n.txt, func(x string) bool { return x == v })
	case *dns.A:
		n.a = slices.DeleteFunc(n.a, rr.A.Equal)
	case *dns.AAAA:
		n.aaaa = slices.DeleteFunc(n.aaaa, rr.AAAA.Equal)
	}
}

// deleteRRset empties one RRset, or every RRset for type ANY.
func deleteRRset(n *node, rrtype uint16) {
	all := rrtype == dns.TypeANY
	if all || rrtype == dns.TypeTXT {
		n.txt = nil
	}
	if all || rrtype == dns.TypeA {
		n.a = nil
	}
	if all || rrtype == dns.TypeAAAA {
		n.aaaa = nil
	}
	if all || rrtype == dns.TypeCAA {
		n.caa = nil
	}
	if all || rrtype == dns.TypeCNAME {
		n.cname = ""
	}
}

func addIP(ips []net.IP, ip net.IP) []net.IP {
	if slices.ContainsFunc(ips, ip.Equal) {
		return ips
	}
	return append(ips, ip)
}
