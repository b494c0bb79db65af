package loadgen

import (
	"context"
	"net"
	"testing"

	"github.com/miekg/dns"
)

func TestDNSResponder(t *testing.T) {
	r, err := listenDNS(context.Background(), "127.0.0.1:0", "Load.Test", net.IPv4(127, 0, 0, 1))
	if err != nil {
		t.Fatalf("listenDNS: %v", err)
	}
	defer r.Close()
	r.addTXT("_acme-challenge.a.load.test", "v1")
	r.addTXT("_acme-challenge.a.load.test.", "v2")
	r.removeTXT("_acme-challenge.a.load.test", "v1")
	tests := []struct {
		name    string
		qname   string
		qtype   uint16
		rcode   int
		answers int
	}{
		{name: "A under base", qname: "x1.load.test.", qtype: dns.TypeA, rcode: dns.RcodeSuccess, answers: 1},
		{name: "A of the base", qname: "load.test.", qtype: dns.TypeA, rcode: dns.RcodeSuccess, answers: 1},
		{name: "AAAA with an IPv4 answer", qname: "x1.load.test.", qtype: dns.TypeAAAA, rcode: dns.RcodeSuccess},
		{name: "TXT present", qname: "_acme-challenge.A.load.test.", qtype: dns.TypeTXT, rcode: dns.RcodeSuccess, answers: 1},
		{name: "TXT absent", qname: "_acme-challenge.b.load.test.", qtype: dns.TypeTXT, rcode: dns.RcodeSuccess},
		{name: "CAA under base is empty", qname: "x1.load.test.", qtype: dns.TypeCAA, rcode: dns.RcodeSuccess},
		{name: "ancestor exists, empty", qname: "test.", qtype: dns.TypeCAA, rcode: dns.RcodeSuccess},
		{name: "outside the base", qname: "example.org.", qtype: dns.TypeA, rcode: dns.RcodeNameError},
	}
	for _, tt := range tests {
		for _, network := range []string{"udp", "tcp"} {
			t.Run(tt.name+"/"+network, func(t *testing.T) {
				m := new(dns.Msg)
				m.SetQuestion(tt.qname, tt.qtype)
				c := &dns.Client{Net: network}
				in, _, err := c.Exchange(m, r.Addr())
				if err != nil {
					t.Fatalf("exchange: %v", err)
				}
				if in.Rcode != tt.rcode || len(in.Answer) != tt.answers {
					t.Errorf("got rcode %s with %d answers, want %s with %d", dns.RcodeToString[in.Rcode], len(in.Answer), dns.RcodeToString[tt.rcode], tt.answers)
				}
			})
		}
	}
}
