package loadgen

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/quarry-ca/quarry/acme"
	"github.com/quarry-ca/quarry/client"
	"github.com/quarry-ca/quarry/client/solver"
)

// subscriber is one simulated ACME client running flows one after another.
type subscriber struct {
	cfg  Config
	http *http.Client
	resp *Responders
	rec  *recorder
	rand io.Reader
	now  func() time.Time
	pace *pacer // nil: no rate limit

	acct *client.Client // kept between flows when cfg.ReuseAccount
}

// timed runs f and records its duration under s when it succeeds.
func (s *subscriber) timed(step Step, f func() error) error {
	start := s.now()
	if err := f(); err != nil {
		return err
	}
	s.rec.step(step, s.now().Sub(start))
	return nil
}

// flow runs one complete issuance and returns how many names it covered.
func (s *subscriber) flow(ctx context.Context) (int, error) {
	c, err := s.account(ctx)
	if err != nil {
		return 0, err
	}
	ids, err := randomNames(s.rand, s.cfg.MaxNames, s.cfg.BaseDomain)
	if err != nil {
		return 0, err
	}
	var o *client.Order
	if err := s.timed(StepOrder, func() (err error) {
		o, err = c.NewOrder(ctx, acme.NewOrderRequest{Identifiers: ids})
		return err
	}); err != nil {
		return 0, err
	}
	if err := s.timed(StepAuthz, func() error { return s.authorize(ctx, c, o) }); err != nil {
		return 0, err
	}
	var certURL string
	if err := s.timed(StepFinalize, func() (err error) {
		certURL, err = s.finalize(ctx, c, o)
		return err
	}); err != nil {
		return 0, err
	}
	var cert *client.Certificate
	if err := s.timed(StepDownload, func() (err error) {
		cert, err = c.FetchCertificate(ctx, certURL)
		return err
	}); err != nil {
		return 0, err
	}
	if s.cfg.Revoke {
		if err := s.timed(StepRevoke, func() error { return c.Revoke(ctx, cert.Chain[0].Raw, nil, 0) }); err != nil {
			return 0, err
		}
	}
	return len(ids), nil
}

// account returns the subscriber's client, registering a new account
// unless one is kept for reuse.
func (s *subscriber) account(ctx context.Context) (*client.Client, error) {
	if s.acct != nil {
		return s.acct, nil
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generating account key: %w", err)
	}
	c, err := client.New(client.Options{DirectoryURL: s.cfg.DirectoryURL, Key: key, HTTPClient: s.http, UserAgent: "acmeload"})
	if err != nil {
		return nil, err
	}
	if err := s.timed(StepAccount, func() error {
		_, err := c.Register(ctx, acme.Account{TermsOfServiceAgreed: true}, nil)
		return err
	}); err != nil {
		return nil, err
	}
	if s.cfg.ReuseAccount {
		s.acct = c
	}
	return c, nil
}

// authorize answers every pending authorization of o, then waits for all
// of them and for the order to be ready.
func (s *subscriber) authorize(ctx context.Context, c *client.Client, o *client.Order) error {
	var pending []string
	for _, u := range o.Authorizations {
		a, err := c.GetAuthorization(ctx, u)
		if err != nil {
			return err
		}
		if a.Status == acme.StatusValid {
			continue
		}
		undo, err := s.answer(ctx, c, a)
		if undo != nil {
			defer undo()
		}
		if err != nil {
			return err
		}
		pending = append(pending, u)
	}
	for _, u := range pending {
		if _, err := c.WaitAuthorization(ctx, u); err != nil {
			return err
		}
	}
	_, err := c.WaitOrder(ctx, o.URL)
	return err
}

// answer presents and accepts the configured challenge of a; the returned
// func (possibly nil) takes the answer down.
func (s *subscriber) answer(ctx context.Context, c *client.Client, a *acme.Authorization) (func(), error) {
	for _, ch := range a.Challenges {
		if ch.Type != s.cfg.Challenge {
			continue
		}
		ka, err := c.KeyAuthorization(ch.Token)
		if err != nil {
			return nil, fmt.Errorf("key authorization: %w", err)
		}
		undo, err := s.resp.present(ctx, solver.Challenge{Type: ch.Type, Domain: a.Identifier.Value, Token: ch.Token, KeyAuth: ka})
		if err != nil {
			return undo, fmt.Errorf("presenting %s for %s: %w", ch.Type, a.Identifier.Value, err)
		}
		_, err = c.Accept(ctx, ch)
		return undo, err
	}
	return nil, fmt.Errorf("authorization for %s offers no %s challenge", a.Identifier.Value, s.cfg.Challenge)
}

// finalize sends a CSR for a fresh key and returns the certificate URL.
func (s *subscriber) finalize(ctx context.Context, c *client.Client, o *client.Order) (string, error) {
	key, err := newKey(s.cfg.KeyType)
	if err != nil {
		return "", err
	}
	csr, err := csrFor(key, o.Identifiers)
	if err != nil {
		return "", err
	}
	fo, err := c.Finalize(ctx, o.Finalize, csr)
	if err != nil {
		return "", err
	}
	if fo.Status != acme.StatusValid || fo.Certificate == "" {
		if fo, err = c.WaitOrder(ctx, o.URL); err != nil {
			return "", err
		}
	}
	if fo.Certificate == "" {
		return "", fmt.Errorf("order %s is %s without a certificate URL", o.URL, fo.Status)
	}
	return fo.Certificate, nil
}
