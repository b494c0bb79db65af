package va

import (
	"bytes"
	"log/slog"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/quarry-ca/quarry/acme"
	"github.com/quarry-ca/quarry/internal/core"
)

func TestNew(t *testing.T) {
	cases := []struct {
		name    string
		cfg     Config
		want    Config
		wantErr bool
	}{
		{name: "defaults", cfg: Config{},
			want: Config{HTTPPort: 80, TLSPort: 443, Timeout: 10 * time.Second, UserAgent: "Quarry-VA"}},
		{name: "resolver without port", cfg: Config{DNSResolver: "127.0.0.1"},
			want: Config{HTTPPort: 80, TLSPort: 443, Timeout: 10 * time.Second, UserAgent: "Quarry-VA", DNSResolver: "127.0.0.1:53"}},
		{name: "IPv6 resolver without port", cfg: Config{DNSResolver: "::1"},
			want: Config{HTTPPort: 80, TLSPort: 443, Timeout: 10 * time.Second, UserAgent: "Quarry-VA", DNSResolver: "[::1]:53"}},
		{name: "kept as given", cfg: Config{HTTPPort: 5002, TLSPort: 5001, DNSResolver: "127.0.0.1:8053", AllowPrivate: true, Timeout: time.Second, UserAgent: "x"},
			want: Config{HTTPPort: 5002, TLSPort: 5001, DNSResolver: "127.0.0.1:8053", AllowPrivate: true, Timeout: time.Second, UserAgent: "x"}},
		{name: "CAA identities kept", cfg: Config{CAAIdentities: []string{"quarry.test"}},
			want: Config{HTTPPort: 80, TLSPort: 443, Timeout: 10 * time.Second, UserAgent: "Quarry-VA", CAAIdentities: []string{"quarry.test"}}},
		{name: "port out of range", cfg: Config{HTTPPort: 70000}, wantErr: true},
		{name: "negative port", cfg: Config{TLSPort: -1}, wantErr: true},
		{name: "negative timeout", cfg: Config{Timeout: -time.Second}, wantErr: true},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v, err := New(tc.cfg, nil)
			if tc.wantErr {
				if err == nil {
					t.Fatalf("got no error, want one")
				}
				return
			}
			if err != nil {
				t.Fatalf("got error %v, want none", err)
			}
			if !reflect.DeepEqual(v.cfg, tc.want) {
				t.Fatalf("got config %+v, want %+v", v.cfg, tc.want)
			}
		})
	}
}

func TestValidateRefusesBadRequests(t *testing.T) {
	good := Request{Identifier: dnsID("a.test"), Challenge: acme.ChallengeHTTP01, Token: testToken, KeyAuthorization: testKeyAuth}
	with := func(f func(r *Request)) Request {
		r := good
		f(&r)
		return r
	}
	cases := []struct {
		name       string
		req        Request
		allow      bool
		wantKind   core.Kind
		wantDetail string
	}{
		{name: "wildcard with http-01", req: with(func(r *Request) { r.Wildcard = true }),
			wantKind: core.ErrMalformed, wantDetail: "only be validated with dns-01"},
		{name: "wildcard with tls-alpn-01", req: with(func(r *Request) { r.Wildcard = true; r.Challenge = acme.ChallengeTLSALPN01 }),
			wantKind: core.ErrMalformed, wantDetail: "only be validated with dns-01"},
		{name: "IP with dns-01", req: with(func(r *Request) { r.Identifier = ipID("192.0.2.1"); r.Challenge = acme.ChallengeDNS01 }),
			allow: true, wantKind: core.ErrMalformed, wantDetail: "IP identifiers cannot be validated with dns-01"},
		{name: "unknown challenge", req: with(func(r *Request) { r.Challenge = "http-02" }),
			wantKind: core.ErrMalformed, wantDetail: `unsupported challenge type "http-02"`},
		{name: "unknown identifier type", req: with(func(r *Request) { r.Identifier.Type = "email" }),
			wantKind: core.ErrMalformed, wantDetail: `unsupported identifier type "email"`},
		{name: "empty token", req: with(func(r *Request) { r.Token = "" }), wantKind: core.ErrMalformed, wantDetail: "token"},
		{name: "token with a path", req: with(func(r *Request) { r.Token = "../../etc" }), wantKind: core.ErrMalformed, wantDetail: "token"},
		{name: "empty key authorization", req: with(func(r *Request) { r.KeyAuthorization = "" }),
			wantKind: core.ErrMalformed, wantDetail: "empty key authorization"},
		{name: "invalid name", req: with(func(r *Request) { r.Identifier = dnsID("a..test") }),
			wantKind: core.ErrMalformed, wantDetail: "not a valid DNS name"},
		{name: "name with a wildcard label", req: with(func(r *Request) { r.Identifier = dnsID("*.a.test") }),
			wantKind: core.ErrMalformed, wantDetail: "not a valid DNS name"},
		{name: "invalid IP", req: with(func(r *Request) { r.Identifier = ipID("1.2.3") }),
			wantKind: core.ErrMalformed, wantDetail: "not a valid IP address"},
		{name: "IP with a zone", req: with(func(r *Request) { r.Identifier = ipID("fe80::1%eth0") }), allow: true,
			wantKind: core.ErrMalformed, wantDetail: "not a valid IP address"},
		{name: "private IP", req: with(func(r *Request) { r.Identifier = ipID("10.0.0.1") }),
			wantKind: core.ErrRejectedIdentifier, wantDetail: "10.0.0.1 is a disallowed address (private)"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			v := newTestVA(t, Config{AllowPrivate: tc.allow, DNSResolver: "127.0.0.1:1"})
			records, err := v.Validate(t.Context(), tc.req)
			checkErr(t, err, tc.wantKind, tc.wantDetail)
			if len(records) != 0 {
				t.Fatalf("got records %+v, want none", records)
			}
		})
	}
}

func TestValidateLogsOneEvent(t *testing.T) {
	var buf bytes.Buffer
	v, err := New(Config{}, slog.New(slog.NewTextHandler(&buf, nil)))
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	_, _ = v.Validate(t.Context(), Request{Identifier: dnsID("a.test"), Challenge: "bogus", Token: testToken, KeyAuthorization: testKeyAuth})
	out := buf.String()
	if n := strings.Count(out, "\n"); n != 1 || !strings.Contains(out, "kind=malformed") || strings.Contains(out, testKeyAuth) {
		t.Fatalf("got log %q, want one event with the kind and without the key authorization", out)
	}
}
