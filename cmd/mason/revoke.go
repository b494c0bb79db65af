package main

import (
	"context"
	"crypto"
	"crypto/x509"
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/quarry-ca/quarry/client/store"
	"github.com/quarry-ca/quarry/internal/core"
)

// revokeReasons are the RFC 5280 CRLReason codes an ACME client may ask
// for, by certbot's names.
var revokeReasons = map[string]int{
	"unspecified":          0,
	"keycompromise":        1,
	"affiliationchanged":   3,
	"superseded":           4,
	"cessationofoperation": 5,
}

// parseReason reads --reason as a name (any case) or its code.
func parseReason(s string) (int, error) {
	if code, ok := revokeReasons[strings.ToLower(s)]; ok {
		return code, nil
	}
	if n, err := strconv.Atoi(s); err == nil {
		for _, code := range revokeReasons {
			if code == n {
				return n, nil
			}
		}
	}
	return 0, fmt.Errorf("--reason %q: use unspecified, keycompromise, affiliationchanged, superseded or cessationofoperation", s)
}

// revokeTarget is the certificate to revoke and what it takes to sign.
type revokeTarget struct {
	leaf     *x509.Certificate
	server   string
	caBundle string
	account  string
	// lineageKey is the lineage's own key, used when no account exists.
	lineageKey []byte
}

func runRevoke(ctx context.Context, e env, args []string) int {
	var c common
	var certName, certPath, keyPath, reasonFlag string
	fs := flagSet(e, "revoke")
	c.bind(fs)
	fs.StringVar(&certName, "cert-name", "", "revoke the live certificate of this lineage")
	fs.StringVar(&certPath, "cert-path", "", "revoke the certificate in this PEM file")
	fs.StringVar(&keyPath, "key-path", "", "sign with the certificate's own private key instead of the account key")
	fs.StringVar(&reasonFlag, "reason", "unspecified", "unspecified, keycompromise, affiliationchanged, superseded or cessationofoperation")
	if code, ok := parse(fs, args); !ok {
		return code
	}
	o := c.out(e)
	if (certName == "") == (certPath == "") {
		return o.usageErr("name the certificate with --cert-name or --cert-path, one of them.")
	}
	reason, err := parseReason(reasonFlag)
	if err != nil {
		return o.usageErr("%v.", err)
	}
	st, unlock, err := openLocked(ctx, e, c)
	if err != nil {
		return o.fail(err)
	}
	defer unlock()
	tgt, err := findRevokeTarget(st, c, certName, certPath)
	if err != nil {
		return o.fail(err)
	}
	if err := revoke(ctx, e, st, tgt, keyPath, reason, o); err != nil {
		return o.fail(err)
	}
	o.step("Revoked certificate serial %x", tgt.leaf.SerialNumber)
	o.result(map[string]any{"revoked": true, "serial": tgt.leaf.SerialNumber.Text(16), "reason": reason})
	return exitOK
}

func findRevokeTarget(st *store.Store, c common, certName, certPath string) (revokeTarget, error) {
	tgt := revokeTarget{caBundle: c.caBundle}
	var pemBytes []byte
	if certName != "" {
		r, err := loadLineage(st, certName)
		if err != nil {
			return tgt, err
		}
		_, files, err := st.Current(certName)
		if err != nil {
			return tgt, err
		}
		pemBytes, tgt.server, tgt.account, tgt.lineageKey = files.Cert, r.Server, r.Account, files.PrivKey
		if tgt.caBundle == "" {
			tgt.caBundle = r.CABundle
		}
	} else {
		var err error
		if pemBytes, err = os.ReadFile(certPath); err != nil {
			return tgt, fmt.Errorf("reading --cert-path: %w", err)
		}
		if tgt.server, err = serverURL(c.server); err != nil {
			return tgt, err
		}
	}
	leaf, err := parseCert(pemBytes)
	if err != nil {
		return tgt, fmt.Errorf("the certificate to revoke: %w", err)
	}
	tgt.leaf = leaf
	return tgt, nil
}

// revoke signs with --key-path if given, else with the stored account, else
// (no account for the server) with the lineage's own key.
func revoke(ctx context.Context, e env, st *store.Store, tgt revokeTarget, keyPath string, reason int, o out) error {
	var certKey []byte
	if keyPath != "" {
		b, err := os.ReadFile(keyPath)
		if err != nil {
			return fmt.Errorf("reading --key-path: %w", err)
		}
		certKey = b
	} else {
		s, err := loadSession(ctx, e, st, tgt.server, tgt.caBundle, tgt.account)
		switch {
		case err == nil:
			return s.client.Revoke(ctx, tgt.leaf.Raw, nil, reason)
		case !errors.Is(err, errNoAccount) || tgt.lineageKey == nil:
			return err
		}
		o.step("No account for %s: signing with the certificate's own key", tgt.server)
		certKey = tgt.lineageKey
	}
	key, err := decodeKey(certKey)
	if err != nil {
		return fmt.Errorf("the certificate's key: %w", err)
	}
	if !samePublic(key.Public(), tgt.leaf.PublicKey) {
		return errors.New("the key does not belong to the certificate; give the certificate's own private key")
	}
	c, err := newClient(e, tgt.server, tgt.caBundle, key, "")
	if err != nil {
		return err
	}
	return c.Revoke(ctx, tgt.leaf.Raw, key, reason)
}

func samePublic(a, b crypto.PublicKey) bool {
	k, ok := a.(interface{ Equal(crypto.PublicKey) bool })
	return ok && k.Equal(b)
}

// loadLineage reads a lineage's renewal config, saying in one sentence
// when there is no such lineage.
func loadLineage(st *store.Store, name string) (store.Renewal, error) {
	r, err := st.LoadRenewal(name)
	if errors.Is(err, core.ErrNotFound) {
		return r, fmt.Errorf("no certificate named %s; 'mason certificates' lists them", name)
	}
	return r, err
}
