package testdns

import (
	"net"
	"slices"
	"testing"
	"time"

	"github.com/miekg/dns"
)

const (
	keyName   = "quarry-test-key."
	keySecret = "c2VjcmV0LXNlY3JldC1zZWNyZXQtc2VjcmV0IQ=="
	badSecret = "b3RoZXItb3RoZXItb3RoZXItb3RoZXItb3RoZXI="
)

func txtRR(t *testing.T, s string) dns.RR {
	t.Helper()
	rr, err := dns.NewRR(s)
	if err != nil {
		t.Fatalf("NewRR(%q): %v", s, err)
	}
	return rr
}

// sendUpdate sends an UPDATE for zone over TCP, signed when key != "".
func sendUpdate(t *testing.T, addr, zone string, build func(m *dns.Msg), key, alg, secret string) *dns.Msg {
	t.Helper()
	m := new(dns.Msg)
	m.SetUpdate(zone)
	build(m)
	c := &dns.Client{Net: "tcp", Timeout: time.Second}
	if key != "" {
		m.SetTsig(key, alg, 300, time.Now().Unix())
		c.TsigSecret = map[string]string{key: secret}
	}
	reply, _, err := c.Exchange(m, addr)
	if err != nil {
		t.Fatalf("update: %v", err)
	}
	return reply
}

func TestUpdateRecords(t *testing.T) {
	const name = "_acme-challenge.a.quarry.test."
	txt := func(v string) string { return name + ` 60 IN TXT "` + v + `"` }
	tests := []struct {
		name      string
		zone      string
		build     func(t *testing.T, m *dns.Msg)
		wantRcode int
		wantTXT   []string
	}{
		{
			name:      "add TXT",
			zone:      "quarry.test.",
			build:     func(t *testing.T, m *dns.Msg) { m.Insert([]dns.RR{txtRR(t, txt("new"))}) },
			wantRcode: dns.RcodeSuccess,
			wantTXT:   []string{"old1", "old2", "new"},
		},
		{
			name:      "delete one TXT",
			zone:      "quarry.test.",
			build:     func(t *testing.T, m *dns.Msg) { m.Remove([]dns.RR{txtRR(t, txt("old1"))}) },
			wantRcode: dns.RcodeSuccess,
			wantTXT:   []string{"old2"},
		},
		{
			name: "delete RRset then add, as lego does",
			zone: "quarry.test.",
			build: func(t *testing.T, m *dns.Msg) {
				m.RemoveRRset([]dns.RR{txtRR(t, txt("x"))})
				m.Insert([]dns.RR{txtRR(t, txt("fresh"))})
			},
			wantRcode: dns.RcodeSuccess,
			wantTXT:   []string{"fresh"},
		},
		{
			name:      "delete name",
			zone:      "quarry.test.",
			build:     func(t *testing.T, m *dns.Msg) { m.RemoveName([]dns.RR{txtRR(t, txt("x"))}) },
			wantRcode: dns.RcodeSuccess,
		},
		{
			name:      "name outside zone",
			zone:      "other.test.",
			build:     func(t *testing.T, m *dns.Msg) { m.Insert([]dns.RR{txtRR(t, txt("new"))}) },
			wantRcode: dns.RcodeNotZone,
			wantTXT:   []string{"old1", "old2"},
		},
		{
			name: "unsupported type leaves everything unchanged",
			zone: "quarry.test.",
			build: func(t *testing.T, m *dns.Msg) {
				m.Insert([]dns.RR{txtRR(t, txt("new")), txtRR(t, "mx.quarry.test. 60 IN MX 10 mail.quarry.test.")})
			},
			wantRcode: dns.RcodeNotImplemented,
			wantTXT:   []string{"old1", "old2"},
		},
		{
			name: "prerequisites not supported",
			zone: "quarry.test.",
			build: func(t *testing.T, m *dns.Msg) {
				m.RRsetUsed([]dns.RR{txtRR(t, txt("old1"))})
				m.Insert([]dns.RR{txtRR(t, txt("new"))})
			},
			wantRcode: dns.RcodeNotImplemented,
			wantTXT:   []string{"old1", "old2"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := startServer(t, Config{})
			s.AddTXT(name, "old1")
			s.AddTXT(name, "old2")
			reply := sendUpdate(t, s.Addr(), tc.zone, func(m *dns.Msg) { tc.build(t, m) }, "", "", "")
			if reply.Rcode != tc.wantRcode {
				t.Errorf("got rcode %s, want %s", dns.RcodeToString[reply.Rcode], dns.RcodeToString[tc.wantRcode])
			}
			if got := s.TXT(name); !slices.Equal(got, tc.wantTXT) {
				t.Errorf("got TXT %q, want %q", got, tc.wantTXT)
			}
		})
	}
}

func TestUpdateAddress(t *testing.T) {
	s := startServer(t, Config{})
	reply := sendUpdate(t, s.Addr(), "quarry.test.", func(m *dns.Msg) {
		m.Insert([]dns.RR{txtRR(t, "h.quarry.test. 60 IN A 127.0.0.2")})
	}, "", "", "")
	if reply.Rcode != dns.RcodeSuccess {
		t.Fatalf("got rcode %s, want NOERROR", dns.RcodeToString[reply.Rcode])
	}
	got, err := query(t, s.Addr(), "udp", "h.quarry.test.", dns.TypeA)
	if err != nil {
		t.Fatalf("query: %v", err)
	}
	if len(got.Answer) != 1 || !got.Answer[0].(*dns.A).A.Equal(net.ParseIP("127.0.0.2")) {
		t.Errorf("got answer %v, want h.quarry.test. A 127.0.0.2", got.Answer)
	}
}

func TestUpdateTSIG(t *testing.T) {
	const name = "_acme-challenge.w.quarry.test."
	tests := []struct {
		name      string
		keys      map[string]string
		key       string
		alg       string
		secret    string
		wantRcode int
		wantTXT   []string
	}{
		{
			name:      "valid signature",
			keys:      map[string]string{"Quarry-Test-Key": keySecret},
			key:       keyName,
			alg:       dns.HmacSHA256,
			secret:    keySecret,
			wantRcode: dns.RcodeSuccess,
			wantTXT:   []string{"v"},
		},
		{
			name:      "unsigned when keys are configured",
			keys:      map[string]string{keyName: keySecret},
			wantRcode: dns.RcodeRefused,
		},
		{
			name:      "wrong secret",
			keys:      map[string]string{keyName: keySecret},
			key:       keyName,
			alg:       dns.HmacSHA256,
			secret:    badSecret,
			wantRcode: dns.RcodeNotAuth,
		},
		{
			name:      "unknown key",
			keys:      map[string]string{keyName: keySecret},
			key:       "someone-else.",
			alg:       dns.HmacSHA256,
			secret:    keySecret,
			wantRcode: dns.RcodeNotAuth,
		},
		{
			name:      "other algorithm",
			keys:      map[string]string{keyName: keySecret},
			key:       keyName,
			alg:       dns.HmacSHA512,
			secret:    keySecret,
			wantRcode: dns.RcodeNotAuth,
		},
		{
			name:      "signed when no keys are configured",
			key:       keyName,
			alg:       dns.HmacSHA256,
			secret:    keySecret,
			wantRcode: dns.RcodeNotAuth,
		},
		{
			name:      "unsigned when no keys are configured",
			wantRcode: dns.RcodeSuccess,
			wantTXT:   []string{"v"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := startServer(t, Config{TSIG: tc.keys})
			reply := sendUpdate(t, s.Addr(), "quarry.test.", func(m *dns.Msg) {
				m.Insert([]dns.RR{txtRR(t, name+` 60 IN TXT "v"`)})
			}, tc.key, tc.alg, tc.secret)
			if reply.Rcode != tc.wantRcode {
				t.Errorf("got rcode %s, want %s", dns.RcodeToString[reply.Rcode], dns.RcodeToString[tc.wantRcode])
			}
			if tc.wantRcode == dns.RcodeSuccess && tc.key != "" && reply.IsTsig() == nil {
				t.Errorf("got an unsigned reply to a signed update, want it signed")
			}
			if got := s.TXT(name); !slices.Equal(got, tc.wantTXT) {
				t.Errorf("got TXT %q, want %q", got, tc.wantTXT)
			}
		})
	}
}
