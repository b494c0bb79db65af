package ra

import (
	"context"
	"fmt"
	"log/slog"
	"strconv"
	"sync"
	"time"

	"github.com/quarry-ca/quarry/acme"
	"github.com/quarry-ca/quarry/internal/core"
	"github.com/quarry-ca/quarry/internal/va"
)

const (
	// caaRecheckAfter is how old a validation may be at finalize before CAA
	// is checked again: the Baseline Requirements (§3.2.2.8) let a CA rely
	// on a CAA check for 8 hours.
	caaRecheckAfter = 8 * time.Hour
	// caaParallel bounds concurrent CAA checks for one order.
	caaParallel = 8
)

// accountURL is the URL an account is known by, as CAA accounturi names it.
func (r *RA) accountURL(id int64) string {
	return r.cfg.AccountURLPrefix + strconv.FormatInt(id, 10)
}

func (r *RA) caaRequest(az *core.Authorization, method acme.ChallengeType) va.CAARequest {
	return va.CAARequest{
		Identifier: az.Identifier, Wildcard: az.Wildcard,
		AccountURI: r.accountURL(az.AccountID), Method: method,
	}
}

// validatedBy returns the challenge that made az valid, or nil.
func validatedBy(az *core.Authorization) *core.Challenge {
	for _, ch := range az.Challenges {
		if ch.Status == acme.StatusValid {
			return ch
		}
	}
	return nil
}

// recheckCAA checks CAA again for every authorization validated more than
// caaRecheckAfter before now. Refusals become one error with a subproblem
// per identifier.
func (r *RA) recheckCAA(ctx context.Context, authzs []*core.Authorization, now time.Time) error {
	if r.cfg.SkipCAA {
		return nil
	}
	type check struct {
		az  *core.Authorization
		req va.CAARequest
		err error
	}
	var checks []*check
	for _, az := range authzs {
		ch := validatedBy(az)
		if ch != nil && now.Sub(ch.Validated) <= caaRecheckAfter {
			continue
		}
		var method acme.ChallengeType
		if ch != nil {
			method = ch.Type
		}
		checks = append(checks, &check{az: az, req: r.caaRequest(az, method)})
	}
	sem := make(chan struct{}, caaParallel)
	var wg sync.WaitGroup
	for _, c := range checks {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			c.err = r.va.CheckCAA(ctx, c.req)
		})
	}
	wg.Wait()
	var subs []*core.Error
	for _, c := range checks {
		if c.err == nil {
			continue
		}
		sub := *core.AsError(c.err)
		id := c.az.Identifier
		sub.Identifier = &id
		subs = append(subs, &sub)
		r.log.InfoContext(ctx, "CAA recheck refused issuance", slog.Int64("authz", c.az.ID),
			slog.String("identifier", id.Value), slog.String("kind", string(sub.Kind)))
	}
	return core.Compound(core.ErrCAA, fmt.Sprintf("CAA checks refused issuance for %d identifiers", len(subs)), subs)
}
