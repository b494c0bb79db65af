package ratelimit

import (
	"fmt"
	"net/netip"
	"slices"
	"strings"
	"time"
)

// Name names a limit; the names are Let's Encrypt's, so operators and
// subscribers can look them up.
type Name string

const (
	NewRegistrationsPerIPAddress            Name = "NewRegistrationsPerIPAddress"
	NewRegistrationsPerIPv6Range            Name = "NewRegistrationsPerIPv6Range"
	NewOrdersPerAccount                     Name = "NewOrdersPerAccount"
	CertificatesPerDomain                   Name = "CertificatesPerDomain"
	CertificatesPerFQDNSet                  Name = "CertificatesPerFQDNSet"
	FailedAuthorizationsPerDomainPerAccount Name = "FailedAuthorizationsPerDomainPerAccount"
)

// Names lists every limit in a fixed order.
var names = []Name{
	NewRegistrationsPerIPAddress, NewRegistrationsPerIPv6Range, NewOrdersPerAccount,
	CertificatesPerDomain, CertificatesPerFQDNSet, FailedAuthorizationsPerDomainPerAccount,
}

// Names returns every limit's name.
func Names() []Name { return slices.Clone(names) }

// Defaults returns Let's Encrypt's values for every limit.
func Defaults() map[Name]Limit {
	const day = 24 * time.Hour
	return map[Name]Limit{
		NewRegistrationsPerIPAddress:            {Count: 10, Period: 3 * time.Hour},
		NewRegistrationsPerIPv6Range:            {Count: 500, Period: 3 * time.Hour},
		NewOrdersPerAccount:                     {Count: 300, Period: 3 * time.Hour},
		CertificatesPerDomain:                   {Count: 50, Period: 7 * day},
		CertificatesPerFQDNSet:                  {Count: 5, Period: 7 * day},
		FailedAuthorizationsPerDomainPerAccount: {Count: 5, Period: time.Hour},
	}
}

// OverrideKind says what an override's subject is; each limit takes one.
type OverrideKind string

const (
	ByAccount OverrideKind = "account"  // NewOrdersPerAccount, FailedAuthorizationsPerDomainPerAccount
	ByDomain  OverrideKind = "domain"   // CertificatesPerDomain: a registered domain
	ByFQDNSet OverrideKind = "fqdn-set" // CertificatesPerFQDNSet: the exact set of names
	ByCIDR    OverrideKind = "cidr"     // NewRegistrationsPerIPAddress, NewRegistrationsPerIPv6Range
)

// KindFor is the override subject a limit accepts.
func KindFor(n Name) OverrideKind {
	switch n {
	case NewOrdersPerAccount, FailedAuthorizationsPerDomainPerAccount:
		return ByAccount
	case CertificatesPerDomain:
		return ByDomain
	case CertificatesPerFQDNSet:
		return ByFQDNSet
	}
	return ByCIDR
}

// Override replaces a limit's shape for one subject. Exactly the field that
// KindFor(Limit) names is set.
type Override struct {
	Limit     Name
	AccountID int64
	Domain    string
	FQDNSet   []string
	CIDR      netip.Prefix
	Value     Limit
}

// Config is the limits in force. A limit absent from Limits is off, and
// its overrides are ignored.
type Config struct {
	Limits    map[Name]Limit
	Overrides []Override
}

// check refuses shapes the arithmetic cannot use and overrides whose
// subject does not fit their limit.
func (c Config) check() error {
	for n, l := range c.Limits {
		if !slices.Contains(names, n) {
			return fmt.Errorf("unknown rate limit %q", n)
		}
		if err := l.check(); err != nil {
			return fmt.Errorf("rate limit %s: %w", n, err)
		}
	}
	for i, o := range c.Overrides {
		if !slices.Contains(names, o.Limit) {
			return fmt.Errorf("override %d: unknown rate limit %q", i, o.Limit)
		}
		if err := o.Value.check(); err != nil {
			return fmt.Errorf("override %d (%s): %w", i, o.Limit, err)
		}
		set := map[OverrideKind]bool{ByAccount: o.AccountID != 0, ByDomain: o.Domain != "",
			ByFQDNSet: len(o.FQDNSet) > 0, ByCIDR: o.CIDR.IsValid()}
		want := KindFor(o.Limit)
		for k, isSet := range set {
			if isSet != (k == want) {
				return fmt.Errorf("override %d (%s): give exactly one subject, a %s", i, o.Limit, want)
			}
		}
	}
	return nil
}

func (l Limit) check() error {
	if l.Count < 1 || l.Count > 1_000_000_000 {
		return fmt.Errorf("count %d: must be between 1 and 1000000000", l.Count)
	}
	if l.Period < time.Second || l.Period > 366*24*time.Hour {
		return fmt.Errorf("period %s: must be between 1s and 366d", l.Period)
	}
	return nil
}

func (l Limit) String() string {
	return fmt.Sprintf("%d per %s", l.Count, l.Period)
}

// overrides indexes overrides by limit and subject for lookups.
type overrides struct {
	byKey  map[Name]map[string]Limit // account ID, domain or FQDN set key
	byCIDR map[Name][]Override       // most specific prefix first
}

func indexOverrides(list []Override) overrides {
	ov := overrides{byKey: map[Name]map[string]Limit{}, byCIDR: map[Name][]Override{}}
	for _, o := range list {
		var key string
		switch KindFor(o.Limit) {
		case ByAccount:
			key = fmt.Sprint(o.AccountID)
		case ByDomain:
			key = strings.ToLower(strings.TrimSuffix(o.Domain, "."))
		case ByFQDNSet:
			key = fqdnSetKey(o.FQDNSet)
		case ByCIDR:
			ov.byCIDR[o.Limit] = append(ov.byCIDR[o.Limit], o)
			continue
		}
		if ov.byKey[o.Limit] == nil {
			ov.byKey[o.Limit] = map[string]Limit{}
		}
		ov.byKey[o.Limit][key] = o.Value
	}
	for _, list := range ov.byCIDR {
		slices.SortStableFunc(list, func(a, b Override) int { return b.CIDR.Bits() - a.CIDR.Bits() })
	}
	return ov
}

func (ov overrides) forKey(n Name, key string) (Limit, bool) {
	l, ok := ov.byKey[n][key]
	return l, ok
}

func (ov overrides) forAddr(n Name, ip netip.Addr) (Limit, bool) {
	for _, o := range ov.byCIDR[n] {
		if o.CIDR.Contains(ip) {
			return o.Value, true
		}
	}
	return Limit{}, false
}
