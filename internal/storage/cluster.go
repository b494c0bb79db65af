package storage

import (
	"context"
	"time"
)

// ClusterStore is what several quarry serve instances sharing one database
// need beyond Store: nonces any instance can redeem once, leases that elect
// one instance for background jobs, secrets every instance agrees on, and a
// health check. Every backend implements it and passes
// storagetest.RunCluster.
type ClusterStore interface {
	// AddNonce records a nonce id valid until expires.
	AddNonce(ctx context.Context, id []byte, expires time.Time) error
	// RedeemNonce deletes the nonce id and reports whether it existed and
	// had not expired at now. It is one atomic statement (DELETE …
	// RETURNING), so of any number of concurrent calls for one id, across
	// instances, at most one gets true.
	RedeemNonce(ctx context.Context, id []byte, now time.Time) (bool, error)
	// SweepNonces deletes nonces expired at now and returns how many.
	SweepNonces(ctx context.Context, now time.Time) (int64, error)

	// AcquireLease takes the named lease for holder until expires when it
	// is free, expired at now, or already held by holder (a renewal), in
	// one conditional statement; it reports whether holder now holds it.
	AcquireLease(ctx context.Context, name, holder string, now, expires time.Time) (bool, error)
	// ReleaseLease gives the lease up if holder holds it, so another
	// instance takes over at once instead of after expiry.
	ReleaseLease(ctx context.Context, name, holder string) error

	// SharedSecret returns the secret stored under name, storing fresh
	// first if there is none: the first instance to ask decides it for all.
	SharedSecret(ctx context.Context, name string, fresh []byte) ([]byte, error)

	// Ping reports whether the database answers.
	Ping(ctx context.Context) error
}
