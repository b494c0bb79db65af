package server_test

import (
	"context"
	"crypto/tls"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	xacme "golang.org/x/crypto/acme"

	"github.com/quarry-ca/quarry/internal/config"
)

// TestPublicURLNamesEveryURL issues a certificate through a "balancer"
// (the client dials the public host, and lands on the listener) and checks
// that every URL handed out names the public URL, and the certificate's
// AIA and CRL distribution point name the issuer URL: none names the
// instance's own address.
func TestPublicURLNamesEveryURL(t *testing.T) {
	const public, issuer = "https://acme.balancer.test:8443", "http://crl.balancer.test:8080"
	e := startEnv(t, func(c *config.Config) {
		c.PublicURL, c.IssuerURL = public, issuer
		c.Cluster.Enabled = true
	})
	if got := e.srv.DirectoryURL(); got != public+"/directory" {
		t.Fatalf("DirectoryURL: got %s, want %s/directory", got, public)
	}
	c := e.client()
	instance := e.srv.ACMEAddr()
	c.HTTPClient.Transport = &http.Transport{
		TLSClientConfig: &tls.Config{RootCAs: e.roots},
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			if addr != "acme.balancer.test:8443" {
				t.Errorf("the client was sent to %s, want only the public address", addr)
			}
			return (&net.Dialer{}).DialContext(ctx, network, instance)
		},
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	acct := e.register(ctx, c)
	order, err := c.AuthorizeOrder(ctx, xacme.DomainIDs("pub.quarry.test"))
	if err != nil {
		t.Fatalf("new order: %v", err)
	}
	urls := map[string]string{"account": acct.URI, "order": order.URI, "finalize": order.FinalizeURL}
	for i, u := range order.AuthzURLs {
		urls["authz"+string(rune('0'+i))] = u
		az, err := c.GetAuthorization(ctx, u)
		if err != nil {
			t.Fatalf("get authorization: %v", err)
		}
		for _, ch := range az.Challenges {
			urls["challenge "+ch.Type] = ch.URI
		}
	}
	e.solve(ctx, c, order, "http-01")
	chain, certURL, err := c.CreateOrderCert(ctx, order.FinalizeURL, csrFor(t, ecKey(), "pub.quarry.test"), true)
	if err != nil {
		t.Fatalf("finalize: %v", err)
	}
	urls["certificate"] = certURL
	for name, u := range urls {
		if !strings.HasPrefix(u, public+"/") {
			t.Errorf("%s URL: got %s, want it under %s", name, u, public)
		}
	}
	leaf := e.verify(chain, "pub.quarry.test")
	for _, u := range append(append([]string{}, leaf.IssuingCertificateURL...), leaf.CRLDistributionPoints...) {
		if !strings.HasPrefix(u, issuer+"/") {
			t.Errorf("certificate URL: got %s, want it under %s", u, issuer)
		}
	}
	if len(leaf.IssuingCertificateURL) == 0 || len(leaf.CRLDistributionPoints) == 0 {
		t.Errorf("certificate: got AIA %v and CRL DP %v, want both", leaf.IssuingCertificateURL, leaf.CRLDistributionPoints)
	}
}
