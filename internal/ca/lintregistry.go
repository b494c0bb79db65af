package ca

import "github.com/zmap/zlint/v3/lint"

// namedRegistry is a zlint registry whose lint names are listed once.
// zlint asks for the sorted names on every certificate only to size its
// result map, and sorting a few hundred names each time was a fifth of
// linting's cost; the registry never changes after load.
type namedRegistry struct {
	lint.Registry
	names []string
}

func withFixedNames(r lint.Registry) lint.Registry {
	return &namedRegistry{Registry: r, names: r.Names()}
}

// Names returns the same slice each time; callers must not change it.
func (r *namedRegistry) Names() []string { return r.names }

// listNamesOnce wraps both of l's registries.
func (l *linter) listNamesOnce() {
	l.public, l.private = withFixedNames(l.public), withFixedNames(l.private)
}
