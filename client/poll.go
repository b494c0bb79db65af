package client

import (
	"context"
	"fmt"
	"time"
)

const (
	pollStart   = time.Second      // first wait when the server gives no Retry-After
	pollMax     = 10 * time.Second // back-off cap
	pollFloor   = time.Second      // shortest wait even if Retry-After says less
	pollCeiling = 5 * time.Minute  // longest Retry-After honoured while polling
)

// poll calls check until it reports done, waiting between calls for the
// server's Retry-After or else a capped doubling back-off. It stops when ctx
// ends.
func (c *Client) poll(ctx context.Context, check func(context.Context) (retryAfter time.Duration, done bool, err error)) error {
	backoff := pollStart
	for {
		ra, done, err := check(ctx)
		if done || err != nil {
			return err
		}
		wait := backoff
		if ra > 0 {
			wait = min(max(ra, pollFloor), pollCeiling)
		} else {
			backoff = min(backoff*2, pollMax)
		}
		if err := c.sleep(ctx, wait); err != nil {
			return fmt.Errorf("polling: %w", err)
		}
	}
}
