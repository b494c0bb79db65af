package jose

import (
	"crypto"
	"encoding/json"
	"testing"

	gojose "github.com/go-jose/go-jose/v4"

	"github.com/quarry-ca/quarry/acme"
)

func TestThumbprintAgreesWithACME(t *testing.T) {
	keys := keysOnce()
	tests := []struct {
		name string
		pub  crypto.PublicKey
	}{
		{"RSA 2048", keys.rsa2048.Public()},
		{"RSA 1024", keys.rsa1024.Public()},
		{"P-256", keys.p256.Public()},
		{"P-384", keys.p384.Public()},
		{"P-521", keys.p521.Public()},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			want, err := acme.Thumbprint(tt.pub)
			if err != nil {
				t.Fatal(err)
			}
			// Through JSON, as a key arrives in a request.
			raw, _ := json.Marshal(gojose.JSONWebKey{Key: tt.pub})
			var k gojose.JSONWebKey
			if err := k.UnmarshalJSON(raw); err != nil {
				t.Fatal(err)
			}
			got, err := Thumbprint(&k)
			if err != nil || got != want {
				t.Fatalf("got %q (%v), want %q", got, err, want)
			}
		})
	}
	if _, err := Thumbprint(nil); err == nil {
		t.Error("got a thumbprint of nil, want an error")
	}
}
