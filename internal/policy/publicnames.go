package policy

import (
	"strings"

	"github.com/quarry-ca/quarry/internal/core"
	"golang.org/x/net/publicsuffix"
)

// checkPublicName applies the publicly trusted rules to a name (the part
// under any wildcard): at least two labels, a delegated ICANN top-level
// domain, not itself a public suffix, not reserved.
func checkPublicName(name string) *core.Error {
	if !strings.Contains(name, ".") {
		return core.Errorf(core.ErrRejectedIdentifier,
			"%q is a single label; a public CA issues only for fully qualified names", name)
	}
	if r, ok := reservedSuffix(name); ok {
		return core.Errorf(core.ErrRejectedIdentifier,
			"%q is under the reserved name %q, which a public CA cannot certify", name, r)
	}
	tld := name[strings.LastIndexByte(name, '.')+1:]
	if !isICANNTLD(tld) {
		return core.Errorf(core.ErrRejectedIdentifier,
			"%q does not end in a top-level domain in the ICANN root", name)
	}
	if isICANNSuffix(name) {
		return core.Errorf(core.ErrRejectedIdentifier,
			"%q is a public suffix; certificates are issued only for names under one", name)
	}
	return nil
}

// reservedSuffix returns the reserved name that name is or is under.
func reservedSuffix(name string) (string, bool) {
	for s := name; ; {
		if isReserved(s) {
			return s, true
		}
		i := strings.IndexByte(s, '.')
		if i < 0 {
			return "", false
		}
		s = s[i+1:]
	}
}

// isReserved lists names no public CA may certify: special-use names
// (RFC 6761, 6762, 7686, 8375, 9476), ICANN's reserved and never-delegated
// names, and the IANA example domains.
func isReserved(s string) bool {
	switch s {
	case "local", "localhost", "test", "example", "invalid", "internal", "lan",
		"home.arpa", "arpa", "onion", "alt", "corp", "home", "mail",
		"example.com", "example.net", "example.org":
		return true
	}
	return false
}

// isICANNTLD says whether tld is a top-level domain in the ICANN section of
// the Public Suffix List. A single label always matches the list's default
// rule, so the TLD is probed with a label in front of it.
func isICANNTLD(tld string) bool {
	s, icann := publicsuffix.PublicSuffix("x." + tld)
	return icann && (s == tld || strings.HasSuffix(s, "."+tld))
}

// isICANNSuffix says whether name is itself an ICANN public suffix ("com",
// "co.uk", "x.ck"). Suffixes in the list's private section (github.io) are
// registrable by their operators and are not refused.
func isICANNSuffix(name string) bool {
	if !strings.Contains(name, ".") {
		return isICANNTLD(name)
	}
	s, icann := publicsuffix.PublicSuffix(name)
	return icann && s == name
}
