package core

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/quarry-ca/quarry/acme"
)

func TestOrderStatus(t *testing.T) {
	now := time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC)
	later, earlier := now.Add(time.Hour), now.Add(-time.Hour)
	az := func(st acme.Status, exp time.Time) *Authorization { return &Authorization{Status: st, Expires: exp} }
	tests := []struct {
		name   string
		stored acme.Status
		exp    time.Time
		authzs []*Authorization
		want   acme.Status
	}{
		{"all pending", acme.StatusPending, later, []*Authorization{az(acme.StatusPending, later), az(acme.StatusPending, later)}, acme.StatusPending},
		{"some valid", acme.StatusPending, later, []*Authorization{az(acme.StatusValid, later), az(acme.StatusPending, later)}, acme.StatusPending},
		{"all valid is ready", acme.StatusPending, later, []*Authorization{az(acme.StatusValid, later), az(acme.StatusValid, later)}, acme.StatusReady},
		{"one invalid", acme.StatusPending, later, []*Authorization{az(acme.StatusValid, later), az(acme.StatusInvalid, later)}, acme.StatusInvalid},
		{"one deactivated", acme.StatusPending, later, []*Authorization{az(acme.StatusDeactivated, later)}, acme.StatusInvalid},
		{"one revoked", acme.StatusPending, later, []*Authorization{az(acme.StatusRevoked, later)}, acme.StatusInvalid},
		{"valid authz expired", acme.StatusPending, later, []*Authorization{az(acme.StatusValid, earlier)}, acme.StatusInvalid},
		{"pending authz expired", acme.StatusPending, later, []*Authorization{az(acme.StatusPending, now)}, acme.StatusInvalid},
		{"order expired", acme.StatusPending, now, []*Authorization{az(acme.StatusValid, later)}, acme.StatusInvalid},
		{"no authorizations stays pending", acme.StatusPending, later, nil, acme.StatusPending},
		{"processing is stored", acme.StatusProcessing, earlier, []*Authorization{az(acme.StatusValid, earlier)}, acme.StatusProcessing},
		{"valid is stored", acme.StatusValid, earlier, []*Authorization{az(acme.StatusValid, earlier)}, acme.StatusValid},
		{"finalize failure is stored", acme.StatusInvalid, later, []*Authorization{az(acme.StatusValid, later)}, acme.StatusInvalid},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			o := &Order{Status: tt.stored, Expires: tt.exp}
			if got := OrderStatus(o, tt.authzs, now); got != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}
}

func TestErrorKinds(t *testing.T) {
	base := Errorf(ErrBadCSR, "bad")
	wrapped := fmt.Errorf("finalizing: %w", base)
	if !errors.Is(wrapped, ErrBadCSR) || errors.Is(wrapped, ErrMalformed) {
		t.Errorf("errors.Is through wrapping: got wrong kind match for %v", wrapped)
	}
	if got := AsError(errors.New("disk on fire")); got.Kind != ErrServerInternal || got.Detail != "" {
		t.Errorf("got %+v, want a bare serverInternal that hides the text", got)
	}
	if got := AsError(fmt.Errorf("x: %w", ErrNotFound)); got.Kind != ErrNotFound {
		t.Errorf("got %+v, want notFound from a bare kind", got)
	}
	id := acme.Identifier{Type: acme.IdentifierDNS, Value: "a.test"}
	one := Compound(ErrRejectedIdentifier, "", []*Error{ForIdentifier(ErrMalformed, id, "x")})
	if !errors.Is(one, ErrMalformed) {
		t.Errorf("a single sub-error: got %v, want it returned as is", one)
	}
	two := Compound(ErrRejectedIdentifier, "several", []*Error{ForIdentifier(ErrMalformed, id, "x"), ForIdentifier(ErrCAA, id, "y")})
	if e := AsError(two); e.Kind != ErrRejectedIdentifier || len(e.Sub) != 2 {
		t.Errorf("got %+v, want rejectedIdentifier with 2 subproblems", e)
	}
	if Compound(ErrMalformed, "", nil) != nil {
		t.Error("no sub-errors: want nil")
	}
}
