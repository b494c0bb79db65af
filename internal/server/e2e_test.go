package server_test

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	xacme "golang.org/x/crypto/acme"

	"github.com/quarry-ca/quarry/acme"
	"github.com/quarry-ca/quarry/client"
	"github.com/quarry-ca/quarry/internal/config"
)

// solve answers every pending authorization of an order with the given
// challenge type and waits for the order to become ready.
func (e *env) solve(ctx context.Context, c *xacme.Client, order *xacme.Order, typ string) {
	e.t.Helper()
	for _, u := range order.AuthzURLs {
		az, err := c.GetAuthorization(ctx, u)
		if err != nil {
			e.t.Fatalf("get authorization: %v", err)
		}
		if az.Status == xacme.StatusValid {
			continue
		}
		var ch *xacme.Challenge
		for _, x := range az.Challenges {
			if x.Type == typ {
				ch = x
			}
		}
		if ch == nil {
			e.t.Fatalf("authorization for %s offers no %s challenge", az.Identifier.Value, typ)
		}
		e.prepare(c, az.Identifier.Value, ch)
		if _, err := c.Accept(ctx, ch); err != nil {
			e.t.Fatalf("accept %s: %v", typ, err)
		}
		if _, err := c.WaitAuthorization(ctx, u); err != nil {
			e.t.Fatalf("wait authorization for %s by %s: %v", az.Identifier.Value, typ, err)
		}
	}
	if _, err := c.WaitOrder(ctx, order.URI); err != nil {
		e.t.Fatalf("wait order: %v", err)
	}
}

// prepare puts a challenge response where Quarry's VA will look.
func (e *env) prepare(c *xacme.Client, name string, ch *xacme.Challenge) {
	e.t.Helper()
	switch ch.Type {
	case "http-01":
		ka, err := c.HTTP01ChallengeResponse(ch.Token)
		if err != nil {
			e.t.Fatal(err)
		}
		e.mu.Lock()
		e.http01[ch.Token] = ka
		e.mu.Unlock()
	case "dns-01":
		v, err := c.DNS01ChallengeRecord(ch.Token)
		if err != nil {
			e.t.Fatal(err)
		}
		e.dns.AddTXT("_acme-challenge."+name, v)
	case "tls-alpn-01":
		cert, err := c.TLSALPN01ChallengeCert(ch.Token, name)
		if err != nil {
			e.t.Fatal(err)
		}
		e.mu.Lock()
		e.tlsCerts[name] = cert
		e.mu.Unlock()
	}
}

func csrFor(t *testing.T, key crypto.Signer, names ...string) []byte {
	t.Helper()
	der, err := x509.CreateCertificateRequest(rand.Reader, &x509.CertificateRequest{
		Subject: pkix.Name{CommonName: names[0]}, DNSNames: names,
	}, key)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

// verify checks a downloaded chain against Quarry's roots for every name.
func (e *env) verify(chain [][]byte, names ...string) *x509.Certificate {
	e.t.Helper()
	if len(chain) < 2 {
		e.t.Fatalf("got a chain of %d certificates, want the leaf and its intermediate", len(chain))
	}
	leaf, err := x509.ParseCertificate(chain[0])
	if err != nil {
		e.t.Fatal(err)
	}
	inter := x509.NewCertPool()
	for _, der := range chain[1:] {
		c, err := x509.ParseCertificate(der)
		if err != nil {
			e.t.Fatal(err)
		}
		inter.AddCert(c)
	}
	for _, n := range names {
		if _, err := leaf.Verify(x509.VerifyOptions{Roots: e.roots, Intermediates: inter, DNSName: n}); err != nil {
			e.t.Errorf("chain does not verify for %s: %v", n, err)
		}
	}
	return leaf
}

func TestIssueWithEachChallenge(t *testing.T) {
	e := startEnv(t, nil)
	tests := []struct {
		name      string
		challenge string
		names     []string
		key       func() crypto.Signer
	}{
		{"http-01 two names ecdsa", "http-01", []string{"a.quarry.test", "b.quarry.test"}, ecKey},
		{"dns-01 ecdsa", "dns-01", []string{"dns.quarry.test"}, ecKey},
		{"tls-alpn-01 rsa", "tls-alpn-01", []string{"alpn.quarry.test"}, rsaKey},
		{"dns-01 wildcard", "dns-01", []string{"*.wild.quarry.test", "wild.quarry.test"}, ecKey},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
			defer cancel()
			c := e.client()
			e.register(ctx, c)
			order, err := c.AuthorizeOrder(ctx, xacme.DomainIDs(tt.names...))
			if err != nil {
				t.Fatalf("new order: %v", err)
			}
			e.solve(ctx, c, order, tt.challenge)
			chain, certURL, err := c.CreateOrderCert(ctx, order.FinalizeURL, csrFor(t, tt.key(), tt.names...), true)
			if err != nil {
				t.Fatalf("finalize: %v", err)
			}
			leaf := e.verify(chain, tt.names...)
			if got, want := leaf.NotAfter.Sub(leaf.NotBefore).Round(time.Hour), 90*24*time.Hour; got != want {
				t.Errorf("got lifetime %v, want %v", got, want)
			}
			again, err := c.FetchCert(ctx, certURL, true)
			if err != nil || len(again) != len(chain) {
				t.Fatalf("download again: got %d certs, %v", len(again), err)
			}
			if err := c.RevokeCert(ctx, nil, chain[0], xacme.CRLReasonCessationOfOperation); err != nil {
				t.Fatalf("revoke: %v", err)
			}
			// x/crypto/acme hides alreadyRevoked, so ask with Quarry's own client.
			own, err := client.New(client.Options{DirectoryURL: e.srv.DirectoryURL(), Key: c.Key.(crypto.Signer), RootCAs: e.roots})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := own.LookupAccount(ctx); err != nil {
				t.Fatalf("lookup account: %v", err)
			}
			err = own.Revoke(ctx, chain[0], nil, 5)
			if !client.IsProblem(err, acme.ProblemAlreadyRevoked) {
				t.Errorf("second revoke: got %v, want alreadyRevoked", err)
			}
		})
	}
}

func TestAlternateChain(t *testing.T) {
	e := startEnv(t, nil)
	ctx := context.Background()
	c := e.client()
	e.register(ctx, c)
	order, err := c.AuthorizeOrder(ctx, xacme.DomainIDs("alt.quarry.test"))
	if err != nil {
		t.Fatal(err)
	}
	e.solve(ctx, c, order, "http-01")
	chain, certURL, err := c.CreateOrderCert(ctx, order.FinalizeURL, csrFor(t, ecKey(), "alt.quarry.test"), true)
	if err != nil {
		t.Fatal(err)
	}
	alts, err := c.ListCertAlternates(ctx, certURL)
	if err != nil {
		t.Fatal(err)
	}
	if len(alts) != 1 {
		t.Fatalf("got %d alternates, want 1 (the cross-signed chain)", len(alts))
	}
	alt, err := c.FetchCert(ctx, alts[0], true)
	if err != nil {
		t.Fatal(err)
	}
	e.verify(alt, "alt.quarry.test")
	if slices.EqualFunc(alt[1:], chain[1:], func(a, b []byte) bool { return string(a) == string(b) }) {
		t.Error("the alternate chain is the same as the default chain")
	}
}

func TestRevokeByCertificateKey(t *testing.T) {
	e := startEnv(t, nil)
	ctx := context.Background()
	c := e.client()
	e.register(ctx, c)
	order, err := c.AuthorizeOrder(ctx, xacme.DomainIDs("key.quarry.test"))
	if err != nil {
		t.Fatal(err)
	}
	e.solve(ctx, c, order, "http-01")
	certKey := ecKey()
	chain, _, err := c.CreateOrderCert(ctx, order.FinalizeURL, csrFor(t, certKey, "key.quarry.test"), true)
	if err != nil {
		t.Fatal(err)
	}
	stranger := e.client()
	e.register(ctx, stranger)
	if err := stranger.RevokeCert(ctx, nil, chain[0], xacme.CRLReasonUnspecified); !isProblem(err, "unauthorized") {
		t.Fatalf("revoke by an unrelated account: got %v, want unauthorized", err)
	}
	if err := stranger.RevokeCert(ctx, certKey, chain[0], xacme.CRLReasonKeyCompromise); err != nil {
		t.Fatalf("revoke signed by the certificate key: %v", err)
	}
}

func TestStatePersistsAcrossRestart(t *testing.T) {
	// A second server on the same data directory must know the account and
	// serve the certificate issued before the restart.
	dir := t.TempDir()
	ctx := context.Background()
	var certURL string
	var key crypto.Signer
	{
		e := startEnv(t, func(c *config.Config) { c.DataDir = dir })
		c := e.client()
		key = c.Key
		e.register(ctx, c)
		order, err := c.AuthorizeOrder(ctx, xacme.DomainIDs("persist.quarry.test"))
		if err != nil {
			t.Fatal(err)
		}
		e.solve(ctx, c, order, "http-01")
		_, certURL, err = c.CreateOrderCert(ctx, order.FinalizeURL, csrFor(t, ecKey(), "persist.quarry.test"), true)
		if err != nil {
			t.Fatal(err)
		}
		e.stop()
	}
	e := startEnv(t, func(c *config.Config) { c.DataDir = dir })
	c := e.client()
	c.Key = key
	// The listen port changed, so rebase the certificate URL on the new server.
	certURL = e.srv.DirectoryURL()[:strings.LastIndex(e.srv.DirectoryURL(), "/directory")] + certURL[strings.Index(certURL, "/acme/"):]
	if _, err := c.GetReg(ctx, ""); err != nil {
		t.Fatalf("account after restart: %v", err)
	}
	chain, err := c.FetchCert(ctx, certURL, true)
	if err != nil {
		t.Fatalf("certificate after restart: %v", err)
	}
	e.verify(chain, "persist.quarry.test")
}

func isProblem(err error, typ string) bool {
	var ae *xacme.Error
	return errors.As(err, &ae) && ae.ProblemType == "urn:ietf:params:acme:error:"+typ
}

func ecKey() crypto.Signer {
	k, _ := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	return k
}

func rsaKey() crypto.Signer {
	k, _ := rsa.GenerateKey(rand.Reader, 2048)
	return k
}
