package ratelimit

import (
	"crypto/sha256"
	"encoding/hex"
	"net/netip"
	"slices"
	"strings"

	"golang.org/x/net/publicsuffix"

	"github.com/quarry-ca/quarry/acme"
)

// bucketKey is a bucket's key in the Store; the limit's name keeps the
// buckets of different limits apart.
func bucketKey(n Name, subject string) string { return string(n) + ":" + subject }

// RegisteredDomain is the name one label below its public suffix
// ("www.example.co.uk" → "example.co.uk"), the unit CertificatesPerDomain
// counts. A name that is itself a suffix counts as itself.
func RegisteredDomain(name string) string {
	name = strings.ToLower(strings.TrimSuffix(strings.TrimPrefix(name, "*."), "."))
	d, err := publicsuffix.EffectiveTLDPlusOne(name)
	if err != nil {
		return name
	}
	return d
}

// certificateSubjects are the distinct CertificatesPerDomain subjects of an
// order: registered domains, and IP addresses (an IPv6 address by its /64,
// which one subscriber usually holds whole).
func certificateSubjects(ids []acme.Identifier) []string {
	var out []string
	for _, id := range ids {
		s := id.Value
		if id.Type == acme.IdentifierIP {
			if ip, err := netip.ParseAddr(id.Value); err == nil {
				ip = ip.Unmap()
				if ip.Is6() {
					s = netip.PrefixFrom(ip, 64).Masked().String()
				} else {
					s = ip.String()
				}
			}
		} else {
			s = RegisteredDomain(s)
		}
		if !slices.Contains(out, s) {
			out = append(out, s)
		}
	}
	slices.Sort(out)
	return out
}

// fqdnSetKey names an exact set of identifiers, in any order and case, by
// a hash, so the key stays short for an order of a hundred names.
func fqdnSetKey(values []string) string {
	norm := make([]string, 0, len(values))
	for _, v := range values {
		v = strings.ToLower(strings.TrimSuffix(v, "."))
		if !slices.Contains(norm, v) {
			norm = append(norm, v)
		}
	}
	slices.Sort(norm)
	sum := sha256.Sum256([]byte(strings.Join(norm, ",")))
	return hex.EncodeToString(sum[:])
}

func identifierValues(ids []acme.Identifier) []string {
	out := make([]string, len(ids))
	for i, id := range ids {
		out[i] = id.Value
	}
	return out
}

// ipv6Range is the /48 an IPv6 address belongs to, the unit of
// NewRegistrationsPerIPv6Range.
func ipv6Range(ip netip.Addr) netip.Prefix {
	return netip.PrefixFrom(ip, 48).Masked()
}

// authzSubject is the name FailedAuthorizationsPerDomainPerAccount counts:
// a wildcard fails and succeeds as its base name, like its authorization.
func authzSubject(accountID int64, value string) string {
	return formatID(accountID) + ":" + strings.TrimPrefix(strings.ToLower(value), "*.")
}
