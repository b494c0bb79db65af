package main

import (
	"context"
	"crypto"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"flag"
	"fmt"
	"strings"

	"github.com/quarry-ca/quarry/acme"
	"github.com/quarry-ca/quarry/client"
	"github.com/quarry-ca/quarry/client/store"
	"github.com/quarry-ca/quarry/internal/core"
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

// registration is what a new account is made with.
type registration struct {
	email   string
	agree   bool
	eabKID  string
	eabHMAC string // base64url, as CAs hand it out
}

func (r *registration) bind(fsSet *flag.FlagSet) {
	fsSet.StringVar(&r.email, "email", "", "contact address for the CA's expiry and policy mail (comma separated for several)")
	fsSet.StringVar(&r.email, "m", "", "short for --email")
	fsSet.BoolVar(&r.agree, "agree-tos", false, "agree to the CA's terms of service")
	fsSet.StringVar(&r.eabKID, "eab-kid", "", "external account binding key ID, from the CA")
	fsSet.StringVar(&r.eabHMAC, "eab-hmac-key", "", "external account binding HMAC key (base64url), from the CA")
}

// eab decodes the EAB flags; nil when none are given.
func (r registration) eab() (*client.EAB, error) {
	if r.eabKID == "" && r.eabHMAC == "" {
		return nil, nil
	}
	if r.eabKID == "" || r.eabHMAC == "" {
		return nil, errors.New("external account binding needs both --eab-kid and --eab-hmac-key")
	}
	s := strings.TrimRight(r.eabHMAC, "=")
	key, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil {
		key, err = base64.RawStdEncoding.DecodeString(s)
	}
	if err != nil || len(key) == 0 {
		return nil, errors.New("--eab-hmac-key is not base64url; paste it exactly as the CA gave it")
	}
	return &client.EAB{KID: r.eabKID, HMACKey: key}, nil
}

// contacts turns --email into mailto: URLs.
func contacts(email string) []string {
	var out []string
	for _, a := range strings.Split(email, ",") {
		if a = strings.TrimSpace(a); a != "" {
			out = append(out, "mailto:"+a)
		}
	}
	return out
}

// register makes a new account key, registers it and saves it. The key is
// saved only once the server has accepted it.
func register(ctx context.Context, e env, st *store.Store, dirURL, caBundle string, reg registration, o out) (*session, error) {
	eab, err := reg.eab()
	if err != nil {
		return nil, err
	}
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, fmt.Errorf("generating account key: %w", err)
	}
	c, err := newClient(e, dirURL, caBundle, key, "")
	if err != nil {
		return nil, err
	}
	req := acme.Account{TermsOfServiceAgreed: true, Contact: contacts(reg.email)}
	a, err := c.Register(ctx, req, eab)
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
// id is empty), first settling a key rollover a crash left unfinished.
func loadSession(ctx context.Context, e env, st *store.Store, dirURL, caBundle, id string) (*session, error) {
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
	if errors.Is(err, core.ErrNotFound) {
		return nil, fmt.Errorf("account %s is gone: %w", id, errNoAccount)
	}
	if err != nil {
		return nil, err
	}
	if keyPEM, err = settleRollover(ctx, e, st, rec, caBundle, keyPEM); err != nil {
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

// settleRollover finishes or drops a pending account key by asking the
// server whether it knows it, and returns the key to use.
func settleRollover(ctx context.Context, e env, st *store.Store, rec store.Account, caBundle string, keyPEM []byte) ([]byte, error) {
	pending, err := st.PendingKey(rec.Server, rec.ID)
	if err != nil || pending == nil {
		return keyPEM, err
	}
	key, err := decodeKey(pending)
	if err != nil {
		return nil, fmt.Errorf("pending account key: %w", err)
	}
	c, err := newClient(e, rec.Server, caBundle, key, "")
	if err != nil {
		return nil, err
	}
	a, err := c.LookupAccount(ctx)
	switch {
	case err == nil && a.URL == rec.URL:
		if err := st.PromotePendingKey(rec.Server, rec.ID); err != nil {
			return nil, err
		}
		return pending, nil
	case client.IsProblem(err, acme.ProblemAccountDoesNotExist):
		return keyPEM, st.DropPendingKey(rec.Server, rec.ID)
	case err == nil:
		return nil, fmt.Errorf("the pending account key belongs to another account (%s); remove pending_key.pem from account %s", a.URL, rec.ID)
	}
	return nil, fmt.Errorf("an interrupted key rollover could not be checked with the server (%w); run mason again when it is reachable", err)
}
