// Package coretest checks classified errors in tests. Production code
// must not import it.
package coretest

import (
	"errors"
	"strings"
	"testing"

	"github.com/quarry-ca/quarry/internal/core"
)

// CheckKind fails the test unless err is nil when want is "", or a
// *core.Error of kind want (by errors.Is too) whose detail contains
// detail. It returns the *core.Error, nil for a nil err, for the caller
// to check more.
func CheckKind(t testing.TB, err error, want core.Kind, detail string) *core.Error {
	t.Helper()
	if want == "" {
		if err != nil {
			t.Fatalf("got error %v, want success", err)
		}
		return nil
	}
	if err == nil {
		t.Fatalf("got no error, want kind %s", want)
	}
	var ce *core.Error
	if !errors.As(err, &ce) {
		t.Fatalf("got error %v (%T), want a *core.Error of kind %s", err, err, want)
	}
	if ce.Kind != want || !errors.Is(err, want) {
		t.Fatalf("got kind %s (%v), want %s", ce.Kind, err, want)
	}
	if !strings.Contains(ce.Detail, detail) {
		t.Fatalf("got detail %q, want it to contain %q", ce.Detail, detail)
	}
	return ce
}
