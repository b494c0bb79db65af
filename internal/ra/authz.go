package ra

import (
	"context"
	"errors"
	"fmt"
	"log/slog"

	"github.com/quarry-ca/quarry/acme"
	"github.com/quarry-ca/quarry/internal/core"
	"github.com/quarry-ca/quarry/internal/va"
)

// GetAuthorization returns one authorization with its challenges.
func (r *RA) GetAuthorization(ctx context.Context, id int64) (*core.Authorization, error) {
	az, err := r.store.GetAuthorization(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("getting authorization: %w", err)
	}
	return az, nil
}

// DeactivateAuthorization deactivates a pending or valid authorization.
func (r *RA) DeactivateAuthorization(ctx context.Context, az *core.Authorization) (*core.Authorization, error) {
	if err := r.store.DeactivateAuthorization(ctx, az.ID); err != nil {
		if errors.Is(err, core.ErrConflict) {
			return nil, core.Errorf(core.ErrMalformed, "only pending or valid authorizations can be deactivated; this one is %s", core.AuthzStatus(az, r.now()))
		}
		return nil, fmt.Errorf("deactivating authorization: %w", err)
	}
	return r.GetAuthorization(ctx, az.ID)
}

// RespondChallenge starts validating a challenge and returns it as it now
// is. Responding to a challenge that is not pending changes nothing.
func (r *RA) RespondChallenge(ctx context.Context, acct *core.Account, az *core.Authorization, ch *core.Challenge) (*core.Challenge, error) {
	if core.AuthzStatus(az, r.now()) != acme.StatusPending || ch.Status != acme.StatusPending {
		return ch, nil
	}
	if err := r.store.StartChallenge(ctx, ch.ID); err != nil {
		if errors.Is(err, core.ErrConflict) {
			return r.reloadChallenge(ctx, az.ID, ch.ID)
		}
		return nil, fmt.Errorf("starting challenge: %w", err)
	}
	done, err := r.validateInBackground(ctx, acct, az, ch)
	if err != nil {
		return nil, err
	}
	return r.awaitOutcome(ctx, done, az, ch)
}

// startValidation validates a challenge already marked processing, in the
// background.
func (r *RA) startValidation(ctx context.Context, acct *core.Account, az *core.Authorization, ch *core.Challenge) error {
	_, err := r.validateInBackground(ctx, acct, az, ch)
	return err
}

// validateInBackground is startValidation; the returned channel closes
// when the outcome is stored.
func (r *RA) validateInBackground(ctx context.Context, acct *core.Account, az *core.Authorization, ch *core.Challenge) (<-chan struct{}, error) {
	req := va.Request{
		Identifier: az.Identifier, Wildcard: az.Wildcard, Challenge: ch.Type,
		Token: ch.Token, KeyAuthorization: ch.Token + "." + acct.KeyID,
	}
	azCopy, chCopy := *az, *ch
	done := make(chan struct{})
	return done, r.background(func() {
		defer close(done)
		vctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), r.cfg.ValidationTimeout)
		defer cancel()
		r.validate(vctx, &azCopy, &chCopy, req)
	})
}

func (r *RA) reloadChallenge(ctx context.Context, authzID, challID int64) (*core.Challenge, error) {
	az, err := r.GetAuthorization(ctx, authzID)
	if err != nil {
		return nil, err
	}
	for _, c := range az.Challenges {
		if c.ID == challID {
			return c, nil
		}
	}
	return nil, core.Errorf(core.ErrNotFound, "no such challenge")
}

// validate runs one validation and, alongside it, the CAA check; a CAA
// refusal after a successful validation makes the challenge invalid.
func (r *RA) validate(ctx context.Context, az *core.Authorization, ch *core.Challenge, req va.Request) {
	caaDone := make(chan error, 1)
	if r.cfg.SkipCAA {
		caaDone <- nil
	} else {
		go func() { caaDone <- r.va.CheckCAA(ctx, r.caaRequest(az, ch.Type)) }()
	}
	records, err := r.va.Validate(ctx, req)
	if caaErr := <-caaDone; err == nil {
		err = caaErr
	}
	now := r.now()
	ch.Records = records
	if err != nil {
		ch.Status, az.Status = acme.StatusInvalid, acme.StatusInvalid
		ch.Error = core.AsError(err)
		ch.Error.Identifier = &az.Identifier
		if ch.Error.Kind == core.ErrServerInternal {
			r.log.ErrorContext(ctx, "validation failed internally", slog.Int64("authz", az.ID), slog.String("error", err.Error()))
		}
	} else {
		ch.Status, az.Status = acme.StatusValid, acme.StatusValid
		ch.Validated = now
		az.Expires = now.Add(r.cfg.ValidAuthzLifetime)
	}
	if err := r.store.FinishChallenge(ctx, az, ch); err != nil {
		r.log.ErrorContext(ctx, "recording validation", slog.Int64("authz", az.ID), slog.String("error", err.Error()))
		return
	}
	if ch.Status == acme.StatusInvalid && ch.Error.Kind != core.ErrServerInternal {
		// A failure that was the server's own does not count against the
		// subscriber.
		if err := r.lim.FailedAuthorization(ctx, az.AccountID, az.Identifier.Value); err != nil {
			r.log.ErrorContext(ctx, "counting failed authorization", slog.Int64("authz", az.ID), slog.String("error", err.Error()))
		}
	}
	r.log.InfoContext(ctx, "validation finished", slog.Int64("authz", az.ID), slog.String("identifier", az.Identifier.Value),
		slog.String("challenge", string(ch.Type)), slog.String("status", string(ch.Status)))
}
