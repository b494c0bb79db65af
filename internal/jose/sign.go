package jose

import (
	"crypto"
	"encoding/json"
	"fmt"

	gojose "github.com/go-jose/go-jose/v4"
)

type fixedNonce string

func (n fixedNonce) Nonce() (string, error) { return string(n), nil }

// Sign makes a flattened JWS for an ACME request. With kid empty the public
// key is embedded as jwk; a nil payload makes a POST-as-GET.
func Sign(key crypto.Signer, kid, nonce, url string, payload []byte) ([]byte, error) {
	alg, err := algFor(key.Public())
	if err != nil {
		return nil, err
	}
	opts := &gojose.SignerOptions{NonceSource: fixedNonce(nonce), EmbedJWK: kid == ""}
	opts.WithHeader("url", url)
	sk := gojose.SigningKey{Algorithm: alg, Key: key}
	if kid != "" {
		sk.Key = gojose.JSONWebKey{Key: key, KeyID: kid}
	}
	return sign(sk, opts, payload)
}

func sign(sk gojose.SigningKey, opts *gojose.SignerOptions, payload []byte) ([]byte, error) {
	signer, err := gojose.NewSigner(sk, opts)
	if err != nil {
		return nil, fmt.Errorf("making signer: %w", err)
	}
	if payload == nil {
		payload = []byte{}
	}
	jws, err := signer.Sign(payload)
	if err != nil {
		return nil, fmt.Errorf("signing: %w", err)
	}
	return []byte(jws.FullSerialize()), nil
}

// SignKeyChange makes the inner JWS of a keyChange request.
func SignKeyChange(newKey crypto.Signer, accountURL string, oldKey crypto.PublicKey, url string) ([]byte, error) {
	alg, err := algFor(newKey.Public())
	if err != nil {
		return nil, err
	}
	old, err := json.Marshal(gojose.JSONWebKey{Key: oldKey})
	if err != nil {
		return nil, fmt.Errorf("encoding old key: %w", err)
	}
	payload, err := json.Marshal(map[string]any{"account": accountURL, "oldKey": json.RawMessage(old)})
	if err != nil {
		return nil, err
	}
	opts := &gojose.SignerOptions{EmbedJWK: true}
	opts.WithHeader("url", url)
	return sign(gojose.SigningKey{Algorithm: alg, Key: newKey}, opts, payload)
}

// SignEAB makes an external account binding for a newAccount request.
func SignEAB(hmacKey []byte, kid string, accountKey crypto.PublicKey, url string) (json.RawMessage, error) {
	pub, err := json.Marshal(gojose.JSONWebKey{Key: accountKey})
	if err != nil {
		return nil, fmt.Errorf("encoding account key: %w", err)
	}
	opts := &gojose.SignerOptions{}
	opts.WithHeader("url", url)
	opts.WithHeader("kid", kid)
	out, err := sign(gojose.SigningKey{Algorithm: gojose.HS256, Key: hmacKey}, opts, pub)
	return json.RawMessage(out), err
}
