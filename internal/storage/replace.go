package storage

import (
	"context"
	"time"
)

// Replacements records which order replaces which certificate (the
// RFC 9773 "replaces" field), so a certificate is replaced once.
type Replacements interface {
	// ClaimReplacement records that order orderID replaces the certificate
	// with serial. It fails with core.ErrAlreadyReplaced when another order
	// that is processing or valid holds the claim; a claim whose order has
	// since become invalid is taken over. The same order claiming again is
	// not an error. Check and write are one atomic step, so of concurrent
	// claims exactly one wins. An unknown serial or order is
	// core.ErrNotFound.
	ClaimReplacement(ctx context.Context, serial string, orderID int64) error
	// Replaced reports whether an order that is processing or valid holds
	// the claim on the certificate with serial.
	Replaced(ctx context.Context, serial string) (bool, error)
}

// BlockedKeys is the list of public keys that may not be used again,
// by the SHA-256 of their DER SubjectPublicKeyInfo.
type BlockedKeys interface {
	// BlockKey adds a key; blocking one already blocked is not an error and
	// keeps the first record. serial names the certificate whose
	// revocation blocked it.
	BlockKey(ctx context.Context, spkiSHA256 []byte, serial string, at time.Time) error
	// KeyBlocked reports whether a key is blocked.
	KeyBlocked(ctx context.Context, spkiSHA256 []byte) (bool, error)
}
