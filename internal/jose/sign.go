package jose

import (
	"crypto"
	"crypto/ecdsa"
	"crypto/rsa"
	"encoding/json"
	"errors"
	"fmt"

	gojose "github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/cryptosigner"
)

type fixedNonce string

func (n fixedNonce) Nonce() (string, error) { return string(n), nil }

// Sign makes a flattened JWS for an ACME request. With kid empty the public
// key is embedded as jwk; a nil payload makes a POST-as-GET. An empty nonce
// or url leaves that header out.
func Sign(key crypto.Signer, kid, nonce, url string, payload []byte) ([]byte, error) {
	alg, err := algFor(key.Public())
	if err != nil {
		return nil, err
	}
	opts := &gojose.SignerOptions{EmbedJWK: kid == ""}
	if nonce != "" {
		opts.NonceSource = fixedNonce(nonce)
	}
	if url != "" {
		opts.WithHeader("url", url)
	}
	sk := gojose.SigningKey{Algorithm: alg, Key: signingKey(key)}
	if kid != "" {
		sk.Key = gojose.JSONWebKey{Key: sk.Key, KeyID: kid}
	}
	return sign(sk, opts, payload)
}

// SignKeyChange makes the inner JWS of a keyChange request: signed by the
// new key, naming the account and its old key, for the keyChange url.
func SignKeyChange(newKey crypto.Signer, accountURL string, oldKey crypto.PublicKey, url string) ([]byte, error) {
	alg, err := algFor(newKey.Public())
	if err != nil {
		return nil, err
	}
	old, err := publicJWK(oldKey)
	if err != nil {
		return nil, fmt.Errorf("encoding old key: %w", err)
	}
	payload, err := json.Marshal(map[string]any{"account": accountURL, "oldKey": old})
	if err != nil {
		return nil, fmt.Errorf("encoding keyChange payload: %w", err)
	}
	opts := &gojose.SignerOptions{EmbedJWK: true}
	opts.WithHeader("url", url)
	return sign(gojose.SigningKey{Algorithm: alg, Key: signingKey(newKey)}, opts, payload)
}

// SignEAB makes an HS256 external account binding for a newAccount
// request to url.
func SignEAB(hmacKey []byte, kid string, accountKey crypto.PublicKey, url string) (json.RawMessage, error) {
	if len(hmacKey) == 0 || kid == "" {
		return nil, errors.New("external account binding needs a key ID and a MAC key")
	}
	pub, err := publicJWK(accountKey)
	if err != nil {
		return nil, fmt.Errorf("encoding account key: %w", err)
	}
	prot, err := json.Marshal(map[string]string{"alg": string(gojose.HS256), "kid": kid, "url": url})
	if err != nil {
		return nil, fmt.Errorf("encoding EAB header: %w", err)
	}
	input := b64.EncodeToString(prot) + "." + b64.EncodeToString(pub)
	out, err := json.Marshal(map[string]string{
		"protected": b64.EncodeToString(prot),
		"payload":   b64.EncodeToString(pub),
		"signature": b64.EncodeToString(mac(string(gojose.HS256), hmacKey, input)),
	})
	if err != nil {
		return nil, fmt.Errorf("encoding EAB: %w", err)
	}
	return json.RawMessage(out), nil
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

// signingKey hands go-jose keys it knows directly and wraps any other
// crypto.Signer (an HSM key, say).
func signingKey(key crypto.Signer) any {
	switch key.(type) {
	case *rsa.PrivateKey, *ecdsa.PrivateKey:
		return key
	}
	return cryptosigner.Opaque(key)
}

// publicJWK encodes a public key as a JWK, refusing private keys so a
// caller's mistake cannot put one on the wire.
func publicJWK(pub crypto.PublicKey) (json.RawMessage, error) {
	k := gojose.JSONWebKey{Key: pub}
	if !k.IsPublic() {
		return nil, errors.New("not a public key")
	}
	return k.MarshalJSON()
}
