package client

import (
	"context"
	"fmt"
	"time"

	"github.com/quarry-ca/quarry/acme"
)

// GetAuthorization fetches an authorization.
func (c *Client) GetAuthorization(ctx context.Context, url string) (*acme.Authorization, error) {
	a, _, err := c.getAuthorization(ctx, url)
	return a, err
}

func (c *Client) getAuthorization(ctx context.Context, url string) (*acme.Authorization, time.Duration, error) {
	a := new(acme.Authorization)
	res, err := c.postJSON(ctx, url, nil, a)
	if err != nil {
		return nil, 0, fmt.Errorf("fetching authorization: %w", err)
	}
	ra, _ := retryAfter(res.header, c.now())
	return a, ra, nil
}

// DeactivateAuthorization gives up an authorization (RFC 8555 §7.5.2), for
// instance one no longer wanted after an order was abandoned.
func (c *Client) DeactivateAuthorization(ctx context.Context, url string) error {
	if _, err := c.postJSON(ctx, url, acme.StatusUpdate{Status: acme.StatusDeactivated}, nil); err != nil {
		return fmt.Errorf("deactivating authorization: %w", err)
	}
	return nil
}

// GetChallenge fetches a challenge.
func (c *Client) GetChallenge(ctx context.Context, url string) (*acme.Challenge, error) {
	ch := new(acme.Challenge)
	if _, err := c.postJSON(ctx, url, nil, ch); err != nil {
		return nil, fmt.Errorf("fetching challenge: %w", err)
	}
	return ch, nil
}

// Accept tells the server the challenge is ready to be validated. The
// response must be served before calling it.
func (c *Client) Accept(ctx context.Context, chall acme.Challenge) (*acme.Challenge, error) {
	ch := new(acme.Challenge)
	if _, err := c.postJSON(ctx, chall.URL, struct{}{}, ch); err != nil {
		return nil, fmt.Errorf("accepting %s challenge: %w", chall.Type, err)
	}
	return ch, nil
}

// WaitAuthorization polls an authorization until it is no longer pending.
// It returns the authorization when valid; otherwise the authorization
// together with an *Error carrying the failed challenge's problem.
func (c *Client) WaitAuthorization(ctx context.Context, url string) (*acme.Authorization, error) {
	var a *acme.Authorization
	err := c.poll(ctx, func(ctx context.Context) (time.Duration, bool, error) {
		var (
			ra  time.Duration
			err error
		)
		if a, ra, err = c.getAuthorization(ctx, url); err != nil {
			return 0, false, err
		}
		switch a.Status {
		case acme.StatusPending:
			return ra, false, nil
		case acme.StatusValid:
			return 0, true, nil
		}
		return 0, true, authzError(url, a)
	})
	if err != nil && a == nil {
		return nil, err
	}
	return a, err
}

// authzError explains an authorization that ended other than valid, with
// the first failed challenge's problem when there is one.
func authzError(url string, a *acme.Authorization) *Error {
	for _, ch := range a.Challenges {
		if ch.Error == nil {
			continue
		}
		p := *ch.Error
		if p.Identifier == nil {
			p.Identifier = &a.Identifier
		}
		return &Error{Problem: p}
	}
	return stateError("authorization for "+a.Identifier.Value, url, a.Status, nil)
}
