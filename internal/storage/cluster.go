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
	// UseNonce records that the nonce id, valid until expires, has been
	// redeemed, and reports whether this call was the first to do so. It
	// is one atomic statement (INSERT … ON CONFLICT DO NOTHING), so of any
	// number of concurrent calls for one id, across instances, exactly one
	// gets true. The caller has already checked the nonce is authentic and
	// unexpired; issuing a nonce writes nothing.
	UseNonce(ctx context.Context, id []byte, expires time.Time) (bool, error)
	// SweepNonces deletes the records of nonces that expired before before
	// and returns how many.
	SweepNonces(ctx context.Context, before time.Time) (int64, error)

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
