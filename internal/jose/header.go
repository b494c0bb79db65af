package jose

import (
	"encoding/json"
	"strings"
	"unicode/utf8"

	gojose "github.com/go-jose/go-jose/v4"

	"github.com/quarry-ca/quarry/internal/core"
)

// requestAlgs are the signature algorithms accepted on ACME requests.
var requestAlgs = []gojose.SignatureAlgorithm{gojose.RS256, gojose.ES256, gojose.ES384}

// eabAlgs are the MAC algorithms accepted on external account bindings.
var eabAlgs = []gojose.SignatureAlgorithm{gojose.HS256, gojose.HS384, gojose.HS512}

// header is the part of the protected header Quarry reads itself, before
// go-jose sees the message. Pointers tell absent from empty.
type header struct {
	alg   string
	nonce *string
	url   *string
	jwk   json.RawMessage
	kid   *string
}

// parsed is a JWS that passed the structural checks.
type parsed struct {
	// compact is the same three members in compact serialization, for
	// go-jose: the flattened JSON has been checked to hold nothing else,
	// and go-jose reads both forms into the same structure, so it need not
	// decode the JSON a second time.
	compact string
	input   string // the JWS signing input: protected "." payload
	payload []byte // decoded but not yet verified
	sig     []byte
	h       header
}

// parseFlattened checks the outer shape of a JWS, decodes its protected
// header and checks its algorithm against algs.
func parseFlattened(body []byte, algs []gojose.SignatureAlgorithm) (*parsed, error) {
	m, err := members(body)
	if err != nil {
		return nil, core.Errorf(core.ErrMalformed, "the JWS must be a JSON object in flattened serialization")
	}
	if _, ok := m["signatures"]; ok {
		return nil, core.Errorf(core.ErrMalformed, "the general JWS serialization is not allowed; use flattened JSON with one signature")
	}
	if _, ok := m["header"]; ok {
		return nil, core.Errorf(core.ErrMalformed, "unprotected JWS headers are not allowed")
	}
	var enc [3]string
	for i, name := range []string{"protected", "payload", "signature"} {
		s, err := stringMember(m, name)
		if err != nil || s == nil {
			return nil, core.Errorf(core.ErrMalformed, "the JWS needs a string %q member", name)
		}
		enc[i] = *s
	}
	if len(m) != 3 {
		return nil, core.Errorf(core.ErrMalformed, "the JWS has members other than protected, payload and signature")
	}
	hb, err1 := decodeB64(enc[0])
	payload, err2 := decodeB64(enc[1])
	sig, err3 := decodeB64(enc[2])
	if err1 != nil || err2 != nil || err3 != nil {
		return nil, core.Errorf(core.ErrMalformed, "the JWS members must be unpadded base64url")
	}
	// The header first, so that alg "none" is named for what it is.
	h, err := parseHeader(hb, algs)
	if err != nil {
		return nil, err
	}
	if len(sig) == 0 {
		return nil, core.Errorf(core.ErrMalformed, "the JWS signature is empty")
	}
	input := enc[0] + "." + enc[1]
	return &parsed{compact: input + "." + enc[2], input: input, payload: payload, sig: sig, h: *h}, nil
}

// parseHeader decodes a protected header and refuses what ACME forbids or
// Quarry does not implement.
func parseHeader(hb []byte, algs []gojose.SignatureAlgorithm) (*header, error) {
	m, err := members(hb)
	if err != nil {
		return nil, core.Errorf(core.ErrMalformed, "the protected header is not a valid JSON object")
	}
	if _, ok := m["crit"]; ok {
		return nil, core.Errorf(core.ErrMalformed, "the crit header is not supported")
	}
	if raw, ok := m["b64"]; ok && string(raw) != "true" {
		return nil, core.Errorf(core.ErrMalformed, "unencoded payloads (b64: false) are not allowed")
	}
	var h header
	alg, err := stringMember(m, "alg")
	if err != nil || alg == nil {
		return nil, core.Errorf(core.ErrBadSignatureAlgorithm, "the JWS header has no alg; use one of %s", algList(algs))
	}
	if !algIn(*alg, algs) {
		return nil, core.Errorf(core.ErrBadSignatureAlgorithm,
			"signature algorithm %q is not supported; use one of %s", truncate(*alg, 16), algList(algs))
	}
	h.alg = *alg
	for name, dst := range map[string]**string{"nonce": &h.nonce, "url": &h.url, "kid": &h.kid} {
		if *dst, err = stringMember(m, name); err != nil {
			return nil, core.Errorf(core.ErrMalformed, "the %s header must be a string", name)
		}
	}
	h.jwk = m["jwk"]
	return &h, nil
}

func algIn(alg string, algs []gojose.SignatureAlgorithm) bool {
	for _, a := range algs {
		if string(a) == alg {
			return true
		}
	}
	return false
}

func algList(algs []gojose.SignatureAlgorithm) string {
	names := make([]string, len(algs))
	for i, a := range algs {
		names[i] = string(a)
	}
	return strings.Join(names, ", ")
}

// checkPayload accepts the empty payload of POST-as-GET or a JSON object:
// every other ACME payload is one.
func checkPayload(p []byte) error {
	if len(p) == 0 {
		return nil
	}
	if !utf8.Valid(p) || !json.Valid(p) || firstNonSpace(p) != '{' {
		return core.Errorf(core.ErrMalformed, "the JWS payload must be empty or a JSON object")
	}
	return nil
}

func firstNonSpace(p []byte) byte {
	for _, c := range p {
		switch c {
		case ' ', '\t', '\r', '\n':
		default:
			return c
		}
	}
	return 0
}
