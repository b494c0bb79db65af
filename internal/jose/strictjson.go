package jose

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"unicode/utf8"
)

// members decodes a JSON object into its members by exact name. Duplicate
// names are refused: encoding/json keeps the last and matches names without
// regard to case, so a lenient reader could see a different header than
// go-jose (which is case-sensitive and refuses duplicates) verifies.
func members(b []byte) (map[string]json.RawMessage, error) {
	if !utf8.Valid(b) {
		return nil, errors.New("not UTF-8")
	}
	dec := json.NewDecoder(bytes.NewReader(b))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return nil, errors.New("not a JSON object")
	}
	m := make(map[string]json.RawMessage)
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return nil, err
		}
		name, ok := tok.(string)
		if !ok {
			return nil, errors.New("object member name is not a string")
		}
		if _, dup := m[name]; dup {
			return nil, fmt.Errorf("duplicate member %q", truncate(name, 32))
		}
		var v json.RawMessage
		if err := dec.Decode(&v); err != nil {
			return nil, err
		}
		m[name] = v
	}
	if _, err := dec.Token(); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("data after the JSON object")
	}
	return m, nil
}

// stringMember reads an optional string member; present but not a string
// is an error.
func stringMember(m map[string]json.RawMessage, name string) (*string, error) {
	raw, ok := m[name]
	if !ok {
		return nil, nil
	}
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return nil, fmt.Errorf("%s must be a string", name)
	}
	return &s, nil
}

// b64 is unpadded base64url in its one canonical form, so one payload
// has one encoding.
var b64 = base64.RawURLEncoding.Strict()

func decodeB64(s string) ([]byte, error) {
	// The decoder silently skips line breaks; a JWS has none.
	if strings.ContainsAny(s, "\r\n") {
		return nil, errors.New("line break in base64url")
	}
	return b64.DecodeString(s)
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
