package sqlbase

import (
	"net/netip"
	"strings"

	"github.com/quarry-ca/quarry/acme"
)

// IdentifierOf turns a certificate name into the identifier and wildcard
// flag an authorization for it is stored under. Names that parse as IP
// addresses are IP identifiers; "*.x" is a wildcard for x.
func IdentifierOf(name string) (acme.Identifier, bool) {
	if addr, err := netip.ParseAddr(name); err == nil {
		return acme.Identifier{Type: acme.IdentifierIP, Value: addr.String()}, false
	}
	name = strings.ToLower(name)
	if base, ok := strings.CutPrefix(name, "*."); ok {
		return acme.Identifier{Type: acme.IdentifierDNS, Value: base}, true
	}
	return acme.Identifier{Type: acme.IdentifierDNS, Value: name}, false
}
