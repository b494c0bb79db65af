package ca

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	zx509 "github.com/zmap/zcrypto/x509"
	"github.com/zmap/zlint/v3"
	"github.com/zmap/zlint/v3/lint"
)

// lintSources are the rule books that govern Quarry's own subscriber
// certificates. Root-store programme lints (Mozilla, Apple, Chrome), ETSI,
// EV, S/MIME, code signing and CT (RFC 6962) lints never apply and only cost.
func lintSources() lint.SourceList {
	return lint.SourceList{
		lint.CABFBaselineRequirements, lint.RFC5280, lint.RFC5480, lint.RFC5891,
		lint.RFC3279, lint.RFC8813, lint.Community,
	}
}

// lintsExcluded are lints about particular other CAs.
func lintsExcluded() []string { return []string{"e_cert_issued_by_compromised_emudhra_ca"} }

// lintsPublicNames check names and URLs against the public DNS and public IP
// ranges; a private deployment (and the API's own TLS certificate) drops them.
func lintsPublicNames() []string {
	return []string{
		"e_dnsname_not_valid_tld",
		"e_ext_san_contains_reserved_ip",
		"e_subject_contains_reserved_ip",
		"e_subject_contains_reserved_arpa_ip",
		"w_sub_cert_aia_contains_internal_names",
	}
}

// linter runs a fixed zlint registry built once at load; building it per
// certificate would cost more than linting.
type linter struct {
	public, private lint.Registry
	allowWarn       map[string]string
}

func newLinter(allowWarn map[string]string) (*linter, error) {
	global := lint.GlobalRegistry()
	for name := range allowWarn {
		if global.CertificateLints().ByName(name) == nil {
			return nil, fmt.Errorf("lint allow-list names unknown lint %q", name)
		}
	}
	public, err := global.Filter(lint.FilterOptions{IncludeSources: lintSources(), ExcludeNames: lintsExcluded()})
	if err != nil {
		return nil, fmt.Errorf("building lint registry: %w", err)
	}
	private, err := global.Filter(lint.FilterOptions{
		IncludeSources: lintSources(), ExcludeNames: slices.Concat(lintsExcluded(), lintsPublicNames()),
	})
	if err != nil {
		return nil, fmt.Errorf("building private-names lint registry: %w", err)
	}
	return &linter{public: public, private: private, allowWarn: allowWarn}, nil
}

// lintFailure is one lint that blocks issuance.
type lintFailure struct {
	name    string
	status  lint.LintStatus
	details string
}

// check lints a DER certificate and returns the lints that block it
// (every Error and Fatal, and every Warn not on the allow-list) and the
// allowed warnings that fired.
func (l *linter) check(der []byte, privateNames bool) (blocking []lintFailure, allowed []string, err error) {
	cert, err := zx509.ParseCertificate(der)
	if err != nil {
		return nil, nil, fmt.Errorf("parsing the lint certificate: %w", err)
	}
	reg := l.public
	if privateNames {
		reg = l.private
	}
	for name, res := range zlint.LintCertificateEx(cert, reg).Results {
		_, ok := l.allowWarn[name]
		switch {
		case res.Status == lint.Warn && ok:
			allowed = append(allowed, name)
		case res.Status == lint.Warn, res.Status == lint.Error, res.Status == lint.Fatal:
			blocking = append(blocking, lintFailure{name: name, status: res.Status, details: res.Details})
		}
	}
	sort.Slice(blocking, func(i, j int) bool { return blocking[i].name < blocking[j].name })
	sort.Strings(allowed)
	return blocking, allowed, nil
}

func lintNames(fs []lintFailure) string {
	names := make([]string, len(fs))
	for i, f := range fs {
		names[i] = f.name
	}
	return strings.Join(names, ",")
}
