package ratelimit

import (
	"strings"

	"github.com/quarry-ca/quarry/acme"
)

// ids builds identifiers; "ip:" marks an IP address.
func ids(values ...string) []acme.Identifier {
	out := make([]acme.Identifier, len(values))
	for i, v := range values {
		if ip, ok := strings.CutPrefix(v, "ip:"); ok {
			out[i] = acme.Identifier{Type: acme.IdentifierIP, Value: ip}
		} else {
			out[i] = acme.Identifier{Type: acme.IdentifierDNS, Value: strings.ToLower(v)}
		}
	}
	return out
}
