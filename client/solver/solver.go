package solver

import (
	"context"
	"strings"

	"github.com/quarry-ca/quarry/acme"
)

// Challenge is what a solver needs to answer one challenge.
type Challenge struct {
	Type    acme.ChallengeType
	Domain  string // the identifier's value; "*.x" for a wildcard
	Token   string
	KeyAuth string // the key authorization, token "." thumbprint
	// Remaining is how many challenges of the order are still to be
	// answered after this one (certbot's CERTBOT_REMAINING_CHALLENGES).
	Remaining int
}

// Solver makes one challenge type answerable and cleans up afterwards.
type Solver interface {
	Type() acme.ChallengeType
	Present(ctx context.Context, ch Challenge) error
	CleanUp(ctx context.Context, ch Challenge) error
}

// Waiter is an optional extra: a solver whose answer takes time to be
// visible (DNS) waits for it before the challenge is accepted.
type Waiter interface {
	Wait(ctx context.Context, ch Challenge) error
}

// DNS01Name is the owner name of the TXT record for domain's dns-01
// challenge: _acme-challenge.<domain>., or, with an alias zone, the name
// _acme-challenge.<alias>. that _acme-challenge.<domain> is a CNAME to.
func DNS01Name(domain, alias string) string {
	base := strings.TrimPrefix(domain, "*.")
	if alias != "" {
		base = alias
	}
	return "_acme-challenge." + strings.TrimSuffix(base, ".") + "."
}
