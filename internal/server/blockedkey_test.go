package server_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/quarry-ca/quarry/acme"
	"github.com/quarry-ca/quarry/client"
)

// TestBlockedKeyAfterKeyCompromise revokes a certificate for keyCompromise
// and checks its key is then refused everywhere a key enters: a CSR at
// finalize, a new account, a key change. Another reason blocks nothing.
func TestBlockedKeyAfterKeyCompromise(t *testing.T) {
	e := startEnv(t, nil)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	c := e.own(t, ctx)
	names := dnsIDs("blocked.quarry.test")

	superseded := ecKey()
	_, leaf := e.obtain(t, ctx, c, acme.NewOrderRequest{Identifiers: names}, acme.ChallengeHTTP01, superseded)
	if err := c.Revoke(ctx, leaf.Raw, nil, 4); err != nil {
		t.Fatalf("revoke (superseded): %v", err)
	}
	// Reason superseded leaves the key usable.
	e.obtain(t, ctx, c, acme.NewOrderRequest{Identifiers: names}, acme.ChallengeHTTP01, superseded)

	compromised := ecKey()
	_, leaf = e.obtain(t, ctx, c, acme.NewOrderRequest{Identifiers: names}, acme.ChallengeHTTP01, compromised)
	if err := c.Revoke(ctx, leaf.Raw, nil, 1); err != nil {
		t.Fatalf("revoke (keyCompromise): %v", err)
	}

	t.Run("finalize", func(t *testing.T) {
		order, err := c.NewOrder(ctx, acme.NewOrderRequest{Identifiers: names})
		if err != nil {
			t.Fatal(err)
		}
		_, err = c.Finalize(ctx, order.Finalize, csrForIDs(t, compromised, names))
		wantProblem(t, err, acme.ProblemBadPublicKey, http.StatusBadRequest)
	})
	t.Run("new account", func(t *testing.T) {
		nc, err := client.New(client.Options{DirectoryURL: e.srv.DirectoryURL(), Key: compromised, RootCAs: e.roots})
		if err != nil {
			t.Fatal(err)
		}
		_, err = nc.Register(ctx, acme.Account{TermsOfServiceAgreed: true}, nil)
		wantProblem(t, err, acme.ProblemBadPublicKey, http.StatusBadRequest)
	})
	t.Run("key change", func(t *testing.T) {
		err := c.RolloverKey(ctx, compromised)
		wantProblem(t, err, acme.ProblemBadPublicKey, http.StatusBadRequest)
	})
	t.Run("a fresh key still works", func(t *testing.T) {
		e.obtain(t, ctx, c, acme.NewOrderRequest{Identifiers: names}, acme.ChallengeHTTP01, ecKey())
	})
}

// TestThirdPartyKeyCompromiseBlocksNothing revokes a certificate for
// keyCompromise from another account that merely holds authorizations for
// its names: that proves nothing about the subscriber's key, so the key
// stays usable.
func TestThirdPartyKeyCompromiseBlocksNothing(t *testing.T) {
	e := startEnv(t, nil)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	names := dnsIDs("thirdparty.quarry.test")
	owner, other := e.own(t, ctx), e.own(t, ctx)
	key := ecKey()
	_, leaf := e.obtain(t, ctx, owner, acme.NewOrderRequest{Identifiers: names}, acme.ChallengeHTTP01, key)
	// The other account proves control of the name with its own certificate.
	e.obtain(t, ctx, other, acme.NewOrderRequest{Identifiers: names}, acme.ChallengeHTTP01, ecKey())
	if err := other.Revoke(ctx, leaf.Raw, nil, 1); err != nil {
		t.Fatalf("revoke by an account holding the names: got %v, want revoked", err)
	}
	// The owner's key is not blocked.
	e.obtain(t, ctx, owner, acme.NewOrderRequest{Identifiers: names}, acme.ChallengeHTTP01, key)
}
