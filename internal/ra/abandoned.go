package ra

import (
	"context"
	"log/slog"
	"time"
)

// ResumeAbandoned is Resume for several instances sharing one database,
// run by the one instance holding the background-jobs lease until ctx
// ends. Every period it lists the work in flight and resumes what was
// already in flight at the previous look: a live instance finishes a
// validation or an issuance well within period (the caller picks it above
// the validation timeout and the shutdown drain), so work seen twice was
// left by an instance that died. The first look after ctx starts only
// records, so a new leader never resumes work it has watched for less
// than period.
func (r *RA) ResumeAbandoned(ctx context.Context, period time.Duration) {
	tick := time.NewTicker(period)
	defer tick.Stop()
	var seenAuthzs, seenOrders map[int64]bool
	for {
		authzIDs, orderIDs, err := r.store.InFlight(ctx)
		if err != nil {
			if ctx.Err() == nil {
				r.log.ErrorContext(ctx, "listing in-flight work", slog.String("error", err.Error()))
			}
		} else {
			staleAuthzs, staleOrders := seenBefore(authzIDs, seenAuthzs), seenBefore(orderIDs, seenOrders)
			if len(staleAuthzs)+len(staleOrders) > 0 {
				v, o, err := r.resume(ctx, staleAuthzs, staleOrders)
				r.log.InfoContext(ctx, "resumed work abandoned by a stopped instance", slog.Int("validations", v), slog.Int("failed_orders", o))
				if err != nil && ctx.Err() == nil {
					r.log.ErrorContext(ctx, "resuming abandoned work", slog.String("error", err.Error()))
				}
			}
			// What was just resumed starts over: it is in flight again
			// under this instance, and needs two fresh looks.
			seenAuthzs, seenOrders = setWithout(authzIDs, staleAuthzs), setWithout(orderIDs, staleOrders)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}

// seenBefore returns the ids that are also in seen.
func seenBefore(ids []int64, seen map[int64]bool) []int64 {
	var out []int64
	for _, id := range ids {
		if seen[id] {
			out = append(out, id)
		}
	}
	return out
}

func setWithout(ids, drop []int64) map[int64]bool {
	out := make(map[int64]bool, len(ids))
	for _, id := range ids {
		out[id] = true
	}
	for _, id := range drop {
		delete(out, id)
	}
	return out
}
