package client

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/x509"
	"errors"
	"net/http"
	"testing"
	"time"

	"github.com/quarry-ca/quarry/acme"
)

// fastSleep shortens every wait so polling against Pebble stays quick
// while still going through the client's wait logic.
func fastSleep(ctx context.Context, d time.Duration) error {
	return sleep(ctx, min(d, 50*time.Millisecond))
}

// obtain runs one order for names through http-01 and returns the order
// and the certificate's chains (default first).
func obtain(t *testing.T, ctx context.Context, c *Client, p *pebble, names []string, certKey crypto.Signer) (*Order, []*Certificate) {
	t.Helper()
	req := acme.NewOrderRequest{}
	for _, n := range names {
		req.Identifiers = append(req.Identifiers, acme.Identifier{Type: acme.IdentifierDNS, Value: n})
	}
	o, err := c.NewOrder(ctx, req)
	if err != nil {
		t.Fatalf("NewOrder: %v", err)
	}
	if len(o.Authorizations) != len(names) {
		t.Fatalf("authorizations: got %d, want %d", len(o.Authorizations), len(names))
	}
	for _, u := range o.Authorizations {
		solve(t, ctx, c, p, u)
	}
	if o, err = c.WaitOrder(ctx, o.URL); err != nil || o.Status != acme.StatusReady {
		t.Fatalf("WaitOrder before finalize: got %+v, %v; want ready", o, err)
	}
	csr, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{DNSNames: names}, certKey)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Finalize(ctx, o.Finalize, csr); err != nil {
		t.Fatalf("Finalize: %v", err)
	}
	if o, err = c.WaitOrder(ctx, o.URL); err != nil || o.Status != acme.StatusValid || o.Certificate == "" {
		t.Fatalf("WaitOrder after finalize: got %+v, %v; want valid with a certificate", o, err)
	}
	chains, err := c.FetchCertificateChains(ctx, o.Certificate)
	if err != nil {
		t.Fatalf("FetchCertificateChains: %v", err)
	}
	return o, chains
}

// solve completes the authorization at u with http-01 unless Pebble
// reused an already valid one.
func solve(t *testing.T, ctx context.Context, c *Client, p *pebble, u string) {
	t.Helper()
	a, err := c.GetAuthorization(ctx, u)
	if err != nil {
		t.Fatalf("GetAuthorization: %v", err)
	}
	if a.Status == acme.StatusValid {
		return
	}
	var ch *acme.Challenge
	for i := range a.Challenges {
		if a.Challenges[i].Type == acme.ChallengeHTTP01 {
			ch = &a.Challenges[i]
		}
	}
	if ch == nil {
		t.Fatalf("authorization for %s offers no http-01: %+v", a.Identifier.Value, a.Challenges)
	}
	ka, err := c.KeyAuthorization(ch.Token)
	if err != nil {
		t.Fatal(err)
	}
	p.http01.set(ch.Token, ka)
	if _, err := c.Accept(ctx, *ch); err != nil {
		t.Fatalf("Accept: %v", err)
	}
	if a, err = c.WaitAuthorization(ctx, u); err != nil || a.Status != acme.StatusValid {
		t.Fatalf("WaitAuthorization %s: got %v, %v; want valid", a.Identifier.Value, a, err)
	}
}

// verifyChains checks the default chain against Pebble's root 0 and every
// chain against the roots Pebble published, and that the leaf covers names.
func verifyChains(t *testing.T, p *pebble, chains []*Certificate, names []string) {
	t.Helper()
	if len(chains) < 2 {
		t.Fatalf("chains: got %d, want the default and at least one alternate", len(chains))
	}
	for i, cert := range chains {
		leaf := cert.Chain[0]
		inter := x509.NewCertPool()
		for _, c := range cert.Chain[1:] {
			inter.AddCert(c)
		}
		roots := x509.NewCertPool()
		if i == 0 {
			roots.AddCert(p.Root(t.Context(), t, 0))
		} else {
			for r := range len(chains) {
				roots.AddCert(p.Root(t.Context(), t, r))
			}
		}
		for _, n := range names {
			_, err := leaf.Verify(x509.VerifyOptions{DNSName: n, Roots: roots, Intermediates: inter})
			if err != nil {
				t.Errorf("chain %d (%s) for %s: %v", i, cert.URL, n, err)
			}
		}
	}
}

// pebbleRun is the shared state of the steps of TestPebble.
type pebbleRun struct {
	p          *pebble
	c          *Client
	accountKey crypto.Signer
	accountURL string
}

// fresh returns a new client for key, trusting Pebble through RootCAs.
func (r *pebbleRun) fresh(t *testing.T, key crypto.Signer) *Client {
	t.Helper()
	c, err := New(Options{DirectoryURL: r.p.DirectoryURL, Key: key, RootCAs: r.p.TLSRoots, Sleep: fastSleep})
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestPebble(t *testing.T) {
	p := startPebble(t)
	ctx, cancel := context.WithTimeout(t.Context(), 2*time.Minute)
	defer cancel()
	counter := &badNonceCounter{next: p.HTTPClient().Transport}
	r := &pebbleRun{p: p, accountKey: mustKey(t)}
	var err error
	r.c, err = New(Options{
		DirectoryURL: p.DirectoryURL, Key: r.accountKey, UserAgent: "client-test",
		HTTPClient: &http.Client{Transport: counter, Timeout: 30 * time.Second},
		Sleep:      fastSleep,
	})
	if err != nil {
		t.Fatal(err)
	}
	steps := []struct {
		name string
		run  func(t *testing.T, ctx context.Context, r *pebbleRun)
	}{
		{"accounts", pebbleAccounts},
		{"revoke by account key", pebbleRevokeByAccount},
		{"revoke by certificate key", pebbleRevokeByCertKey},
		{"key rollover", pebbleRollover},
		{"deactivate", pebbleDeactivate},
	}
	for _, s := range steps {
		if !t.Run(s.name, func(t *testing.T) { s.run(t, ctx, r) }) {
			break // later steps build on earlier ones
		}
	}
	t.Logf("badNonce answers retried: %d", counter.n.Load())
}

// pebbleAccounts: none yet, then new, then existing, then found by key
// alone, then updated.
func pebbleAccounts(t *testing.T, ctx context.Context, r *pebbleRun) {
	c := r.c
	if _, err := c.LookupAccount(ctx); !IsProblem(err, acme.ProblemAccountDoesNotExist) {
		t.Fatalf("LookupAccount before registering: got %v, want accountDoesNotExist", err)
	}
	acct, err := c.Register(ctx, acme.Account{Contact: []string{"mailto:one@example.com"}, TermsOfServiceAgreed: true}, nil)
	if err != nil || !acct.Created || acct.URL == "" {
		t.Fatalf("Register: got %+v, %v; want a created account", acct, err)
	}
	r.accountURL = acct.URL
	again, err := c.Register(ctx, acme.Account{TermsOfServiceAgreed: true}, nil)
	if err != nil || again.Created || again.URL != acct.URL {
		t.Fatalf("Register again: got %+v, %v; want the existing account %s", again, err, acct.URL)
	}
	found, err := r.fresh(t, r.accountKey).LookupAccount(ctx)
	if err != nil || found.URL != acct.URL {
		t.Fatalf("LookupAccount by key: got %+v, %v; want %s", found, err, acct.URL)
	}
	upd, err := c.UpdateAccount(ctx, []string{"mailto:two@example.com"})
	if err != nil || len(upd.Contact) != 1 || upd.Contact[0] != "mailto:two@example.com" {
		t.Fatalf("UpdateAccount: got %+v, %v; want contact mailto:two@example.com", upd, err)
	}
}

// pebbleRevokeByAccount: a certificate for two names, verified against
// Pebble's roots, then revoked with the account key (and not twice).
func pebbleRevokeByAccount(t *testing.T, ctx context.Context, r *pebbleRun) {
	names := []string{"one.example.com", "two.example.com"}
	_, chains := obtain(t, ctx, r.c, r.p, names, mustKey(t))
	verifyChains(t, r.p, chains, names)
	if r.p.http01.hits.Load() == 0 {
		t.Errorf("http-01 responder: got no requests, want Pebble to have validated through it")
	}
	leaf := chains[0].Chain[0]
	if err := r.c.Revoke(ctx, leaf.Raw, nil, 4); err != nil {
		t.Fatalf("Revoke by account key: %v", err)
	}
	if got := r.p.CertStatus(ctx, t, leaf); got != "Revoked" {
		t.Errorf("status after revocation by account key: got %q, want Revoked", got)
	}
	if err := r.c.Revoke(ctx, leaf.Raw, nil, 4); !IsProblem(err, acme.ProblemAlreadyRevoked) {
		t.Errorf("revoking twice: got %v, want alreadyRevoked", err)
	}
}

// pebbleRevokeByCertKey: a second certificate, revoked by a stranger
// holding the certificate's key.
func pebbleRevokeByCertKey(t *testing.T, ctx context.Context, r *pebbleRun) {
	certKey := mustKey(t)
	_, chains := obtain(t, ctx, r.c, r.p, []string{"three.example.com"}, certKey)
	leaf := chains[0].Chain[0]
	if err := r.fresh(t, mustKey(t)).Revoke(ctx, leaf.Raw, certKey, 1); err != nil {
		t.Fatalf("Revoke by certificate key: %v", err)
	}
	if got := r.p.CertStatus(ctx, t, leaf); got != "Revoked" {
		t.Errorf("status after revocation by certificate key: got %q, want Revoked", got)
	}
}

// pebbleRollover: the account follows the new key, the old key finds
// nothing, and the client keeps working.
func pebbleRollover(t *testing.T, ctx context.Context, r *pebbleRun) {
	newKey := mustKey(t)
	if err := r.c.RolloverKey(ctx, newKey); err != nil {
		t.Fatalf("RolloverKey: %v", err)
	}
	if found, err := r.fresh(t, newKey).LookupAccount(ctx); err != nil || found.URL != r.accountURL {
		t.Errorf("LookupAccount with the new key: got %+v, %v; want %s", found, err, r.accountURL)
	}
	if _, err := r.fresh(t, r.accountKey).LookupAccount(ctx); !IsProblem(err, acme.ProblemAccountDoesNotExist) {
		t.Errorf("LookupAccount with the old key: got %v, want accountDoesNotExist", err)
	}
	if _, err := r.c.UpdateAccount(ctx, []string{"mailto:three@example.com"}); err != nil {
		t.Errorf("UpdateAccount after rollover: %v", err)
	}
}

// pebbleDeactivate: a deactivated account can do nothing more.
func pebbleDeactivate(t *testing.T, ctx context.Context, r *pebbleRun) {
	if err := r.c.DeactivateAccount(ctx); err != nil {
		t.Fatalf("DeactivateAccount: %v", err)
	}
	_, err := r.c.NewOrder(ctx, acme.NewOrderRequest{Identifiers: []acme.Identifier{{Type: acme.IdentifierDNS, Value: "four.example.com"}}})
	var e *Error
	if !errors.As(err, &e) || e.StatusCode != http.StatusForbidden {
		t.Errorf("NewOrder after deactivation: got %v, want a 403 problem", err)
	}
}
