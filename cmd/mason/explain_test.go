package main

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/quarry-ca/quarry/acme"
	"github.com/quarry-ca/quarry/client"
	"github.com/quarry-ca/quarry/internal/core"
)

// problem wraps a problem the way client.Client reports one: behind the
// method and URL of the request.
func problem(typ acme.ProblemType, detail string) error {
	return fmt.Errorf("POST https://ca.test/acme/x: %w", &client.Error{StatusCode: 400, Problem: acme.Problem{Type: typ, Detail: detail}})
}

func TestExplain(t *testing.T) {
	now := time.Date(2026, 12, 7, 10, 0, 0, 0, time.UTC)
	rateLimited := &client.Error{StatusCode: 429, RetryAfter: 90 * time.Minute,
		Problem: acme.Problem{Type: acme.ProblemRateLimited, Detail: "too many certificates for example.org"}}
	compound := &client.Error{StatusCode: 400, Problem: acme.Problem{Type: acme.ProblemRejectedIdentifier, Detail: "some names are refused",
		Subproblems: []acme.Problem{{Type: acme.ProblemRejectedIdentifier, Detail: "a public suffix", Identifier: &acme.Identifier{Type: acme.IdentifierDNS, Value: "co.uk"}}}}}
	tests := []struct {
		name string
		err  error
		want []string // each must appear
		not  []string // none may appear
	}{
		{"already revoked", fmt.Errorf("revoking certificate: %w", problem(acme.ProblemAlreadyRevoked, "certificate 51a1 is already revoked")),
			[]string{"the CA says certificate 51a1 is already revoked; nothing to do"}, []string{"urn:", "POST", "400"}},
		{"rate limited with Retry-After", fmt.Errorf("new order: %w", rateLimited),
			[]string{"rate limiting", "too many certificates for example.org", "try again after 2026-12-07 11:30:00 UTC"}, []string{"urn:"}},
		{"rate limited without Retry-After", problem(acme.ProblemRateLimited, "slow down"),
			[]string{"slow down", "try again later"}, nil},
		{"unauthorized", problem(acme.ProblemUnauthorized, "account does not hold the names"),
			[]string{"unauthorized", "account does not hold the names", "check that this account"}, nil},
		{"unauthorized during validation", &validationError{"d.example.org", problem(acme.ProblemUnauthorized, "Invalid response from http://d.example.org/.well-known/acme-challenge/T: 404")},
			[]string{"could not validate d.example.org: Invalid response from http://d.example.org/.well-known/acme-challenge/T: 404; check that the web server serves"}, []string{"account"}},
		{"bad nonce after retries", problem(acme.ProblemBadNonce, "nonce unknown"),
			[]string{"nonce unknown", "proxy or load balancer"}, nil},
		{"caa during validation", &validationError{"www.example.org", problem(acme.ProblemCAA, "CAA record for example.org prevents issuance")},
			[]string{"could not validate www.example.org: CAA record for example.org prevents issuance", "CAA records"}, nil},
		{"dns during validation", &validationError{"a.example.org", problem(acme.ProblemDNS, "NXDOMAIN looking up A for a.example.org")},
			[]string{"could not validate a.example.org: NXDOMAIN", "public DNS"}, nil},
		{"incorrect response keeps the validation detail", &validationError{"b.example.org", problem(acme.ProblemIncorrectResponse, `got "hello" at http://b.example.org/.well-known/acme-challenge/T`)},
			[]string{`could not validate b.example.org: got "hello" at http://b.example.org/.well-known/acme-challenge/T`, "webroot"}, nil},
		{"connection during validation", &validationError{"c.example.org", problem(acme.ProblemConnection, "127.0.0.1:80: connection refused")},
			[]string{"could not validate c.example.org: 127.0.0.1:80: connection refused", "port 80"}, nil},
		{"rejected identifier with subproblems", compound,
			[]string{"will not issue", "some names are refused (co.uk: a public suffix)", "remove the refused name from -d"}, nil},
		{"bad CSR", problem(acme.ProblemBadCSR, "key too small"),
			[]string{"refused the certificate request: key too small", "--key-type"}, nil},
		{"server internal", problem(acme.ProblemServerInternal, "database unavailable"),
			[]string{"internal error: database unavailable", "try again later"}, nil},
		{"unknown type keeps its name", problem(acme.ProblemAlreadyReplaced, "replaced already"),
			[]string{"replaced already (alreadyReplaced)"}, nil},
		{"control characters are dropped", problem(acme.ProblemServerInternal, "bad\x1b[2J\nline"),
			[]string{"bad[2J line"}, []string{"\x1b", "\n"}},
		{"connection refused names the URL", fmt.Errorf("GET https://ca.test/dir: %w", &url.Error{Op: "Get", URL: "https://ca.test/dir",
			Err: &net.OpError{Op: "dial", Net: "tcp", Err: syscall.ECONNREFUSED}}),
			[]string{"could not reach the ACME server at https://ca.test/dir (connection refused)", "check --server"}, nil},
		{"untrusted server certificate", &url.Error{Op: "Get", URL: "https://ca.test/dir", Err: x509.UnknownAuthorityError{}},
			[]string{"https://ca.test/dir", "--ca-bundle"}, nil},
		{"proxy error page", fmt.Errorf("POST https://ca.test/x: %w", &client.Error{StatusCode: 502, Problem: acme.Problem{Status: 502, Detail: "Bad Gateway: upstream down"}}),
			[]string{"the ACME server answered HTTP 502 (Bad Gateway: upstream down) instead of ACME; check --server"}, nil},
		{"order invalid without a problem", &client.Error{Problem: acme.Problem{Detail: "order https://ca.test/o/1 is invalid"}},
			[]string{"the CA says order https://ca.test/o/1 is invalid; try again"}, []string{"acme:"}},
		{"authorization invalid without a problem", &validationError{"e.example.org", &client.Error{Problem: acme.Problem{Detail: "authorization for e.example.org https://ca.test/a/1 is invalid"}}},
			[]string{"the CA could not validate e.example.org: authorization for e.example.org https://ca.test/a/1 is invalid; check the challenge"}, nil},
		{"interrupted", &url.Error{Op: "Post", URL: "https://ca.test/acme/new-order", Err: context.Canceled},
			[]string{"stopped while waiting for the ACME server at https://ca.test/acme/new-order; run the command again"}, nil},
		{"error kind left out", fmt.Errorf("preparing dns-01 for x: %w", core.Errorf(core.ErrDNS, "DNS server 127.0.0.1:53 refused the update")),
			[]string{"preparing dns-01 for x: DNS server 127.0.0.1:53 refused the update"}, []string{"dns:"}},
		{"plain error kept", errors.New("no certificate named x; 'mason certificates' lists them."),
			[]string{"no certificate named x; 'mason certificates' lists them"}, []string{"lists them."}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := explain(tt.err, now)
			for _, w := range tt.want {
				if !strings.Contains(got, w) {
					t.Errorf("got %q, want it to contain %q", got, w)
				}
			}
			for _, n := range tt.not {
				if strings.Contains(got, n) {
					t.Errorf("got %q, want no %q", got, n)
				}
			}
		})
	}
}

// TestExplainUnreachable checks the sentence for a server that is not
// there, from a real failed request.
func TestExplainUnreachable(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close() // nothing listens there now
	dirURL := "http://" + addr + "/directory"
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	c, err := client.New(client.Options{DirectoryURL: dirURL, Key: key, HTTPClient: &http.Client{Timeout: 5 * time.Second}})
	if err != nil {
		t.Fatal(err)
	}
	_, err = c.Directory(context.Background())
	if err == nil {
		t.Fatal("got no error from a closed port, want one")
	}
	got := explain(err, time.Now())
	if want := "could not reach the ACME server at " + dirURL; !strings.Contains(got, want) {
		t.Errorf("got %q, want it to contain %q", got, want)
	}
}
