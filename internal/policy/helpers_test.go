package policy

import (
	"testing"

	"github.com/quarry-ca/quarry/acme"
	"github.com/quarry-ca/quarry/internal/core"
	"github.com/quarry-ca/quarry/internal/core/coretest"
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
	coretest.CheckKind(t, err, want, detail)
}
