package testdns

import (
	"net"
	"slices"

	"github.com/miekg/dns"
)

// node is everything the server knows about one owner name.
type node struct {
	a     []net.IP
	aaaa  []net.IP
	txt   []string
	cname string
	caa   []*dns.CAA
	rcode int // injected failure; RcodeSuccess means none
	drop  bool
}

func (n *node) hasRecords() bool {
	return len(n.a)+len(n.aaaa)+len(n.txt)+len(n.caa) > 0 || n.cname != ""
}

// edit runs f on the node for name, creating it, under the lock.
func (s *Server) edit(name string, f func(n *node)) {
	name = dns.CanonicalName(name)
	s.mu.Lock()
	defer s.mu.Unlock()
	n := s.nodes[name]
	if n == nil {
		n = &node{}
		s.nodes[name] = n
	}
	f(n)
}

// SetA replaces the A and AAAA records of name, sorted by family; no ips
// removes both.
func (s *Server) SetA(name string, ips ...net.IP) {
	var v4, v6 []net.IP
	for _, ip := range ips {
		if ip4 := ip.To4(); ip4 != nil {
			v4 = append(v4, ip4)
		} else {
			v6 = append(v6, ip)
		}
	}
	s.edit(name, func(n *node) { n.a, n.aaaa = v4, v6 })
}

// AddTXT adds one TXT value to name; adding a value twice keeps one copy.
func (s *Server) AddTXT(name, value string) {
	s.edit(name, func(n *node) {
		if !slices.Contains(n.txt, value) {
			n.txt = append(n.txt, value)
		}
	})
}

// RemoveTXT removes one TXT value from name, if present.
func (s *Server) RemoveTXT(name, value string) {
	s.edit(name, func(n *node) {
		n.txt = slices.DeleteFunc(n.txt, func(v string) bool { return v == value })
	})
}

// TXT returns a copy of the TXT values of name.
func (s *Server) TXT(name string) []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	if n := s.nodes[dns.CanonicalName(name)]; n != nil {
		return slices.Clone(n.txt)
	}
	return nil
}

// SetCNAME makes name an alias of target; an empty target removes it.
func (s *Server) SetCNAME(name, target string) {
	if target != "" {
		target = dns.CanonicalName(target)
	}
	s.edit(name, func(n *node) { n.cname = target })
}

// SetCAA replaces the CAA records of name; owner names and TTLs of rrs are
// ignored.
func (s *Server) SetCAA(name string, rrs ...*dns.CAA) {
	copies := make([]*dns.CAA, 0, len(rrs))
	for _, rr := range rrs {
		copies = append(copies, dns.Copy(rr).(*dns.CAA))
	}
	s.edit(name, func(n *node) { n.caa = copies })
}

// SetRcode makes every query that reaches name (directly or through a
// CNAME) fail with rcode; dns.RcodeSuccess removes the injection.
func (s *Server) SetRcode(name string, rcode int) {
	s.edit(name, func(n *node) { n.rcode = rcode })
}

// SetDrop makes queries that reach name go unanswered, so clients time out.
func (s *Server) SetDrop(name string, drop bool) {
	s.edit(name, func(n *node) { n.drop = drop })
}
