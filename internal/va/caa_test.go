package va

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/quarry-ca/quarry/acme"
	"github.com/quarry-ca/quarry/internal/core"
	"github.com/quarry-ca/quarry/internal/testdns"
)

const testAccountURI = "https://quarry.test/acme/acct/7"

func caa(flag uint8, tag, value string) *dns.CAA {
	return &dns.CAA{Flag: flag, Tag: tag, Value: value}
}

func startCAADNS(t *testing.T) *testdns.Server {
	t.Helper()
	return testdns.StartTest(t, testdns.Config{})
}

func TestCheckCAA(t *testing.T) {
	cases := []struct {
		name       string
		setup      func(s *testdns.Server)
		id         string // default www.a.test
		wildcard   bool
		method     acme.ChallengeType // default http-01
		wantKind   core.Kind
		wantDetail string
	}{
		{name: "no CAA anywhere", setup: func(*testdns.Server) {}},
		{name: "name exists without CAA", setup: func(s *testdns.Server) { s.SetA("www.a.test", []byte{192, 0, 2, 1}) }},
		{name: "issue names us", setup: func(s *testdns.Server) { s.SetCAA("www.a.test", caa(0, "issue", "quarry.test")) }},
		{name: "issue names us in upper case", setup: func(s *testdns.Server) { s.SetCAA("www.a.test", caa(0, "issue", "QUARRY.TEST")) }},
		{name: "issue names another CA", setup: func(s *testdns.Server) { s.SetCAA("www.a.test", caa(0, "issue", "ca.example")) },
			wantKind: core.ErrCAA, wantDetail: `CAA record for www.a.test prevents issuance: 0 issue "ca.example"`},
		{name: "empty issue forbids", setup: func(s *testdns.Server) { s.SetCAA("www.a.test", caa(0, "issue", ";")) },
			wantKind: core.ErrCAA, wantDetail: `0 issue ";"`},
		{name: "wildcard allowed by issuewild", wildcard: true, method: acme.ChallengeDNS01, setup: func(s *testdns.Server) {
			s.SetCAA("www.a.test", caa(0, "issue", "ca.example"), caa(0, "issuewild", "quarry.test"))
		}},
		{name: "wildcard refused by issuewild", wildcard: true, method: acme.ChallengeDNS01, setup: func(s *testdns.Server) {
			s.SetCAA("www.a.test", caa(0, "issue", "quarry.test"), caa(0, "issuewild", "ca.example"))
		}, wantKind: core.ErrCAA, wantDetail: `0 issuewild "ca.example"`},
		{name: "issuewild does not apply to a non-wildcard", setup: func(s *testdns.Server) {
			s.SetCAA("www.a.test", caa(0, "issue", "quarry.test"), caa(0, "issuewild", ";"))
		}},
		{name: "wildcard falls back to issue", wildcard: true, method: acme.ChallengeDNS01, setup: func(s *testdns.Server) {
			s.SetCAA("www.a.test", caa(0, "issue", "ca.example"))
		}, wantKind: core.ErrCAA, wantDetail: `0 issue "ca.example"`},
		{name: "record at the parent applies", setup: func(s *testdns.Server) { s.SetCAA("a.test", caa(0, "issue", "ca.example")) },
			wantKind: core.ErrCAA, wantDetail: "CAA record for a.test prevents issuance"},
		{name: "record at the parent permits", setup: func(s *testdns.Server) { s.SetCAA("a.test", caa(0, "issue", "quarry.test")) }},
		{name: "record at the child overrides a refusing parent", setup: func(s *testdns.Server) {
			s.SetCAA("a.test", caa(0, "issue", "ca.example"))
			s.SetCAA("www.a.test", caa(0, "issue", "quarry.test"))
		}},
		{name: "record at the child overrides a permitting parent", setup: func(s *testdns.Server) {
			s.SetCAA("a.test", caa(0, "issue", "quarry.test"))
			s.SetCAA("www.a.test", caa(0, "issue", "ca.example"))
		}, wantKind: core.ErrCAA, wantDetail: "CAA record for www.a.test"},
		{name: "the TLD is not consulted", setup: func(s *testdns.Server) { s.SetCAA("test", caa(0, "issue", ";")) }},
		{name: "critical unknown tag refuses", setup: func(s *testdns.Server) {
			s.SetCAA("www.a.test", caa(128, "tbs", "unknown"), caa(0, "issue", "quarry.test"))
		}, wantKind: core.ErrCAA, wantDetail: `unknown critical property, which prevents issuance: 128 tbs "unknown"`},
		{name: "non-critical unknown tag ignored", setup: func(s *testdns.Server) {
			s.SetCAA("www.a.test", caa(0, "tbs", "unknown"), caa(0, "issue", "quarry.test"))
		}},
		{name: "iodef ignored", setup: func(s *testdns.Server) { s.SetCAA("www.a.test", caa(0, "iodef", "mailto:security@a.test")) }},
		{name: "iodef does not stop the climb", setup: func(s *testdns.Server) {
			s.SetCAA("www.a.test", caa(0, "iodef", "mailto:security@a.test"))
			s.SetCAA("a.test", caa(0, "issue", "ca.example"))
		}},
		{name: "accounturi matches", setup: func(s *testdns.Server) {
			s.SetCAA("www.a.test", caa(0, "issue", "quarry.test; accounturi="+testAccountURI))
		}},
		{name: "accounturi mismatch", setup: func(s *testdns.Server) {
			s.SetCAA("www.a.test", caa(0, "issue", "quarry.test; accounturi=https://quarry.test/acme/acct/8"))
		}, wantKind: core.ErrCAA, wantDetail: "acct/8"},
		{name: "validationmethods matches", setup: func(s *testdns.Server) {
			s.SetCAA("www.a.test", caa(0, "issue", "quarry.test; validationmethods=tls-alpn-01,http-01"))
		}},
		{name: "validationmethods mismatch", method: acme.ChallengeTLSALPN01, setup: func(s *testdns.Server) {
			s.SetCAA("www.a.test", caa(0, "issue", "quarry.test; validationmethods=dns-01"))
		}, wantKind: core.ErrCAA, wantDetail: "validationmethods=dns-01"},
		{name: "SERVFAIL at the name", setup: func(s *testdns.Server) { s.SetRcode("www.a.test", dns.RcodeServerFailure) },
			wantKind: core.ErrDNS, wantDetail: "While checking CAA for www.a.test: DNS problem: SERVFAIL looking up CAA for www.a.test"},
		{name: "SERVFAIL at the parent", setup: func(s *testdns.Server) { s.SetRcode("a.test", dns.RcodeServerFailure) },
			wantKind: core.ErrDNS, wantDetail: "SERVFAIL looking up CAA for a.test"},
		{name: "REFUSED", setup: func(s *testdns.Server) { s.SetRcode("www.a.test", dns.RcodeRefused) },
			wantKind: core.ErrDNS, wantDetail: "REFUSED looking up CAA"},
		{name: "time-out", setup: func(s *testdns.Server) { s.SetDrop("www.a.test", true) },
			wantKind: core.ErrDNS, wantDetail: "query timed out looking up CAA for www.a.test"},
		{name: "CNAME at the name to a refusing target", setup: func(s *testdns.Server) {
			s.SetCNAME("www.a.test", "edge.cdn.test")
			s.SetCAA("edge.cdn.test", caa(0, "issue", "ca.example"))
		}, wantKind: core.ErrCAA, wantDetail: "CAA record for www.a.test prevents issuance"},
		{name: "CNAME at the name to a permitting target", setup: func(s *testdns.Server) {
			s.SetCNAME("www.a.test", "edge.cdn.test")
			s.SetCAA("edge.cdn.test", caa(0, "issue", "quarry.test"))
			s.SetCAA("a.test", caa(0, "issue", ";"))
		}},
		{name: "CNAME to a target without CAA climbs the name's parents", setup: func(s *testdns.Server) {
			s.SetCNAME("www.a.test", "edge.cdn.test")
			s.SetA("edge.cdn.test", []byte{192, 0, 2, 1})
			s.SetCAA("cdn.test", caa(0, "issue", "quarry.test"))
			s.SetCAA("a.test", caa(0, "issue", "ca.example"))
		}, wantKind: core.ErrCAA, wantDetail: "CAA record for a.test"},
		{name: "CNAME to a missing name climbs on", setup: func(s *testdns.Server) { s.SetCNAME("www.a.test", "gone.cdn.test") }},
		{name: "localhost names are never asked of DNS", id: "www.app.localhost", setup: func(s *testdns.Server) {
			s.SetRcode("www.app.localhost", dns.RcodeServerFailure)
		}},
		{name: "IP identifier skips CAA", id: "192.0.2.1", setup: func(s *testdns.Server) { s.SetRcode("1.2.0.192.in-addr.arpa", dns.RcodeServerFailure) }},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := startCAADNS(t)
			tc.setup(s)
			v := newTestVA(t, Config{DNSResolver: s.Addr(), Timeout: 500 * time.Millisecond, CAAIdentities: []string{"quarry.test"}})
			id := dnsID("www.a.test")
			switch {
			case strings.HasSuffix(tc.id, ".localhost"):
				id = dnsID(tc.id)
			case tc.id != "":
				id = ipID(tc.id)
			}
			method := tc.method
			if method == "" {
				method = acme.ChallengeHTTP01
			}
			err := v.CheckCAA(t.Context(), CAARequest{Identifier: id, Wildcard: tc.wildcard, AccountURI: testAccountURI, Method: method})
			checkErr(t, err, tc.wantKind, tc.wantDetail)
		})
	}
}

// TestCheckCAAClimb checks which names are asked, in order: the name and
// its parents, never the TLD, and nothing past the first non-empty set.
func TestCheckCAAClimb(t *testing.T) {
	cases := []struct {
		name  string
		setup func(s *testdns.Server)
		want  []string
	}{
		{name: "no records", setup: func(*testdns.Server) {}, want: []string{"x.b.a.test.", "b.a.test.", "a.test."}},
		{name: "stops at the first set", setup: func(s *testdns.Server) { s.SetCAA("b.a.test", caa(0, "issue", "quarry.test")) },
			want: []string{"x.b.a.test.", "b.a.test."}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := startCAADNS(t)
			tc.setup(s)
			v := newTestVA(t, Config{DNSResolver: s.Addr(), CAAIdentities: []string{"quarry.test"}})
			if err := v.CheckCAA(t.Context(), CAARequest{Identifier: dnsID("x.b.a.test"), Method: acme.ChallengeDNS01}); err != nil {
				t.Fatalf("got error %v, want none", err)
			}
			var got []string
			for _, q := range s.Queries() {
				got = append(got, q.Name)
			}
			if !slices.Equal(got, tc.want) {
				t.Fatalf("got queries %v, want %v", got, tc.want)
			}
		})
	}
}

func TestCheckCAAWithoutIdentities(t *testing.T) {
	cases := []struct {
		name     string
		records  []*dns.CAA
		wantKind core.Kind
	}{
		{name: "no CAA permits", wantKind: ""},
		{name: "any issuer refuses", records: []*dns.CAA{caa(0, "issue", "quarry.test")}, wantKind: core.ErrCAA},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := startCAADNS(t)
			if tc.records != nil {
				s.SetCAA("a.test", tc.records...)
			}
			v := newTestVA(t, Config{DNSResolver: s.Addr()})
			err := v.CheckCAA(t.Context(), CAARequest{Identifier: dnsID("a.test"), Method: acme.ChallengeHTTP01})
			checkErr(t, err, tc.wantKind, "")
		})
	}
}
