package jose

import (
	"bytes"
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"strings"
	"testing"

	gojose "github.com/go-jose/go-jose/v4"

	"github.com/quarry-ca/quarry/acme"
	"github.com/quarry-ca/quarry/internal/core"
)

var orderPayload = []byte(`{"identifiers":[{"type":"dns","value":"example.com"}]}`)

func TestVerifyAccepts(t *testing.T) {
	tests := []struct {
		name     string
		key      func(k *testKeys) crypto.Signer
		useKID   bool
		mode     KeyMode
		payload  []byte
		wantPAG  bool
		wantAcct bool
	}{
		{"kid ES256", func(k *testKeys) crypto.Signer { return k.p256 }, true, KeyModeKID, orderPayload, false, true},
		{"kid ES384", func(k *testKeys) crypto.Signer { return k.p384 }, true, KeyModeKID, orderPayload, false, true},
		{"kid RS256", func(k *testKeys) crypto.Signer { return k.rsa2048 }, true, KeyModeKID, orderPayload, false, true},
		{"kid POST-as-GET", func(k *testKeys) crypto.Signer { return k.p256 }, true, KeyModeKID, nil, true, true},
		{"jwk ES256", func(k *testKeys) crypto.Signer { return k.p256 }, false, KeyModeJWK, []byte(`{}`), false, false},
		{"jwk RS256", func(k *testKeys) crypto.Signer { return k.rsa2048 }, false, KeyModeJWK, []byte(`{"contact":[]}`), false, false},
		{"either with jwk", func(k *testKeys) crypto.Signer { return k.p256 }, false, KeyModeEither, []byte(`{}`), false, false},
		{"either with kid", func(k *testKeys) crypto.Signer { return k.p256 }, true, KeyModeEither, []byte(`{}`), false, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			key := tt.key(e.keys)
			kid := ""
			if tt.useKID {
				kid = e.account(t, key, acme.StatusValid)
			}
			body := mustSign(t, key, kid, e.nonce(t), testURL, tt.payload)
			req, err := e.v.Verify(context.Background(), body, testURL, tt.mode)
			if err != nil {
				t.Fatalf("got error %v, want success", err)
			}
			if got := req.Payload(); !bytes.Equal(got, tt.payload) {
				t.Errorf("got payload %q, want %q", got, tt.payload)
			}
			if got := req.IsPostAsGet(); got != tt.wantPAG {
				t.Errorf("got IsPostAsGet %v, want %v", got, tt.wantPAG)
			}
			if got := req.Account() != nil; got != tt.wantAcct {
				t.Errorf("got account %v, want one: %v", req.Account(), tt.wantAcct)
			}
			if got := req.URL(); got != testURL {
				t.Errorf("got URL %q, want %q", got, testURL)
			}
			want, _ := acme.Thumbprint(key.Public())
			if got, _ := Thumbprint(req.JWK()); got != want {
				t.Errorf("got key thumbprint %s, want %s", got, want)
			}
		})
	}
}

// hostileCase builds one request that Verify must refuse.
type hostileCase struct {
	name string
	body func(t *testing.T, e *env) []byte
	mode KeyMode
	want core.Kind
}

func TestVerifyRefuses(t *testing.T) {
	var tests []hostileCase
	tests = append(tests, shapeCases()...)
	tests = append(tests, algCases()...)
	tests = append(tests, headerCases()...)
	tests = append(tests, keyCases()...)
	tests = append(tests, accountCases()...)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			_, err := e.v.Verify(context.Background(), tt.body(t, e), testURL, tt.mode)
			wantKind(t, err, tt.want)
		})
	}
}

// signedBy is a valid jwk request by key; the starting point for edits.
func signedBy(key crypto.Signer) func(t *testing.T, e *env) []byte {
	return func(t *testing.T, e *env) []byte {
		return mustSign(t, key, "", e.nonce(t), testURL, []byte(`{}`))
	}
}

func valid(t *testing.T, e *env) []byte { return signedBy(e.keys.p256)(t, e) }

func shapeCases() []hostileCase {
	return []hostileCase{
		{"empty body", func(*testing.T, *env) []byte { return nil }, KeyModeJWK, core.ErrMalformed},
		{"JSON null", func(*testing.T, *env) []byte { return []byte("null") }, KeyModeJWK, core.ErrMalformed},
		{"compact serialization", func(t *testing.T, e *env) []byte {
			var m map[string]string
			_ = json.Unmarshal(valid(t, e), &m)
			return []byte(m["protected"] + "." + m["payload"] + "." + m["signature"])
		}, KeyModeJWK, core.ErrMalformed},
		{"general serialization with two signatures", func(t *testing.T, e *env) []byte {
			s, err := gojose.NewMultiSigner([]gojose.SigningKey{
				{Algorithm: gojose.ES256, Key: e.keys.p256}, {Algorithm: gojose.ES384, Key: e.keys.p384},
			}, &gojose.SignerOptions{EmbedJWK: true, NonceSource: fixedNonce(e.nonce(t)), ExtraHeaders: map[gojose.HeaderKey]any{"url": testURL}})
			if err != nil {
				t.Fatal(err)
			}
			jws, err := s.Sign([]byte(`{}`))
			if err != nil {
				t.Fatal(err)
			}
			return []byte(jws.FullSerialize())
		}, KeyModeJWK, core.ErrMalformed},
		{"general serialization with one signature", func(t *testing.T, e *env) []byte {
			var m map[string]string
			_ = json.Unmarshal(valid(t, e), &m)
			out, _ := json.Marshal(map[string]any{"payload": m["payload"],
				"signatures": []map[string]string{{"protected": m["protected"], "signature": m["signature"]}}})
			return out
		}, KeyModeJWK, core.ErrMalformed},
		{"unprotected header", func(t *testing.T, e *env) []byte {
			return modify(t, valid(t, e), func(m map[string]any) { m["header"] = map[string]string{"kid": "x"} })
		}, KeyModeJWK, core.ErrMalformed},
		{"extra member", func(t *testing.T, e *env) []byte {
			return modify(t, valid(t, e), func(m map[string]any) { m["extra"] = "x" })
		}, KeyModeJWK, core.ErrMalformed},
		{"duplicate member", func(t *testing.T, e *env) []byte {
			b := valid(t, e)
			return append(b[:len(b)-1], []byte(`,"payload":"e30"}`)...)
		}, KeyModeJWK, core.ErrMalformed},
		{"missing payload", func(t *testing.T, e *env) []byte {
			return modify(t, valid(t, e), func(m map[string]any) { delete(m, "payload") })
		}, KeyModeJWK, core.ErrMalformed},
		{"payload not a string", func(t *testing.T, e *env) []byte {
			return modify(t, valid(t, e), func(m map[string]any) { m["payload"] = 7 })
		}, KeyModeJWK, core.ErrMalformed},
		{"garbage base64 payload", func(t *testing.T, e *env) []byte {
			return modify(t, valid(t, e), func(m map[string]any) { m["payload"] = "!!not base64!!" })
		}, KeyModeJWK, core.ErrMalformed},
		{"padded base64 payload", func(t *testing.T, e *env) []byte {
			return modify(t, valid(t, e), func(m map[string]any) { m["payload"] = base64.URLEncoding.EncodeToString([]byte("{}")) })
		}, KeyModeJWK, core.ErrMalformed},
		{"payload not a JSON object", func(t *testing.T, e *env) []byte {
			return mustSign(t, e.keys.p256, "", e.nonce(t), testURL, []byte(`["x"]`))
		}, KeyModeJWK, core.ErrMalformed},
		{"payload not UTF-8", func(t *testing.T, e *env) []byte {
			return mustSign(t, e.keys.p256, "", e.nonce(t), testURL, []byte("{\"a\":\"\xff\"}"))
		}, KeyModeJWK, core.ErrMalformed},
		{"bad signature", func(t *testing.T, e *env) []byte {
			return modify(t, valid(t, e), func(m map[string]any) {
				sig, _ := base64.RawURLEncoding.DecodeString(m["signature"].(string))
				sig[len(sig)/2] ^= 0x01
				m["signature"] = b64s(sig)
			})
		}, KeyModeJWK, core.ErrMalformed},
		{"empty signature", func(t *testing.T, e *env) []byte {
			return modify(t, valid(t, e), func(m map[string]any) { m["signature"] = "" })
		}, KeyModeJWK, core.ErrMalformed},
	}
}

func algCases() []hostileCase {
	jwkHeader := func(alg string, pub func(k *testKeys) crypto.PublicKey, sig func(k *testKeys) func([]byte) []byte) func(*testing.T, *env) []byte {
		return func(t *testing.T, e *env) []byte {
			h := hdr("alg", q(alg), "jwk", jwkJSON(t, pub(e.keys)), "nonce", q(e.nonce(t)), "url", q(testURL))
			return craft(h, []byte(`{}`), sig(e.keys))
		}
	}
	p256 := func(k *testKeys) crypto.PublicKey { return k.p256.Public() }
	return []hostileCase{
		{"alg none", jwkHeader("none", p256, func(*testKeys) func([]byte) []byte { return noSig }), KeyModeJWK, core.ErrBadSignatureAlgorithm},
		{"alg HS256", jwkHeader("HS256", p256, func(*testKeys) func([]byte) []byte { return hsSig([]byte("secret")) }), KeyModeJWK, core.ErrBadSignatureAlgorithm},
		{"alg PS256", jwkHeader("PS256", func(k *testKeys) crypto.PublicKey { return k.rsa2048.Public() },
			func(k *testKeys) func([]byte) []byte { return rsSig(k.rsa2048) }), KeyModeJWK, core.ErrBadSignatureAlgorithm},
		{"alg EdDSA", jwkHeader("EdDSA", p256, func(k *testKeys) func([]byte) []byte { return esSig(k.p256) }), KeyModeJWK, core.ErrBadSignatureAlgorithm},
		{"alg ES512", jwkHeader("ES512", func(k *testKeys) crypto.PublicKey { return k.p521.Public() },
			func(k *testKeys) func([]byte) []byte { return esSig(k.p521) }), KeyModeJWK, core.ErrBadSignatureAlgorithm},
		{"alg missing", func(t *testing.T, e *env) []byte {
			return craft(hdr("jwk", jwkJSON(t, e.keys.p256.Public()), "nonce", q(e.nonce(t)), "url", q(testURL)), []byte(`{}`), esSig(e.keys.p256))
		}, KeyModeJWK, core.ErrBadSignatureAlgorithm},
		{"alg in lower case", jwkHeader("es256", p256, func(k *testKeys) func([]byte) []byte { return esSig(k.p256) }), KeyModeJWK, core.ErrBadSignatureAlgorithm},
		{"ES384 with a P-256 key", jwkHeader("ES384", p256, func(k *testKeys) func([]byte) []byte { return esSig(k.p256) }), KeyModeJWK, core.ErrBadSignatureAlgorithm},
		{"RS256 with a P-256 key", jwkHeader("RS256", p256, func(k *testKeys) func([]byte) []byte { return esSig(k.p256) }), KeyModeJWK, core.ErrBadSignatureAlgorithm},
		{"ES256 with an RSA key", jwkHeader("ES256", func(k *testKeys) crypto.PublicKey { return k.rsa2048.Public() },
			func(k *testKeys) func([]byte) []byte { return rsSig(k.rsa2048) }), KeyModeJWK, core.ErrBadSignatureAlgorithm},
		{"ES384 with a kid whose account key is P-256", func(t *testing.T, e *env) []byte {
			kid := e.account(t, e.keys.p256, acme.StatusValid)
			return craft(hdr("alg", q("ES384"), "kid", q(kid), "nonce", q(e.nonce(t)), "url", q(testURL)), []byte(`{}`), esSig(e.keys.p256))
		}, KeyModeKID, core.ErrBadSignatureAlgorithm},
	}
}

func headerCases() []hostileCase {
	withHeader := func(extra ...string) func(*testing.T, *env) []byte {
		return func(t *testing.T, e *env) []byte {
			pairs := append([]string{"alg", q("ES256"), "jwk", jwkJSON(t, e.keys.p256.Public()), "nonce", q(e.nonce(t)), "url", q(testURL)}, extra...)
			return craft(hdr(pairs...), []byte(`{}`), esSig(e.keys.p256))
		}
	}
	return []hostileCase{
		{"missing nonce", func(t *testing.T, e *env) []byte {
			return mustSign(t, e.keys.p256, "", "", testURL, []byte(`{}`))
		}, KeyModeJWK, core.ErrBadNonce},
		{"unknown nonce", func(t *testing.T, e *env) []byte {
			return mustSign(t, e.keys.p256, "", "AAAAAAAAAAAAAAAAAAAAAA", testURL, []byte(`{}`))
		}, KeyModeJWK, core.ErrBadNonce},
		{"replayed nonce", func(t *testing.T, e *env) []byte {
			body := valid(t, e)
			if _, err := e.v.Verify(context.Background(), body, testURL, KeyModeJWK); err != nil {
				t.Fatalf("first use: got %v, want success", err)
			}
			return body
		}, KeyModeJWK, core.ErrBadNonce},
		{"nonce not a string", func(t *testing.T, e *env) []byte {
			h := hdr("alg", q("ES256"), "jwk", jwkJSON(t, e.keys.p256.Public()), "nonce", "12", "url", q(testURL))
			return craft(h, []byte(`{}`), esSig(e.keys.p256))
		}, KeyModeJWK, core.ErrMalformed},
		{"url mismatch", func(t *testing.T, e *env) []byte {
			return mustSign(t, e.keys.p256, "", e.nonce(t), "https://ca.test/acme/new-acct", []byte(`{}`))
		}, KeyModeJWK, core.ErrUnauthorized},
		{"url differs only by a trailing slash", func(t *testing.T, e *env) []byte {
			return mustSign(t, e.keys.p256, "", e.nonce(t), testURL+"/", []byte(`{}`))
		}, KeyModeJWK, core.ErrUnauthorized},
		{"missing url", func(t *testing.T, e *env) []byte {
			return mustSign(t, e.keys.p256, "", e.nonce(t), "", []byte(`{}`))
		}, KeyModeJWK, core.ErrUnauthorized},
		{"url spelled URL", func(t *testing.T, e *env) []byte {
			h := hdr("alg", q("ES256"), "jwk", jwkJSON(t, e.keys.p256.Public()), "nonce", q(e.nonce(t)), "URL", q(testURL))
			return craft(h, []byte(`{}`), esSig(e.keys.p256))
		}, KeyModeJWK, core.ErrUnauthorized},
		{"duplicate header member", withHeader("url", q("https://elsewhere.test/")), KeyModeJWK, core.ErrMalformed},
		{"crit header", withHeader("crit", `["exp"]`, "exp", "1"), KeyModeJWK, core.ErrMalformed},
		{"b64 false", withHeader("b64", "false"), KeyModeJWK, core.ErrMalformed},
		{"protected header not JSON", func(t *testing.T, e *env) []byte {
			return craft("not json", []byte(`{}`), esSig(e.keys.p256))
		}, KeyModeJWK, core.ErrMalformed},
		{"jwk and kid", withHeader("kid", q(testPrefix+"1")), KeyModeEither, core.ErrMalformed},
		{"neither jwk nor kid", func(t *testing.T, e *env) []byte {
			return craft(hdr("alg", q("ES256"), "nonce", q(e.nonce(t)), "url", q(testURL)), []byte(`{}`), esSig(e.keys.p256))
		}, KeyModeEither, core.ErrMalformed},
		{"jwk where kid is required", valid, KeyModeKID, core.ErrMalformed},
		{"kid where jwk is required", func(t *testing.T, e *env) []byte {
			kid := e.account(t, e.keys.p256, acme.StatusValid)
			return mustSign(t, e.keys.p256, kid, e.nonce(t), testURL, []byte(`{}`))
		}, KeyModeJWK, core.ErrMalformed},
	}
}

func keyCases() []hostileCase {
	jwkCase := func(jwk func(t *testing.T, k *testKeys) string, alg string, sig func(k *testKeys) func([]byte) []byte) func(*testing.T, *env) []byte {
		return func(t *testing.T, e *env) []byte {
			h := hdr("alg", q(alg), "jwk", jwk(t, e.keys), "nonce", q(e.nonce(t)), "url", q(testURL))
			return craft(h, []byte(`{}`), sig(e.keys))
		}
	}
	edPub, _, _ := ed25519.GenerateKey(rand.Reader)
	return []hostileCase{
		{"RSA 1024 key", jwkCase(func(t *testing.T, k *testKeys) string { return jwkJSON(t, k.rsa1024.Public()) }, "RS256",
			func(k *testKeys) func([]byte) []byte { return rsSig(k.rsa1024) }), KeyModeJWK, core.ErrBadPublicKey},
		{"RSA exponent 3", jwkCase(func(t *testing.T, k *testKeys) string {
			return strings.Replace(jwkJSON(t, k.rsa2048.Public()), `"e":"AQAB"`, `"e":"Aw"`, 1)
		}, "RS256", func(k *testKeys) func([]byte) []byte { return rsSig(k.rsa2048) }), KeyModeJWK, core.ErrBadPublicKey},
		{"P-521 key", jwkCase(func(t *testing.T, k *testKeys) string { return jwkJSON(t, k.p521.Public()) }, "ES256",
			func(k *testKeys) func([]byte) []byte { return esSig(k.p521) }), KeyModeJWK, core.ErrBadPublicKey},
		{"Ed25519 key", jwkCase(func(t *testing.T, _ *testKeys) string { return jwkJSON(t, edPub) }, "ES256",
			func(k *testKeys) func([]byte) []byte { return esSig(k.p256) }), KeyModeJWK, core.ErrBadPublicKey},
		{"private key in jwk", jwkCase(func(t *testing.T, k *testKeys) string {
			b, _ := json.Marshal(gojose.JSONWebKey{Key: k.p256})
			return string(b)
		}, "ES256", func(k *testKeys) func([]byte) []byte { return esSig(k.p256) }), KeyModeJWK, core.ErrMalformed},
		{"symmetric key in jwk", jwkCase(func(t *testing.T, _ *testKeys) string { return `{"kty":"oct","k":"c2VjcmV0"}` }, "ES256",
			func(k *testKeys) func([]byte) []byte { return esSig(k.p256) }), KeyModeJWK, core.ErrMalformed},
		{"jwk null", jwkCase(func(*testing.T, *testKeys) string { return "null" }, "ES256",
			func(k *testKeys) func([]byte) []byte { return esSig(k.p256) }), KeyModeJWK, core.ErrMalformed},
		{"EC point not on the curve", jwkCase(func(t *testing.T, k *testKeys) string {
			var m map[string]string
			_ = json.Unmarshal([]byte(jwkJSON(t, k.p256.Public())), &m)
			y, _ := base64.RawURLEncoding.DecodeString(m["y"])
			y[len(y)-1] ^= 1
			m["y"] = b64s(y)
			b, _ := json.Marshal(m)
			return string(b)
		}, "ES256", func(k *testKeys) func([]byte) []byte { return esSig(k.p256) }), KeyModeJWK, core.ErrMalformed},
		{"signed by another key than the jwk", jwkCase(func(t *testing.T, k *testKeys) string { return jwkJSON(t, k.p256.Public()) }, "ES256",
			func(k *testKeys) func([]byte) []byte { return esSig(k.p256b) }), KeyModeJWK, core.ErrMalformed},
	}
}

func accountCases() []hostileCase {
	kidReq := func(kid func(t *testing.T, e *env) string) func(*testing.T, *env) []byte {
		return func(t *testing.T, e *env) []byte {
			return mustSign(t, e.keys.p256, kid(t, e), e.nonce(t), testURL, []byte(`{}`))
		}
	}
	withStatus := func(s acme.Status) func(*testing.T, *env) string {
		return func(t *testing.T, e *env) string { return e.account(t, e.keys.p256, s) }
	}
	fixed := func(kid string) func(*testing.T, *env) string { return func(*testing.T, *env) string { return kid } }
	return []hostileCase{
		{"kid of unknown account", kidReq(fixed(testPrefix + "99")), KeyModeKID, core.ErrAccountDoesNotExist},
		{"kid of deactivated account", kidReq(withStatus(acme.StatusDeactivated)), KeyModeKID, core.ErrUnauthorized},
		{"kid of revoked account", kidReq(withStatus(acme.StatusRevoked)), KeyModeKID, core.ErrUnauthorized},
		{"kid on another host", kidReq(fixed("https://evil.test/acme/acct/1")), KeyModeKID, core.ErrMalformed},
		{"kid with leading zero", func(t *testing.T, e *env) []byte {
			e.account(t, e.keys.p256, acme.StatusValid)
			return kidReq(fixed(testPrefix+"01"))(t, e)
		}, KeyModeKID, core.ErrMalformed},
		{"kid with suffix", kidReq(fixed(testPrefix + "1/orders")), KeyModeKID, core.ErrMalformed},
		{"kid empty", func(t *testing.T, e *env) []byte {
			return craft(hdr("alg", q("ES256"), "kid", q(""), "nonce", q(e.nonce(t)), "url", q(testURL)), []byte(`{}`), esSig(e.keys.p256))
		}, KeyModeKID, core.ErrMalformed},
		{"kid signed by another key", func(t *testing.T, e *env) []byte {
			kid := e.account(t, e.keys.p256, acme.StatusValid)
			return mustSign(t, e.keys.p256b, kid, e.nonce(t), testURL, []byte(`{}`))
		}, KeyModeKID, core.ErrMalformed},
	}
}

// A request refused by a structural check leaves its nonce unspent, so a
// client's nonce cannot be burned by someone else's junk.
func TestStructuralFailureKeepsNonce(t *testing.T) {
	ctx := context.Background()
	e := newEnv(t)
	n := e.nonce(t)
	bad := mustSign(t, e.keys.p256, "", n, "https://ca.test/other", []byte(`{}`))
	if _, err := e.v.Verify(ctx, bad, testURL, KeyModeJWK); err == nil {
		t.Fatal("got success for a url mismatch, want an error")
	}
	good := mustSign(t, e.keys.p256, "", n, testURL, []byte(`{}`))
	if _, err := e.v.Verify(ctx, good, testURL, KeyModeJWK); err != nil {
		t.Fatalf("got %v, want the nonce still usable", err)
	}
}

func TestPathPrefix(t *testing.T) {
	tests := []struct {
		name       string
		requestURL string
		want       core.Kind
	}{
		{"same origin", "https://ca.test/acme/new-order", ""},
		{"other host", "https://other.test/acme/new-order", core.ErrMalformed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			e.v = NewVerifier(e.nonces, e.accounts, "/acme/acct/")
			kid := e.account(t, e.keys.p256, acme.StatusValid)
			body := mustSign(t, e.keys.p256, kid, e.nonce(t), tt.requestURL, []byte(`{}`))
			_, err := e.v.Verify(context.Background(), body, tt.requestURL, KeyModeKID)
			wantKind(t, err, tt.want)
		})
	}
}

func BenchmarkVerify(b *testing.B) {
	keys := keysOnce()
	for _, bc := range []struct {
		name string
		key  crypto.Signer
	}{{"ES256", keys.p256}, {"RS256", keys.rsa2048}} {
		b.Run(bc.name, func(b *testing.B) {
			e := newEnv(b)
			e.v = NewVerifier(acceptNonces{}, e.accounts, testPrefix)
			kid := e.account(b, bc.key, acme.StatusValid)
			body := mustSign(b, bc.key, kid, "n", testURL, orderPayload)
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				if _, err := e.v.Verify(ctx, body, testURL, KeyModeKID); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
