package ra

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/quarry-ca/quarry/acme"
	"github.com/quarry-ca/quarry/internal/ca"
	"github.com/quarry-ca/quarry/internal/core"
)

// NewOrder creates an order for an account, reusing the account's valid
// and pending authorizations for the same identifiers.
func (r *RA) NewOrder(ctx context.Context, acct *core.Account, req acme.NewOrderRequest) (*core.Order, []*core.Authorization, error) {
	if req.NotBefore != "" || req.NotAfter != "" {
		return nil, nil, core.Errorf(core.ErrMalformed, "notBefore and notAfter are not supported; omit them and the certificate gets the profile's validity")
	}
	prof, err := r.profile(req.Profile)
	if err != nil {
		return nil, nil, err
	}
	ids := normalize(req.Identifiers)
	if err := checkProfileIdentifiers(prof, ids); err != nil {
		return nil, nil, err
	}
	if err := r.pol.CheckIdentifiers(ids); err != nil {
		return nil, nil, err
	}
	if req.Replaces != "" {
		if err := r.checkReplaces(ctx, acct, ids, req.Replaces); err != nil {
			return nil, nil, err
		}
	}
	now := r.now()
	order := &core.Order{
		AccountID: acct.ID, Status: acme.StatusPending, Expires: now.Add(r.orderLifetime(prof)),
		Identifiers: ids, Profile: prof.Name, Replaces: req.Replaces, CreatedAt: now,
	}
	res, err := r.lim.NewOrder(ctx, r.orderLimits(ctx, order))
	if err != nil {
		return nil, nil, err
	}
	stored := false
	defer func() {
		if !stored {
			r.refund(ctx, res)
		}
	}()
	var all, fresh []*core.Authorization
	for _, id := range ids {
		az, err := r.authzFor(ctx, acct, id, prof)
		if err != nil {
			return nil, nil, err
		}
		if az.ID == 0 {
			fresh = append(fresh, az)
		} else {
			order.AuthzIDs = append(order.AuthzIDs, az.ID)
		}
		all = append(all, az)
	}
	if err := r.store.NewOrder(ctx, order, fresh); err != nil {
		return nil, nil, fmt.Errorf("storing order: %w", err)
	}
	stored = true
	// Present authorizations in the order of the identifiers.
	byID := make(map[int64]*core.Authorization, len(all))
	for _, az := range all {
		byID[az.ID] = az
	}
	authzs := make([]*core.Authorization, 0, len(order.AuthzIDs))
	for _, id := range order.AuthzIDs {
		authzs = append(authzs, byID[id])
	}
	return order, authzs, nil
}

// normalize lower-cases DNS identifiers; the policy refuses anything else
// that is odd about them.
func normalize(ids []acme.Identifier) []acme.Identifier {
	out := make([]acme.Identifier, len(ids))
	for i, id := range ids {
		out[i] = id
		if id.Type == acme.IdentifierDNS {
			out[i].Value = strings.ToLower(id.Value)
		}
	}
	return out
}

// authzFor returns a reusable authorization for id, or a new unsaved one
// (ID 0) with its challenges.
func (r *RA) authzFor(ctx context.Context, acct *core.Account, id acme.Identifier, prof ca.Profile) (*core.Authorization, error) {
	base, wildcard := id, false
	if id.Type == acme.IdentifierDNS && strings.HasPrefix(id.Value, "*.") {
		base.Value, wildcard = id.Value[2:], true
	}
	now := r.now()
	az, err := r.store.FindValidAuthorization(ctx, acct.ID, base, wildcard, r.reusableAfter(prof, now))
	if err == nil {
		return az, nil
	} else if !errors.Is(err, core.ErrNotFound) {
		return nil, fmt.Errorf("finding valid authorization: %w", err)
	}
	az, err = r.store.FindPendingAuthorization(ctx, acct.ID, base, wildcard, now)
	if err == nil {
		return az, nil
	} else if !errors.Is(err, core.ErrNotFound) {
		return nil, fmt.Errorf("finding pending authorization: %w", err)
	}
	az = &core.Authorization{
		AccountID: acct.ID, Identifier: base, Wildcard: wildcard,
		Status: acme.StatusPending, Expires: now.Add(r.cfg.PendingAuthzLifetime),
	}
	for _, typ := range challengeTypes(base, wildcard) {
		tok, err := r.token()
		if err != nil {
			return nil, err
		}
		az.Challenges = append(az.Challenges, &core.Challenge{Type: typ, Status: acme.StatusPending, Token: tok})
	}
	return az, nil
}

// challengeTypes lists the methods that can prove control of an
// identifier: wildcards only by dns-01, IP addresses never by dns-01.
func challengeTypes(id acme.Identifier, wildcard bool) []acme.ChallengeType {
	switch {
	case wildcard:
		return []acme.ChallengeType{acme.ChallengeDNS01}
	case id.Type == acme.IdentifierIP:
		return []acme.ChallengeType{acme.ChallengeHTTP01, acme.ChallengeTLSALPN01}
	}
	return []acme.ChallengeType{acme.ChallengeHTTP01, acme.ChallengeDNS01, acme.ChallengeTLSALPN01}
}

// GetOrder returns an order and its authorizations.
func (r *RA) GetOrder(ctx context.Context, id int64) (*core.Order, []*core.Authorization, error) {
	order, err := r.store.GetOrder(ctx, id)
	if err != nil {
		return nil, nil, fmt.Errorf("getting order: %w", err)
	}
	authzs, err := r.store.GetAuthorizations(ctx, order.AuthzIDs)
	if err != nil {
		return nil, nil, fmt.Errorf("getting order authorizations: %w", err)
	}
	return order, authzs, nil
}

// ListOrders pages through an account's unexpired orders.
func (r *RA) ListOrders(ctx context.Context, acct *core.Account, afterID int64, limit int) ([]int64, error) {
	ids, err := r.store.ListOrders(ctx, acct.ID, r.now(), afterID, limit)
	if err != nil {
		return nil, fmt.Errorf("listing orders: %w", err)
	}
	return ids, nil
}
