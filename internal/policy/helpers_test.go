package policy

import (
	"errors"
	"strings"
	"testing"

	"github.com/quarry-ca/quarry/acme"
	"github.com/quarry-ca/quarry/internal/core"
)

func dns(values ...string) []acme.Identifier {
	out := make([]acme.Identifier, len(values))
	for i, v := range values {
		out[i] = acme.Identifier{Type: acme.IdentifierDNS, Value: v}
	}
	return out
}

func ips(values ...string) []acme.Identifier {
	out := make([]acme.Identifier, len(values))
	for i, v := range values {
		out[i] = acme.Identifier{Type: acme.IdentifierIP, Value: v}
	}
	return out
}

func mustNew(t testing.TB, cfg Config) *Policy {
	t.Helper()
	p, err := New(cfg)
	if err != nil {
		t.Fatalf("New(%+v): %v", cfg, err)
	}
	return p
}

// checkKind fails the test unless err is nil when want is "", or a
// *core.Error of kind want whose detail contains detail.
func checkKind(t *testing.T, err error, want core.Kind, detail string) {
	t.Helper()
	if want == "" {
		if err != nil {
			t.Fatalf("got error %v, want none", err)
		}
		return
	}
	if err == nil {
		t.Fatalf("got no error, want %s", want)
	}
	var ce *core.Error
	if !errors.As(err, &ce) {
		t.Fatalf("got %T %v, want a *core.Error", err, err)
	}
	if ce.Kind != want || !errors.Is(err, want) {
		t.Fatalf("got kind %s (%v), want %s", ce.Kind, err, want)
	}
	if !strings.Contains(ce.Detail, detail) {
		t.Fatalf("got detail %q, want it to contain %q", ce.Detail, detail)
	}
}
