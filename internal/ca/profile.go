package ca

import (
	"crypto/x509"
	"fmt"
	"maps"
	"slices"
	"time"

	"github.com/quarry-ca/quarry/internal/core"
)

// The certificate profiles an order may name (draft-ietf-acme-profiles).
const (
	ProfileClassic    = "classic"
	ProfileTLSServer  = "tlsserver"
	ProfileShortLived = "shortlived"
)

// Profile is one kind of certificate and the order rules that go with it.
// The CA reads the certificate fields; the RA reads the order fields.
type Profile struct {
	Name        string
	Description string // what it is for; Describe adds the lifetime

	// Certificate shape.
	Validity    time.Duration
	CommonName  bool // keep a subject CN (the CSR's, else the first DNS name)
	ExtKeyUsage []x509.ExtKeyUsage
	// LintAllowWarn lists the zlint warnings that do not block issuance
	// under this profile, name → reason. Empty allows none.
	LintAllowWarn map[string]string

	// Order rules.
	MaxNames      int           // identifiers per order
	AllowIP       bool          // RFC 8738 IP identifiers
	AuthzReuse    time.Duration // a valid authorization is reused if validated this recently
	OrderLifetime time.Duration
}

// DefaultProfiles is Quarry's profile table, default (classic) first.
func DefaultProfiles() []Profile {
	serverAuth := []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}
	return []Profile{{
		Name:        ProfileClassic,
		Description: "TLS server certificate with a subject common name, for the widest client compatibility",
		Validity:    90 * 24 * time.Hour, CommonName: true, ExtKeyUsage: serverAuth,
		LintAllowWarn: DefaultLintAllowWarn(),
		MaxNames:      100, AuthzReuse: 30 * 24 * time.Hour, OrderLifetime: 7 * 24 * time.Hour,
	}, {
		Name:        ProfileTLSServer,
		Description: "TLS server certificate without a common name; names only in the SAN",
		Validity:    45 * 24 * time.Hour, ExtKeyUsage: serverAuth,
		LintAllowWarn: noCNLintAllowWarn(),
		MaxNames:      25, AuthzReuse: 7 * time.Hour, OrderLifetime: 7 * time.Hour,
	}, {
		Name:        ProfileShortLived,
		Description: "short-lived TLS server certificate without a common name; IP address identifiers allowed",
		Validity:    160 * time.Hour, ExtKeyUsage: serverAuth,
		LintAllowWarn: noCNLintAllowWarn(),
		MaxNames:      25, AllowIP: true, AuthzReuse: 7 * time.Hour, OrderLifetime: 7 * time.Hour,
	}}
}

// Describe is the profile's entry in the directory's meta.profiles: its
// description and its configured lifetime, so the two cannot disagree.
func (p Profile) Describe() string {
	life := fmt.Sprintf("%d hours", int(p.Validity/time.Hour))
	if p.Validity%(24*time.Hour) == 0 {
		life = fmt.Sprintf("%d days", int(p.Validity/(24*time.Hour)))
	}
	return fmt.Sprintf("%s; valid %s", p.Description, life)
}

// DefaultLintAllowWarn is the warning allow-list of the classic profile.
func DefaultLintAllowWarn() map[string]string {
	m := noCNLintAllowWarn()
	m["w_subject_common_name_included"] = "the classic profile keeps a CN for old clients, as the CA/B BRs permit"
	return m
}

// noCNLintAllowWarn is the allow-list of the profiles without a CN.
func noCNLintAllowWarn() map[string]string {
	return map[string]string{
		"w_ext_subject_key_identifier_not_recommended_subscriber": "RFC 5280 says SHOULD include a subject key identifier; the BRs only do not recommend it",
		"w_sub_cert_aia_contains_internal_names":                  "the issuer URL is operator-chosen and is a loopback or LAN address in local deployments",
	}
}

// ProfileNamed returns the profile called name from profiles.
func ProfileNamed(profiles []Profile, name string) (Profile, bool) {
	i := slices.IndexFunc(profiles, func(p Profile) bool { return p.Name == name })
	if i < 0 {
		return Profile{}, false
	}
	return profiles[i], true
}

// profileFor returns the profile of a request; "" is the first (default).
func (cfg Config) profileFor(name string) (Profile, error) {
	if name == "" {
		return cfg.Profiles[0], nil
	}
	p, ok := ProfileNamed(cfg.Profiles, name)
	if !ok {
		return Profile{}, core.Errorf(core.ErrInvalidProfile, "unknown certificate profile %q", name)
	}
	return p, nil
}

// defaultProfiles fills in cfg.Profiles when the caller gave none: the
// table above, with LeafValidity as the classic lifetime and LintAllowWarn
// (when set) as the classic allow-list.
func (cfg *Config) defaultProfiles() {
	if len(cfg.Profiles) == 0 {
		cfg.Profiles = DefaultProfiles()
		if cfg.LeafValidity != 0 {
			cfg.Profiles[0].Validity = cfg.LeafValidity
		}
		if cfg.LintAllowWarn != nil {
			cfg.Profiles[0].LintAllowWarn = maps.Clone(cfg.LintAllowWarn)
		}
	}
	if cfg.LeafValidity == 0 {
		cfg.LeafValidity = cfg.Profiles[0].Validity
	}
}

// validateProfiles checks names are unique and every lifetime fits under
// the intermediates.
func (cfg Config) validateProfiles() error {
	seen := map[string]bool{}
	for _, p := range cfg.Profiles {
		switch {
		case p.Name == "" || seen[p.Name]:
			return fmt.Errorf("profile names must be unique and non-empty, got %q", p.Name)
		case p.Validity < time.Hour || p.Validity >= cfg.IntermediateValidity:
			return fmt.Errorf("profile %s: validity %v must be at least 1h and shorter than the intermediates'", p.Name, p.Validity)
		case len(p.ExtKeyUsage) == 0:
			return fmt.Errorf("profile %s: no extended key usage", p.Name)
		}
		for name, reason := range p.LintAllowWarn {
			if reason == "" {
				return fmt.Errorf("profile %s: lint %s is allowed without a reason", p.Name, name)
			}
		}
		seen[p.Name] = true
	}
	return nil
}
