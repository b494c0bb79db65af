package server_test

import (
	"context"
	"crypto"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"net"
	"strings"
	"testing"

	"github.com/miekg/dns"

	"github.com/quarry-ca/quarry/acme"
	"github.com/quarry-ca/quarry/client"
	"github.com/quarry-ca/quarry/client/solver"
)

// own returns Quarry's own client (which speaks profiles and replaces)
// with a fresh registered account.
func (e *env) own(t *testing.T, ctx context.Context) *client.Client {
	t.Helper()
	c, err := client.New(client.Options{DirectoryURL: e.srv.DirectoryURL(), Key: ecKey(), RootCAs: e.roots})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Register(ctx, acme.Account{Contact: []string{"mailto:admin@example.org"}, TermsOfServiceAgreed: true}, nil); err != nil {
		t.Fatalf("register: %v", err)
	}
	return c
}

// ownSolve answers every pending authorization of order with typ and waits
// for the order to be ready.
func (e *env) ownSolve(t *testing.T, ctx context.Context, c *client.Client, order *client.Order, typ acme.ChallengeType) {
	t.Helper()
	for _, u := range order.Authorizations {
		az, err := c.GetAuthorization(ctx, u)
		if err != nil {
			t.Fatalf("get authorization: %v", err)
		}
		if az.Status == acme.StatusValid {
			continue
		}
		var ch *acme.Challenge
		for i := range az.Challenges {
			if az.Challenges[i].Type == typ {
				ch = &az.Challenges[i]
			}
		}
		if ch == nil {
			t.Fatalf("authorization for %s offers no %s challenge", az.Identifier.Value, typ)
		}
		ka, err := c.KeyAuthorization(ch.Token)
		if err != nil {
			t.Fatal(err)
		}
		e.present(t, az.Identifier, typ, ch.Token, ka)
		if _, err := c.Accept(ctx, *ch); err != nil {
			t.Fatalf("accept %s: %v", typ, err)
		}
		if _, err := c.WaitAuthorization(ctx, u); err != nil {
			t.Fatalf("authorization of %s by %s: %v", az.Identifier.Value, typ, err)
		}
	}
	if _, err := c.WaitOrder(ctx, order.URL); err != nil {
		t.Fatalf("wait order: %v", err)
	}
}

// present puts a challenge response where the VA looks. A tls-alpn-01
// answer for an IP address is found by its reverse name (RFC 8738 §6).
func (e *env) present(t *testing.T, id acme.Identifier, typ acme.ChallengeType, token, ka string) {
	t.Helper()
	switch typ {
	case acme.ChallengeHTTP01:
		e.mu.Lock()
		e.http01[token] = ka
		e.mu.Unlock()
	case acme.ChallengeTLSALPN01:
		cert, err := solver.ChallengeCert(id.Value, ka)
		if err != nil {
			t.Fatal(err)
		}
		sni := id.Value
		if id.Type == acme.IdentifierIP {
			rev, err := dns.ReverseAddr(id.Value)
			if err != nil {
				t.Fatal(err)
			}
			sni = strings.TrimSuffix(rev, ".")
		}
		e.mu.Lock()
		e.tlsCerts[sni] = *cert
		e.mu.Unlock()
	default:
		t.Fatalf("present: %s is not supported here", typ)
	}
}

// obtain runs a whole order and returns it (valid) with the leaf.
func (e *env) obtain(t *testing.T, ctx context.Context, c *client.Client, req acme.NewOrderRequest, typ acme.ChallengeType, key crypto.Signer) (*client.Order, *x509.Certificate) {
	t.Helper()
	order, err := c.NewOrder(ctx, req)
	if err != nil {
		t.Fatalf("new order: %v", err)
	}
	e.ownSolve(t, ctx, c, order, typ)
	if _, err := c.Finalize(ctx, order.Finalize, csrForIDs(t, key, req.Identifiers)); err != nil {
		t.Fatalf("finalize: %v", err)
	}
	done, err := c.WaitOrder(ctx, order.URL)
	if err != nil || done.Status != acme.StatusValid {
		t.Fatalf("wait order: got %v, %v; want valid", done, err)
	}
	done.URL = order.URL
	cert, err := c.FetchCertificate(ctx, done.Certificate)
	if err != nil {
		t.Fatalf("fetch certificate: %v", err)
	}
	return done, cert.Chain[0]
}

// csrForIDs is a CSR with no CN listing every identifier as a SAN.
func csrForIDs(t *testing.T, key crypto.Signer, ids []acme.Identifier) []byte {
	t.Helper()
	tmpl := &x509.CertificateRequest{}
	for _, id := range ids {
		if id.Type == acme.IdentifierIP {
			tmpl.IPAddresses = append(tmpl.IPAddresses, net.ParseIP(id.Value))
		} else {
			tmpl.DNSNames = append(tmpl.DNSNames, id.Value)
		}
	}
	der, err := x509.CreateCertificateRequest(rand.Reader, tmpl, key)
	if err != nil {
		t.Fatal(err)
	}
	return der
}

func dnsIDs(names ...string) []acme.Identifier {
	out := make([]acme.Identifier, len(names))
	for i, n := range names {
		out[i] = acme.Identifier{Type: acme.IdentifierDNS, Value: n}
	}
	return out
}

func errorsAs(err error, target any) bool { return errors.As(err, target) }

// tlsListener answers tls-alpn-01 on ln with e's challenge certificates.
func tlsListener(ln net.Listener, e *env) net.Listener {
	return tls.NewListener(ln, &tls.Config{NextProtos: []string{"acme-tls/1"}, GetCertificate: e.tlsCert})
}
