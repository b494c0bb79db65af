package coretest

import (
	"errors"
	"fmt"
	"testing"

	"github.com/quarry-ca/quarry/internal/core"
)

// recorder is a testing.TB whose Fatalf stops the check, as the real one
// does, and remembers that it failed.
type recorder struct {
	testing.TB
	failed bool
}

type stop struct{}

func (r *recorder) Helper() {}
func (r *recorder) Fatalf(string, ...any) {
	r.failed = true
	panic(stop{})
}

func (r *recorder) check(err error, want core.Kind, detail string) {
	defer func() {
		if v := recover(); v != nil {
			if _, ok := v.(stop); !ok {
				panic(v)
			}
		}
	}()
	CheckKind(r, err, want, detail)
}

func TestCheckKind(t *testing.T) {
	malformed := core.Errorf(core.ErrMalformed, "bad serial %q", "zz")
	tests := []struct {
		name     string
		err      error
		want     core.Kind
		detail   string
		wantFail bool
	}{
		{"nil, want success", nil, "", "", false},
		{"error, want success", malformed, "", "", true},
		{"nil, want a kind", nil, core.ErrMalformed, "", true},
		{"right kind and detail", malformed, core.ErrMalformed, "bad serial", false},
		{"wrapped", fmt.Errorf("finalizing: %w", malformed), core.ErrMalformed, "zz", false},
		{"other kind", malformed, core.ErrNotFound, "", true},
		{"other detail", malformed, core.ErrMalformed, "bad key", true},
		{"not a core.Error", errors.New("plain"), core.ErrMalformed, "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &recorder{TB: t}
			r.check(tt.err, tt.want, tt.detail)
			if r.failed != tt.wantFail {
				t.Errorf("got failed %v, want %v", r.failed, tt.wantFail)
			}
		})
	}
}
