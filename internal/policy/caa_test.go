package policy

import (
	"maps"
	"slices"
	"strings"
	"testing"

	"github.com/quarry-ca/quarry/acme"
	"github.com/quarry-ca/quarry/internal/core"
)

func TestCAANames(t *testing.T) {
	cases := []struct {
		name string
		in   string
		want []string
	}{
		{"two labels", "example.com", []string{"example.com"}},
		{"deep name", "a.b.example.com", []string{"a.b.example.com", "b.example.com", "example.com"}},
		{"upper case and trailing dot", "WWW.Example.COM.", []string{"www.example.com", "example.com"}},
		{"single label", "localhost", []string{"localhost"}},
		{"multi-label suffix climbs to it", "a.example.co.uk", []string{"a.example.co.uk", "example.co.uk", "co.uk"}},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if got := CAANames(tc.in); !slices.Equal(got, tc.want) {
				t.Fatalf("got %v, want %v", got, tc.want)
			}
		})
	}
}

func TestParseCAAValue(t *testing.T) {
	cases := []struct {
		name       string
		value      string
		wantIssuer string
		wantParams map[string]string
		wantOK     bool
	}{
		{"plain", "quarry.test", "quarry.test", map[string]string{}, true},
		{"upper case issuer", "Quarry.TEST", "quarry.test", map[string]string{}, true},
		{"empty forbids", ";", "", map[string]string{}, true},
		{"empty value", "", "", map[string]string{}, true},
		{"spaces around", "  quarry.test ; ", "quarry.test", map[string]string{}, true},
		{"one parameter", "quarry.test; accounturi=https://q.test/acct/1", "quarry.test",
			map[string]string{"accounturi": "https://q.test/acct/1"}, true},
		{"two parameters", "quarry.test; accounturi = https://q.test/acct/1 ;validationmethods=dns-01,http-01", "quarry.test",
			map[string]string{"accounturi": "https://q.test/acct/1", "validationmethods": "dns-01,http-01"}, true},
		{"parameter tag case folded", "quarry.test; ValidationMethods=dns-01", "quarry.test",
			map[string]string{"validationmethods": "dns-01"}, true},
		{"parameters without issuer", "; accounturi=x", "", map[string]string{"accounturi": "x"}, true},
		{"bad issuer character", "quarry_ca.test", "", nil, false},
		{"issuer with space inside", "quarry .test", "", nil, false},
		{"issuer label starts with hyphen", "-quarry.test", "", nil, false},
		{"issuer empty label", "quarry..test", "", nil, false},
		{"parameter without equals", "quarry.test; accounturi", "", nil, false},
		{"parameter value with space", "quarry.test; accounturi=a b", "", nil, false},
		{"repeated parameter", "quarry.test; accounturi=a; accounturi=b", "", nil, false},
		{"bad parameter tag", "quarry.test; account_uri=a", "", nil, false},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			issuer, params, ok := ParseCAAValue(tc.value)
			if ok != tc.wantOK || issuer != tc.wantIssuer || (ok && !maps.Equal(params, tc.wantParams)) {
				t.Fatalf("got (%q, %v, %v), want (%q, %v, %v)", issuer, params, ok, tc.wantIssuer, tc.wantParams, tc.wantOK)
			}
		})
	}
}

func TestEvaluateCAA(t *testing.T) {
	const acct = "https://quarry.test/acme/acct/7"
	issue := func(v string) CAARecord { return CAARecord{Tag: "issue", Value: v} }
	wild := func(v string) CAARecord { return CAARecord{Tag: "issuewild", Value: v} }
	base := CAAQuery{Identities: []string{"quarry.test", "other-name.test"}, AccountURI: acct, Method: acme.ChallengeHTTP01}
	wildQ := base
	wildQ.Wildcard, wildQ.Method = true, acme.ChallengeDNS01
	noIDs := base
	noIDs.Identities = nil
	cases := []struct {
		name       string
		rrs        []CAARecord
		q          CAAQuery
		wantDetail string // "" means permitted
	}{
		{"empty set permits", nil, base, ""},
		{"issue names us", []CAARecord{issue("quarry.test")}, base, ""},
		{"issue names our second identity", []CAARecord{issue("other-name.test")}, base, ""},
		{"issuer compared case-insensitively", []CAARecord{issue("QUARRY.Test")}, base, ""},
		{"tag compared case-insensitively", []CAARecord{{Tag: "ISSUE", Value: "quarry.test"}}, base, ""},
		{"one of several names us", []CAARecord{issue("ca.example"), issue("quarry.test")}, base, ""},
		{"issue names another CA", []CAARecord{issue("ca.example")}, base, `CAA record for a.test prevents issuance: 0 issue "ca.example"`},
		{"empty issue forbids", []CAARecord{issue(";")}, base, `0 issue ";"`},
		{"unparsable value forbids", []CAARecord{issue("quarry.test; accounturi")}, base, "prevents issuance"},
		{"no identities configured refuses", []CAARecord{issue("quarry.test")}, noIDs, "prevents issuance"},
		{"no identities configured, no records, permits", nil, noIDs, ""},
		{"iodef only permits", []CAARecord{{Tag: "iodef", Value: "mailto:sec@a.test"}}, base, ""},
		{"critical iodef is known", []CAARecord{{Flag: 128, Tag: "iodef", Value: "mailto:sec@a.test"}}, base, ""},
		{"non-critical unknown tag ignored", []CAARecord{{Tag: "tbs", Value: "x"}, issue("quarry.test")}, base, ""},
		{"critical unknown tag refuses", []CAARecord{{Flag: 128, Tag: "tbs", Value: "x"}, issue("quarry.test")}, base,
			`unknown critical property, which prevents issuance: 128 tbs "x"`},
		{"critical unknown refuses even alone", []CAARecord{{Flag: 128, Tag: "tbs", Value: "x"}}, base, "unknown critical property"},
		{"other flag bits are not critical", []CAARecord{{Flag: 1, Tag: "tbs", Value: "x"}}, base, ""},
		{"issuewild ignored for a non-wildcard", []CAARecord{wild("ca.example"), issue("quarry.test")}, base, ""},
		{"issuewild only does not constrain a non-wildcard", []CAARecord{wild("ca.example")}, base, ""},
		{"wildcard uses issuewild", []CAARecord{wild("quarry.test"), issue("ca.example")}, wildQ, ""},
		{"wildcard refused by issuewild", []CAARecord{wild("ca.example"), issue("quarry.test")}, wildQ, `0 issuewild "ca.example"`},
		{"wildcard refused by empty issuewild", []CAARecord{wild(";"), issue("quarry.test")}, wildQ, `0 issuewild ";"`},
		{"wildcard falls back to issue", []CAARecord{issue("quarry.test")}, wildQ, ""},
		{"wildcard refused by issue", []CAARecord{issue("ca.example")}, wildQ, `0 issue "ca.example"`},
		{"accounturi matches", []CAARecord{issue("quarry.test; accounturi=" + acct)}, base, ""},
		{"accounturi mismatch", []CAARecord{issue("quarry.test; accounturi=https://quarry.test/acme/acct/8")}, base, "prevents issuance"},
		{"accounturi without a known account", []CAARecord{issue("quarry.test; accounturi=" + acct)},
			CAAQuery{Identities: base.Identities, Method: acme.ChallengeHTTP01}, "prevents issuance"},
		{"validationmethods matches", []CAARecord{issue("quarry.test; validationmethods=dns-01,http-01")}, base, ""},
		{"validationmethods mismatch", []CAARecord{issue("quarry.test; validationmethods=dns-01")}, base, "prevents issuance"},
		{"validationmethods is not a prefix match", []CAARecord{issue("quarry.test; validationmethods=http-01x")}, base, "prevents issuance"},
		{"both parameters match", []CAARecord{issue("quarry.test; accounturi=" + acct + "; validationmethods=http-01")}, base, ""},
		{"unknown parameter ignored", []CAARecord{issue("quarry.test; policy=ev")}, base, ""},
		{"restricted record and open record", []CAARecord{issue("quarry.test; validationmethods=dns-01"), issue("quarry.test")}, base, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			err := EvaluateCAA("a.test", tc.rrs, tc.q)
			if tc.wantDetail == "" {
				checkKind(t, err, "", "")
				return
			}
			checkKind(t, err, core.ErrCAA, tc.wantDetail)
		})
	}
}

func FuzzParseCAAValue(f *testing.F) {
	for _, s := range []string{"quarry.test", ";", "a.b; accounturi=x; validationmethods=dns-01", "x;;=;", " \t"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, v string) {
		issuer, params, ok := ParseCAAValue(v)
		if !ok {
			return
		}
		if issuer != strings.ToLower(issuer) || strings.ContainsAny(issuer, " \t;") {
			t.Fatalf("got issuer %q from %q, want a lower-case domain", issuer, v)
		}
		for tag, val := range params {
			if !validCAALabel(tag) || strings.ContainsAny(val, " ;") {
				t.Fatalf("got parameter %q=%q from %q, want a valid tag and value", tag, val, v)
			}
		}
	})
}
