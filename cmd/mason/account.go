package main

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	"github.com/quarry-ca/quarry/acme"
	"github.com/quarry-ca/quarry/client"
	"github.com/quarry-ca/quarry/client/store"
)

// session is a client bound to a stored account.
type session struct {
	client  *client.Client
	account store.Account
}

// accountID names an account's directory: the key's thumbprint, hashed
// and shortened to a safe path element.
func accountID(pub crypto.PublicKey) (string, error) {
	tp, err := acme.Thumbprint(pub)
	if err != nil {
		return "", err
	}
	sum := sha256.Sum256([]byte(tp))
	return hex.EncodeToString(sum[:16]), nil
}

func newClient(e env, dirURL, caBundle string, key crypto.Signer, accountURL string) (*client.Client, error) {
	roots, err := loadRoots(caBundle)
	if err != nil {
		return nil, err
	}
	return client.New(client.Options{
		DirectoryURL: dirURL, Key: key, AccountURL: accountURL,
		RootCAs: roots, UserAgent: "mason", Now: e.now,
	})
}

// register makes a new account key, registers it and saves it. The key is
// saved only once the server has accepted it.
func register(ctx context.Context, e env, st *store.Store, dirURL, caBundle, email string, o out) (*session, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generating account key: %w", err)
	}
	c, err := newClient(e, dirURL, caBundle, key, "")
	if err != nil {
		return nil, err
	}
	req := acme.Account{TermsOfServiceAgreed: true}
	if email != "" {
		req.Contact = []string{"mailto:" + email}
	}
	a, err := c.Register(ctx, req, nil)
	if err != nil {
		return nil, fmt.Errorf("registering with %s: %w", dirURL, err)
	}
	id, err := accountID(key.Public())
	if err != nil {
		return nil, err
	}
	keyPEM, err := encodeKey(key)
	if err != nil {
		return nil, err
	}
	rec := store.Account{ID: id, Server: dirURL, URL: a.URL, Contact: a.Contact, CreatedAt: e.now().UTC()}
	if err := st.SaveAccount(rec, keyPEM); err != nil {
		return nil, err
	}
	o.step("Account registered: %s", a.URL)
	return &session{client: c, account: rec}, nil
}

// loadSession opens the stored account id (or the server's first one when
// id is empty).
func loadSession(e env, st *store.Store, dirURL, caBundle, id string) (*session, error) {
	if id == "" {
		accts, err := st.Accounts(dirURL)
		if err != nil {
			return nil, err
		}
		if len(accts) == 0 {
			return nil, errNoAccount
		}
		id = accts[0].ID
	}
	rec, keyPEM, err := st.LoadAccount(dirURL, id)
	if err != nil {
		return nil, err
	}
	key, err := decodeKey(keyPEM)
	if err != nil {
		return nil, fmt.Errorf("account %s: %w", id, err)
	}
	c, err := newClient(e, dirURL, caBundle, key, rec.URL)
	if err != nil {
		return nil, err
	}
	return &session{client: c, account: rec}, nil
}
