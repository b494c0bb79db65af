package client

import (
	"context"
	"crypto"
	"encoding/json"
	"fmt"
	"net/http"

	"github.com/quarry-ca/quarry/acme"
	"github.com/quarry-ca/quarry/internal/core"
	"github.com/quarry-ca/quarry/internal/jose"
)

// Account is an account resource and its URL.
type Account struct {
	URL string
	acme.Account
	// Created is true when the request made a new account (201), false when
	// the key already had one (200).
	Created bool
}

// EAB is an external account binding credential given by the CA operator.
type EAB struct {
	KID     string
	HMACKey []byte
}

// Register creates the account for the client's key, or returns the one the
// key already has. acct carries contact, termsOfServiceAgreed and
// onlyReturnExisting; eab binds an external account when the server asks.
func (c *Client) Register(ctx context.Context, acct acme.Account, eab *EAB) (*Account, error) {
	dir, err := c.Directory(ctx)
	if err != nil {
		return nil, err
	}
	key := c.accountKey()
	if eab != nil {
		acct.ExternalAccountBinding, err = jose.SignEAB(eab.HMACKey, eab.KID, key.Public(), dir.NewAccount)
		if err != nil {
			return nil, fmt.Errorf("signing external account binding: %w", err)
		}
	}
	payload, err := json.Marshal(acct)
	if err != nil {
		return nil, fmt.Errorf("encoding account: %w", err)
	}
	res, err := c.post(ctx, signer{key: key}, dir.NewAccount, payload, "")
	if err != nil {
		return nil, fmt.Errorf("registering account: %w", err)
	}
	a := &Account{URL: res.location(), Created: res.status == http.StatusCreated}
	if err := decode(res, &a.Account); err != nil {
		return nil, err
	}
	if a.URL == "" {
		return nil, fmt.Errorf("newAccount answered %d without a Location", res.status)
	}
	c.mu.Lock()
	c.accountURL = a.URL
	c.mu.Unlock()
	return a, nil
}

// LookupAccount finds the account of the client's key without creating one
// (onlyReturnExisting). It fails with problem accountDoesNotExist if none.
func (c *Client) LookupAccount(ctx context.Context) (*Account, error) {
	return c.Register(ctx, acme.Account{OnlyReturnExisting: true}, nil)
}

// UpdateAccount replaces the account's contact URLs.
func (c *Client) UpdateAccount(ctx context.Context, contact []string) (*Account, error) {
	if contact == nil {
		contact = []string{} // an empty list clears; omitting would change nothing
	}
	return c.updateAccount(ctx, map[string]any{"contact": contact})
}

// DeactivateAccount deactivates the account for good (RFC 8555 §7.3.6).
func (c *Client) DeactivateAccount(ctx context.Context) error {
	_, err := c.updateAccount(ctx, acme.StatusUpdate{Status: acme.StatusDeactivated})
	return err
}

func (c *Client) updateAccount(ctx context.Context, body any) (*Account, error) {
	s, err := c.account(ctx)
	if err != nil {
		return nil, err
	}
	a := &Account{URL: s.kid}
	if _, err := c.postJSON(ctx, s.kid, body, &a.Account); err != nil {
		return nil, fmt.Errorf("updating account: %w", err)
	}
	return a, nil
}

// RolloverKey replaces the account key with newKey (RFC 8555 §7.3.5). On
// success the client signs with newKey from then on.
func (c *Client) RolloverKey(ctx context.Context, newKey crypto.Signer) error {
	if newKey == nil {
		return core.Errorf(core.ErrMalformed, "key rollover: new key is nil")
	}
	dir, err := c.Directory(ctx)
	if err != nil {
		return err
	}
	if dir.KeyChange == "" {
		return fmt.Errorf("directory %s has no keyChange", c.dirURL)
	}
	s, err := c.account(ctx)
	if err != nil {
		return err
	}
	inner, err := jose.SignKeyChange(newKey, s.kid, s.key.Public(), dir.KeyChange)
	if err != nil {
		return fmt.Errorf("signing key change: %w", err)
	}
	if _, err := c.post(ctx, s, dir.KeyChange, inner, ""); err != nil {
		return fmt.Errorf("rolling over account key: %w", err)
	}
	c.mu.Lock()
	c.key = newKey
	c.mu.Unlock()
	return nil
}
