package ra

import (
	"context"
	"crypto"
	"crypto/sha256"
	"crypto/x509"
	"fmt"
	"log/slog"

	"github.com/quarry-ca/quarry/internal/core"
)

// reasonKeyCompromise is RFC 5280's keyCompromise revocation reason.
const reasonKeyCompromise = 1

// spkiHash is the SHA-256 of a key's DER SubjectPublicKeyInfo, the key's
// name on the block list.
func spkiHash(pub crypto.PublicKey) ([]byte, error) {
	der, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		return nil, core.Errorf(core.ErrBadPublicKey, "the key could not be encoded")
	}
	h := sha256.Sum256(der)
	return h[:], nil
}

// checkNotBlocked refuses a key whose certificate was revoked for key
// compromise: whoever else holds it could use it.
func (r *RA) checkNotBlocked(ctx context.Context, pub crypto.PublicKey) error {
	h, err := spkiHash(pub)
	if err != nil {
		return err
	}
	blocked, err := r.store.KeyBlocked(ctx, h)
	if err != nil {
		return fmt.Errorf("checking blocked keys: %w", err)
	}
	if blocked {
		return core.Errorf(core.ErrBadPublicKey, "this key is blocked: a certificate for it was revoked because the key was compromised; use a new key")
	}
	return nil
}

// blockKey puts a compromised certificate key on the block list.
func (r *RA) blockKey(ctx context.Context, pub crypto.PublicKey, serial string) error {
	h, err := spkiHash(pub)
	if err != nil {
		return err
	}
	if err := r.store.BlockKey(ctx, h, serial, r.now()); err != nil {
		return fmt.Errorf("blocking key: %w", err)
	}
	r.log.LogAttrs(ctx, slogAudit, "key blocked", slog.String("serial", serial), slog.String("spki_sha256", fmt.Sprintf("%x", h)))
	return nil
}
