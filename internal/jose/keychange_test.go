package jose

import (
	"context"
	"crypto"
	"encoding/json"
	"testing"

	"github.com/quarry-ca/quarry/acme"
	"github.com/quarry-ca/quarry/internal/core"
)

const keyChangeURL = "https://ca.test/acme/key-change"

// innerPayload is a keyChange inner payload, hand-built for edits.
func innerPayload(t *testing.T, account string, old crypto.PublicKey) []byte {
	t.Helper()
	b, err := json.Marshal(map[string]any{"account": account, "oldKey": json.RawMessage(jwkJSON(t, old))})
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestVerifyKeyChange(t *testing.T) {
	type kc struct {
		e      *env
		kid    string // the account signing the outer JWS, key p256
		other  string // another valid account, key p384
		newKey crypto.Signer
	}
	tests := []struct {
		name  string
		inner func(t *testing.T, c kc) []byte
		want  core.Kind
	}{
		{"valid", func(t *testing.T, c kc) []byte {
			b, err := SignKeyChange(c.newKey, c.kid, c.e.keys.p256.Public(), keyChangeURL)
			if err != nil {
				t.Fatal(err)
			}
			return b
		}, ""},
		{"valid to an RSA key", func(t *testing.T, c kc) []byte {
			return mustSign(t, c.e.keys.rsa2048, "", "", keyChangeURL, innerPayload(t, c.kid, c.e.keys.p256.Public()))
		}, ""},
		{"wrong account", func(t *testing.T, c kc) []byte {
			return mustSign(t, c.newKey, "", "", keyChangeURL, innerPayload(t, c.other, c.e.keys.p256.Public()))
		}, core.ErrUnauthorized},
		{"oldKey mismatch", func(t *testing.T, c kc) []byte {
			return mustSign(t, c.newKey, "", "", keyChangeURL, innerPayload(t, c.kid, c.e.keys.p384.Public()))
		}, core.ErrUnauthorized},
		{"inner has a nonce", func(t *testing.T, c kc) []byte {
			return mustSign(t, c.newKey, "", c.e.nonce(t), keyChangeURL, innerPayload(t, c.kid, c.e.keys.p256.Public()))
		}, core.ErrMalformed},
		{"inner url mismatch", func(t *testing.T, c kc) []byte {
			return mustSign(t, c.newKey, "", "", testURL, innerPayload(t, c.kid, c.e.keys.p256.Public()))
		}, core.ErrMalformed},
		{"inner url missing", func(t *testing.T, c kc) []byte {
			return mustSign(t, c.newKey, "", "", "", innerPayload(t, c.kid, c.e.keys.p256.Public()))
		}, core.ErrMalformed},
		{"same key", func(t *testing.T, c kc) []byte {
			return mustSign(t, c.e.keys.p256, "", "", keyChangeURL, innerPayload(t, c.kid, c.e.keys.p256.Public()))
		}, core.ErrMalformed},
		{"inner uses kid", func(t *testing.T, c kc) []byte {
			return mustSign(t, c.newKey, c.kid, "", keyChangeURL, innerPayload(t, c.kid, c.e.keys.p256.Public()))
		}, core.ErrMalformed},
		{"inner signed by another key than its jwk", func(t *testing.T, c kc) []byte {
			h := hdr("alg", q("ES256"), "jwk", jwkJSON(t, c.newKey.Public()), "url", q(keyChangeURL))
			return craft(h, innerPayload(t, c.kid, c.e.keys.p256.Public()), esSig(c.e.keys.p256))
		}, core.ErrMalformed},
		{"inner alg HS256", func(t *testing.T, c kc) []byte {
			h := hdr("alg", q("HS256"), "jwk", jwkJSON(t, c.newKey.Public()), "url", q(keyChangeURL))
			return craft(h, innerPayload(t, c.kid, c.e.keys.p256.Public()), hsSig([]byte("k")))
		}, core.ErrBadSignatureAlgorithm},
		{"new key RSA 1024", func(t *testing.T, c kc) []byte {
			h := hdr("alg", q("RS256"), "jwk", jwkJSON(t, c.e.keys.rsa1024.Public()), "url", q(keyChangeURL))
			return craft(h, innerPayload(t, c.kid, c.e.keys.p256.Public()), rsSig(c.e.keys.rsa1024))
		}, core.ErrBadPublicKey},
		{"inner payload without oldKey", func(t *testing.T, c kc) []byte {
			return mustSign(t, c.newKey, "", "", keyChangeURL, []byte(`{"account":"`+c.kid+`"}`))
		}, core.ErrMalformed},
		{"inner is not a JWS", func(t *testing.T, c kc) []byte { return []byte(`{"account":"x"}`) }, core.ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			c := kc{e: e, kid: e.account(t, e.keys.p256, acme.StatusValid),
				other: e.account(t, e.keys.p384, acme.StatusValid), newKey: e.keys.p256b}
			inner := tt.inner(t, c)
			outerBody := mustSign(t, e.keys.p256, c.kid, e.nonce(t), keyChangeURL, inner)
			outer, err := e.v.Verify(context.Background(), outerBody, keyChangeURL, KeyModeKID)
			if err != nil {
				t.Fatalf("outer: got %v, want success", err)
			}
			got, req, err := e.v.VerifyKeyChange(outer)
			wantKind(t, err, tt.want)
			if tt.want != "" {
				return
			}
			if req.Account != c.kid {
				t.Errorf("got account %q, want %q", req.Account, c.kid)
			}
			if sameKey(got, outer.JWK()) {
				t.Error("got the old key back, want the new one")
			}
		})
	}
}

func TestVerifyKeyChangeNeedsKID(t *testing.T) {
	e := newEnv(t)
	inner, err := SignKeyChange(e.keys.p256b, testPrefix+"1", e.keys.p256.Public(), keyChangeURL)
	if err != nil {
		t.Fatal(err)
	}
	outer, err := e.v.Verify(context.Background(), mustSign(t, e.keys.p256, "", e.nonce(t), keyChangeURL, inner), keyChangeURL, KeyModeJWK)
	if err != nil {
		t.Fatalf("outer: got %v, want success", err)
	}
	_, _, err = e.v.VerifyKeyChange(outer)
	wantKind(t, err, core.ErrMalformed)
}
