package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"

	"github.com/quarry-ca/quarry/acme"
	"github.com/quarry-ca/quarry/client"

	"github.com/quarry-ca/quarry/client/store"
)

// out prints progress for people, or nothing (--quiet), or one JSON
// document at the end (--json).
type out struct {
	w, errw io.Writer
	quiet   bool
	json    bool
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
	msg := strings.TrimSuffix(strings.TrimSpace(err.Error()), ".") + hint(err)
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

// hint adds what to do next for failures whose message does not say it.
func hint(err error) string {
	var netErr *net.OpError
	switch {
	case errors.As(err, &netErr):
		return "; check --server and that the server is reachable."
	case client.IsProblem(err, acme.ProblemRateLimited):
		return "; the CA is rate limiting, try again later."
	case client.IsProblem(err, acme.ProblemExternalAccountRequired):
		return "; this CA requires --eab-kid and --eab-hmac-key from its operator."
	}
	return "."
}

// usageErr reports bad usage in one sentence.
func (o out) usageErr(format string, a ...any) int {
	fmt.Fprintf(o.errw, "mason: "+format+"\n", a...)
	return exitUsage
}
