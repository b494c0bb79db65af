package config

import (
	"fmt"
	"time"
)

// Profiles configures the certificate profiles (docs/profiles-and-ari.md).
// A lifetime of 0 keeps the built-in one; the classic lifetime is
// ca.leaf-validity unless profiles.classic.lifetime is set.
type Profiles struct {
	// Default is the profile of orders that name none.
	Default    string  `yaml:"default"`
	Classic    Profile `yaml:"classic"`
	TLSServer  Profile `yaml:"tlsserver"`
	ShortLived Profile `yaml:"shortlived"`
}

// Profile is one profile's operator settings.
type Profile struct {
	Lifetime Duration `yaml:"lifetime"`
	// LintAllowWarn lists the zlint warnings that do not block issuance,
	// lint name → why it is acceptable. Unset keeps Quarry's list for the
	// profile; an empty map ({}) allows none.
	LintAllowWarn map[string]string `yaml:"lint-allow-warn"`
}

// Names of the profiles, as orders and the directory name them.
const (
	ProfileClassic    = "classic"
	ProfileTLSServer  = "tlsserver"
	ProfileShortLived = "shortlived"
)

// ByName returns the settings of each profile by name.
func (p *Profiles) ByName() map[string]Profile {
	return map[string]Profile{ProfileClassic: p.Classic, ProfileTLSServer: p.TLSServer, ProfileShortLived: p.ShortLived}
}

// CAAEnabled says whether CAA is checked: the explicit policy.check-caa,
// otherwise on except in the private preset, whose internal names have no
// public CAA records.
func (c *Config) CAAEnabled() bool {
	if c.Policy.CheckCAA != nil {
		return *c.Policy.CheckCAA
	}
	return c.Preset != PresetPrivate
}

func (p *Profiles) validate() []error {
	var errs []error
	bad := func(format string, args ...any) { errs = append(errs, fmt.Errorf(format, args...)) }
	all := p.ByName()
	if _, ok := all[p.Default]; !ok {
		bad("profiles.default: %q is not one of classic, tlsserver, shortlived", p.Default)
	}
	for name, prof := range all {
		// The BRs cap subscriber certificates at 398 days.
		if prof.Lifetime != 0 && (time.Duration(prof.Lifetime) < time.Hour || time.Duration(prof.Lifetime) > 398*24*time.Hour) {
			bad("profiles.%s.lifetime: must be between 1h and 398d", name)
		}
		for lint, reason := range prof.LintAllowWarn {
			if reason == "" {
				bad("profiles.%s.lint-allow-warn.%s: give the reason the warning is acceptable", name, lint)
			}
		}
	}
	return errs
}
