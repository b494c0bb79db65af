package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"

	"github.com/quarry-ca/quarry/client/store"
)

// out prints progress for people, or nothing (--quiet), or one JSON
// document at the end (--json).
type out struct {
	w, errw io.Writer
	quiet   bool
	json    bool
	// now dates a rate limit's Retry-After in error sentences.
	now func() time.Time
}

// step prints one progress line.
func (o out) step(format string, a ...any) {
	if o.quiet || o.json {
		return
	}
	fmt.Fprintf(o.w, format+"\n", a...)
}

// result prints the command's JSON result when --json is set.
func (o out) result(v any) {
	if !o.json {
		return
	}
	enc := json.NewEncoder(o.w)
	enc.SetIndent("", "  ")
	_ = enc.Encode(v)
}

// fail prints err as one sentence and returns the exit code for it.
func (o out) fail(err error) int {
	msg := o.sentence(err)
	if o.json {
		enc := json.NewEncoder(o.w)
		_ = enc.Encode(map[string]string{"error": msg})
	} else {
		fmt.Fprintf(o.errw, "mason: %s\n", msg)
	}
	if errors.Is(err, store.ErrLocked) {
		return exitLocked
	}
	return exitFailed
}

// sentence is err as mason says it: see explain.
func (o out) sentence(err error) string {
	now := time.Now
	if o.now != nil {
		now = o.now
	}
	return explain(err, now()) + "."
}

// usageErr reports bad usage in one sentence.
func (o out) usageErr(format string, a ...any) int {
	fmt.Fprintf(o.errw, "mason: "+format+"\n", a...)
	return exitUsage
}
