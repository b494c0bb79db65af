package ra_test

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"github.com/quarry-ca/quarry/acme"
	"github.com/quarry-ca/quarry/internal/ca"
	"github.com/quarry-ca/quarry/internal/core"
	"github.com/quarry-ca/quarry/internal/policy"
	"github.com/quarry-ca/quarry/internal/ra"
	"github.com/quarry-ca/quarry/internal/ratelimit"
	"github.com/quarry-ca/quarry/internal/storage/sqlite"
	"github.com/quarry-ca/quarry/internal/va"
)

// pickyVA fails every name that starts with "bad" and passes the rest.
type pickyVA struct{}

func (pickyVA) Validate(_ context.Context, req va.Request) ([]acme.ValidationRecord, error) {
	if strings.HasPrefix(req.Identifier.Value, "bad") {
		return nil, core.Errorf(core.ErrIncorrectResponse, "wrong key authorization")
	}
	return []acme.ValidationRecord{{Hostname: req.Identifier.Value}}, nil
}

func (pickyVA) CheckCAA(context.Context, va.CAARequest) error { return nil }

type rlEnv struct {
	t     *testing.T
	ra    *ra.RA
	store *sqlite.Store
	key   *ecdsa.PrivateKey
	acct  *core.Account
}

func newRLEnv(t *testing.T, limits map[ratelimit.Name]ratelimit.Limit) *rlEnv {
	t.Helper()
	ctx := context.Background()
	dir := t.TempDir()
	store, err := sqlite.Open(ctx, filepath.Join(dir, "q.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { store.Close() })
	pol, _ := policy.New(policy.Config{Mode: policy.ModeDev})
	authority, err := ca.Load(ctx, ca.Config{DataDir: dir, KeyTypes: []string{ca.KeyECDSA}, PrivateNames: true}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	lim, err := ratelimit.New(ratelimit.Config{Limits: limits}, store, nil)
	if err != nil {
		t.Fatal(err)
	}
	r, err := ra.New(ra.Config{OrderLifetime: time.Hour, PendingAuthzLifetime: time.Hour, ValidAuthzLifetime: time.Hour},
		ra.Deps{Store: store, VA: pickyVA{}, CA: authority, Policy: pol, Limits: lim})
	if err != nil {
		t.Fatal(err)
	}
	e := &rlEnv{t: t, ra: r, store: store}
	e.key, e.acct = e.newAccount("192.0.2.1")
	return e
}

func (e *rlEnv) newAccountErr(ip string) (*ecdsa.PrivateKey, *core.Account, error) {
	key, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	jwk := jose.JSONWebKey{Key: &key.PublicKey}
	raw, _ := jwk.MarshalJSON()
	thumb, _ := acme.Thumbprint(key.Public())
	acct, _, err := e.ra.NewAccount(context.Background(), ra.NewAccountRequest{
		Key: raw, KeyID: thumb, PublicKey: &key.PublicKey, RemoteIP: ip,
	})
	return key, acct, err
}

func (e *rlEnv) newAccount(ip string) (*ecdsa.PrivateKey, *core.Account) {
	e.t.Helper()
	key, acct, err := e.newAccountErr(ip)
	if err != nil {
		e.t.Fatalf("new account from %s: %v", ip, err)
	}
	return key, acct
}

func (e *rlEnv) order(name, replaces string) (*core.Order, []*core.Authorization, error) {
	return e.ra.NewOrder(context.Background(), e.acct, acme.NewOrderRequest{
		Identifiers: []acme.Identifier{{Type: acme.IdentifierDNS, Value: name}}, Replaces: replaces,
	})
}

// validate answers the order's first challenge and waits for the outcome.
func (e *rlEnv) validate(az *core.Authorization) acme.Status {
	e.t.Helper()
	ctx := context.Background()
	if az.Status == acme.StatusValid {
		return az.Status
	}
	if _, err := e.ra.RespondChallenge(ctx, e.acct, az, az.Challenges[0]); err != nil {
		e.t.Fatalf("responding to challenge: %v", err)
	}
	for range 500 {
		got, err := e.ra.GetAuthorization(ctx, az.ID)
		if err != nil {
			e.t.Fatal(err)
		}
		if got.Status != acme.StatusPending {
			return got.Status
		}
		time.Sleep(10 * time.Millisecond)
	}
	e.t.Fatalf("authorization %d never left pending", az.ID)
	return ""
}

// issue validates and finalizes an order, returning its certificate.
func (e *rlEnv) issue(order *core.Order, authzs []*core.Authorization) (*x509.Certificate, error) {
	e.t.Helper()
	ctx := context.Background()
	for _, az := range authzs {
		if st := e.validate(az); st != acme.StatusValid {
			e.t.Fatalf("validation: got %s, want valid", st)
		}
	}
	order, authzs, err := e.ra.GetOrder(ctx, order.ID)
	if err != nil {
		e.t.Fatal(err)
	}
	leafKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{DNSNames: []string{order.Identifiers[0].Value}}, leafKey)
	if err != nil {
		e.t.Fatal(err)
	}
	csr, _ := x509.ParseCertificateRequest(der)
	done, err := e.ra.Finalize(ctx, e.acct, order, authzs, csr)
	if err != nil {
		return nil, err
	}
	cert, err := e.store.GetCertificate(ctx, done.CertSerial)
	if err != nil {
		e.t.Fatal(err)
	}
	return x509.ParseCertificate(cert.DER)
}

func ariID(c *x509.Certificate) string {
	return base64.RawURLEncoding.EncodeToString(c.AuthorityKeyId) + "." + base64.RawURLEncoding.EncodeToString(c.SerialNumber.Bytes())
}

func TestRANewAccountSpendsPerIP(t *testing.T) {
	e := newRLEnv(t, map[ratelimit.Name]ratelimit.Limit{ratelimit.NewRegistrationsPerIPAddress: {Count: 2, Period: time.Hour}})
	// The env's own account was the first from 192.0.2.1.
	e.newAccount("192.0.2.1")
	if _, _, err := e.newAccountErr("192.0.2.1"); !errors.Is(err, core.ErrRateLimited) {
		t.Fatalf("third account from one address: got %v, want rateLimited", err)
	}
	e.newAccount("192.0.2.2")
	// Looking up an existing account spends nothing.
	jwk := jose.JSONWebKey{Key: &e.key.PublicKey}
	raw, _ := jwk.MarshalJSON()
	if _, existed, err := e.ra.NewAccount(context.Background(), ra.NewAccountRequest{
		Key: raw, KeyID: e.acct.KeyID, PublicKey: &e.key.PublicKey, RemoteIP: "192.0.2.1",
	}); err != nil || !existed {
		t.Fatalf("existing account from a limited address: got existed=%v, %v; want the account", existed, err)
	}
}

func TestRAFailedValidationsCount(t *testing.T) {
	e := newRLEnv(t, map[ratelimit.Name]ratelimit.Limit{ratelimit.FailedAuthorizationsPerDomainPerAccount: {Count: 2, Period: time.Hour}})
	for i := range 2 {
		_, authzs, err := e.order("bad.quarry.test", "")
		if err != nil {
			t.Fatalf("order %d: %v", i+1, err)
		}
		if st := e.validate(authzs[0]); st != acme.StatusInvalid {
			t.Fatalf("validation %d: got %s, want invalid", i+1, st)
		}
	}
	if _, _, err := e.order("bad.quarry.test", ""); !errors.Is(err, core.ErrRateLimited) ||
		!strings.Contains(err.Error(), "FailedAuthorizationsPerDomainPerAccount") {
		t.Fatalf("order after two failures: got %v, want FailedAuthorizationsPerDomainPerAccount refusal", err)
	}
	if _, _, err := e.order("good.quarry.test", ""); err != nil {
		t.Fatalf("order for another name: got %v, want allowed", err)
	}
}

func TestRACertificatesSpentAtFinalizeRenewalsExempt(t *testing.T) {
	e := newRLEnv(t, map[ratelimit.Name]ratelimit.Limit{
		ratelimit.CertificatesPerDomain:  {Count: 1, Period: 24 * time.Hour},
		ratelimit.CertificatesPerFQDNSet: {Count: 2, Period: 24 * time.Hour},
	})
	// Two orders pass newOrder's check together; only one can finalize.
	o1, a1, err := e.order("www.quarry.test", "")
	if err != nil {
		t.Fatal(err)
	}
	o2, a2, err := e.order("www.quarry.test", "")
	if err != nil {
		t.Fatalf("second order before any issuance: got %v, want allowed", err)
	}
	first, err := e.issue(o1, a1)
	if err != nil {
		t.Fatalf("first certificate: %v", err)
	}
	if _, err := e.issue(o2, a2); !errors.Is(err, core.ErrRateLimited) {
		t.Fatalf("second finalize: got %v, want rateLimited", err)
	}
	if o, _, _ := e.ra.GetOrder(context.Background(), o2.ID); o.Status != acme.StatusPending {
		t.Fatalf("refused order: got %s, want still pending (ready) so it can be finalized later", o.Status)
	}
	if _, _, err := e.order("www.quarry.test", ""); !errors.Is(err, core.ErrRateLimited) {
		t.Fatalf("third order: got %v, want rateLimited", err)
	}
	// A replaces naming no certificate of the account earns no exemption:
	// it is refused before the limits are consulted.
	if _, _, err := e.order("www.quarry.test", "AAAA.AAAA"); !errors.Is(err, core.ErrMalformed) {
		t.Fatalf("order replacing no certificate of the account: got %v, want malformed", err)
	}
	// A renewal skips CertificatesPerDomain, which is spent.
	o3, a3, err := e.order("www.quarry.test", ariID(first))
	if err != nil {
		t.Fatalf("renewal order: got %v, want allowed", err)
	}
	second, err := e.issue(o3, a3)
	if err != nil {
		t.Fatalf("renewal certificate: got %v, want issued", err)
	}
	// Renewing the renewal is refused: the set has had its two
	// certificates, and a renewal loop must not go on unlimited.
	if _, _, err := e.order("www.quarry.test", ariID(second)); !errors.Is(err, core.ErrRateLimited) ||
		!strings.Contains(err.Error(), "CertificatesPerFQDNSet") {
		t.Fatalf("renewal of a set at its limit: got %v, want CertificatesPerFQDNSet refusal", err)
	}
}

// An order that loses the race to replace a certificate issues nothing,
// so its certificate spend is given back.
func TestRAReplacementLoserRefunded(t *testing.T) {
	e := newRLEnv(t, map[ratelimit.Name]ratelimit.Limit{ratelimit.CertificatesPerFQDNSet: {Count: 3, Period: 24 * time.Hour}})
	o, a, err := e.order("www.quarry.test", "")
	if err != nil {
		t.Fatal(err)
	}
	first, err := e.issue(o, a)
	if err != nil {
		t.Fatalf("first certificate: %v", err)
	}
	oA, aA, err := e.order("www.quarry.test", ariID(first))
	if err != nil {
		t.Fatalf("first renewal order: %v", err)
	}
	oB, aB, err := e.order("www.quarry.test", ariID(first))
	if err != nil {
		t.Fatalf("second renewal order: %v", err)
	}
	if _, err := e.issue(oA, aA); err != nil {
		t.Fatalf("first renewal: %v", err)
	}
	if _, err := e.issue(oB, aB); !errors.Is(err, core.ErrAlreadyReplaced) {
		t.Fatalf("second renewal: got %v, want alreadyReplaced", err)
	}
	// Two certificates of three: the third is still to be had.
	if _, _, err := e.order("www.quarry.test", ""); err != nil {
		t.Fatalf("order after a lost replacement: got %v, want allowed (the loser's spend refunded)", err)
	}
}

// An order whose stored replaces no longer parses (stored before the
// parser was made stricter) fails to finalize without being left
// processing, and gives its certificate spend back.
func TestRAUnparsableStoredReplaces(t *testing.T) {
	e := newRLEnv(t, map[ratelimit.Name]ratelimit.Limit{ratelimit.CertificatesPerFQDNSet: {Count: 1, Period: 24 * time.Hour}})
	ctx := context.Background()
	o, a, err := e.order("www.quarry.test", "")
	if err != nil {
		t.Fatal(err)
	}
	if st := e.validate(a[0]); st != acme.StatusValid {
		t.Fatalf("validation: got %s, want valid", st)
	}
	bad := &core.Order{AccountID: e.acct.ID, Status: acme.StatusPending, Expires: time.Now().Add(time.Hour),
		Identifiers: o.Identifiers, Profile: o.Profile, Replaces: "AQID.AS\rNFZ4k", CreatedAt: time.Now(), AuthzIDs: o.AuthzIDs}
	if err := e.store.NewOrder(ctx, bad, nil); err != nil {
		t.Fatal(err)
	}
	_, authzs, err := e.ra.GetOrder(ctx, bad.ID)
	if err != nil {
		t.Fatal(err)
	}
	leafKey, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	der, _ := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{DNSNames: []string{"www.quarry.test"}}, leafKey)
	csr, _ := x509.ParseCertificateRequest(der)
	if _, err := e.ra.Finalize(ctx, e.acct, bad, authzs, csr); !errors.Is(err, core.ErrMalformed) {
		t.Fatalf("finalize: got %v, want malformed", err)
	}
	if got, _, _ := e.ra.GetOrder(ctx, bad.ID); got.Status != acme.StatusPending {
		t.Fatalf("order after the refused finalize: got %s, want pending (not stuck processing)", got.Status)
	}
	// The spend was given back: the original order still gets its certificate.
	if _, err := e.issue(o, a); err != nil {
		t.Fatalf("certificate for the original order: got %v, want issued", err)
	}
}
