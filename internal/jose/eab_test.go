package jose

import (
	"crypto"
	"encoding/json"
	"testing"

	gojose "github.com/go-jose/go-jose/v4"

	"github.com/quarry-ca/quarry/internal/core"
)

const newAccountURL = "https://ca.test/acme/new-account"

func TestVerifyEAB(t *testing.T) {
	keys := keysOnce()
	mac := []byte("0123456789abcdef0123456789abcdef")
	lookup := func(kid string) ([]byte, bool) {
		switch kid {
		case "kid-1":
			return mac, true
		case "kid-384":
			return append(mac, mac...), true
		case "empty":
			return nil, true
		case "short":
			return []byte("short"), true
		}
		return nil, false
	}
	eab := func(t *testing.T, key []byte, kid string, pub crypto.PublicKey, url string) []byte {
		b, err := SignEAB(key, kid, pub, url)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	acct := keys.p256.Public()
	tests := []struct {
		name string
		eab  func(t *testing.T) []byte
		want core.Kind
	}{
		{"valid", func(t *testing.T) []byte { return eab(t, mac, "kid-1", acct, newAccountURL) }, ""},
		{"valid HS384", func(t *testing.T) []byte {
			s, err := gojose.NewSigner(gojose.SigningKey{Algorithm: gojose.HS384, Key: append(mac, mac...)},
				(&gojose.SignerOptions{}).WithHeader("kid", "kid-384").WithHeader("url", newAccountURL))
			if err != nil {
				t.Fatal(err)
			}
			jws, err := s.Sign([]byte(jwkJSON(t, acct)))
			if err != nil {
				t.Fatal(err)
			}
			return []byte(jws.FullSerialize())
		}, ""},
		{"unknown kid", func(t *testing.T) []byte { return eab(t, mac, "kid-2", acct, newAccountURL) }, core.ErrUnauthorized},
		{"short key", func(t *testing.T) []byte { return eab(t, []byte("short"), "short", acct, newAccountURL) }, ""},
		{"kid with an empty key", func(t *testing.T) []byte { return eab(t, mac, "empty", acct, newAccountURL) }, core.ErrUnauthorized},
		{"bad MAC", func(t *testing.T) []byte {
			return eab(t, []byte("ffffffffffffffffffffffffffffffff"), "kid-1", acct, newAccountURL)
		}, core.ErrUnauthorized},
		{"payload is another key", func(t *testing.T) []byte { return eab(t, mac, "kid-1", keys.p384.Public(), newAccountURL) }, core.ErrUnauthorized},
		{"url mismatch", func(t *testing.T) []byte { return eab(t, mac, "kid-1", acct, testURL) }, core.ErrMalformed},
		{"has a nonce", func(t *testing.T) []byte {
			h := hdr("alg", q("HS256"), "kid", q("kid-1"), "nonce", q("n"), "url", q(newAccountURL))
			return craft(h, []byte(jwkJSON(t, acct)), hsSig(mac))
		}, core.ErrMalformed},
		{"no kid", func(t *testing.T) []byte {
			h := hdr("alg", q("HS256"), "url", q(newAccountURL))
			return craft(h, []byte(jwkJSON(t, acct)), hsSig(mac))
		}, core.ErrMalformed},
		{"payload is not a JWK", func(t *testing.T) []byte {
			h := hdr("alg", q("HS256"), "kid", q("kid-1"), "url", q(newAccountURL))
			return craft(h, []byte(`{"hello":1}`), hsSig(mac))
		}, core.ErrMalformed},
		{"signed with ES256", func(t *testing.T) []byte {
			return mustSign(t, keys.p256, "kid-1", "", newAccountURL, []byte(jwkJSON(t, acct)))
		}, core.ErrBadSignatureAlgorithm},
		{"alg none", func(t *testing.T) []byte {
			h := hdr("alg", q("none"), "kid", q("kid-1"), "url", q(newAccountURL))
			return craft(h, []byte(jwkJSON(t, acct)), noSig)
		}, core.ErrBadSignatureAlgorithm},
		{"not a JWS", func(*testing.T) []byte { return []byte(`"x"`) }, core.ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			kid, err := VerifyEAB(json.RawMessage(tt.eab(t)), &gojose.JSONWebKey{Key: acct}, newAccountURL, lookup)
			wantKind(t, err, tt.want)
			if tt.want == "" && kid == "" {
				t.Fatal("got no kid, want the binding's kid")
			}
		})
	}
}
