package ra

import (
	"strings"
	"time"

	"github.com/quarry-ca/quarry/acme"
	"github.com/quarry-ca/quarry/internal/ca"
	"github.com/quarry-ca/quarry/internal/core"
)

// profile returns the profile an order names; "" is the default.
func (r *RA) profile(name string) (ca.Profile, error) {
	if name == "" {
		return r.cfg.Profiles[0], nil
	}
	if p, ok := ca.ProfileNamed(r.cfg.Profiles, name); ok {
		return p, nil
	}
	names := make([]string, len(r.cfg.Profiles))
	for i, p := range r.cfg.Profiles {
		names[i] = p.Name
	}
	return ca.Profile{}, core.Errorf(core.ErrInvalidProfile, "unknown profile %q; this server offers %s",
		truncate(name, 64), strings.Join(names, ", "))
}

// checkProfileIdentifiers applies the profile's own limits before the
// policy's general ones, so the client learns which profile would fit.
func checkProfileIdentifiers(prof ca.Profile, ids []acme.Identifier) error {
	if prof.MaxNames > 0 && len(ids) > prof.MaxNames {
		return core.Errorf(core.ErrRejectedIdentifier, "the order has %d identifiers; the %s profile allows at most %d",
			len(ids), prof.Name, prof.MaxNames)
	}
	if prof.AllowIP {
		return nil
	}
	var subs []*core.Error
	for _, id := range ids {
		if id.Type == acme.IdentifierIP {
			subs = append(subs, core.ForIdentifier(core.ErrRejectedIdentifier, id,
				"the %s profile does not allow IP address identifiers; use the shortlived profile", prof.Name))
		}
	}
	return core.Compound(core.ErrRejectedIdentifier, "the profile does not allow some identifiers; see subproblems", subs)
}

// orderLifetime is the profile's order lifetime, capped by the server's.
func (r *RA) orderLifetime(prof ca.Profile) time.Duration {
	if prof.OrderLifetime > 0 && prof.OrderLifetime < r.cfg.OrderLifetime {
		return prof.OrderLifetime
	}
	return r.cfg.OrderLifetime
}

// reusableAfter is the expiry a valid authorization must outlast to be
// reused under prof. A valid authorization expires ValidAuthzLifetime after
// its validation, so "validated within AuthzReuse" is "expires after now +
// ValidAuthzLifetime - AuthzReuse".
func (r *RA) reusableAfter(prof ca.Profile, now time.Time) time.Time {
	if prof.AuthzReuse <= 0 || prof.AuthzReuse >= r.cfg.ValidAuthzLifetime {
		return now
	}
	return now.Add(r.cfg.ValidAuthzLifetime - prof.AuthzReuse)
}
