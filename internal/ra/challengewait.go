package ra

import (
	"context"
	"time"

	"github.com/quarry-ca/quarry/acme"
	"github.com/quarry-ca/quarry/internal/core"
)

// DefaultChallengeWait is how long a challenge response waits for the
// validation it started. Most validations take milliseconds; answering
// with the outcome saves the client a poll, and clients wait at least a
// second between polls, so without it every issuance took over a second.
const DefaultChallengeWait = 2 * time.Second

// awaitOutcome waits, at most r.cfg.ChallengeWait, for the validation that
// done tracks and returns the challenge as stored then. RFC 8555 §7.5.1
// lets the response to a challenge POST carry the challenge's current
// state, so a client sees valid (or invalid, with its error) at once. A
// validation still running when the wait ends is reported as processing;
// the client then polls as before.
func (r *RA) awaitOutcome(ctx context.Context, done <-chan struct{}, az *core.Authorization, ch *core.Challenge) (*core.Challenge, error) {
	processing := *ch
	processing.Status = acme.StatusProcessing
	if r.cfg.ChallengeWait < 0 {
		return &processing, nil
	}
	t := time.NewTimer(r.cfg.ChallengeWait)
	defer t.Stop()
	select {
	case <-done:
		return r.reloadChallenge(ctx, az.ID, ch.ID)
	case <-t.C:
	case <-ctx.Done():
	}
	return &processing, nil
}
