package ra

import (
	"context"
	"fmt"
	"log/slog"

	"github.com/quarry-ca/quarry/acme"
	"github.com/quarry-ca/quarry/internal/core"
)

// Resume finishes what a stopped server left in flight, so no client polls
// forever: interrupted validations run again, and interrupted issuances
// fail (the CSR is not kept, so the subscriber orders again).
//
// It assumes this server is the only one: with several instances on one
// database, the leader runs ResumeAbandoned instead.
func (r *RA) Resume(ctx context.Context) (validations, orders int, err error) {
	authzIDs, orderIDs, err := r.store.InFlight(ctx)
	if err != nil {
		return 0, 0, fmt.Errorf("listing in-flight work: %w", err)
	}
	return r.resume(ctx, authzIDs, orderIDs)
}

// resume restarts the processing challenges of authzIDs and fails the
// processing orders of orderIDs.
func (r *RA) resume(ctx context.Context, authzIDs, orderIDs []int64) (validations, orders int, err error) {
	for _, id := range authzIDs {
		az, err := r.store.GetAuthorization(ctx, id)
		if err != nil {
			return validations, orders, fmt.Errorf("loading authorization %d: %w", id, err)
		}
		acct, err := r.store.GetAccount(ctx, az.AccountID)
		if err != nil {
			return validations, orders, fmt.Errorf("loading account %d: %w", az.AccountID, err)
		}
		for _, ch := range az.Challenges {
			if ch.Status != acme.StatusProcessing {
				continue
			}
			if err := r.startValidation(ctx, acct, az, ch); err != nil {
				return validations, orders, err
			}
			validations++
		}
	}
	interrupted := core.Errorf(core.ErrServerInternal, "issuance was interrupted by a server restart; create a new order")
	for _, id := range orderIDs {
		if err := r.store.SetOrderStatus(ctx, id, acme.StatusProcessing, acme.StatusInvalid, interrupted); err != nil {
			return validations, orders, fmt.Errorf("failing interrupted order %d: %w", id, err)
		}
		r.log.WarnContext(ctx, "order failed: issuance was interrupted", slog.Int64("order", id))
		orders++
	}
	return validations, orders, nil
}
