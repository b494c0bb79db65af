// Package ratelimit decides whether an ACME request fits Quarry's rate
// limits: Let's Encrypt's six limits (new registrations per IP address and
// per IPv6 /48, new orders per account, certificates per registered domain
// and per exact set of names, failed authorizations per name and account)
// with per-account, per-domain, per-name-set and per-address-range
// overrides.
//
// Each limit is a GCRA bucket (a burst of Count, refilled evenly over
// Period) whose only state is its theoretical arrival time (TAT). The
// arithmetic here is pure; the TATs live in a Store, which makes a batch of
// spends atomic. MemoryStore serves tests and a single process;
// internal/storage/sqlite implements Store for real deployments, and
// ratelimittest is the suite every Store must pass.
//
// It may import the standard library, acme, internal/core and
// golang.org/x/net/publicsuffix; never storage, wfe or ra.
package ratelimit
