package ratelimit_test

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/quarry-ca/quarry/acme"
	"github.com/quarry-ca/quarry/internal/core"
	"github.com/quarry-ca/quarry/internal/ratelimit"
	"github.com/quarry-ca/quarry/internal/ratelimit/ratelimittest"
)

func TestMemoryStoreSuite(t *testing.T) {
	ratelimittest.Run(t, func(t *testing.T, n int) []ratelimit.Store {
		s := ratelimit.NewMemoryStore()
		out := make([]ratelimit.Store, n)
		for i := range out {
			out[i] = s
		}
		return out
	})
}

// clock is an injected clock tests move by hand.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func newClock() *clock { return &clock{t: time.Date(2026, 12, 7, 3, 0, 0, 0, time.UTC)} }

func (c *clock) now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

func newLimiter(t *testing.T, cfg ratelimit.Config, c *clock) *ratelimit.Limiter {
	t.Helper()
	l, err := ratelimit.New(cfg, ratelimit.NewMemoryStore(), c.now)
	if err != nil {
		t.Fatalf("new limiter: %v", err)
	}
	return l
}

func dns(values ...string) []acme.Identifier {
	out := make([]acme.Identifier, len(values))
	for i, v := range values {
		out[i] = acme.Identifier{Type: acme.IdentifierDNS, Value: v}
	}
	return out
}

// only enables one limit with its default shape.
func only(n ratelimit.Name) ratelimit.Config {
	return ratelimit.Config{Limits: map[ratelimit.Name]ratelimit.Limit{n: ratelimit.Defaults()[n]}}
}

// TestEachLimitEdge spends each default limit up to its edge under an
// injected clock: Count fit, the next is refused with the right detail and
// Retry-After, and one interval later one more fits.
func TestEachLimitEdge(t *testing.T) {
	ctx := context.Background()
	tests := []struct {
		name      ratelimit.Name
		spend     func(l *ratelimit.Limiter, i int64) error // the i-th request that counts
		probe     func(l *ratelimit.Limiter) error          // refused once the limit is reached
		wantRetry time.Duration
		wantWhat  string
	}{
		{
			name: ratelimit.NewRegistrationsPerIPAddress,
			spend: func(l *ratelimit.Limiter, _ int64) error {
				_, err := l.NewAccount(ctx, netip.MustParseAddr("192.0.2.1"))
				return err
			},
			wantRetry: 18 * time.Minute, wantWhat: "too many new accounts from the IP address 192.0.2.1",
		},
		{
			name: ratelimit.NewRegistrationsPerIPv6Range,
			spend: func(l *ratelimit.Limiter, i int64) error {
				_, err := l.NewAccount(ctx, netip.MustParseAddr(fmt.Sprintf("2001:db8:7:%x::1", i)))
				return err
			},
			wantRetry: 22 * time.Second, // 21.6 s, rounded up
			wantWhat:  "too many new accounts from the IPv6 range 2001:db8:7::/48",
		},
		{
			name: ratelimit.NewOrdersPerAccount,
			spend: func(l *ratelimit.Limiter, _ int64) error {
				_, err := l.NewOrder(ctx, ratelimit.OrderRequest{AccountID: 1, Identifiers: dns("a.example.com")})
				return err
			},
			wantRetry: 36 * time.Second, wantWhat: "too many new orders for this account",
		},
		{
			name: ratelimit.CertificatesPerDomain,
			spend: func(l *ratelimit.Limiter, i int64) error {
				_, err := l.Certificate(ctx, ratelimit.OrderRequest{AccountID: 1, Identifiers: dns(fmt.Sprintf("h%d.example.com", i))})
				return err
			},
			wantRetry: 7 * 24 * time.Hour / 50, wantWhat: "too many certificates for the registered domain example.com",
		},
		{
			name: ratelimit.CertificatesPerFQDNSet,
			spend: func(l *ratelimit.Limiter, _ int64) error {
				_, err := l.Certificate(ctx, ratelimit.OrderRequest{AccountID: 1, Identifiers: dns("a.example.com", "b.example.com")})
				return err
			},
			wantRetry: 7 * 24 * time.Hour / 5, wantWhat: "too many certificates for exactly this set of identifiers",
		},
		{
			name:  ratelimit.FailedAuthorizationsPerDomainPerAccount,
			spend: func(l *ratelimit.Limiter, _ int64) error { return l.FailedAuthorization(ctx, 1, "a.example.com") },
			probe: func(l *ratelimit.Limiter) error {
				_, err := l.NewOrder(ctx, ratelimit.OrderRequest{AccountID: 1, Identifiers: dns("a.example.com")})
				return err
			},
			wantRetry: 12 * time.Minute, wantWhat: "too many failed authorizations for a.example.com on this account",
		},
	}
	for _, tt := range tests {
		t.Run(string(tt.name), func(t *testing.T) {
			c := newClock()
			l := newLimiter(t, only(tt.name), c)
			def := ratelimit.Defaults()[tt.name]
			probe := tt.probe
			if probe == nil {
				probe = func(l *ratelimit.Limiter) error { return tt.spend(l, def.Count+1000) }
			}
			for i := range def.Count {
				if err := tt.spend(l, i); err != nil {
					t.Fatalf("request %d of %d: got %v, want allowed", i+1, def.Count, err)
				}
			}
			err := probe(l)
			var ce *core.Error
			if !errors.As(err, &ce) || ce.Kind != core.ErrRateLimited {
				t.Fatalf("request %d: got %v, want rateLimited", def.Count+1, err)
			}
			if ce.RetryAfter != tt.wantRetry {
				t.Errorf("retry after: got %v, want %v", ce.RetryAfter, tt.wantRetry)
			}
			wantDetail := fmt.Sprintf("%s (%s: %s); retry after %s", tt.wantWhat, tt.name, def,
				c.now().Add(tt.wantRetry).Format(time.RFC3339))
			if ce.Detail != wantDetail {
				t.Errorf("detail:\ngot  %q\nwant %q", ce.Detail, wantDetail)
			}
			// A second before it frees, still refused; at Retry-After, allowed.
			c.advance(tt.wantRetry - time.Second)
			if err := probe(l); !errors.Is(err, core.ErrRateLimited) {
				t.Fatalf("a second before retry-after: got %v, want rateLimited", err)
			}
			c.advance(time.Second)
			if err := probe(l); err != nil {
				t.Fatalf("at retry-after: got %v, want allowed", err)
			}
		})
	}
}

// After a whole period without requests the whole burst is available again.
func TestRefillsAfterPeriod(t *testing.T) {
	ctx := context.Background()
	c := newClock()
	cfg := ratelimit.Config{Limits: map[ratelimit.Name]ratelimit.Limit{ratelimit.NewOrdersPerAccount: {Count: 3, Period: time.Hour}}}
	l := newLimiter(t, cfg, c)
	order := func() error {
		_, err := l.NewOrder(ctx, ratelimit.OrderRequest{AccountID: 9, Identifiers: dns("x.example.com")})
		return err
	}
	for round := range 2 {
		for i := range 3 {
			if err := order(); err != nil {
				t.Fatalf("round %d order %d: got %v, want allowed", round, i+1, err)
			}
		}
		if err := order(); !errors.Is(err, core.ErrRateLimited) {
			t.Fatalf("round %d order 4: got %v, want rateLimited", round, err)
		}
		c.advance(time.Hour)
	}
}

func TestOverrides(t *testing.T) {
	ctx := context.Background()
	lim := func(n int64) ratelimit.Limit { return ratelimit.Limit{Count: n, Period: time.Hour} }
	cfg := ratelimit.Config{
		Limits: map[ratelimit.Name]ratelimit.Limit{
			ratelimit.NewOrdersPerAccount:          lim(3),
			ratelimit.CertificatesPerDomain:        lim(3),
			ratelimit.CertificatesPerFQDNSet:       lim(3),
			ratelimit.NewRegistrationsPerIPAddress: lim(3),
		},
		Overrides: []ratelimit.Override{
			{Limit: ratelimit.NewOrdersPerAccount, AccountID: 1, Value: lim(5)},
			{Limit: ratelimit.CertificatesPerDomain, Domain: "big.example", Value: lim(6)},
			{Limit: ratelimit.CertificatesPerFQDNSet, FQDNSet: []string{"b.set.example", "a.set.example"}, Value: lim(1)},
			{Limit: ratelimit.NewRegistrationsPerIPAddress, CIDR: netip.MustParsePrefix("10.0.0.0/8"), Value: lim(2)},
			{Limit: ratelimit.NewRegistrationsPerIPAddress, CIDR: netip.MustParsePrefix("10.1.0.0/16"), Value: lim(4)},
		},
	}
	tests := []struct {
		name string
		do   func(l *ratelimit.Limiter, i int) error
		want int
	}{
		{"account with override", func(l *ratelimit.Limiter, _ int) error {
			_, err := l.NewOrder(ctx, ratelimit.OrderRequest{AccountID: 1})
			return err
		}, 5},
		{"account without override", func(l *ratelimit.Limiter, _ int) error {
			_, err := l.NewOrder(ctx, ratelimit.OrderRequest{AccountID: 2})
			return err
		}, 3},
		{"registered domain with override", func(l *ratelimit.Limiter, i int) error {
			_, err := l.Certificate(ctx, ratelimit.OrderRequest{Identifiers: dns(fmt.Sprintf("h%d.big.example", i))})
			return err
		}, 6},
		{"other registered domain", func(l *ratelimit.Limiter, i int) error {
			_, err := l.Certificate(ctx, ratelimit.OrderRequest{Identifiers: dns(fmt.Sprintf("h%d.small.example", i))})
			return err
		}, 3},
		{"FQDN set with override, any order", func(l *ratelimit.Limiter, _ int) error {
			_, err := l.Certificate(ctx, ratelimit.OrderRequest{Identifiers: dns("a.set.example", "b.set.example")})
			return err
		}, 1},
		{"most specific CIDR wins", func(l *ratelimit.Limiter, _ int) error {
			_, err := l.NewAccount(ctx, netip.MustParseAddr("10.1.2.3"))
			return err
		}, 4},
		{"wider CIDR", func(l *ratelimit.Limiter, _ int) error {
			_, err := l.NewAccount(ctx, netip.MustParseAddr("10.9.2.3"))
			return err
		}, 2},
		{"IPv4-mapped IPv6 address matches an IPv4 CIDR", func(l *ratelimit.Limiter, _ int) error {
			_, err := l.NewAccount(ctx, netip.MustParseAddr("::ffff:10.9.2.4"))
			return err
		}, 2},
		{"address outside every CIDR", func(l *ratelimit.Limiter, _ int) error {
			_, err := l.NewAccount(ctx, netip.MustParseAddr("192.0.2.1"))
			return err
		}, 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			l := newLimiter(t, cfg, newClock())
			got := 0
			for i := range tt.want + 5 {
				err := tt.do(l, i)
				if err == nil {
					got++
					continue
				}
				if !errors.Is(err, core.ErrRateLimited) {
					t.Fatalf("request %d: got %v, want nil or rateLimited", i+1, err)
				}
			}
			if got != tt.want {
				t.Fatalf("got %d admitted, want %d", got, tt.want)
			}
		})
	}
}

// Renewals (ARI replaces) skip CertificatesPerDomain but still count as
// new orders and, as at Let's Encrypt, meet CertificatesPerFQDNSet, so a
// client renewing one set in a loop is stopped.
func TestRenewalExempt(t *testing.T) {
	ctx := context.Background()
	cfg := ratelimit.Config{Limits: map[ratelimit.Name]ratelimit.Limit{
		ratelimit.CertificatesPerDomain:  {Count: 1, Period: time.Hour},
		ratelimit.CertificatesPerFQDNSet: {Count: 2, Period: time.Hour},
		ratelimit.NewOrdersPerAccount:    {Count: 3, Period: time.Hour},
	}}
	l := newLimiter(t, cfg, newClock())
	first := ratelimit.OrderRequest{AccountID: 1, Identifiers: dns("www.example.com")}
	if _, err := l.NewOrder(ctx, first); err != nil {
		t.Fatalf("first order: %v", err)
	}
	if _, err := l.Certificate(ctx, first); err != nil {
		t.Fatalf("first certificate: %v", err)
	}
	if _, err := l.NewOrder(ctx, first); !errors.Is(err, core.ErrRateLimited) || !strings.Contains(err.Error(), "CertificatesPerDomain") {
		t.Fatalf("second order, not a renewal: got %v, want CertificatesPerDomain refusal", err)
	}
	renewal := first
	renewal.Renewal = true
	if _, err := l.NewOrder(ctx, renewal); err != nil {
		t.Fatalf("renewal order: got %v, want allowed", err)
	}
	if _, err := l.Certificate(ctx, renewal); err != nil {
		t.Fatalf("renewal certificate: got %v, want allowed", err)
	}
	// Two certificates for the set: a renewal of it is refused too.
	if _, err := l.NewOrder(ctx, renewal); !errors.Is(err, core.ErrRateLimited) || !strings.Contains(err.Error(), "CertificatesPerFQDNSet") {
		t.Fatalf("renewal of a set at its limit: got %v, want CertificatesPerFQDNSet refusal", err)
	}
	if _, err := l.Certificate(ctx, renewal); !errors.Is(err, core.ErrRateLimited) || !strings.Contains(err.Error(), "CertificatesPerFQDNSet") {
		t.Fatalf("renewal certificate of a set at its limit: got %v, want CertificatesPerFQDNSet refusal", err)
	}
	// A renewal that adds a name is another set; the renewal still spent
	// new orders: the third is the last.
	other := renewal
	other.Identifiers = dns("www.example.com", "api.example.com")
	if _, err := l.NewOrder(ctx, other); err != nil {
		t.Fatalf("renewal order for another set: got %v, want allowed", err)
	}
	if _, err := l.NewOrder(ctx, other); !errors.Is(err, core.ErrRateLimited) || !strings.Contains(err.Error(), "NewOrdersPerAccount") {
		t.Fatalf("fourth order: got %v, want NewOrdersPerAccount refusal", err)
	}
}

// A refused batch spends nothing, and a refund gives a spend back.
func TestAllOrNothingAndRefund(t *testing.T) {
	ctx := context.Background()
	cfg := ratelimit.Config{Limits: map[ratelimit.Name]ratelimit.Limit{
		ratelimit.CertificatesPerDomain: {Count: 1, Period: time.Hour},
	}}
	l := newLimiter(t, cfg, newClock())
	if _, err := l.Certificate(ctx, ratelimit.OrderRequest{Identifiers: dns("a.full.example")}); err != nil {
		t.Fatal(err)
	}
	both := ratelimit.OrderRequest{Identifiers: dns("a.free.example", "b.full.example")}
	if _, err := l.Certificate(ctx, both); !errors.Is(err, core.ErrRateLimited) || !strings.Contains(err.Error(), "full.example") {
		t.Fatalf("order touching a full domain: got %v, want refusal naming full.example", err)
	}
	res, err := l.Certificate(ctx, ratelimit.OrderRequest{Identifiers: dns("c.free.example")})
	if err != nil {
		t.Fatalf("free.example after a refused batch: got %v, want allowed (nothing spent)", err)
	}
	if _, err := l.Certificate(ctx, ratelimit.OrderRequest{Identifiers: dns("d.free.example")}); !errors.Is(err, core.ErrRateLimited) {
		t.Fatalf("free.example spent: got %v, want rateLimited", err)
	}
	if err := res.Refund(ctx); err != nil {
		t.Fatalf("refund: %v", err)
	}
	if _, err := l.Certificate(ctx, ratelimit.OrderRequest{Identifiers: dns("d.free.example")}); err != nil {
		t.Fatalf("after refund: got %v, want allowed", err)
	}
	if err := (ratelimit.Reservation{}).Refund(ctx); err != nil {
		t.Fatalf("refunding the zero reservation: %v", err)
	}
}

// Limits that are not configured are off.
func TestDisabledLimitsAdmitEverything(t *testing.T) {
	ctx := context.Background()
	l := newLimiter(t, ratelimit.Config{}, newClock())
	for i := range 100 {
		if _, err := l.NewAccount(ctx, netip.MustParseAddr("192.0.2.1")); err != nil {
			t.Fatalf("account %d: %v", i, err)
		}
		req := ratelimit.OrderRequest{AccountID: 1, Identifiers: dns("a.example.com")}
		if _, err := l.NewOrder(ctx, req); err != nil {
			t.Fatalf("order %d: %v", i, err)
		}
		if _, err := l.Certificate(ctx, req); err != nil {
			t.Fatalf("certificate %d: %v", i, err)
		}
	}
}

func TestConfigRefused(t *testing.T) {
	ok := ratelimit.Limit{Count: 1, Period: time.Hour}
	tests := []struct {
		name string
		cfg  ratelimit.Config
	}{
		{"unknown limit", ratelimit.Config{Limits: map[ratelimit.Name]ratelimit.Limit{"Nope": ok}}},
		{"zero count", ratelimit.Config{Limits: map[ratelimit.Name]ratelimit.Limit{ratelimit.NewOrdersPerAccount: {Period: time.Hour}}}},
		{"tiny period", ratelimit.Config{Limits: map[ratelimit.Name]ratelimit.Limit{ratelimit.NewOrdersPerAccount: {Count: 1, Period: time.Millisecond}}}},
		{"override without subject", ratelimit.Config{Overrides: []ratelimit.Override{{Limit: ratelimit.NewOrdersPerAccount, Value: ok}}}},
		{"override with the wrong subject", ratelimit.Config{Overrides: []ratelimit.Override{{Limit: ratelimit.NewOrdersPerAccount, Domain: "example.com", Value: ok}}}},
		{"override with two subjects", ratelimit.Config{Overrides: []ratelimit.Override{{Limit: ratelimit.CertificatesPerDomain, Domain: "example.com", AccountID: 3, Value: ok}}}},
		{"override of an unknown limit", ratelimit.Config{Overrides: []ratelimit.Override{{Limit: "Nope", AccountID: 3, Value: ok}}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := ratelimit.New(tt.cfg, ratelimit.NewMemoryStore(), nil); err == nil {
				t.Fatal("got nil error, want the configuration refused")
			}
		})
	}
}

func TestRegisteredDomain(t *testing.T) {
	tests := []struct{ in, want string }{
		{"www.example.com", "example.com"},
		{"a.b.example.co.uk", "example.co.uk"},
		{"*.example.org", "example.org"},
		{"Example.COM.", "example.com"},
		{"co.uk", "co.uk"},
		{"user.github.io", "user.github.io"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			if got := ratelimit.RegisteredDomain(tt.in); got != tt.want {
				t.Fatalf("got %q, want %q", got, tt.want)
			}
		})
	}
}

// The memory store forgets buckets whose time has passed, so its size
// follows the buckets in use.
func TestMemoryStoreSweeps(t *testing.T) {
	ctx := context.Background()
	c := newClock()
	store := ratelimit.NewMemoryStore()
	l, err := ratelimit.New(only(ratelimit.NewRegistrationsPerIPAddress), store, c.now)
	if err != nil {
		t.Fatal(err)
	}
	for i := range 2000 {
		if _, err := l.NewAccount(ctx, netip.AddrFrom4([4]byte{10, 0, byte(i >> 8), byte(i)})); err != nil {
			t.Fatal(err)
		}
	}
	if got := store.Len(); got != 2000 {
		t.Fatalf("after 2000 addresses: got %d buckets, want 2000", got)
	}
	c.advance(time.Hour) // one registration refills in 18 minutes
	for range 1024 {
		if _, err := l.NewAccount(ctx, netip.MustParseAddr("192.0.2.1")); err != nil && !errors.Is(err, core.ErrRateLimited) {
			t.Fatal(err)
		}
	}
	if got := store.Len(); got != 1 {
		t.Fatalf("an hour later: got %d buckets, want only 192.0.2.1's", got)
	}
}
