package ca

import (
	"slices"
	"testing"

	"github.com/zmap/zlint/v3/lint"
)

func TestFixedNamesRegistry(t *testing.T) {
	base, err := lint.GlobalRegistry().Filter(lint.FilterOptions{IncludeSources: lintSources()})
	if err != nil {
		t.Fatal(err)
	}
	r := withFixedNames(base)
	got, want := r.Names(), base.Names()
	if !slices.Equal(got, want) || !slices.IsSorted(got) || len(got) == 0 {
		t.Errorf("got %d names (sorted %v), want the registry's %d sorted names", len(got), slices.IsSorted(got), len(want))
	}
	if n := len(r.CertificateLints().Lints()); n != len(base.CertificateLints().Lints()) {
		t.Errorf("got %d certificate lints through the wrapper, want %d", n, len(base.CertificateLints().Lints()))
	}
}
