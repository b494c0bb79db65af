package ra

import (
	"context"
	"encoding/base64"
	"log/slog"
	"math/big"
	"net/netip"
	"slices"
	"strings"

	"github.com/quarry-ca/quarry/internal/core"
	"github.com/quarry-ca/quarry/internal/ratelimit"
)

// RateLimiter decides whether requests fit the CA's rate limits.
// *ratelimit.Limiter is one; Deps.Limits nil means no limits.
type RateLimiter interface {
	// NewAccount spends a registration for the client's address.
	NewAccount(ctx context.Context, ip netip.Addr) (ratelimit.Reservation, error)
	// NewOrder spends an order and checks the certificate and
	// failed-authorization limits leave room.
	NewOrder(ctx context.Context, req ratelimit.OrderRequest) (ratelimit.Reservation, error)
	// Certificate spends the certificate limits, at finalization.
	Certificate(ctx context.Context, req ratelimit.OrderRequest) (ratelimit.Reservation, error)
	// FailedAuthorization records a failed validation; it never refuses.
	FailedAuthorization(ctx context.Context, accountID int64, value string) error
}

// noLimits admits everything.
type noLimits struct{}

func (noLimits) NewAccount(context.Context, netip.Addr) (ratelimit.Reservation, error) {
	return ratelimit.Reservation{}, nil
}
func (noLimits) NewOrder(context.Context, ratelimit.OrderRequest) (ratelimit.Reservation, error) {
	return ratelimit.Reservation{}, nil
}
func (noLimits) Certificate(context.Context, ratelimit.OrderRequest) (ratelimit.Reservation, error) {
	return ratelimit.Reservation{}, nil
}
func (noLimits) FailedAuthorization(context.Context, int64, string) error { return nil }

// orderLimits describes an order to the limiter.
func (r *RA) orderLimits(ctx context.Context, order *core.Order) ratelimit.OrderRequest {
	return ratelimit.OrderRequest{
		AccountID: order.AccountID, Identifiers: order.Identifiers,
		Renewal: r.isRenewal(ctx, order),
	}
}

// isRenewal is the hook that exempts renewals from the certificate limits:
// an order whose ARI "replaces" field names a certificate of the same
// account sharing at least one identifier with it. Anything else,
// including a replaces value that does not parse, is an ordinary order
// here; refusing a bad replaces value is newOrder's business, not the
// limiter's.
func (r *RA) isRenewal(ctx context.Context, order *core.Order) bool {
	if order.Replaces == "" {
		return false
	}
	serial, ok := ariSerial(order.Replaces)
	if !ok {
		return false
	}
	cert, err := r.store.GetCertificate(ctx, serial)
	if err != nil || cert.AccountID != order.AccountID {
		return false
	}
	for _, id := range order.Identifiers {
		if slices.Contains(cert.Names, id.Value) {
			return true
		}
	}
	return false
}

// ariSerial is the stored (hex) serial named by an ARI certificate ID,
// "base64url(AKI).base64url(serial)".
func ariSerial(certID string) (string, bool) {
	_, s, ok := strings.Cut(certID, ".")
	if !ok {
		return "", false
	}
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) == 0 || len(b) > 20 {
		return "", false
	}
	return new(big.Int).SetBytes(b).Text(16), true
}

// refund gives back a reservation whose operation did not happen. A
// failed refund only costs the client some of its allowance, so it is
// logged, not returned.
func (r *RA) refund(ctx context.Context, res ratelimit.Reservation) {
	if err := res.Refund(context.WithoutCancel(ctx)); err != nil {
		r.log.ErrorContext(ctx, "refunding rate limits", slog.String("error", err.Error()))
	}
}
