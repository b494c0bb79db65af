package postgres_test

import (
	"testing"

	"github.com/quarry-ca/quarry/internal/ratelimit"
	"github.com/quarry-ca/quarry/internal/ratelimit/ratelimittest"
	"github.com/quarry-ca/quarry/internal/storage/postgres/pgtest"
)

// The rate-limit store suite runs over separate pools on one database, as
// several quarry instances would.
func TestRateLimitStore(t *testing.T) {
	pgtest.ServerDSN(t)
	ratelimittest.Run(t, func(t *testing.T, n int) []ratelimit.Store {
		dsn := pgtest.NewDatabase(t)
		out := make([]ratelimit.Store, n)
		for i := range out {
			out[i] = open(t, dsn)
		}
		return out
	})
}
