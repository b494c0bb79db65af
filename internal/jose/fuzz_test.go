package jose

import (
	"context"
	"errors"
	"testing"

	"github.com/quarry-ca/quarry/acme"
	"github.com/quarry-ca/quarry/internal/core"
)

// Every error Verify returns for hostile input must be classified, so wfe
// never has to guess.
func FuzzVerify(f *testing.F) {
	keys := keysOnce()
	e := newEnv(f)
	e.v = NewVerifier(acceptNonces{}, e.accounts, testPrefix)
	kid := e.account(f, keys.p256, acme.StatusValid)
	e.account(f, keys.rsa2048, acme.StatusDeactivated)
	f.Add(mustSign(f, keys.p256, kid, "n", testURL, []byte(`{}`)), uint8(KeyModeKID))
	f.Add(mustSign(f, keys.p256, "", "n", testURL, nil), uint8(KeyModeJWK))
	f.Add(mustSign(f, keys.rsa2048, testPrefix+"2", "n", testURL, []byte(`{"a":[1,2]}`)), uint8(KeyModeEither))
	inner, _ := SignKeyChange(keys.p256b, kid, keys.p256.Public(), testURL)
	f.Add(mustSign(f, keys.p256, kid, "n", testURL, inner), uint8(KeyModeKID))
	f.Add([]byte(`{"protected":"","payload":"","signature":""}`), uint8(0))
	f.Add([]byte(`a.b.c`), uint8(0))
	ctx := context.Background()
	f.Fuzz(func(t *testing.T, body []byte, mode uint8) {
		req, err := e.v.Verify(ctx, body, testURL, KeyMode(mode%3))
		if err != nil {
			mustBeClassified(t, err)
			return
		}
		if req.JWK() == nil {
			t.Fatal("got a verified request with no key")
		}
		// The payload of a verified request may be a hostile inner JWS.
		if _, _, err := e.v.VerifyKeyChange(req); err != nil {
			mustBeClassified(t, err)
		}
	})
}

func mustBeClassified(t *testing.T, err error) {
	t.Helper()
	var ce *core.Error
	if !errors.As(err, &ce) || ce.Kind == "" || ce.Kind == core.ErrServerInternal || ce.Detail == "" {
		t.Fatalf("got unclassified error %v", err)
	}
}
