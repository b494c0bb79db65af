package server_test

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"

	xacme "golang.org/x/crypto/acme"

	"github.com/quarry-ca/quarry/acme"
	"github.com/quarry-ca/quarry/internal/config"
)

func TestAccountLifecycle(t *testing.T) {
	e := startEnv(t, nil)
	ctx := context.Background()
	c := e.client()
	acct := e.register(ctx, c)

	// Contact update.
	acct.Contact = []string{"mailto:new@example.org"}
	updated, err := c.UpdateReg(ctx, acct)
	if err != nil || len(updated.Contact) != 1 || updated.Contact[0] != "mailto:new@example.org" {
		t.Fatalf("update contact: got %+v, %v", updated, err)
	}

	// An order, then deactivate one of its authorizations: the order fails.
	order, err := c.AuthorizeOrder(ctx, xacme.DomainIDs("life.quarry.test"))
	if err != nil {
		t.Fatal(err)
	}
	if err := c.RevokeAuthorization(ctx, order.AuthzURLs[0]); err != nil {
		t.Fatalf("deactivate authorization: %v", err)
	}
	az, err := c.GetAuthorization(ctx, order.AuthzURLs[0])
	if err != nil || az.Status != xacme.StatusDeactivated {
		t.Fatalf("authorization after deactivation: got %+v, %v", az, err)
	}
	o, err := c.GetOrder(ctx, order.URI)
	if err != nil || o.Status != xacme.StatusInvalid {
		t.Fatalf("order with a deactivated authorization: got %v, %v; want invalid", o.Status, err)
	}

	// The orders list names the order.
	r := newRaw(t, e)
	r.key, r.kid = c.Key, acct.URI
	ordersURL := strings.Replace(acct.URI, "/acme/acct/", "/acme/orders/", 1)
	resp := r.post(ordersURL, r.sign(r.key, r.kid, ordersURL, nil))
	var list acme.OrderList
	if err := json.Unmarshal(resp.body, &list); err != nil || len(list.Orders) != 1 || list.Orders[0] != order.URI {
		t.Fatalf("orders list: got %s (%v), want [%s]", resp.body, err, order.URI)
	}

	// Key rollover: the new key works, the old key no longer names the account.
	oldKey := c.Key
	newKey := ecKey()
	if err := c.AccountKeyRollover(ctx, newKey); err != nil {
		t.Fatalf("key rollover: %v", err)
	}
	if _, err := c.GetReg(ctx, ""); err != nil {
		t.Fatalf("account with the new key: %v", err)
	}
	old := e.client()
	old.Key = oldKey
	if _, err := old.GetReg(ctx, ""); err == nil {
		t.Fatal("the old key still finds the account after rollover")
	}

	// Deactivation: later requests are refused.
	if err := c.DeactivateReg(ctx); err != nil {
		t.Fatalf("deactivate account: %v", err)
	}
	if _, err := c.AuthorizeOrder(ctx, xacme.DomainIDs("after.quarry.test")); !isProblem(err, "unauthorized") {
		t.Fatalf("order after deactivation: got %v, want unauthorized", err)
	}
}

func TestExternalAccountBinding(t *testing.T) {
	const kid, hmac = "customer-7", "c2VjcmV0LWtleS1mb3ItY3VzdG9tZXItc2V2ZW4tb2YtbmluZSEh"
	e := startEnv(t, func(c *config.Config) {
		c.ACME.EABRequired = true
		c.ACME.EABKeys = map[string]string{kid: hmac}
		c.ACME.TermsOfService = "https://quarry.test/tos"
	})
	ctx := context.Background()
	dir, err := e.client().Discover(ctx)
	if err != nil || !dir.ExternalAccountRequired || dir.Terms != "https://quarry.test/tos" {
		t.Fatalf("directory meta: got %+v, %v", dir, err)
	}
	if _, err := e.client().Register(ctx, &xacme.Account{}, xacme.AcceptTOS); !isProblem(err, "externalAccountRequired") {
		t.Fatalf("register without EAB: got %v, want externalAccountRequired", err)
	}
	key := mustDecode(t, hmac)
	bad := &xacme.Account{ExternalAccountBinding: &xacme.ExternalAccountBinding{KID: "nobody", Key: key}}
	if _, err := e.client().Register(ctx, bad, xacme.AcceptTOS); err == nil {
		t.Fatal("register with an unknown EAB key ID: got success")
	}
	good := &xacme.Account{ExternalAccountBinding: &xacme.ExternalAccountBinding{KID: kid, Key: key}}
	if _, err := e.client().Register(ctx, good, xacme.AcceptTOS); err != nil {
		t.Fatalf("register with EAB: %v", err)
	}
	if _, err := e.client().Register(ctx, good, func(string) bool { return false }); err == nil {
		t.Fatal("register without agreeing to the terms: got success")
	}
}

func mustDecode(t *testing.T, s string) []byte {
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// A client may name the server by any of its names; URLs follow the host
// the client used, and so must the kid check.
func TestReachableAsLocalhost(t *testing.T) {
	e := startEnv(t, nil)
	ctx := context.Background()
	c := e.client()
	c.DirectoryURL = strings.Replace(e.srv.DirectoryURL(), "127.0.0.1", "localhost", 1)
	acct := e.register(ctx, c)
	if !strings.HasPrefix(acct.URI, "https://localhost:") {
		t.Fatalf("got account URL %s, want one on localhost", acct.URI)
	}
	if _, err := c.AuthorizeOrder(ctx, xacme.DomainIDs("lh.quarry.test")); err != nil {
		t.Fatalf("new order through localhost: %v", err)
	}
}
