package storagetest

import (
	"errors"
	"fmt"
	"net/netip"
	"testing"
	"time"

	"github.com/quarry-ca/quarry/acme"
	"github.com/quarry-ca/quarry/internal/core"
	"github.com/quarry-ca/quarry/internal/storage"
)

// Run runs the suite. newStore must return a fresh, empty store each call
// and arrange its own cleanup (t.Cleanup); the suite never closes it.
func Run(t *testing.T, newStore func(t *testing.T) storage.Store) {
	t.Helper()
	groups := []struct {
		name string
		run  func(t *testing.T, f *fixture)
	}{
		{"Accounts", testAccounts},
		{"NewOrder", testNewOrder},
		{"ListOrders", testListOrders},
		{"SetOrderStatus", testSetOrderStatus},
		{"SetOrderStatusRace", testSetOrderStatusRace},
		{"GetAuthorizations", testGetAuthorizations},
		{"FindAuthorization", testFindAuthorization},
		{"StartChallenge", testStartChallenge},
		{"FinishChallenge", testFinishChallenge},
		{"DeactivateAuthorization", testDeactivateAuthorization},
		{"DeactivateAccountAuthorizations", testDeactivateAccountAuthorizations},
		{"FinalizeOrder", testFinalizeOrder},
		{"RevokeCertificate", testRevokeCertificate},
		{"ValidAuthorizedNames", testValidAuthorizedNames},
		{"RevokedCertificates", testRevokedCertificates},
		{"RevokedSince", testRevokedSince},
		{"NextCRLNumber", testNextCRLNumber},
		{"CRLs", testCRLs},
		{"NotFound", testNotFound},
		{"InFlight", testInFlight},
		{"Replacements", testReplacements},
		{"BlockedKeys", testBlockedKeys},
	}
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) {
			g.run(t, &fixture{s: newStore(t), now: time.Date(2030, 3, 4, 5, 6, 7, 890123456, time.UTC)})
		})
	}
}

// fixture builds objects for one group's store. The clock is fixed: the
// stored times must come back exactly, to the nanosecond.
type fixture struct {
	s   storage.Store
	now time.Time
	seq int // makes keys, tokens and serials unique
}

func (f *fixture) next() int {
	f.seq++
	return f.seq
}

// account stores a new account with every field set.
func (f *fixture) account(t *testing.T) *core.Account {
	t.Helper()
	n := f.next()
	a := &core.Account{
		Key:     []byte(fmt.Sprintf(`{"crv":"P-256","kty":"EC","x":"x%d","y":"y%d"}`, n, n)),
		KeyID:   fmt.Sprintf("thumbprint-%d", n),
		Contact: []string{fmt.Sprintf("mailto:admin%d@example.com", n)}, Status: acme.StatusValid,
		TermsAgreed: true, EABKeyID: "kid-1", CreatedAt: f.now, InitialIP: "192.0.2.10",
	}
	if err := f.s.NewAccount(t.Context(), a); err != nil {
		t.Fatalf("NewAccount: got error %v, want none", err)
	}
	return a
}

// authz returns an unsaved authorization for name ("*.x" is a wildcard,
// an address an IP identifier) with the challenges the RA would offer.
func (f *fixture) authz(acct *core.Account, name string, status acme.Status, expires time.Time) *core.Authorization {
	id := acme.Identifier{Type: acme.IdentifierDNS, Value: name}
	base, wildcard := name, false
	if len(name) > 2 && name[:2] == "*." {
		base, wildcard = name[2:], true
	}
	id.Value = base
	types := []acme.ChallengeType{acme.ChallengeHTTP01, acme.ChallengeDNS01, acme.ChallengeTLSALPN01}
	if _, err := netip.ParseAddr(name); err == nil {
		id.Type = acme.IdentifierIP
		types = []acme.ChallengeType{acme.ChallengeHTTP01, acme.ChallengeTLSALPN01}
	} else if wildcard {
		types = []acme.ChallengeType{acme.ChallengeDNS01}
	}
	az := &core.Authorization{AccountID: acct.ID, Identifier: id, Wildcard: wildcard, Status: status, Expires: expires}
	for _, typ := range types {
		az.Challenges = append(az.Challenges, &core.Challenge{
			Type: typ, Status: acme.StatusPending, Token: fmt.Sprintf("token-%d", f.next()),
		})
	}
	return az
}

// pending is a pending authorization for name expiring in a week.
func (f *fixture) pending(acct *core.Account, name string) *core.Authorization {
	return f.authz(acct, name, acme.StatusPending, f.now.Add(7*24*time.Hour))
}

// order stores a pending order listing the reused authorizations and the
// fresh ones.
func (f *fixture) order(t *testing.T, acct *core.Account, reuse []int64, fresh ...*core.Authorization) *core.Order {
	t.Helper()
	o := &core.Order{
		AccountID: acct.ID, Status: acme.StatusPending, Expires: f.now.Add(7 * 24 * time.Hour),
		AuthzIDs: append([]int64(nil), reuse...), Profile: "classic", CreatedAt: f.now,
	}
	for _, az := range fresh {
		o.Identifiers = append(o.Identifiers, nameOf(az))
	}
	if err := f.s.NewOrder(t.Context(), o, fresh); err != nil {
		t.Fatalf("NewOrder: got error %v, want none", err)
	}
	return o
}

// store saves fresh authorizations (through an order) and returns them.
func (f *fixture) store(t *testing.T, acct *core.Account, fresh ...*core.Authorization) []*core.Authorization {
	t.Helper()
	f.order(t, acct, nil, fresh...)
	return fresh
}

// processingOrder stores an order for one valid name and moves it to
// processing, ready for FinalizeOrder.
func (f *fixture) processingOrder(t *testing.T, acct *core.Account) *core.Order {
	t.Helper()
	o := f.order(t, acct, nil, f.authz(acct, fmt.Sprintf("host%d.example", f.next()), acme.StatusValid, f.now.Add(time.Hour)))
	if err := f.s.SetOrderStatus(t.Context(), o.ID, acme.StatusPending, acme.StatusProcessing, nil); err != nil {
		t.Fatalf("SetOrderStatus pending→processing: got error %v, want none", err)
	}
	o.Status = acme.StatusProcessing
	return o
}

// certificate returns an unsaved certificate for order o.
func (f *fixture) certificate(o *core.Order) *core.Certificate {
	n := f.next()
	return &core.Certificate{
		Serial: fmt.Sprintf("%032x", 0xc0ffee00+n), AccountID: o.AccountID, OrderID: o.ID, IssuerID: "ecdsa-int-1",
		DER: []byte{0x30, 0x82, byte(n), 0x01}, Names: []string{"a.example", "*.b.example"},
		NotBefore: f.now.Add(-time.Hour), NotAfter: f.now.Add(90 * 24 * time.Hour), IssuedAt: f.now,
	}
}

func nameOf(az *core.Authorization) acme.Identifier {
	id := az.Identifier
	if az.Wildcard {
		id.Value = "*." + id.Value
	}
	return id
}

// wantErr fails t unless err is nil (kind nil) or of the given kind.
func wantErr(t *testing.T, what string, err error, kind error) {
	t.Helper()
	switch {
	case kind == nil && err != nil:
		t.Fatalf("%s: got error %v, want none", what, err)
	case kind != nil && !errors.Is(err, kind):
		t.Fatalf("%s: got error %v, want %v", what, err, kind)
	}
}

// testError is an error with every stored part set, subproblems included.
func testError() *core.Error {
	id := acme.Identifier{Type: acme.IdentifierDNS, Value: "a.example"}
	return &core.Error{
		Kind: core.ErrRejectedIdentifier, Detail: "some identifiers were refused",
		Sub: []*core.Error{
			{Kind: core.ErrCAA, Detail: "CAA forbids issuance", Identifier: &id},
			{Kind: core.ErrDNS, Detail: "SERVFAIL looking up b.example"},
		},
	}
}
