package va

import (
	"context"
	"crypto/subtle"

	"github.com/quarry-ca/quarry/acme"
	"github.com/quarry-ca/quarry/internal/core"
)

// validateDNS01 looks for the key authorization digest in a TXT record at
// _acme-challenge.<name> (RFC 8555 §8.4), following CNAMEs so the record
// may be delegated to another zone.
func (v *VA) validateDNS01(ctx context.Context, req Request) ([]acme.ValidationRecord, error) {
	name := "_acme-challenge." + req.Identifier.Value
	records := []acme.ValidationRecord{{Hostname: req.Identifier.Value, ResolverAddrs: v.resolver.servers()}}
	txts, err := v.resolver.lookupTXT(ctx, name)
	if err != nil {
		return records, err
	}
	want := []byte(acme.DNS01Value(req.KeyAuthorization))
	for _, t := range txts {
		if subtle.ConstantTimeCompare([]byte(t), want) == 1 {
			return records, nil
		}
	}
	switch len(txts) {
	case 0:
		return records, core.Errorf(core.ErrUnauthorized, "No TXT record found at %s", name)
	case 1:
		return records, core.Errorf(core.ErrUnauthorized, "Incorrect TXT record %s found at %s", quoteBody([]byte(txts[0])), name)
	}
	return records, core.Errorf(core.ErrUnauthorized, "Incorrect TXT records found at %s: none of the %d records matched, first was %s",
		name, len(txts), quoteBody([]byte(txts[0])))
}
