//go:build cgo

package ca

import (
	"crypto"
	"errors"
	"fmt"
	"strings"

	"github.com/ThalesGroup/crypto11"
	"github.com/miekg/pkcs11"
)

// token is an open, logged-in PKCS#11 token. Its signers are safe for
// concurrent use: crypto11 draws a session from a pool for each operation.
type token struct {
	ctx   *crypto11.Context
	label string
}

// configureToken loads the module and logs in with pin.
func configureToken(cfg PKCS11Config, pin string) (*token, error) {
	ctx, err := crypto11.Configure(&crypto11.Config{Path: cfg.Module, TokenLabel: cfg.TokenLabel, Pin: pin})
	if err != nil {
		return nil, tokenOpenError(cfg, err)
	}
	return &token{ctx: ctx, label: cfg.TokenLabel}, nil
}

func tokenOpenError(cfg PKCS11Config, err error) error {
	var p11 pkcs11.Error
	switch {
	case strings.Contains(err.Error(), "could not find PKCS#11 token"):
		return fmt.Errorf("no PKCS#11 token labelled %q in %s; initialize it (softhsm2-util --init-token …) or fix ca.pkcs11.token-label", cfg.TokenLabel, cfg.Module)
	case errors.As(err, &p11) && (p11 == pkcs11.CKR_PIN_INCORRECT || p11 == pkcs11.CKR_PIN_LEN_RANGE):
		return fmt.Errorf("token %q refused the PIN in %s; write the token's user PIN into that file", cfg.TokenLabel, cfg.PINFile)
	case errors.As(err, &p11) && p11 == pkcs11.CKR_PIN_LOCKED:
		return fmt.Errorf("token %q has locked its user PIN after too many wrong tries; unlock it with the security officer PIN", cfg.TokenLabel)
	}
	return fmt.Errorf("opening PKCS#11 token %q in %s: %w", cfg.TokenLabel, cfg.Module, err)
}

// Close logs out and unloads the module once no other CA uses it.
func (t *token) Close() error { return t.ctx.Close() }

// find returns the key pair labelled for id, or nil when the token has
// none. A key of another type or size than spec is an error, so a key
// swapped for a weaker one is caught at start.
func (t *token) find(id string, spec keySpec) (crypto.Signer, error) {
	label := []byte(tokenKeyLabel(id))
	keys, err := t.ctx.FindKeyPairs(nil, label)
	if err != nil {
		return nil, fmt.Errorf("looking up key %s in token %q: %w", label, t.label, err)
	}
	switch len(keys) {
	case 0:
		return nil, nil
	case 1:
	default:
		return nil, fmt.Errorf("token %q holds %d keys labelled %s; delete all but the one its certificate names", t.label, len(keys), label)
	}
	got, err := specOf(keys[0].Public())
	if err != nil {
		return nil, fmt.Errorf("key %s in token %q: %w", label, t.label, err)
	}
	if got != spec {
		return nil, fmt.Errorf("key %s in token %q is %s-%d, want %s-%d", label, t.label, got.typ, got.bits, spec.typ, spec.bits)
	}
	return keys[0], nil
}

// generate makes a key pair inside the token: sensitive, never
// extractable, and able only to sign, whatever the library's defaults.
func (t *token) generate(id string, spec keySpec) (crypto.Signer, error) {
	label := []byte(tokenKeyLabel(id))
	pub, err := crypto11.NewAttributeSetWithIDAndLabel(label, label)
	if err != nil {
		return nil, err
	}
	priv := pub.Copy()
	for _, a := range []struct {
		set crypto11.AttributeSet
		typ crypto11.AttributeType
		val bool
	}{
		{priv, crypto11.CkaSensitive, true},
		{priv, crypto11.CkaExtractable, false},
		{priv, crypto11.CkaSign, true},
		{priv, crypto11.CkaDecrypt, false},
		{pub, crypto11.CkaEncrypt, false},
	} {
		if err := a.set.Set(a.typ, a.val); err != nil {
			return nil, err
		}
	}
	var key crypto.Signer
	switch spec.typ {
	case KeyECDSA:
		curve, cerr := curveFor(spec.bits)
		if cerr != nil {
			return nil, cerr
		}
		key, err = t.ctx.GenerateECDSAKeyPairWithAttributes(pub, priv, curve)
	case KeyRSA:
		key, err = t.ctx.GenerateRSAKeyPairWithAttributes(pub, priv, spec.bits)
	default:
		return nil, fmt.Errorf("unknown key type %q", spec.typ)
	}
	if err != nil {
		return nil, fmt.Errorf("generating key %s in token %q: %w", label, t.label, err)
	}
	return key, nil
}

// holds reports whether the token has any key pair labelled label.
func (t *token) holds(label string) (bool, error) {
	keys, err := t.ctx.FindKeyPairs(nil, []byte(label))
	return len(keys) > 0, err
}
