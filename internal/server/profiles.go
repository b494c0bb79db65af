package server

import (
	"maps"
	"slices"
	"time"

	"github.com/quarry-ca/quarry/internal/ca"
	"github.com/quarry-ca/quarry/internal/config"
)

// Profiles is the profile table with the operator's settings applied,
// the default profile first (the CA and the RA take the first as default).
func Profiles(cfg config.Config) []ca.Profile {
	settings := cfg.Profiles.ByName()
	profs := ca.DefaultProfiles()
	for i := range profs {
		p := &profs[i]
		set := settings[p.Name]
		if p.Name == ca.ProfileClassic && cfg.CA.LeafValidity > 0 {
			p.Validity = time.Duration(cfg.CA.LeafValidity) // ca.leaf-validity predates profiles
		}
		if set.Lifetime > 0 {
			p.Validity = time.Duration(set.Lifetime)
		}
		if set.LintAllowWarn != nil {
			p.LintAllowWarn = maps.Clone(set.LintAllowWarn)
		}
	}
	if i := slices.IndexFunc(profs, func(p ca.Profile) bool { return p.Name == cfg.Profiles.Default }); i > 0 {
		def := profs[i]
		profs = append([]ca.Profile{def}, slices.Delete(profs, i, i+1)...)
	}
	return profs
}

// profileDescriptions is the directory's meta.profiles.
func profileDescriptions(profs []ca.Profile) map[string]string {
	out := make(map[string]string, len(profs))
	for _, p := range profs {
		out[p.Name] = p.Describe()
	}
	return out
}

// anyAllowsIP says whether some profile takes IP identifiers, so the policy
// must parse them; the RA then refuses them under the other profiles.
func anyAllowsIP(profs []ca.Profile) bool {
	return slices.ContainsFunc(profs, func(p ca.Profile) bool { return p.AllowIP })
}
