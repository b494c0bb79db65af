package ra

import (
	"log/slog"
	"testing"
	"time"

	"github.com/miekg/dns"

	"github.com/quarry-ca/quarry/acme"
	"github.com/quarry-ca/quarry/internal/core"
	"github.com/quarry-ca/quarry/internal/core/coretest"
	"github.com/quarry-ca/quarry/internal/testdns"
	"github.com/quarry-ca/quarry/internal/va"
)

// TestRecheckCAA runs the finalize-time CAA recheck against a real VA and
// a DNS server the test controls.
func TestRecheckCAA(t *testing.T) {
	now := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	const prefix = "https://quarry.test/acme/acct/"
	authz := func(name string, account int64, age time.Duration, method acme.ChallengeType) *core.Authorization {
		return &core.Authorization{
			ID: 1, AccountID: account, Status: acme.StatusValid,
			Identifier: acme.Identifier{Type: acme.IdentifierDNS, Value: name},
			Challenges: []*core.Challenge{
				{Type: acme.ChallengeTLSALPN01, Status: acme.StatusPending},
				{Type: method, Status: acme.StatusValid, Validated: now.Add(-age)},
			},
		}
	}
	forbid := &dns.CAA{Tag: "issue", Value: "ca.example"}
	cases := []struct {
		name        string
		records     map[string]*dns.CAA
		servfail    string
		authzs      []*core.Authorization
		wantKind    core.Kind
		wantDetail  string
		wantSubs    int
		wantQueries bool
	}{
		{name: "fresh validation is not rechecked", records: map[string]*dns.CAA{"a.test": forbid},
			authzs: []*core.Authorization{authz("a.test", 7, time.Hour, acme.ChallengeHTTP01)}},
		{name: "exactly 8 hours is still fresh", records: map[string]*dns.CAA{"a.test": forbid},
			authzs: []*core.Authorization{authz("a.test", 7, 8*time.Hour, acme.ChallengeHTTP01)}},
		{name: "stale validation permitted", records: map[string]*dns.CAA{"a.test": {Tag: "issue", Value: "quarry.test"}},
			authzs: []*core.Authorization{authz("a.test", 7, 9*time.Hour, acme.ChallengeHTTP01)}, wantQueries: true},
		{name: "stale validation refused", records: map[string]*dns.CAA{"a.test": forbid},
			authzs:   []*core.Authorization{authz("a.test", 7, 9*time.Hour, acme.ChallengeHTTP01)},
			wantKind: core.ErrCAA, wantDetail: `CAA record for a.test prevents issuance: 0 issue "ca.example"`, wantQueries: true},
		{name: "two refusals become subproblems", records: map[string]*dns.CAA{"a.test": forbid, "b.test": forbid},
			authzs: []*core.Authorization{
				authz("a.test", 7, 9*time.Hour, acme.ChallengeHTTP01),
				authz("c.test", 7, 9*time.Hour, acme.ChallengeHTTP01),
				authz("b.test", 7, 9*time.Hour, acme.ChallengeHTTP01),
			}, wantKind: core.ErrCAA, wantDetail: "for 2 identifiers", wantSubs: 2, wantQueries: true},
		{name: "lookup failure refuses", servfail: "a.test",
			authzs:   []*core.Authorization{authz("a.test", 7, 9*time.Hour, acme.ChallengeHTTP01)},
			wantKind: core.ErrDNS, wantDetail: "SERVFAIL looking up CAA for a.test", wantQueries: true},
		{name: "accounturi names the account", records: map[string]*dns.CAA{"a.test": {Tag: "issue", Value: "quarry.test; accounturi=" + prefix + "7"}},
			authzs: []*core.Authorization{authz("a.test", 7, 9*time.Hour, acme.ChallengeHTTP01)}, wantQueries: true},
		{name: "accounturi names another account", records: map[string]*dns.CAA{"a.test": {Tag: "issue", Value: "quarry.test; accounturi=" + prefix + "7"}},
			authzs:   []*core.Authorization{authz("a.test", 8, 9*time.Hour, acme.ChallengeHTTP01)},
			wantKind: core.ErrCAA, wantDetail: "accounturi", wantQueries: true},
		{name: "validationmethods uses the method that validated", records: map[string]*dns.CAA{"a.test": {Tag: "issue", Value: "quarry.test; validationmethods=dns-01"}},
			authzs: []*core.Authorization{authz("a.test", 7, 9*time.Hour, acme.ChallengeDNS01)}, wantQueries: true},
		{name: "validationmethods refuses another method", records: map[string]*dns.CAA{"a.test": {Tag: "issue", Value: "quarry.test; validationmethods=dns-01"}},
			authzs:   []*core.Authorization{authz("a.test", 7, 9*time.Hour, acme.ChallengeHTTP01)},
			wantKind: core.ErrCAA, wantDetail: "validationmethods", wantQueries: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			s := testdns.StartTest(t, testdns.Config{})
			for name, rr := range tc.records {
				s.SetCAA(name, rr)
			}
			if tc.servfail != "" {
				s.SetRcode(tc.servfail, dns.RcodeServerFailure)
			}
			v, err := va.New(va.Config{DNSResolver: s.Addr(), Timeout: time.Second, CAAIdentities: []string{"quarry.test"}}, nil)
			if err != nil {
				t.Fatalf("va.New: %v", err)
			}
			r := &RA{cfg: Config{AccountURLPrefix: prefix}, va: v, log: slog.New(slog.DiscardHandler)}
			err = r.recheckCAA(t.Context(), tc.authzs, now)
			checkCAAErr(t, err, tc.wantKind, tc.wantDetail, tc.wantSubs)
			if got := len(s.Queries()) > 0; got != tc.wantQueries {
				t.Fatalf("got DNS queried %v, want %v", got, tc.wantQueries)
			}
		})
	}
}

func checkCAAErr(t *testing.T, err error, wantKind core.Kind, wantDetail string, wantSubs int) {
	t.Helper()
	ce := coretest.CheckKind(t, err, wantKind, wantDetail)
	if ce == nil {
		return
	}
	if len(ce.Sub) != wantSubs {
		t.Fatalf("got %d subproblems in %v, want %d", len(ce.Sub), err, wantSubs)
	}
	if wantSubs == 0 && (ce.Identifier == nil || ce.Identifier.Value == "") {
		t.Fatalf("got no identifier on %v, want one", err)
	}
	for _, sub := range ce.Sub {
		if sub.Identifier == nil || sub.Kind != core.ErrCAA {
			t.Fatalf("got subproblem %+v, want a caa problem naming its identifier", sub)
		}
	}
}
