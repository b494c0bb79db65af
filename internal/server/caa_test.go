package server_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/miekg/dns"
	xacme "golang.org/x/crypto/acme"

	"github.com/quarry-ca/quarry/internal/config"
)

// TestCAAEndToEnd checks CAA at validation time through the whole stack:
// a record naming another CA fails the order with a caa problem; one naming
// Quarry (bound to the account and method by RFC 8657 parameters) issues.
func TestCAAEndToEnd(t *testing.T) {
	e := startEnv(t, func(c *config.Config) { c.ACME.CAAIdentities = []string{"quarry.test"} })
	tests := []struct {
		name    string
		id      string
		record  func(accountURI string) *dns.CAA
		wantCAA bool // the order fails with a caa problem
	}{
		{"issue names another CA", "www.forbid.quarry.test",
			func(string) *dns.CAA { return &dns.CAA{Tag: "issue", Value: "ca.example"} }, true},
		{"issue names Quarry for another account", "www.other.quarry.test",
			func(string) *dns.CAA {
				return &dns.CAA{Tag: "issue", Value: "quarry.test; accounturi=https://127.0.0.1/acme/acct/999"}
			}, true},
		{"issue names Quarry for this account and method", "www.permit.quarry.test",
			func(uri string) *dns.CAA {
				return &dns.CAA{Tag: "issue", Value: "quarry.test; accounturi=" + uri + "; validationmethods=http-01"}
			}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			c := e.client()
			acct := e.register(ctx, c)
			// The record sits at the parent, so the VA must climb to it.
			_, parent, _ := strings.Cut(tt.id, ".")
			e.dns.SetCAA(parent, tt.record(acct.URI))
			order, err := c.AuthorizeOrder(ctx, xacme.DomainIDs(tt.id))
			if err != nil {
				t.Fatalf("new order: %v", err)
			}
			if !tt.wantCAA {
				e.solve(ctx, c, order, "http-01")
				chain, _, err := c.CreateOrderCert(ctx, order.FinalizeURL, csrFor(t, ecKey(), tt.id), true)
				if err != nil {
					t.Fatalf("finalize: got %v, want a certificate", err)
				}
				e.verify(chain, tt.id)
				return
			}
			e.expectCAAFailure(ctx, c, order)
		})
	}
}

// expectCAAFailure answers http-01 correctly and checks that CAA, not the
// challenge, makes the authorization and the order invalid.
func (e *env) expectCAAFailure(ctx context.Context, c *xacme.Client, order *xacme.Order) {
	e.t.Helper()
	az, err := c.GetAuthorization(ctx, order.AuthzURLs[0])
	if err != nil {
		e.t.Fatalf("get authorization: %v", err)
	}
	var ch *xacme.Challenge
	for _, x := range az.Challenges {
		if x.Type == "http-01" {
			ch = x
		}
	}
	e.prepare(c, az.Identifier.Value, ch)
	if _, err := c.Accept(ctx, ch); err != nil {
		e.t.Fatalf("accept: %v", err)
	}
	if _, err := c.WaitAuthorization(ctx, az.URI); err == nil {
		e.t.Fatal("authorization became valid, want it invalid because of CAA")
	}
	got, err := c.GetChallenge(ctx, ch.URI)
	if err != nil {
		e.t.Fatalf("get challenge: %v", err)
	}
	var ae *xacme.Error
	if got.Status != xacme.StatusInvalid || !errors.As(got.Error, &ae) || ae.ProblemType != "urn:ietf:params:acme:error:caa" {
		e.t.Fatalf("got challenge %s with error %v, want invalid with a caa problem", got.Status, got.Error)
	}
	o, err := c.GetOrder(ctx, order.URI)
	if err != nil {
		e.t.Fatalf("get order: %v", err)
	}
	if o.Status != xacme.StatusInvalid {
		e.t.Fatalf("got order %s, want invalid", o.Status)
	}
}
