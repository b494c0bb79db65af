package storage

import (
	"context"
	"time"
)

// Revocations lets a CRL generator learn of revocations made outside its
// process: by `quarry admin`, or by another instance sharing the database.
type Revocations interface {
	// RevokedSince calls fn for every certificate whose revocation time is
	// after since, whatever its expiry, in no particular order; an error
	// from fn stops the walk and is returned.
	RevokedSince(ctx context.Context, since time.Time,
		fn func(issuerID string, shard int, serial string, revokedAt time.Time) error) error
}
