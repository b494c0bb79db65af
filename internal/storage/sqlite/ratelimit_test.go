package sqlite_test

import (
	"path/filepath"
	"testing"

	"github.com/quarry-ca/quarry/internal/ratelimit"
	"github.com/quarry-ca/quarry/internal/ratelimit/ratelimittest"
)

// The rate-limit store suite runs over separate Store handles on one file,
// as two quarry processes sharing a database would.
func TestRateLimitStore(t *testing.T) {
	ratelimittest.Run(t, func(t *testing.T, n int) []ratelimit.Store {
		path := filepath.Join(t.TempDir(), "quarry.db")
		out := make([]ratelimit.Store, n)
		for i := range out {
			out[i] = open(t, path)
		}
		return out
	})
}
