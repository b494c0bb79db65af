package config

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"

	"golang.org/x/net/publicsuffix"
)

// RateLimits is the rate-limits: section. The limits and their defaults
// are Let's Encrypt's; see docs/rate-limits.md.
type RateLimits struct {
	// Enabled turns every limit on (at its default unless set under
	// limits) or every limit off. Unset follows the preset: public turns
	// them on; private and dev apply only the limits named under limits.
	Enabled *bool `yaml:"enabled"`
	// Limits changes a limit's count or period, or disables it, by name.
	Limits map[string]RateLimit `yaml:"limits"`
	// Overrides give one subject its own count and period.
	Overrides []RateLimitOverride `yaml:"overrides"`
}

// RateLimit changes one limit. A zero count or period keeps the default.
type RateLimit struct {
	Count    int64    `yaml:"count"`
	Period   Duration `yaml:"period"`
	Disabled bool     `yaml:"disabled"`
}

// RateLimitOverride gives one subject of one limit its own shape. Exactly
// one subject is set, the one the limit counts by: account for
// NewOrdersPerAccount and FailedAuthorizationsPerDomainPerAccount, domain
// (a registered domain) for CertificatesPerDomain, fqdn-set for
// CertificatesPerFQDNSet, cidr for the two NewRegistrations limits.
type RateLimitOverride struct {
	Limit   string   `yaml:"limit"`
	Account int64    `yaml:"account"`
	Domain  string   `yaml:"domain"`
	FQDNSet []string `yaml:"fqdn-set"`
	CIDR    string   `yaml:"cidr"`
	Count   int64    `yaml:"count"`
	// Period is the limit's own period when zero.
	Period Duration `yaml:"period"`
}

// rateLimitSubjects names each limit and the override subject it takes.
// The names are internal/ratelimit's; a server test checks they agree.
var rateLimitSubjects = map[string]string{
	"NewRegistrationsPerIPAddress":            "cidr",
	"NewRegistrationsPerIPv6Range":            "cidr",
	"NewOrdersPerAccount":                     "account",
	"CertificatesPerDomain":                   "domain",
	"CertificatesPerFQDNSet":                  "fqdn-set",
	"FailedAuthorizationsPerDomainPerAccount": "account",
}

// RateLimitNames lists the limits the rate-limits: section knows.
func RateLimitNames() []string {
	out := make([]string, 0, len(rateLimitSubjects))
	for n := range rateLimitSubjects {
		out = append(out, n)
	}
	slices.Sort(out)
	return out
}

// RateLimitsOn says whether the limits apply by default: the explicit
// enabled setting if any, otherwise what the preset implies. When false,
// only limits named under rate-limits.limits (and not disabled) apply.
func (c *Config) RateLimitsOn() bool {
	if c.RateLimits.Enabled != nil {
		return *c.RateLimits.Enabled
	}
	return c.Preset == PresetPublic
}

func (r RateLimits) validate() []error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	if r.Enabled != nil && !*r.Enabled && (len(r.Limits) > 0 || len(r.Overrides) > 0) {
		bad("rate-limits: enabled is false, so limits and overrides would be ignored; remove them or enable rate limits")
	}
	for name, l := range r.Limits {
		if _, ok := rateLimitSubjects[name]; !ok {
			bad("rate-limits.limits: %q is not a limit; the limits are %s", name, strings.Join(RateLimitNames(), ", "))
			continue
		}
		if l.Disabled && (l.Count != 0 || l.Period != 0) {
			bad("rate-limits.limits.%s: a disabled limit takes no count or period", name)
		}
		errs = append(errs, checkShape("rate-limits.limits."+name, l.Count, l.Period, true)...)
	}
	for i, o := range r.Overrides {
		where := fmt.Sprintf("rate-limits.overrides[%d]", i)
		want, ok := rateLimitSubjects[o.Limit]
		if !ok {
			bad("%s.limit: %q is not a limit; the limits are %s", where, o.Limit, strings.Join(RateLimitNames(), ", "))
			continue
		}
		set := map[string]bool{"account": o.Account != 0, "domain": o.Domain != "", "fqdn-set": len(o.FQDNSet) > 0, "cidr": o.CIDR != ""}
		for subject, isSet := range set {
			if isSet != (subject == want) {
				bad("%s: %s overrides take exactly one subject, %s", where, o.Limit, want)
				break
			}
		}
		if o.Account < 0 {
			bad("%s.account: %d is not an account ID", where, o.Account)
		}
		if o.Domain != "" {
			d := strings.ToLower(strings.TrimSuffix(o.Domain, "."))
			// The registered domain is what CertificatesPerDomain counts; an
			// override of a subdomain would never match.
			if reg, err := publicsuffix.EffectiveTLDPlusOne(d); err == nil && reg != d {
				bad("%s.domain: %q is not a registered domain; CertificatesPerDomain counts %q", where, o.Domain, reg)
			}
		}
		if o.CIDR != "" {
			if _, err := netip.ParsePrefix(o.CIDR); err != nil {
				bad("%s.cidr: %q is not an address range like 192.0.2.0/24 or 2001:db8::/32", where, o.CIDR)
			}
		}
		if o.Count == 0 {
			bad("%s.count: an override needs a count", where)
		}
		errs = append(errs, checkShape(where, o.Count, o.Period, true)...)
	}
	return errs
}

// checkShape refuses counts and periods the limiter cannot use; zero means
// "keep the default" where allowed.
func checkShape(where string, count int64, period Duration, zeroOK bool) []error {
	var errs []error
	if count < 0 || count > 1_000_000_000 || (count == 0 && !zeroOK) {
		errs = append(errs, fmt.Errorf("%s.count: %d must be between 1 and 1000000000", where, count))
	}
	p := time.Duration(period)
	if p < 0 || (p > 0 && p < time.Second) || p > 366*24*time.Hour || (p == 0 && !zeroOK) {
		errs = append(errs, fmt.Errorf("%s.period: %s must be between 1s and 366d", where, p))
	}
	return errs
}
