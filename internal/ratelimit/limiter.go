package ratelimit

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"slices"
	"strconv"
	"time"

	"github.com/quarry-ca/quarry/acme"
	"github.com/quarry-ca/quarry/internal/core"
)

// Limiter applies the configured limits over a Store. It is safe for
// concurrent use; all of its state is in the Store, so instances sharing a
// store share their limits.
type Limiter struct {
	limits map[Name]Limit
	ov     overrides
	store  Store
	now    func() time.Time
}

// New returns a Limiter. A nil clock is time.Now.
func New(cfg Config, store Store, clock func() time.Time) (*Limiter, error) {
	if store == nil {
		return nil, errors.New("ratelimit: a store is required")
	}
	if err := cfg.check(); err != nil {
		return nil, fmt.Errorf("ratelimit: %w", err)
	}
	if clock == nil {
		clock = time.Now
	}
	limits := make(map[Name]Limit, len(cfg.Limits))
	for n, l := range cfg.Limits {
		limits[n] = l
	}
	return &Limiter{limits: limits, ov: indexOverrides(cfg.Overrides), store: store, now: clock}, nil
}

// mode says what a batch does with one bucket.
type mode int

const (
	modeSpend      mode = iota // spend, or refuse the whole batch
	modeCheck                  // refuse the batch if one more would not fit; spend nothing
	modeBestEffort             // spend if it fits; never refuse
)

// txn is one bucket's part in a batch.
type txn struct {
	name  Name
	key   string
	limit Limit
	cost  int64
	mode  mode
	what  string // for the refusal detail: "too many … for …"
}

// Reservation is what a batch spent, so a caller whose operation then
// fails can give it back. The zero Reservation refunds nothing.
type Reservation struct {
	l    *Limiter
	txns []txn
}

// OrderRequest describes an order for the order and certificate limits.
type OrderRequest struct {
	AccountID   int64
	Identifiers []acme.Identifier
	// Renewal exempts the order from CertificatesPerDomain. Set it only
	// for an order whose ARI replaces field names a certificate the RA has
	// checked belongs to the account. CertificatesPerFQDNSet still applies,
	// as at Let's Encrypt: a client renewing in a loop, each order
	// replacing the certificate the last one issued, must still be stopped.
	Renewal bool
}

// NewAccount spends one new registration for ip from
// NewRegistrationsPerIPAddress and, for IPv6, NewRegistrationsPerIPv6Range.
// An invalid ip spends nothing.
func (l *Limiter) NewAccount(ctx context.Context, ip netip.Addr) (Reservation, error) {
	if !ip.IsValid() {
		return Reservation{}, nil
	}
	ip = ip.Unmap()
	var txns []txn
	if lim, ok := l.forAddr(NewRegistrationsPerIPAddress, ip); ok {
		txns = append(txns, txn{name: NewRegistrationsPerIPAddress, key: bucketKey(NewRegistrationsPerIPAddress, ip.String()),
			limit: lim, cost: 1, what: "too many new accounts from the IP address " + ip.String()})
	}
	if ip.Is6() {
		if lim, ok := l.forAddr(NewRegistrationsPerIPv6Range, ip); ok {
			r := ipv6Range(ip).String()
			txns = append(txns, txn{name: NewRegistrationsPerIPv6Range, key: bucketKey(NewRegistrationsPerIPv6Range, r),
				limit: lim, cost: 1, what: "too many new accounts from the IPv6 range " + r})
		}
	}
	return l.batch(ctx, txns)
}

// NewOrder spends one order from NewOrdersPerAccount and checks, without
// spending, that the certificate limits and
// FailedAuthorizationsPerDomainPerAccount leave room for it.
func (l *Limiter) NewOrder(ctx context.Context, req OrderRequest) (Reservation, error) {
	var txns []txn
	if lim, ok := l.forKey(NewOrdersPerAccount, formatID(req.AccountID)); ok {
		txns = append(txns, txn{name: NewOrdersPerAccount, key: bucketKey(NewOrdersPerAccount, formatID(req.AccountID)),
			limit: lim, cost: 1, what: "too many new orders for this account"})
	}
	txns = append(txns, l.certificateTxns(req, modeCheck)...)
	if lim, ok := l.forKey(FailedAuthorizationsPerDomainPerAccount, formatID(req.AccountID)); ok {
		seen := map[string]bool{}
		for _, id := range req.Identifiers {
			subject := authzSubject(req.AccountID, id.Value)
			if seen[subject] {
				continue
			}
			seen[subject] = true
			txns = append(txns, txn{name: FailedAuthorizationsPerDomainPerAccount,
				key: bucketKey(FailedAuthorizationsPerDomainPerAccount, subject), limit: lim, cost: 1, mode: modeCheck,
				what: "too many failed authorizations for " + id.Value + " on this account"})
		}
	}
	return l.batch(ctx, txns)
}

// Certificate spends one certificate from CertificatesPerDomain (each
// registered domain of the order; not for a renewal) and
// CertificatesPerFQDNSet, all or nothing. Quarry spends at finalization,
// so orders that passed NewOrder's check together cannot overshoot a limit.
func (l *Limiter) Certificate(ctx context.Context, req OrderRequest) (Reservation, error) {
	return l.batch(ctx, l.certificateTxns(req, modeSpend))
}

// certificateTxns are the certificate limits an order meets: a renewal
// skips only CertificatesPerDomain.
func (l *Limiter) certificateTxns(req OrderRequest, m mode) []txn {
	var txns []txn
	var subjects []string
	if !req.Renewal {
		subjects = certificateSubjects(req.Identifiers)
	}
	for _, d := range subjects {
		if lim, ok := l.forKey(CertificatesPerDomain, d); ok {
			txns = append(txns, txn{name: CertificatesPerDomain, key: bucketKey(CertificatesPerDomain, d),
				limit: lim, cost: 1, mode: m, what: "too many certificates for the registered domain " + d})
		}
	}
	set := fqdnSetKey(identifierValues(req.Identifiers))
	if lim, ok := l.forKey(CertificatesPerFQDNSet, set); ok {
		txns = append(txns, txn{name: CertificatesPerFQDNSet, key: bucketKey(CertificatesPerFQDNSet, set),
			limit: lim, cost: 1, mode: m, what: "too many certificates for exactly this set of identifiers"})
	}
	return txns
}

// FailedAuthorization records a failed validation of value by the account.
// It never refuses: the next NewOrder for the name does.
func (l *Limiter) FailedAuthorization(ctx context.Context, accountID int64, value string) error {
	lim, ok := l.forKey(FailedAuthorizationsPerDomainPerAccount, formatID(accountID))
	if !ok {
		return nil
	}
	subject := authzSubject(accountID, value)
	_, err := l.batch(ctx, []txn{{name: FailedAuthorizationsPerDomainPerAccount,
		key: bucketKey(FailedAuthorizationsPerDomainPerAccount, subject), limit: lim, cost: 1, mode: modeBestEffort}})
	return err
}

// Refund gives back what the reservation spent.
func (r Reservation) Refund(ctx context.Context) error {
	if r.l == nil || len(r.txns) == 0 {
		return nil
	}
	now := r.l.now()
	keys := make([]string, 0, len(r.txns))
	for _, t := range r.txns {
		keys = append(keys, t.key)
	}
	slices.Sort(keys)
	err := r.l.store.UpdateRateLimits(ctx, keys, now, func(tats map[string]time.Time) (map[string]time.Time, error) {
		out := make(map[string]time.Time, len(r.txns))
		for _, t := range r.txns {
			out[t.key] = refund(t.limit, tats[t.key], now, t.cost)
		}
		return out, nil
	})
	if err != nil {
		return fmt.Errorf("refunding rate limits: %w", err)
	}
	return nil
}

// batch runs txns as one Store update: every spend fits or none is made.
func (l *Limiter) batch(ctx context.Context, txns []txn) (Reservation, error) {
	if len(txns) == 0 {
		return Reservation{}, nil
	}
	now := l.now()
	keys := make([]string, 0, len(txns))
	for _, t := range txns {
		keys = append(keys, t.key)
	}
	slices.Sort(keys)
	keys = slices.Compact(keys)
	err := l.store.UpdateRateLimits(ctx, keys, now, func(tats map[string]time.Time) (map[string]time.Time, error) {
		out := make(map[string]time.Time, len(txns))
		var worst *txn
		var wait time.Duration
		for i, t := range txns {
			d := spend(t.limit, tats[t.key], now, t.cost)
			switch {
			case d.allowed && t.mode != modeCheck:
				out[t.key] = d.newTAT
			case !d.allowed && t.mode != modeBestEffort && d.retryIn > wait:
				worst, wait = &txns[i], d.retryIn
			}
		}
		if worst != nil {
			return nil, refusal(*worst, now, wait)
		}
		return out, nil
	})
	if err != nil {
		if errors.Is(err, core.ErrRateLimited) {
			return Reservation{}, err
		}
		return Reservation{}, fmt.Errorf("checking rate limits: %w", err)
	}
	var spent []txn
	for _, t := range txns {
		if t.mode == modeSpend {
			spent = append(spent, t)
		}
	}
	return Reservation{l: l, txns: spent}, nil
}

// refusal is the rateLimited error for a bucket that frees up after wait,
// rounded up to a whole second so a client retrying then succeeds.
func refusal(t txn, now time.Time, wait time.Duration) error {
	at := now.Add(wait)
	if r := at.Truncate(time.Second); r.Before(at) {
		at = r.Add(time.Second)
	}
	return &core.Error{
		Kind: core.ErrRateLimited,
		Detail: fmt.Sprintf("%s (%s: %s); retry after %s",
			t.what, t.name, t.limit, at.UTC().Format(time.RFC3339)),
		RetryAfter: at.Sub(now),
	}
}

// forKey is the limit for a subject, override first; false when the limit
// is off.
func (l *Limiter) forKey(n Name, subject string) (Limit, bool) {
	base, on := l.limits[n]
	if !on {
		return Limit{}, false
	}
	if ov, ok := l.ov.forKey(n, subject); ok {
		return ov, true
	}
	return base, true
}

func (l *Limiter) forAddr(n Name, ip netip.Addr) (Limit, bool) {
	base, on := l.limits[n]
	if !on {
		return Limit{}, false
	}
	if ov, ok := l.ov.forAddr(n, ip); ok {
		return ov, true
	}
	return base, true
}

func formatID(id int64) string { return strconv.FormatInt(id, 10) }
