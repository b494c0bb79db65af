package main

import (
	"context"
	"crypto"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"strings"

	"github.com/quarry-ca/quarry/acme"
	"github.com/quarry-ca/quarry/client"
	"github.com/quarry-ca/quarry/client/solver"
	"github.com/quarry-ca/quarry/client/store"
)

// issued is a new certificate and its key, ready to store.
type issued struct {
	files store.Files
	leaf  *x509.Certificate
}

// obtain runs one order to a certificate: new order (with replaces when
// renewing under ARI), each authorization, finalize, download. Nothing is
// written to the store here.
func obtain(ctx context.Context, s *session, r store.Renewal, replaces string, o out) (*issued, error) {
	sol, closeSolver, err := openSolver(ctx, r)
	if err != nil {
		return nil, err
	}
	defer closeSolver()
	ord, err := newOrder(ctx, s.client, r.Domains, replaces)
	if err != nil {
		return nil, err
	}
	o.step("Order: %s for %s", ord.URL, strings.Join(r.Domains, ", "))
	for _, u := range ord.Authorizations {
		if err := authorize(ctx, s.client, sol, u, o); err != nil {
			return nil, err
		}
	}
	key, err := newCertKey(r.KeyType, r.RSAKeySize, r.Curve)
	if err != nil {
		return nil, err
	}
	return finalize(ctx, s.client, ord, r.Domains, key, o)
}

func newOrder(ctx context.Context, c *client.Client, names []string, replaces string) (*client.Order, error) {
	req := acme.NewOrderRequest{Replaces: replaces}
	for _, n := range names {
		typ := acme.IdentifierDNS
		if net.ParseIP(n) != nil {
			typ = acme.IdentifierIP
		}
		req.Identifiers = append(req.Identifiers, acme.Identifier{Type: typ, Value: n})
	}
	ord, err := c.NewOrder(ctx, req)
	if err != nil && replaces != "" {
		// A server may refuse the replacement (already replaced, unknown
		// serial); a plain order still renews.
		req.Replaces = ""
		ord, err = c.NewOrder(ctx, req)
	}
	if err != nil {
		return nil, err
	}
	return ord, nil
}

// authorize solves one authorization with sol, cleaning up whatever happens.
func authorize(ctx context.Context, c *client.Client, sol solver.Solver, u string, o out) error {
	a, err := c.GetAuthorization(ctx, u)
	if err != nil {
		return err
	}
	name := a.Identifier.Value
	if a.Wildcard {
		name = "*." + name
	}
	if a.Status == acme.StatusValid {
		o.step("Authorization for %s: already valid", name)
		return nil
	}
	var chall *acme.Challenge
	for i := range a.Challenges {
		if a.Challenges[i].Type == sol.Type() {
			chall = &a.Challenges[i]
		}
	}
	if chall == nil {
		return fmt.Errorf("the server offers no %s challenge for %s; pick another authenticator", sol.Type(), name)
	}
	ka, err := c.KeyAuthorization(chall.Token)
	if err != nil {
		return err
	}
	ch := solver.Challenge{Type: chall.Type, Domain: name, Token: chall.Token, KeyAuth: ka}
	o.step("Authorization for %s: answering %s", name, chall.Type)
	defer func() { _ = sol.CleanUp(context.WithoutCancel(ctx), ch) }()
	if err := sol.Present(ctx, ch); err != nil {
		return fmt.Errorf("preparing %s for %s: %w", chall.Type, name, err)
	}
	if w, ok := sol.(solver.Waiter); ok {
		if err := w.Wait(ctx, ch); err != nil {
			return err
		}
	}
	if _, err := c.Accept(ctx, *chall); err != nil {
		return err
	}
	if _, err := c.WaitAuthorization(ctx, u); err != nil {
		return fmt.Errorf("validation of %s failed: %w", name, err)
	}
	o.step("Authorization for %s: valid", name)
	return nil
}

func finalize(ctx context.Context, c *client.Client, ord *client.Order, names []string, key crypto.Signer, o out) (*issued, error) {
	if _, err := c.WaitOrder(ctx, ord.URL); err != nil {
		return nil, err
	}
	der, err := csr(names, key)
	if err != nil {
		return nil, err
	}
	o.step("Finalizing order")
	if _, err := c.Finalize(ctx, ord.Finalize, der); err != nil {
		return nil, err
	}
	done, err := c.WaitOrder(ctx, ord.URL)
	if err != nil {
		return nil, err
	}
	if done.Certificate == "" {
		return nil, errors.New("the order is valid but names no certificate URL")
	}
	cert, err := c.FetchCertificate(ctx, done.Certificate)
	if err != nil {
		return nil, err
	}
	keyPEM, err := encodeKey(key)
	if err != nil {
		return nil, err
	}
	var chain []byte
	for _, ca := range cert.Chain[1:] {
		chain = append(chain, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: ca.Raw})...)
	}
	leaf := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Chain[0].Raw})
	if len(chain) == 0 {
		return nil, errors.New("the server sent the certificate without its issuer chain")
	}
	o.step("Certificate downloaded: serial %x, expires %s", cert.Chain[0].SerialNumber, cert.Chain[0].NotAfter.UTC().Format("2006-01-02 15:04 MST"))
	return &issued{
		files: store.Files{Cert: leaf, Chain: chain, FullChain: append(append([]byte{}, leaf...), chain...), PrivKey: keyPEM},
		leaf:  cert.Chain[0],
	}, nil
}
