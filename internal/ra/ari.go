package ra

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/quarry-ca/quarry/acme"
	"github.com/quarry-ca/quarry/internal/core"
)

// RenewalWindow is when a certificate's subscriber should renew (RFC 9773).
type RenewalWindow struct {
	Start, End time.Time
}

// RenewalInfo suggests when to renew the certificate a certID names. The
// window ends when a third of the lifetime is left and opens a thirtieth
// of the lifetime earlier (days 57 to 60 of 90), so renewals spread out
// before the point where agents without ARI renew. A revoked certificate
// gets a window that has already passed: renew now.
func (r *RA) RenewalInfo(ctx context.Context, id string) (RenewalWindow, error) {
	cid, err := parseCertID(id)
	if err != nil {
		return RenewalWindow{}, err
	}
	cert, _, err := r.certificateByID(ctx, cid)
	if err != nil {
		return RenewalWindow{}, err
	}
	if cert.Revoked {
		now := r.now()
		return RenewalWindow{Start: now.Add(-2 * time.Hour), End: now.Add(-time.Hour)}, nil
	}
	return renewalWindow(cert.NotBefore, cert.NotAfter), nil
}

func renewalWindow(notBefore, notAfter time.Time) RenewalWindow {
	life := notAfter.Sub(notBefore)
	end := notBefore.Add(life * 2 / 3)
	return RenewalWindow{Start: end.Add(-life / 30), End: end}
}

// checkReplaces enforces RFC 9773 §5 on a newOrder's replaces field: it
// names a certificate of the same account that shares an identifier with
// the order, and no other order has replaced it yet.
func (r *RA) checkReplaces(ctx context.Context, acct *core.Account, ids []acme.Identifier, replaces string) error {
	cid, err := parseCertID(replaces)
	if err != nil {
		return err
	}
	cert, _, err := r.certificateByID(ctx, cid)
	if errors.Is(err, core.ErrNotFound) {
		return core.Errorf(core.ErrMalformed, "replaces names a certificate this server did not issue")
	} else if err != nil {
		return err
	}
	if cert.AccountID != acct.ID {
		return core.Errorf(core.ErrMalformed, "replaces names a certificate of another account")
	}
	shared := slices.ContainsFunc(ids, func(id acme.Identifier) bool { return slices.Contains(cert.Names, id.Value) })
	if !shared {
		return core.Errorf(core.ErrMalformed, "the order shares no identifier with the certificate it replaces")
	}
	replaced, err := r.store.Replaced(ctx, cert.Serial)
	if err != nil {
		return fmt.Errorf("checking replacement: %w", err)
	}
	if replaced {
		return core.Errorf(core.ErrAlreadyReplaced, "certificate %s has already been replaced", cert.Serial)
	}
	return nil
}

// claimReplacement claims the replaced certificate for an order that has
// just moved to processing; of two orders replacing one certificate only
// one gets past here. The loser goes back to pending.
func (r *RA) claimReplacement(ctx context.Context, order *core.Order) error {
	if order.Replaces == "" {
		return nil
	}
	// A stored value that no longer parses (the parser grew stricter)
	// sends the order back to pending like a lost claim, not processing.
	cid, err := parseCertID(order.Replaces)
	if err == nil {
		if err = r.store.ClaimReplacement(ctx, cid.serial, order.ID); err == nil {
			return nil
		}
	}
	if serr := r.store.SetOrderStatus(context.WithoutCancel(ctx), order.ID, acme.StatusProcessing, acme.StatusPending, nil); serr != nil {
		return fmt.Errorf("returning order to pending after %v: %w", err, serr)
	}
	if errors.Is(err, core.ErrAlreadyReplaced) {
		return core.Errorf(core.ErrAlreadyReplaced, "another order has already replaced certificate %s", cid.serial)
	}
	return fmt.Errorf("claiming replacement: %w", err)
}
