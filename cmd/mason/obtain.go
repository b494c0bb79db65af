package main

import (
	"context"
	"crypto"
	"crypto/x509"
	"encoding/pem"
	"errors"
	"fmt"
	"net"
	"slices"
	"strings"

	"github.com/quarry-ca/quarry/acme"
	"github.com/quarry-ca/quarry/client"
	"github.com/quarry-ca/quarry/client/solver"
	"github.com/quarry-ca/quarry/client/store"
)

// issued is a new certificate and its key, ready to store. With --csr
// files.PrivKey is empty: the operator holds the key.
type issued struct {
	files store.Files
	leaf  *x509.Certificate
}

// orderOpts are the parts of one order that are not in the renewal config.
type orderOpts struct {
	replaces string // ARI certID of the certificate being replaced
	key      []byte // PEM of a key to reuse; nil makes a new one
	csr      []byte // DER of the operator's CSR; the key then stays theirs
	// interactive says a person may answer --manual prompts on stdin.
	interactive bool
}

// obtain runs one order to a certificate: new order (with replaces when
// renewing under ARI), each authorization, finalize, download. Nothing is
// written to the store here.
func obtain(ctx context.Context, e env, s *session, r store.Renewal, opts orderOpts, o out) (*issued, error) {
	if err := checkProfile(ctx, s.client, r.Profile); err != nil {
		return nil, err
	}
	sol, closeSolver, err := openSolver(ctx, e, r, opts.interactive)
	if err != nil {
		return nil, err
	}
	defer closeSolver()
	ord, err := newOrder(ctx, s.client, r.Domains, r.Profile, opts.replaces)
	if err != nil {
		return nil, err
	}
	o.step("Order: %s for %s", ord.URL, strings.Join(r.Domains, ", "))
	authzs, err := pendingAuthorizations(ctx, s.client, ord, o)
	if err != nil {
		return nil, err
	}
	for i, a := range authzs {
		if err := authorize(ctx, s.client, sol, a, len(authzs)-i-1, o); err != nil {
			return nil, err
		}
	}
	var key crypto.Signer
	csrDER := opts.csr
	if csrDER == nil {
		if key, err = certKey(r, opts.key); err != nil {
			return nil, err
		}
		if csrDER, err = csr(r.Domains, key); err != nil {
			return nil, err
		}
	}
	return finalize(ctx, s.client, ord, csrDER, key, r.PreferredChain, o)
}

// certKey is the key to reuse, or a new one as the config says.
func certKey(r store.Renewal, reuse []byte) (crypto.Signer, error) {
	if reuse != nil {
		k, err := decodeKey(reuse)
		if err != nil {
			return nil, fmt.Errorf("the key to reuse: %w", err)
		}
		return k, nil
	}
	return newCertKey(r.KeyType, r.RSAKeySize, r.Curve)
}

// checkProfile fails early, in one sentence, when the server does not
// advertise the profile asked for.
func checkProfile(ctx context.Context, c *client.Client, profile string) error {
	if profile == "" {
		return nil
	}
	dir, err := c.Directory(ctx)
	if err != nil {
		return err
	}
	var offered []string
	if dir.Meta != nil {
		if _, ok := dir.Meta.Profiles[profile]; ok {
			return nil
		}
		for p := range dir.Meta.Profiles {
			offered = append(offered, p)
		}
	}
	if len(offered) == 0 {
		return fmt.Errorf("the server offers no certificate profiles; drop --profile %s", profile)
	}
	slices.Sort(offered)
	return fmt.Errorf("the server offers no profile %q; pick one of %s", profile, strings.Join(offered, ", "))
}

func newOrder(ctx context.Context, c *client.Client, names []string, profile, replaces string) (*client.Order, error) {
	req := acme.NewOrderRequest{Replaces: replaces, Profile: profile}
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

// authz is one authorization still to be answered.
type authz struct {
	url string
	*acme.Authorization
}

// pendingAuthorizations fetches the order's authorizations and returns
// those still to be answered, so each challenge can say how many remain.
func pendingAuthorizations(ctx context.Context, c *client.Client, ord *client.Order, o out) ([]authz, error) {
	var out []authz
	for _, u := range ord.Authorizations {
		a, err := c.GetAuthorization(ctx, u)
		if err != nil {
			return nil, err
		}
		if a.Status == acme.StatusValid {
			o.step("Authorization for %s: already valid", authzName(a))
			continue
		}
		out = append(out, authz{u, a})
	}
	return out, nil
}

func authzName(a *acme.Authorization) string {
	if a.Wildcard {
		return "*." + a.Identifier.Value
	}
	return a.Identifier.Value
}

// authorize solves one authorization with sol, cleaning up whatever happens.
func authorize(ctx context.Context, c *client.Client, sol solver.Solver, a authz, remaining int, o out) error {
	name := authzName(a.Authorization)
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
	ch := solver.Challenge{Type: chall.Type, Domain: name, Token: chall.Token, KeyAuth: ka, Remaining: remaining}
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
	if _, err := c.WaitAuthorization(ctx, a.url); err != nil {
		return &validationError{name: name, err: err}
	}
	o.step("Authorization for %s: valid", name)
	return nil
}

// finalize sends the CSR, waits for the certificate and downloads the
// chain (the preferred one when asked). key is nil for --csr.
func finalize(ctx context.Context, c *client.Client, ord *client.Order, csrDER []byte, key crypto.Signer, preferred string, o out) (*issued, error) {
	if _, err := c.WaitOrder(ctx, ord.URL); err != nil {
		return nil, err
	}
	o.step("Finalizing order")
	if _, err := c.Finalize(ctx, ord.Finalize, csrDER); err != nil {
		return nil, err
	}
	done, err := c.WaitOrder(ctx, ord.URL)
	if err != nil {
		return nil, err
	}
	if done.Certificate == "" {
		return nil, errors.New("the order is valid but names no certificate URL")
	}
	cert, err := download(ctx, c, done.Certificate, preferred, o)
	if err != nil {
		return nil, err
	}
	var keyPEM []byte
	if key != nil {
		if keyPEM, err = encodeKey(key); err != nil {
			return nil, err
		}
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

// download fetches the default chain, or with preferred set every
// alternate, keeping the first whose top certificate was issued by (or is)
// preferred. No match keeps the default, as certbot does.
func download(ctx context.Context, c *client.Client, url, preferred string, o out) (*client.Certificate, error) {
	if preferred == "" {
		return c.FetchCertificate(ctx, url)
	}
	chains, err := c.FetchCertificateChains(ctx, url)
	if err != nil {
		return nil, err
	}
	if i := pickChain(chains, preferred); i >= 0 {
		o.step("Chain: the one ending at %q, as --preferred-chain asks", preferred)
		return chains[i], nil
	}
	o.step("Chain: none of %d ends at %q; keeping the default", len(chains), preferred)
	return chains[0], nil
}

// pickChain returns the index of the first chain whose topmost certificate
// is issued by or named cn, -1 when none is.
func pickChain(chains []*client.Certificate, cn string) int {
	for i, ch := range chains {
		if len(ch.Chain) == 0 {
			continue
		}
		top := ch.Chain[len(ch.Chain)-1]
		if top.Issuer.CommonName == cn || top.Subject.CommonName == cn {
			return i
		}
	}
	return -1
}
