package va

import (
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/quarry-ca/quarry/acme"
	"github.com/quarry-ca/quarry/internal/core"
	"github.com/quarry-ca/quarry/internal/testdns"
)

func TestDNS01(t *testing.T) {
	good := acme.DNS01Value(testKeyAuth)
	cases := []struct {
		name       string
		setup      func(s *testdns.Server)
		wildcard   bool
		wantKind   core.Kind
		wantDetail string
	}{
		{name: "pass", setup: func(s *testdns.Server) { s.AddTXT("_acme-challenge.a.test", good) }},
		{name: "wildcard pass", wildcard: true, setup: func(s *testdns.Server) { s.AddTXT("_acme-challenge.a.test", good) }},
		{name: "one of several records matches", setup: func(s *testdns.Server) {
			s.AddTXT("_acme-challenge.a.test", "stale")
			s.AddTXT("_acme-challenge.a.test", good)
		}},
		{name: "CNAME-delegated pass", setup: func(s *testdns.Server) {
			s.SetCNAME("_acme-challenge.a.test", "a.acme.delegated.test")
			s.SetCNAME("a.acme.delegated.test", "final.delegated.test")
			s.AddTXT("final.delegated.test", good)
		}},
		{name: "wrong value", setup: func(s *testdns.Server) { s.AddTXT("_acme-challenge.a.test", "wrong") },
			wantKind: core.ErrUnauthorized, wantDetail: `Incorrect TXT record "wrong" found at _acme-challenge.a.test`},
		{name: "several wrong values", setup: func(s *testdns.Server) {
			s.AddTXT("_acme-challenge.a.test", "wrong1")
			s.AddTXT("_acme-challenge.a.test", "wrong2")
		}, wantKind: core.ErrUnauthorized, wantDetail: "none of the 2 records matched"},
		{name: "name exists without TXT", setup: func(s *testdns.Server) { s.SetA("_acme-challenge.a.test", net.IPv4(192, 0, 2, 1)) },
			wantKind: core.ErrUnauthorized, wantDetail: "No TXT record found at _acme-challenge.a.test"},
		{name: "NXDOMAIN", setup: func(*testdns.Server) {},
			wantKind: core.ErrDNS, wantDetail: "NXDOMAIN looking up TXT for _acme-challenge.a.test"},
		{name: "CNAME to a missing name", setup: func(s *testdns.Server) { s.SetCNAME("_acme-challenge.a.test", "gone.other.test") },
			wantKind: core.ErrDNS, wantDetail: "NXDOMAIN looking up TXT for _acme-challenge.a.test"},
		{name: "SERVFAIL", setup: func(s *testdns.Server) { s.SetRcode("_acme-challenge.a.test", dns.RcodeServerFailure) },
			wantKind: core.ErrDNS, wantDetail: "SERVFAIL looking up TXT for _acme-challenge.a.test"},
		{name: "REFUSED", setup: func(s *testdns.Server) { s.SetRcode("_acme-challenge.a.test", dns.RcodeRefused) },
			wantKind: core.ErrDNS, wantDetail: "REFUSED looking up TXT"},
		{name: "time-out", setup: func(s *testdns.Server) { s.SetDrop("_acme-challenge.a.test", true) },
			wantKind: core.ErrDNS, wantDetail: "query timed out looking up TXT for _acme-challenge.a.test"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := testdns.StartTest(t, testdns.Config{})
			tc.setup(s)
			v := newTestVA(t, Config{DNSResolver: s.Addr(), Timeout: 500 * time.Millisecond})
			records, err := v.Validate(t.Context(), Request{
				Identifier: dnsID("a.test"), Wildcard: tc.wildcard, Challenge: acme.ChallengeDNS01,
				Token: testToken, KeyAuthorization: testKeyAuth,
			})
			t.Logf("result: %v", err)
			checkErr(t, err, tc.wantKind, tc.wantDetail)
			if len(records) != 1 || records[0].Hostname != "a.test" || len(records[0].ResolverAddrs) != 1 {
				t.Fatalf("got records %+v, want one naming a.test and the resolver", records)
			}
		})
	}
}

// TestChase covers answers from a server that stops at a CNAME, as an
// authoritative server does when the target is in another zone.
func TestChase(t *testing.T) {
	rr := func(s string) dns.RR {
		r, err := dns.NewRR(s)
		if err != nil {
			t.Fatalf("parsing %q: %v", s, err)
		}
		return r
	}
	cases := []struct {
		name      string
		answer    []dns.RR
		wantCount int
		wantNext  string
	}{
		{name: "records at the owner", answer: []dns.RR{rr(`a.test. 60 IN TXT "x"`), rr(`a.test. 60 IN TXT "y"`)}, wantCount: 2},
		{name: "chain inside the answer", answer: []dns.RR{
			rr(`a.test. 60 IN CNAME b.test.`), rr(`b.test. 60 IN CNAME c.test.`), rr(`C.test. 60 IN TXT "x"`),
		}, wantCount: 1},
		{name: "chain stops at a CNAME", answer: []dns.RR{rr(`a.test. 60 IN CNAME b.other.`)}, wantNext: "b.other."},
		{name: "nothing at the owner", answer: []dns.RR{rr(`z.test. 60 IN TXT "x"`)}},
		{name: "loop inside the answer", answer: []dns.RR{rr(`a.test. 60 IN CNAME b.test.`), rr(`b.test. 60 IN CNAME a.test.`)}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, next := chase(tc.answer, "A.test.", dns.TypeTXT)
			if len(got) != tc.wantCount || next != tc.wantNext {
				t.Fatalf("got %d records and next %q, want %d and %q", len(got), next, tc.wantCount, tc.wantNext)
			}
		})
	}
}

func TestDNSResolverFallsBackToTCP(t *testing.T) {
	s := testdns.StartTest(t, testdns.Config{})
	const n = 100
	for i := range n {
		s.AddTXT("big.example.test", fmt.Sprintf("filler-%03d-%s", i, strings.Repeat("f", 60)))
	}
	m := new(dns.Msg)
	m.SetQuestion("big.example.test.", dns.TypeTXT)
	m.SetEdns0(ednsSize, false)
	udp, _, err := (&dns.Client{Net: "udp", UDPSize: ednsSize}).ExchangeContext(t.Context(), m, s.Addr())
	if err != nil || !udp.Truncated {
		t.Fatalf("got UDP answer truncated=%v err=%v, want a truncated answer", udp != nil && udp.Truncated, err)
	}
	txts, err := newDNSResolver(s.Addr()).lookupTXT(t.Context(), "big.example.test")
	if err != nil || len(txts) != n {
		t.Fatalf("got %d records, err %v, want %d", len(txts), err, n)
	}
}
