package jose

import (
	"context"
	"crypto"
	"crypto/ed25519"
	"crypto/rand"
	"io"
	"testing"

	"github.com/quarry-ca/quarry/acme"
)

// wrapped hides a key's concrete type, like an HSM-backed signer would.
type wrapped struct{ s crypto.Signer }

func (w wrapped) Public() crypto.PublicKey { return w.s.Public() }
func (w wrapped) Sign(r io.Reader, d []byte, o crypto.SignerOpts) ([]byte, error) {
	return w.s.Sign(r, d, o)
}

func TestSign(t *testing.T) {
	keys := keysOnce()
	tests := []struct {
		name    string
		key     crypto.Signer
		wantAlg string
	}{
		{"RSA", keys.rsa2048, "RS256"},
		{"P-256", keys.p256, "ES256"},
		{"P-384", keys.p384, "ES384"},
		{"opaque P-256", wrapped{keys.p256}, "ES256"},
		{"opaque RSA", wrapped{keys.rsa2048}, "RS256"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			kid := e.account(t, tt.key, acme.StatusValid)
			for _, useKID := range []bool{false, true} {
				k, mode := "", KeyModeJWK
				if useKID {
					k, mode = kid, KeyModeKID
				}
				body := mustSign(t, tt.key, k, e.nonce(t), testURL, nil)
				m, err := members(body)
				if err != nil || len(m) != 3 {
					t.Fatalf("got %s, want flattened JSON with three members", body)
				}
				p, err := parseFlattened(body, requestAlgs)
				if err != nil {
					t.Fatal(err)
				}
				if p.h.alg != tt.wantAlg {
					t.Errorf("got alg %s, want %s", p.h.alg, tt.wantAlg)
				}
				req, err := e.v.Verify(context.Background(), body, testURL, mode)
				if err != nil {
					t.Fatalf("kid %v: got %v, want success", useKID, err)
				}
				if !req.IsPostAsGet() {
					t.Errorf("got payload %q, want POST-as-GET", req.Payload())
				}
			}
		})
	}
}

func TestSignRefuses(t *testing.T) {
	keys := keysOnce()
	_, ed, _ := ed25519.GenerateKey(rand.Reader)
	tests := []struct {
		name string
		sign func() error
	}{
		{"P-521 key", func() error { _, err := Sign(keys.p521, "", "n", testURL, nil); return err }},
		{"Ed25519 key", func() error { _, err := Sign(ed, "", "n", testURL, nil); return err }},
		{"key change to a P-521 key", func() error {
			_, err := SignKeyChange(keys.p521, testPrefix+"1", keys.p256.Public(), keyChangeURL)
			return err
		}},
		{"private old key", func() error {
			_, err := SignKeyChange(keys.p256b, testPrefix+"1", keys.p256, keyChangeURL)
			return err
		}},
		{"private account key in EAB", func() error { _, err := SignEAB([]byte("k"), "kid", keys.p256, newAccountURL); return err }},
		{"EAB without a MAC key", func() error { _, err := SignEAB(nil, "kid", keys.p256.Public(), newAccountURL); return err }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.sign(); err == nil {
				t.Fatal("got success, want an error")
			}
		})
	}
}
