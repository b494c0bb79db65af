package testdns

import (
	"context"
	"errors"
	"net"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
)

func startServer(t *testing.T, cfg Config) *Server {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	s, err := Start(ctx, cfg)
	if err != nil {
		t.Fatalf("Start: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

func query(t *testing.T, addr, transport, name string, qtype uint16) (*dns.Msg, error) {
	t.Helper()
	c := &dns.Client{Net: transport, Timeout: 500 * time.Millisecond}
	m := new(dns.Msg)
	m.SetQuestion(name, qtype)
	reply, _, err := c.Exchange(m, addr)
	return reply, err
}

// summary renders RRs as "owner TYPE rdata" for comparison.
func summary(rrs []dns.RR) []string {
	out := make([]string, 0, len(rrs))
	for _, rr := range rrs {
		h := rr.Header()
		rdata := strings.TrimPrefix(rr.String(), h.String())
		out = append(out, h.Name+" "+dns.TypeToString[h.Rrtype]+" "+rdata)
	}
	return out
}

func TestQueries(t *testing.T) {
	v4, v6 := net.ParseIP("127.0.0.1"), net.ParseIP("::1")
	caa := &dns.CAA{Flag: 0, Tag: "issue", Value: "quarry.test"}
	tests := []struct {
		name      string
		defaults  []net.IP
		setup     func(s *Server)
		qname     string
		qtype     uint16
		transport string
		wantRcode int
		want      []string
	}{
		{
			name:      "explicit A",
			setup:     func(s *Server) { s.SetA("a.test", net.ParseIP("192.0.2.1"), v6) },
			qname:     "a.test.",
			qtype:     dns.TypeA,
			wantRcode: dns.RcodeSuccess,
			want:      []string{"a.test. A 192.0.2.1"},
		},
		{
			name:      "explicit AAAA by family",
			setup:     func(s *Server) { s.SetA("a.test", net.ParseIP("192.0.2.1"), v6) },
			qname:     "a.test.",
			qtype:     dns.TypeAAAA,
			wantRcode: dns.RcodeSuccess,
			want:      []string{"a.test. AAAA ::1"},
		},
		{
			name:      "explicit v4 only leaves AAAA empty despite defaults",
			defaults:  []net.IP{v4, v6},
			setup:     func(s *Server) { s.SetA("a.test", net.ParseIP("192.0.2.1")) },
			qname:     "a.test.",
			qtype:     dns.TypeAAAA,
			wantRcode: dns.RcodeSuccess,
		},
		{
			name:      "default A",
			defaults:  []net.IP{v4, v6},
			qname:     "anything.quarry.test.",
			qtype:     dns.TypeA,
			wantRcode: dns.RcodeSuccess,
			want:      []string{"anything.quarry.test. A 127.0.0.1"},
		},
		{
			name:      "default AAAA",
			defaults:  []net.IP{v4, v6},
			qname:     "anything.quarry.test.",
			qtype:     dns.TypeAAAA,
			wantRcode: dns.RcodeSuccess,
			want:      []string{"anything.quarry.test. AAAA ::1"},
		},
		{
			name:      "default makes TXT nodata, not NXDOMAIN",
			defaults:  []net.IP{v4},
			qname:     "_acme-challenge.x.quarry.test.",
			qtype:     dns.TypeTXT,
			wantRcode: dns.RcodeSuccess,
		},
		{
			name:      "no defaults is NXDOMAIN",
			qname:     "missing.quarry.test.",
			qtype:     dns.TypeA,
			wantRcode: dns.RcodeNameError,
		},
		{
			name:      "empty non-terminal is NOERROR",
			setup:     func(s *Server) { s.AddTXT("_acme-challenge.x.quarry.test", "v") },
			qname:     "x.quarry.test.",
			qtype:     dns.TypeA,
			wantRcode: dns.RcodeSuccess,
		},
		{
			name:      "names are case-insensitive, dot optional",
			setup:     func(s *Server) { s.SetA("Mixed.Case.Test", v4) },
			qname:     "mixed.CASE.test.",
			qtype:     dns.TypeA,
			wantRcode: dns.RcodeSuccess,
			want:      []string{"mixed.case.test. A 127.0.0.1"},
		},
		{
			name: "TXT values",
			setup: func(s *Server) {
				s.AddTXT("_acme-challenge.a.test", "one")
				s.AddTXT("_acme-challenge.a.test", "two")
				s.AddTXT("_acme-challenge.a.test", "one")
			},
			qname:     "_acme-challenge.a.test.",
			qtype:     dns.TypeTXT,
			wantRcode: dns.RcodeSuccess,
			want:      []string{`_acme-challenge.a.test. TXT "one"`, `_acme-challenge.a.test. TXT "two"`},
		},
		{
			name: "removed TXT",
			setup: func(s *Server) {
				s.AddTXT("_acme-challenge.a.test", "one")
				s.AddTXT("_acme-challenge.a.test", "two")
				s.RemoveTXT("_acme-challenge.a.test.", "one")
			},
			qname:     "_acme-challenge.a.test.",
			qtype:     dns.TypeTXT,
			wantRcode: dns.RcodeSuccess,
			want:      []string{`_acme-challenge.a.test. TXT "two"`},
		},
		{
			name: "CNAME chain followed",
			setup: func(s *Server) {
				s.SetCNAME("a.test", "b.test")
				s.SetCNAME("b.test", "c.test.")
				s.SetA("c.test", v4)
			},
			qname:     "a.test.",
			qtype:     dns.TypeA,
			wantRcode: dns.RcodeSuccess,
			want:      []string{"a.test. CNAME b.test.", "b.test. CNAME c.test.", "c.test. A 127.0.0.1"},
		},
		{
			name:      "CNAME to a default name",
			defaults:  []net.IP{v4},
			setup:     func(s *Server) { s.SetCNAME("_acme-challenge.a.test", "a.delegated.test") },
			qname:     "_acme-challenge.a.test.",
			qtype:     dns.TypeA,
			wantRcode: dns.RcodeSuccess,
			want:      []string{"_acme-challenge.a.test. CNAME a.delegated.test.", "a.delegated.test. A 127.0.0.1"},
		},
		{
			name:      "CNAME query not followed",
			setup:     func(s *Server) { s.SetCNAME("a.test", "b.test"); s.SetA("b.test", v4) },
			qname:     "a.test.",
			qtype:     dns.TypeCNAME,
			wantRcode: dns.RcodeSuccess,
			want:      []string{"a.test. CNAME b.test."},
		},
		{
			name:      "CNAME loop",
			setup:     func(s *Server) { s.SetCNAME("a.test", "b.test"); s.SetCNAME("b.test", "a.test") },
			qname:     "a.test.",
			qtype:     dns.TypeA,
			wantRcode: dns.RcodeServerFailure,
		},
		{
			name:      "CAA",
			setup:     func(s *Server) { s.SetCAA("quarry.test", caa) },
			qname:     "quarry.test.",
			qtype:     dns.TypeCAA,
			wantRcode: dns.RcodeSuccess,
			want:      []string{`quarry.test. CAA 0 issue "quarry.test"`},
		},
		{
			name:      "injected SERVFAIL",
			defaults:  []net.IP{v4},
			setup:     func(s *Server) { s.SetRcode("bad.test", dns.RcodeServerFailure) },
			qname:     "bad.test.",
			qtype:     dns.TypeCAA,
			wantRcode: dns.RcodeServerFailure,
		},
		{
			name:     "injected rcode reached through CNAME",
			defaults: []net.IP{v4},
			setup: func(s *Server) {
				s.SetCNAME("a.test", "bad.test")
				s.SetRcode("bad.test", dns.RcodeRefused)
			},
			qname:     "a.test.",
			qtype:     dns.TypeA,
			wantRcode: dns.RcodeRefused,
		},
		{
			name:     "injected rcode cleared",
			defaults: []net.IP{v4},
			setup: func(s *Server) {
				s.SetRcode("bad.test", dns.RcodeServerFailure)
				s.SetRcode("bad.test", dns.RcodeSuccess)
			},
			qname:     "bad.test.",
			qtype:     dns.TypeA,
			wantRcode: dns.RcodeSuccess,
			want:      []string{"bad.test. A 127.0.0.1"},
		},
		{
			name:      "SOA at a zone apex",
			qname:     "quarry.test.",
			qtype:     dns.TypeSOA,
			wantRcode: dns.RcodeSuccess,
			want:      []string{"quarry.test. SOA ns.quarry.test. hostmaster.quarry.test. 1 3600 600 86400 60"},
		},
		{
			name:      "TCP",
			setup:     func(s *Server) { s.AddTXT("t.test", "over tcp") },
			qname:     "t.test.",
			qtype:     dns.TypeTXT,
			transport: "tcp",
			wantRcode: dns.RcodeSuccess,
			want:      []string{`t.test. TXT "over tcp"`},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := startServer(t, Config{DefaultA: tc.defaults})
			if tc.setup != nil {
				tc.setup(s)
			}
			transport := cmpOr(tc.transport, "udp")
			reply, err := query(t, s.Addr(), transport, tc.qname, tc.qtype)
			if err != nil {
				t.Fatalf("query: %v", err)
			}
			if reply.Rcode != tc.wantRcode {
				t.Errorf("got rcode %s, want %s", dns.RcodeToString[reply.Rcode], dns.RcodeToString[tc.wantRcode])
			}
			if !reply.RecursionAvailable {
				t.Errorf("got RA unset, want set")
			}
			if got := summary(reply.Answer); !slices.Equal(got, tc.want) {
				t.Errorf("got answer %q, want %q", got, tc.want)
			}
		})
	}
}

func cmpOr(v, fallback string) string {
	if v == "" {
		return fallback
	}
	return v
}

func TestDrop(t *testing.T) {
	s := startServer(t, Config{DefaultA: []net.IP{net.ParseIP("127.0.0.1")}})
	s.SetDrop("slow.test", true)
	_, err := query(t, s.Addr(), "udp", "slow.test.", dns.TypeA)
	var nerr net.Error
	if !errors.As(err, &nerr) || !nerr.Timeout() {
		t.Fatalf("got error %v, want a time-out", err)
	}
	s.SetDrop("slow.test", false)
	if _, err := query(t, s.Addr(), "udp", "slow.test.", dns.TypeA); err != nil {
		t.Fatalf("got error %v after SetDrop(false), want an answer", err)
	}
}

func TestTruncation(t *testing.T) {
	s := startServer(t, Config{})
	for i := range 20 {
		s.AddTXT("big.test", strings.Repeat(string(rune('a'+i)), 100))
	}
	tests := []struct {
		name      string
		transport string
		wantTC    bool
		wantN     int
	}{
		{name: "udp truncates", transport: "udp", wantTC: true},
		{name: "tcp carries all", transport: "tcp", wantN: 20},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := &dns.Client{Net: tc.transport, Timeout: time.Second}
			m := new(dns.Msg)
			m.SetQuestion("big.test.", dns.TypeTXT)
			reply, _, err := c.Exchange(m, s.Addr())
			if err != nil {
				t.Fatalf("query: %v", err)
			}
			if reply.Truncated != tc.wantTC {
				t.Errorf("got TC %v, want %v", reply.Truncated, tc.wantTC)
			}
			if !tc.wantTC && len(reply.Answer) != tc.wantN {
				t.Errorf("got %d answers, want %d", len(reply.Answer), tc.wantN)
			}
		})
	}
}

func TestQueriesRecorded(t *testing.T) {
	s := startServer(t, Config{DefaultA: []net.IP{net.ParseIP("127.0.0.1")}})
	for _, q := range []struct {
		name  string
		qtype uint16
	}{{"a.test.", dns.TypeA}, {"B.test.", dns.TypeCAA}} {
		if _, err := query(t, s.Addr(), "udp", q.name, q.qtype); err != nil {
			t.Fatalf("query %s: %v", q.name, err)
		}
	}
	var got []string
	for _, q := range s.Queries() {
		got = append(got, q.Name+" "+dns.TypeToString[q.Qtype])
	}
	want := []string{"a.test. A", "B.test. CAA"}
	if !slices.Equal(got, want) {
		t.Errorf("got queries %q, want %q", got, want)
	}
}

func TestTXTAccessor(t *testing.T) {
	s := startServer(t, Config{})
	s.AddTXT("X.test.", "v1")
	s.AddTXT("x.test", "v2")
	if got, want := s.TXT("x.TEST"), []string{"v1", "v2"}; !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
	if got := s.TXT("none.test"); got != nil {
		t.Errorf("got %q for an unknown name, want nil", got)
	}
}

func TestCloseTwice(t *testing.T) {
	s := startServer(t, Config{})
	if err := s.Close(); err != nil {
		t.Fatalf("first Close: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Errorf("got second Close error %v, want nil", err)
	}
	if _, err := query(t, s.Addr(), "udp", "a.test.", dns.TypeA); err == nil {
		t.Errorf("got an answer after Close, want none")
	}
}

func TestFixedAddr(t *testing.T) {
	probe, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("probe listen: %v", err)
	}
	addr := probe.Addr().String()
	probe.Close()
	s := startServer(t, Config{Addr: addr})
	if got := s.Addr(); got != addr {
		t.Errorf("got Addr %q, want %q", got, addr)
	}
}
