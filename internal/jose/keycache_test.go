package jose

import (
	"context"
	"crypto"
	"encoding/json"
	"fmt"
	"testing"

	gojose "github.com/go-jose/go-jose/v4"

	"github.com/quarry-ca/quarry/acme"
	"github.com/quarry-ca/quarry/internal/core"
)

// TestKeyCacheFollowsRollover: once an account's stored key changes, a
// request signed with the old key fails and one with the new key passes,
// though the old key was parsed and cached moments before.
func TestKeyCacheFollowsRollover(t *testing.T) {
	e := newEnv(t)
	oldKey, newKey := e.keys.p256, e.keys.p256b
	kid := e.account(t, oldKey, acme.StatusValid)
	ctx := context.Background()
	if _, err := e.v.Verify(ctx, mustSign(t, oldKey, kid, e.nonce(t), testURL, []byte(`{}`)), testURL, KeyModeKID); err != nil {
		t.Fatalf("got %v with the account's key, want it accepted", err)
	}
	jwk, err := json.Marshal(gojose.JSONWebKey{Key: newKey.Public()})
	if err != nil {
		t.Fatal(err)
	}
	e.accounts.mu.Lock()
	e.accounts.m[1].Key = jwk
	e.accounts.mu.Unlock()
	tests := []struct {
		name   string
		signer crypto.Signer
		want   core.Kind // "" means accepted
	}{
		{name: "old key after rollover", signer: oldKey, want: core.ErrMalformed},
		{name: "new key after rollover", signer: newKey},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.v.Verify(ctx, mustSign(t, tt.signer, kid, e.nonce(t), testURL, []byte(`{}`)), testURL, KeyModeKID)
			if tt.want == "" {
				if err != nil {
					t.Fatalf("got %v, want accepted", err)
				}
				return
			}
			wantKind(t, err, tt.want)
		})
	}
}

func TestKeyCacheBounded(t *testing.T) {
	c := newKeyCache()
	k := keysOnce().p256
	jwk, err := json.Marshal(gojose.JSONWebKey{Key: k.Public()})
	if err != nil {
		t.Fatal(err)
	}
	for i := range keyCacheSize + 10 {
		// Distinct bytes that parse to the same key: a "kid" member.
		raw := []byte(fmt.Sprintf(`{"kid":"%d",%s`, i, jwk[1:]))
		if _, err := c.parse(raw); err != nil {
			t.Fatalf("parse %d: %v", i, err)
		}
	}
	if got := len(c.keys); got != keyCacheSize {
		t.Errorf("got %d cached keys, want at most %d", got, keyCacheSize)
	}
	if _, err := c.parse([]byte(`{"kty":"EC"}`)); err == nil {
		t.Error("got no error for a broken JWK, want one")
	}
}
