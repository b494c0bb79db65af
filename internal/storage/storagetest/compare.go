package storagetest

import (
	"encoding/json"
	"reflect"
	"testing"

	"github.com/quarry-ca/quarry/internal/core"
)

// The normalizers make values from any backend comparable: times in UTC
// without monotonic readings, empty lists as nil, no RetryAfter (a
// per-response hint that is not stored).

func normAccount(a *core.Account) *core.Account {
	c := *a
	c.CreatedAt = c.CreatedAt.UTC()
	c.Contact = nilIfEmpty(c.Contact)
	c.Key = nilIfEmpty(c.Key)
	return &c
}

func normOrder(o *core.Order) *core.Order {
	c := *o
	c.Expires, c.NotBefore, c.NotAfter, c.CreatedAt = c.Expires.UTC(), c.NotBefore.UTC(), c.NotAfter.UTC(), c.CreatedAt.UTC()
	c.Identifiers = nilIfEmpty(c.Identifiers)
	c.AuthzIDs = nilIfEmpty(c.AuthzIDs)
	c.Error = normError(c.Error)
	return &c
}

func normAuthz(a *core.Authorization) *core.Authorization {
	c := *a
	c.Expires = c.Expires.UTC()
	c.Challenges = nil
	for _, ch := range a.Challenges {
		c.Challenges = append(c.Challenges, normChallenge(ch))
	}
	return &c
}

func normChallenge(ch *core.Challenge) *core.Challenge {
	c := *ch
	c.Validated = c.Validated.UTC()
	c.Records = nilIfEmpty(c.Records)
	c.Error = normError(c.Error)
	return &c
}

func normCert(cert *core.Certificate) *core.Certificate {
	c := *cert
	c.NotBefore, c.NotAfter, c.IssuedAt, c.RevokedAt = c.NotBefore.UTC(), c.NotAfter.UTC(), c.IssuedAt.UTC(), c.RevokedAt.UTC()
	c.Names = nilIfEmpty(c.Names)
	c.DER = nilIfEmpty(c.DER)
	return &c
}

func normError(e *core.Error) *core.Error {
	if e == nil {
		return nil
	}
	c := *e
	c.RetryAfter = 0
	c.Sub = nil
	for _, s := range e.Sub {
		c.Sub = append(c.Sub, normError(s))
	}
	return &c
}

func nilIfEmpty[T any](s []T) []T {
	if len(s) == 0 {
		return nil
	}
	return s
}

// same fails t when got and want (already normalized) differ, showing
// both as JSON so nested pointers are readable.
func same(t *testing.T, what string, got, want any) {
	t.Helper()
	if !reflect.DeepEqual(got, want) {
		t.Errorf("%s:\ngot  %s\nwant %s", what, show(got), show(want))
	}
}

func show(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return err.Error()
	}
	return string(b)
}
