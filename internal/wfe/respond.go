package wfe

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/quarry-ca/quarry/internal/core"
	"github.com/quarry-ca/quarry/internal/jose"
)

// writeJSON writes v with the given status.
func writeJSON(rw http.ResponseWriter, status int, v any) error {
	body, err := json.Marshal(v)
	if err != nil {
		return err
	}
	rw.Header().Set("Content-Type", "application/json")
	rw.WriteHeader(status)
	_, _ = rw.Write(body)
	return nil
}

// decode reads a JSON object payload into v. Unknown members are ignored
// (RFC 8555 lets messages grow); anything that is not an object of the
// right shape is malformed.
func decode(jr *jose.Request, v any) error {
	p := bytes.TrimSpace(jr.Payload())
	if len(p) == 0 || p[0] != '{' {
		return core.Errorf(core.ErrMalformed, "the payload must be a JSON object")
	}
	if err := json.Unmarshal(p, v); err != nil {
		return core.Errorf(core.ErrMalformed, "the payload could not be parsed: %s", jsonErr(err))
	}
	return nil
}

// jsonErr gives a short, client-safe reason for a JSON error.
func jsonErr(err error) string {
	switch e := err.(type) {
	case *json.UnmarshalTypeError:
		return "field " + strconv.Quote(e.Field) + " has the wrong type"
	case *json.SyntaxError:
		return "invalid JSON at offset " + strconv.FormatInt(e.Offset, 10)
	}
	return "invalid JSON"
}

// pathID parses a positive decimal ID from the request path.
func pathID(r *http.Request, name string) (int64, error) {
	s := r.PathValue(name)
	id, err := strconv.ParseInt(s, 10, 64)
	if err != nil || id <= 0 || strconv.FormatInt(id, 10) != s {
		return 0, core.Errorf(core.ErrNotFound, "no such resource")
	}
	return id, nil
}

// owned refuses access to another account's objects.
func owned(jr *jose.Request, accountID int64, what string) error {
	if jr.Account() == nil || jr.Account().ID != accountID {
		return core.Errorf(core.ErrUnauthorized, "this %s belongs to another account", what)
	}
	return nil
}

// retryAfter tells polling clients when to look again.
func retryAfter(rw http.ResponseWriter, seconds int) {
	rw.Header().Set("Retry-After", strconv.Itoa(seconds))
}
