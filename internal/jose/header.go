package jose

import (
	"bytes"
	"encoding/base64"
	"encoding/json"

	gojose "github.com/go-jose/go-jose/v4"

	"github.com/quarry-ca/quarry/internal/core"
)

// allowedAlgs are the signature algorithms accepted on ACME requests.
var allowedAlgs = []gojose.SignatureAlgorithm{gojose.RS256, gojose.ES256, gojose.ES384}

// flattened is the only JWS serialization ACME allows (RFC 8555 §6.2).
type flattened struct {
	Protected string `json:"protected"`
	Payload   string `json:"payload"`
	Signature string `json:"signature"`
}

// protected is the part of the protected header Quarry reads itself,
// before go-jose sees the message.
type protected struct {
	Alg   string          `json:"alg"`
	Nonce *string         `json:"nonce"`
	URL   *string         `json:"url"`
	JWK   json.RawMessage `json:"jwk"`
	KID   *string         `json:"kid"`
	Crit  json.RawMessage `json:"crit"`
	B64   *bool           `json:"b64"`
}

// parseFlattened checks the outer shape of a JWS and decodes its header.
func parseFlattened(body []byte) (*flattened, *protected, error) {
	trimmed := bytes.TrimSpace(body)
	if len(trimmed) == 0 || trimmed[0] != '{' {
		return nil, nil, core.Errorf(core.ErrMalformed, "the request must be a JWS in flattened JSON serialization")
	}
	var members map[string]json.RawMessage
	if err := json.Unmarshal(trimmed, &members); err != nil {
		return nil, nil, core.Errorf(core.ErrMalformed, "the JWS is not valid JSON")
	}
	if _, ok := members["signatures"]; ok {
		return nil, nil, core.Errorf(core.ErrMalformed, "the general JWS serialization is not allowed; use flattened JSON with one signature")
	}
	if _, ok := members["header"]; ok {
		return nil, nil, core.Errorf(core.ErrMalformed, "unprotected JWS headers are not allowed")
	}
	for name := range members {
		if name != "protected" && name != "payload" && name != "signature" {
			return nil, nil, core.Errorf(core.ErrMalformed, "unexpected JWS member %q", truncate(name, 32))
		}
	}
	var f flattened
	if err := json.Unmarshal(trimmed, &f); err != nil {
		return nil, nil, core.Errorf(core.ErrMalformed, "the JWS members must be strings")
	}
	if f.Protected == "" || f.Signature == "" {
		return nil, nil, core.Errorf(core.ErrMalformed, "the JWS needs a protected header and a signature")
	}
	if _, ok := members["payload"]; !ok {
		return nil, nil, core.Errorf(core.ErrMalformed, "the JWS has no payload member")
	}
	if _, err := base64.RawURLEncoding.DecodeString(f.Payload); err != nil {
		return nil, nil, core.Errorf(core.ErrMalformed, "the JWS payload is not base64url")
	}
	hb, err := base64.RawURLEncoding.DecodeString(f.Protected)
	if err != nil {
		return nil, nil, core.Errorf(core.ErrMalformed, "the protected header is not base64url")
	}
	var h protected
	if err := json.Unmarshal(hb, &h); err != nil {
		return nil, nil, core.Errorf(core.ErrMalformed, "the protected header is not a valid JSON object")
	}
	if len(h.Crit) > 0 {
		return nil, nil, core.Errorf(core.ErrMalformed, "the crit header is not supported")
	}
	if h.B64 != nil && !*h.B64 {
		return nil, nil, core.Errorf(core.ErrMalformed, "unencoded payloads (b64: false) are not allowed")
	}
	if !algAllowed(h.Alg) {
		return nil, nil, &core.Error{Kind: core.ErrBadSignatureAlgorithm,
			Detail: "signature algorithm " + truncate(h.Alg, 16) + " is not supported; use ES256, ES384 or RS256"}
	}
	return &f, &h, nil
}

func algAllowed(alg string) bool {
	for _, a := range allowedAlgs {
		if string(a) == alg {
			return true
		}
	}
	return false
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}
