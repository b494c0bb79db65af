package policy

import (
	"strings"

	"github.com/quarry-ca/quarry/acme"
	"github.com/quarry-ca/quarry/internal/core"
)

// CheckIdentifiers checks a newOrder's identifiers. List-wide faults (none,
// too many) are returned alone; otherwise every bad identifier gets its own
// *core.Error and they are folded with core.Compound so the client sees one
// subproblem per identifier.
func (p *Policy) CheckIdentifiers(ids []acme.Identifier) error {
	if len(ids) == 0 {
		return core.Errorf(core.ErrMalformed, "the order must contain at least one identifier")
	}
	if len(ids) > p.maxNames {
		return core.Errorf(core.ErrRejectedIdentifier,
			"the order has %d identifiers; this CA allows at most %d", len(ids), p.maxNames)
	}
	var subs []*core.Error
	seen := make(map[string]bool, len(ids))
	for _, id := range ids {
		key := string(id.Type) + "\x00" + strings.ToLower(id.Value)
		if seen[key] {
			subs = append(subs, core.ForIdentifier(core.ErrMalformed, id,
				"identifier %q appears more than once", id.Value))
			continue
		}
		seen[key] = true
		if err := p.checkIdentifier(id); err != nil {
			subs = append(subs, err)
		}
	}
	return core.Compound(core.ErrRejectedIdentifier,
		"the CA will not issue for some of the order's identifiers; see subproblems", subs)
}

// checkIdentifier applies the rules for one identifier's type and attaches
// the identifier to the refusal.
func (p *Policy) checkIdentifier(id acme.Identifier) *core.Error {
	var err *core.Error
	switch id.Type {
	case acme.IdentifierDNS:
		err = p.checkDNSName(id.Value)
	case acme.IdentifierIP:
		if !p.allowIP {
			err = core.Errorf(core.ErrUnsupportedIdentifier, "this CA does not issue for IP address identifiers")
			break
		}
		err = p.checkIP(id.Value)
	default:
		err = core.Errorf(core.ErrUnsupportedIdentifier, "identifier type %q is not supported", id.Type)
	}
	if err != nil {
		err.Identifier = &id
	}
	return err
}
